"""CephalometricMeasurementMetric: keys, degrees in mm space, left-out
images."""
import math

import numpy as np
import pytest
from mmengine.logging import MMLogger
from mmpose.registry import METRICS

from ceph_landmarks.evaluation import CephalometricMeasurementMetric

NAMES = ['sella', 'nasion', 'subspinale', 'supramentale']
# S-N horizontal; A below N (SNA 90), B back and below (SNB 45)
GT = [[0, 0], [10, 0], [10, 10], [0, 10]]


def _sample(pred, gt=GT, visible=(1, 1, 1, 1), spacing=0.1, path='a.png'):
    return dict(
        pred_instances=dict(keypoints=np.asarray(pred, float)[None]),
        gt_instances=dict(
            keypoints=np.asarray(gt, float)[None],
            keypoints_visible=np.asarray(visible, float)[None]),
        spacing=spacing,
        img_path=path)


def _metric(**kwargs):
    metric = METRICS.build(
        dict(type='CephalometricMeasurementMetric', **kwargs))
    metric.dataset_meta = dict(keypoint_id2name={
        k: n
        for k, n in enumerate(NAMES)
    })
    return metric


def _run(metric, samples):
    metric.process([], samples)
    return metric.evaluate(len(samples))


def test_keys_and_hand_computed_errors():
    # image 1: A moved back to (0, 10): SNA 45 instead of 90 (error 45),
    # SNB unchanged, ANB 0 instead of 45 (error 45)
    # image 2: perfect prediction
    result = _run(_metric(), [
        _sample([[0, 0], [10, 0], [0, 10], [0, 10]]),
        _sample(GT, path='b.png'),
    ])
    assert set(result) == {
        'ceph/SNA_MAE', 'ceph/SNB_MAE', 'ceph/ANB_MAE', 'ceph/angle_MAE'
    }
    assert result['ceph/SNA_MAE'] == pytest.approx(22.5)
    assert result['ceph/SNB_MAE'] == pytest.approx(0.0)
    assert result['ceph/ANB_MAE'] == pytest.approx(22.5)
    assert result['ceph/angle_MAE'] == pytest.approx((45 + 45) / 6)


def test_angles_are_measured_in_millimetres():
    # pixels twice as tall as wide: N->A = (-10, 10) px is (-1, 2) mm, so
    # SNA = atan2(2, 1) = 63.43 degrees in mm (45 in pixels); true SNA 90
    result = _run(
        _metric(measurements=['SNA']),
        [_sample([[0, 0], [10, 0], [0, 10], [0, 10]], spacing=[0.1, 0.2])])
    assert result['ceph/SNA_MAE'] == pytest.approx(
        90 - math.degrees(math.atan2(2, 1)))


def test_unannotated_and_undefined_images_are_left_out(capfd):
    MMLogger.get_instance('test_angle_metric')  # current logger: to stdout
    samples = [
        # A not annotated: out of SNA and ANB, still in SNB
        _sample([[0, 0], [10, 0], [0, 10], [0, 10]],
                visible=(1, 1, 0, 1),
                path='no_a.png'),
        # predicted S on N: every angle undefined
        _sample([[10, 0], [10, 0], [10, 10], [0, 10]], path='collapsed.png'),
    ]
    result = _run(_metric(), samples)
    assert math.isnan(result['ceph/SNA_MAE'])
    assert result['ceph/SNB_MAE'] == pytest.approx(0.0)
    log = capfd.readouterr().out
    assert "SNA: 1 image(s) left out, a landmark of the measurement is " \
        "not annotated: ['no_a.png']" in log
    assert "SNB: 1 image(s) left out, the measurement is undefined" in log
    assert "['collapsed.png']" in log


def test_set_without_the_landmarks_reports_nothing():
    metric = METRICS.build(dict(type='CephalometricMeasurementMetric'))
    metric.dataset_meta = dict(keypoint_id2name={0: 'p1', 1: 'p2'})
    assert _run(metric, [
        _sample([[0, 0], [1, 1]], gt=[[0, 0], [1, 1]], visible=(1, 1))
    ]) == {}


def test_invalid_measurements():
    with pytest.raises(ValueError, match=r"but got \['SNX'\]"):
        CephalometricMeasurementMetric(measurements=['SNX'])


def test_missing_spacing_is_a_clear_error():
    sample = _sample(GT)
    del sample['spacing']
    with pytest.raises(
            KeyError,
            match="CephalometricMeasurementMetric needs the pixel "
            "spacing of a.png"):
        _metric().process([], [sample])


def test_mm_and_ratio_measurements_carry_their_unit():
    names = [
        'sella', 'nasion', 'porion', 'orbitale', 'subspinale', 'gonion',
        'menton'
    ]
    # FH horizontal, A on the N-perpendicular; S-Go / N-Me = 60 / 100
    gt = [[0, 0], [100, 0], [0, 20], [80, 20], [100, 50], [0, 60], [100, 100]]
    pred = [list(p) for p in gt]
    pred[4] = [110, 50]  # A 10 px = 1 mm in front of N-perp
    pred[5] = [0, 65]  # S-Go 65 px: ratio 65 %
    metric = METRICS.build(dict(type='CephalometricMeasurementMetric'))
    metric.dataset_meta = dict(keypoint_id2name={
        k: n
        for k, n in enumerate(names)
    })
    visible = (1, ) * len(names)
    result = _run(metric, [
        _sample(pred, gt=gt, visible=visible),
        _sample(gt, gt=gt, visible=visible, path='b.png')
    ])
    assert set(result) == {
        'ceph/SNA_MAE', 'ceph/SN-GoMe_MAE', 'ceph/FMA_MAE',
        'ceph/N-perp-A_MAE_mm', 'ceph/Jarabak-ratio_MAE_pct', 'ceph/angle_MAE'
    }
    assert result['ceph/N-perp-A_MAE_mm'] == pytest.approx(0.5)
    assert result['ceph/Jarabak-ratio_MAE_pct'] == pytest.approx(2.5)
    sna_error = 90 - math.degrees(math.atan2(50, 10))  # N->A = (10, 50)
    assert result['ceph/SNA_MAE'] == pytest.approx(sna_error / 2)
    # Go->Me = (100, 40) in truth, (100, 35) predicted
    plane_error = math.degrees(math.atan2(40, 100) - math.atan2(35, 100))
    assert result['ceph/SN-GoMe_MAE'] == pytest.approx(plane_error / 2)
    assert result['ceph/FMA_MAE'] == pytest.approx(plane_error / 2)
    # pooled over the three angles of both images
    assert result['ceph/angle_MAE'] == pytest.approx(
        (sna_error + 2 * plane_error) / 6)


def test_measurements_of_the_analyses_can_be_chosen():
    metric = _metric(measurements=['ANB'])
    result = _run(metric, [_sample([[0, 0], [10, 0], [0, 10], [0, 10]])])
    assert set(result) == {'ceph/ANB_MAE', 'ceph/angle_MAE'}
    with pytest.raises(ValueError, match=r"but got \['Co-X'\]"):
        CephalometricMeasurementMetric(measurements=['Co-X'])
