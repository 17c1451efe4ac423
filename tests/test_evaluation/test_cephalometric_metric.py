"""CephalometricMetric: keys, spacing, masking and the per-landmark files."""
import csv
import json
import logging
import math
import os.path as osp

import numpy as np
import pytest
from mmengine.logging import MMLogger
from mmpose.registry import METRICS

from ceph_landmarks.evaluation import CephalometricMetric


def _sample(pred, gt, visible, spacing, **extra):
    sample = dict(
        pred_instances=dict(keypoints=np.asarray(pred, float)[None]),
        gt_instances=dict(
            keypoints=np.asarray(gt, float)[None],
            keypoints_visible=np.asarray(visible, float)[None]),
        img_path='img.png',
        **extra)
    if spacing is not None:
        sample['spacing'] = spacing
    return sample


def _run(metric, samples):
    metric.process([], samples)
    return metric.evaluate(len(samples))


def test_metric_is_registered_with_prefixed_keys(tmp_path):
    metric = METRICS.build(
        dict(type='CephalometricMetric', out_dir=str(tmp_path)))
    metric.dataset_meta = dict(keypoint_id2name={0: 'sella', 1: 'nasion'})
    samples = [
        # spacing 0.1: errors 5 mm and 1 mm
        _sample([[30, 40], [10, 0]], [[0, 0], [0, 0]], [1, 1], 0.1),
        # spacing 0.2: errors 2 mm and 20 mm, the second one invisible
        _sample([[6, 8], [100, 0]], [[0, 0], [0, 0]], [1, 0], 0.2),
    ]
    result = _run(metric, samples)
    assert set(result) == {
        'ceph/MRE', 'ceph/MRE_std', 'ceph/SDR@2mm', 'ceph/SDR@2.5mm',
        'ceph/SDR@3mm', 'ceph/SDR@4mm', 'ceph/MRE_image_se',
        'ceph/collapsed_pairs'
    }
    assert result['ceph/MRE'] == pytest.approx((5 + 1 + 2) / 3)
    assert result['ceph/SDR@2mm'] == pytest.approx(200 / 3)
    assert result['ceph/SDR@4mm'] == pytest.approx(200 / 3)

    rows = json.load(open(osp.join(tmp_path, 'per_landmark_errors.json')))
    assert [r['landmark'] for r in rows] == ['sella', 'nasion']
    assert rows[0]['MRE'] == pytest.approx(3.5)
    assert rows[1]['count'] == 1 and rows[1]['MRE'] == pytest.approx(1.0)
    header = open(osp.join(tmp_path, 'per_landmark_errors.csv')).readline()
    assert header.strip().split(',')[:4] == [
        'landmark', 'count', 'MRE', 'MRE_std'
    ]


def test_custom_thresholds():
    metric = CephalometricMetric(thresholds=[1.0], per_landmark=False)
    result = _run(metric, [_sample([[10, 0]], [[0, 0]], [1], 0.1)])
    # one image: no standard error; one landmark: no pair
    assert math.isnan(result.pop('ceph/MRE_image_se'))
    assert result == {
        'ceph/MRE': pytest.approx(1.0),
        'ceph/MRE_std': pytest.approx(0.0),
        'ceph/SDR@1mm': pytest.approx(100.0),
        'ceph/collapsed_pairs': 0
    }


def test_missing_spacing_is_a_clear_error():
    metric = CephalometricMetric()
    with pytest.raises(KeyError, match="no 'spacing'.*meta_keys"):
        metric.process([], [_sample([[0, 0]], [[0, 0]], [1], None)])
    # the shared process() names the metric that needs the spacing
    with pytest.raises(KeyError, match='^"CephalometricMetric needs'):
        metric.process([], [_sample([[0, 0]], [[0, 0]], [1], None)])


def test_invalid_thresholds():
    with pytest.raises(ValueError, match='but got'):
        CephalometricMetric(thresholds=[0, 2])


def test_invalid_collapse_arguments():
    with pytest.raises(
            ValueError, match=r'collapse_ratio.*\(0, 1\), but '
            'got 1.5'):
        CephalometricMetric(collapse_ratio=1.5)
    with pytest.raises(ValueError, match='collapse_min_true_mm.*but got -1'):
        CephalometricMetric(collapse_min_true_mm=-1)


class _Warnings(logging.Handler):
    """Collects the warnings logged to the current MMLogger."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.messages = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


@pytest.fixture
def warned():
    MMLogger.get_instance('test_cephalometric_metric')
    # the metric logs to the latest created logger, whichever that is
    logger = MMLogger.get_current_instance()
    records = _Warnings()
    logger.addHandler(records)
    yield records.messages
    logger.removeHandler(records)


NAMES = {
    0: 'upper_incisal_tip',
    1: 'lower_incisal_tip',
    2: 'menton',
    3: 'pogonion'
}


def _incisor_samples():
    """Three images at 0.1 mm/px with four landmarks.

    The incisal tips are truly 4 mm apart and predicted 0.1-0.3 mm apart
    (collapsed); menton and pogonion are truly 2 mm apart and predicted
    0.8 mm apart (ratio 0.4: not collapsed, but under 1 mm); every other
    pair is far apart. Per-image MREs differ, for the standard error.
    """
    samples = []
    for gap in [1.0, 2.0, 3.0]:
        gt = [[100, 100], [100, 140], [100, 500], [100, 520]]
        pred = [[100, 120], [100, 120 + gap], [100, 500], [100, 508]]
        samples.append(_sample(pred, gt, [1, 1, 1, 1], 0.1))
    return samples


def test_collapsed_pairs_counted_warned_and_written(tmp_path, warned):
    metric = CephalometricMetric(out_dir=str(tmp_path))
    metric.dataset_meta = dict(keypoint_id2name=NAMES)
    result = _run(metric, _incisor_samples())
    assert result['ceph/collapsed_pairs'] == 1
    assert isinstance(result['ceph/collapsed_pairs'], int)

    [line] = [m for m in warned if 'ollapsed landmark pair' in m]
    assert 'upper_incisal_tip and lower_incisal_tip' in line
    assert 'median 0.20 mm apart but are truly 4.00 mm apart' in line
    assert 'under 0.5 mm on 100% of 3 images' in line

    rows = json.load(open(osp.join(tmp_path, 'collapsed_pairs.json')))
    # the collapsed pair, then the near-collapse (0.8 mm < 1 mm), by ratio
    assert [(r['landmark_a'], r['landmark_b'], r['collapsed']) for r in rows
            ] == [('upper_incisal_tip', 'lower_incisal_tip', True),
                  ('menton', 'pogonion', False)]
    assert rows[0]['pred_median_mm'] == pytest.approx(0.2)
    assert rows[0]['true_median_mm'] == pytest.approx(4.0)
    assert rows[0]['frac_pred_below_0.5mm'] == pytest.approx(1.0)
    assert rows[1]['pred_median_mm'] == pytest.approx(0.8)
    assert rows[1]['ratio'] == pytest.approx(0.4)
    with open(osp.join(tmp_path, 'collapsed_pairs.csv')) as f:
        table = list(csv.DictReader(f))
    assert [r['landmark_b']
            for r in table] == ['lower_incisal_tip', 'pogonion']
    assert list(table[0]) == [
        'landmark_a', 'landmark_b', 'index_a', 'index_b', 'pred_median_mm',
        'true_median_mm', 'ratio', 'frac_pred_below_0.5mm', 'num_images',
        'collapsed'
    ]


def test_mre_image_se_by_hand(tmp_path):
    metric = CephalometricMetric(out_dir=str(tmp_path))
    result = _run(metric, _incisor_samples())
    # errors in mm: upper tip 2, lower tip 2 - gap / 10, menton 0,
    # pogonion 1.2; per-image MREs (5.2 - gap / 10) / 4 for gaps 1, 2, 3
    image_mre = np.array([5.1, 5.0, 4.9]) / 4
    assert result['ceph/MRE'] == pytest.approx(image_mre.mean())
    assert result['ceph/MRE_image_se'] == pytest.approx(
        image_mre.std(ddof=1) / np.sqrt(3))


def test_no_collapse_writes_header_only_and_warns_nothing(tmp_path, warned):
    metric = CephalometricMetric(out_dir=str(tmp_path))
    samples = [
        _sample([[0, 0], [0, 40]], [[0, 0], [0, 40]], [1, 1], 0.1),
        _sample([[0, 0], [0, 50]], [[0, 0], [0, 50]], [1, 1], 0.1),
    ]
    result = _run(metric, samples)
    assert result['ceph/collapsed_pairs'] == 0
    assert result['ceph/MRE_image_se'] == pytest.approx(0.0)
    assert not [m for m in warned if 'ollapsed' in m]
    assert json.load(open(osp.join(tmp_path, 'collapsed_pairs.json'))) == []
    header = open(osp.join(tmp_path, 'collapsed_pairs.csv')).read()
    assert header.strip().split(',')[:2] == ['landmark_a', 'landmark_b']


def test_collapse_tables_follow_per_landmark(tmp_path, warned):
    metric = CephalometricMetric(per_landmark=False, out_dir=str(tmp_path))
    result = _run(metric, _incisor_samples())
    # counted and warned, but no files, like per_landmark_errors.csv
    assert result['ceph/collapsed_pairs'] == 1
    assert [m for m in warned if 'Collapsed landmark pair' in m]
    assert not osp.exists(osp.join(tmp_path, 'collapsed_pairs.csv'))
    assert not osp.exists(osp.join(tmp_path, 'per_landmark_errors.csv'))


def test_collapse_thresholds_are_configurable():
    # ratio 0.4 of menton / pogonion is collapsed at collapse_ratio 0.5 ...
    metric = CephalometricMetric(per_landmark=False, collapse_ratio=0.5)
    assert _run(metric, _incisor_samples())['ceph/collapsed_pairs'] == 2
    # ... and the incisors (4 mm) are not with a 5 mm floor
    metric = CephalometricMetric(per_landmark=False, collapse_min_true_mm=5.0)
    assert _run(metric, _incisor_samples())['ceph/collapsed_pairs'] == 0
