"""The coverage of a calibration's error radii on a test set: the core
maths (``core.evaluation.radius_coverage``) and ``CephalometricMetric``
with ``calibration``."""
import json
import math
import os.path as osp

import numpy as np
import pytest

from ceph_landmarks.core.evaluation import RadiusCalibration
from ceph_landmarks.core.evaluation.radius_coverage import (
    calibrated_radii, check_radius_signal, radius_coverage, refine_shift_mm)
from ceph_landmarks.core.model_calibration import (ModelCalibration,
                                                   save_calibration)
from ceph_landmarks.evaluation import CephalometricMetric

NAMES = ['sella', 'nasion']
BASE_KEYS = {
    'ceph/MRE', 'ceph/MRE_std', 'ceph/SDR@2mm', 'ceph/SDR@2.5mm',
    'ceph/SDR@3mm', 'ceph/SDR@4mm', 'ceph/MRE_image_se', 'ceph/collapsed_pairs'
}
COVERAGE_KEYS = {
    'ceph/coverage', 'ceph/min_landmark_coverage', 'ceph/mean_radius_mm'
}


def write_calibration(path,
                      radii_mm,
                      names=NAMES,
                      difficulty=None,
                      scale=None) -> str:
    """A calibration file of constant (or adaptive) radii, via the core
    API."""
    radius = RadiusCalibration(
        alpha=0.1,
        landmark_names=list(names),
        radii_mm=list(radii_mm),
        difficulty=difficulty,
        scale=scale,
        fitted_on='test',
        num_calibration=20)
    return save_calibration(
        ModelCalibration(radius, None, '90 % error radii (test)'), str(path))


def _sample(pred, gt, visible, spacing, scores=None, coarse=None):
    pred_instances = dict(keypoints=np.asarray(pred, float)[None])
    if scores is not None:
        pred_instances['keypoint_scores'] = np.asarray(scores, float)[None]
    if coarse is not None:
        pred_instances['coarse_keypoints'] = np.asarray(coarse, float)[None]
    return dict(
        pred_instances=pred_instances,
        gt_instances=dict(
            keypoints=np.asarray(gt, float)[None],
            keypoints_visible=np.asarray(visible, float)[None]),
        img_path='img.png',
        spacing=spacing)


def _samples():
    # spacing 0.1: errors 3 mm and 1 mm; spacing 0.2: errors 2 mm and
    # 20 mm, the second invisible (left out)
    return [
        _sample([[30, 0], [10, 0]], [[0, 0], [0, 0]], [1, 1], 0.1, [0.5, 1.0],
                [[30, 10], [10, 0]]),
        _sample([[6, 8], [100, 0]], [[0, 0], [0, 0]], [1, 0], 0.2, [0.25, 1.0],
                [[6, 8], [100, 5]]),
    ]


def _evaluate(tmp_path, **kwargs):
    metric = CephalometricMetric(out_dir=str(tmp_path), **kwargs)
    metric.dataset_meta = dict(keypoint_id2name=dict(enumerate(NAMES)))
    samples = _samples()
    metric.process([], samples)
    return metric.evaluate(len(samples))


def test_refine_shift_uses_each_axis_spacing():
    coarse = np.zeros((2, 1, 2))
    final = np.array([[[3., 4.]], [[3., 4.]]])
    shift = refine_shift_mm(coarse, final, np.array([[0.1, 0.2], [1., 1.]]))
    np.testing.assert_allclose(shift, [[math.hypot(0.3, 0.8)], [5.0]])


def test_calibrated_radii_of_each_radius_model():
    constant = RadiusCalibration(0.1, NAMES, [1.0, 2.0])
    np.testing.assert_allclose(
        calibrated_radii(constant, {}, 3, 'cal.json'), [[1.0, 2.0]] * 3)
    adaptive = RadiusCalibration(
        0.1, NAMES, [1.0, 2.0], difficulty='confidence', scale=[1.0, 1.0])
    scores = np.array([[0.5, np.nan]])
    # 1 / confidence; a missing value gets the constant radius
    np.testing.assert_allclose(
        calibrated_radii(adaptive, dict(confidence=scores), 1, 'cal.json'),
        [[2.0, 2.0]])
    with pytest.raises(
            ValueError, match=r"cal\.json: difficulty signal 'confidence'"):
        calibrated_radii(adaptive, dict(confidence=np.ones((1, 3))), 1,
                         'cal.json')


def test_a_missing_signal_is_a_clear_error():
    shift = RadiusCalibration(
        0.1, NAMES, [1.0, 2.0], difficulty='refine_shift_mm', scale=[1., 1.])
    with pytest.raises(ValueError) as err:
        check_radius_signal(shift, ['confidence'], 'model/calibration.json')
    message = str(err.value)
    assert message.startswith('model/calibration.json: ')
    assert "'refine_shift_mm'" in message and '--refine-config' in message
    check_radius_signal(shift, ['confidence', 'refine_shift_mm'], 'x')
    flip = RadiusCalibration(
        0.1,
        NAMES, [1.0, 2.0],
        difficulty='flip_disagreement_mm',
        scale=[1., 1.])
    with pytest.raises(ValueError, match='flip_disagreement_mm'):
        calibrated_radii(flip, dict(confidence=np.ones((1, 2))), 1, 'x')


def test_radius_coverage_leaves_out_unannotated_points():
    errors = np.array([[1.0, 3.0], [2.0, 20.0]])
    mask = np.array([[True, True], [True, False]])
    radii = np.full((2, 2), 2.5)
    table = radius_coverage(NAMES, errors, mask, radii)
    assert table['overall']['coverage'] == pytest.approx(2 / 3)
    assert table['overall']['min_landmark_coverage'] == 0.0
    assert table['overall']['num_points'] == 3
    assert [r['coverage'] for r in table['per_landmark']] == [1.0, 0.0]
    empty = radius_coverage(NAMES, errors, np.zeros((2, 2), bool), radii)
    assert math.isnan(empty['overall']['coverage'])
    assert empty['per_landmark'][0]['coverage'] is None


def test_metric_without_calibration_is_unchanged(tmp_path):
    assert set(_evaluate(tmp_path)) == BASE_KEYS
    rows = json.load(open(osp.join(tmp_path, 'per_landmark_errors.json')))
    assert 'coverage' not in rows[0]


@pytest.mark.parametrize('radius, want', [(1e-6, 0.0), (1e6, 1.0)])
def test_metric_reports_the_coverage_of_constant_radii(tmp_path, radius, want):
    path = write_calibration(tmp_path / 'calibration.json', [radius] * 2)
    result = _evaluate(tmp_path, calibration=path)
    assert set(result) == BASE_KEYS | COVERAGE_KEYS
    assert result['ceph/coverage'] == want
    assert result['ceph/min_landmark_coverage'] == want
    assert result['ceph/mean_radius_mm'] == pytest.approx(radius)
    rows = json.load(open(osp.join(tmp_path, 'per_landmark_errors.json')))
    assert [r['coverage'] for r in rows] == [want, want]
    assert rows[1]['mean_radius_mm'] == pytest.approx(radius)
    header = open(osp.join(tmp_path, 'per_landmark_errors.csv')).readline()
    assert header.strip().split(',')[-2:] == ['coverage', 'mean_radius_mm']


def test_metric_scales_radii_by_confidence(tmp_path):
    # radius = 1 mm / confidence: sella 2 mm (error 3) and 4 mm (error 2),
    # nasion 1 mm (error 1): two of three points covered
    path = write_calibration(
        tmp_path / 'calibration.json', [1.0, 1.0],
        difficulty='confidence',
        scale=[1.0, 1.0])
    result = _evaluate(tmp_path, calibration=path)
    assert result['ceph/coverage'] == pytest.approx(2 / 3)
    assert result['ceph/min_landmark_coverage'] == pytest.approx(0.5)
    assert result['ceph/mean_radius_mm'] == pytest.approx((2 + 4 + 1) / 3)


def test_metric_scales_radii_by_refine_shift(tmp_path):
    # shifts: sella 1 mm (error 3) and 0 mm -> floor 0.5 (error 2); nasion
    # 0 mm -> 0.5 (error 1); radius = 2 * shift: 2, 1, 1 mm
    path = write_calibration(
        tmp_path / 'calibration.json', [1.0, 1.0],
        difficulty='refine_shift_mm',
        scale=[2.0, 2.0])
    result = _evaluate(tmp_path, calibration=path)
    assert result['ceph/coverage'] == pytest.approx(1 / 3)
    assert result['ceph/min_landmark_coverage'] == 0.0
    assert result['ceph/mean_radius_mm'] == pytest.approx((2 + 1 + 1) / 3)


def test_metric_refuses_a_missing_signal_and_other_landmarks(tmp_path):
    shift = write_calibration(
        tmp_path / 'shift.json', [1.0, 1.0],
        difficulty='refine_shift_mm',
        scale=[4.0, 4.0])
    metric = CephalometricMetric(per_landmark=False, calibration=shift)
    metric.dataset_meta = dict(keypoint_id2name=dict(enumerate(NAMES)))
    samples = [
        _sample([[0, 0], [1, 1]], [[0, 0], [0, 0]], [1, 1], 0.1, [1, 1])
    ]
    metric.process([], samples)
    with pytest.raises(ValueError, match=r'shift\.json: .*refine_shift_mm'):
        metric.evaluate(1)

    other = write_calibration(tmp_path / 'other.json', [1.0, 1.0],
                              ['porion', 'orbitale'])
    metric = CephalometricMetric(per_landmark=False, calibration=other)
    metric.dataset_meta = dict(keypoint_id2name=dict(enumerate(NAMES)))
    metric.process([], samples)
    with pytest.raises(
            ValueError,
            match=r'other\.json: a calibration of other landmarks'):
        metric.evaluate(1)


def test_metric_refuses_an_unreadable_calibration(tmp_path):
    with pytest.raises(OSError, match='missing.json'):
        CephalometricMetric(calibration=str(tmp_path / 'missing.json'))
