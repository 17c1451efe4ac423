"""CephalometricMetric: keys, spacing, masking and the per-landmark files."""
import json
import os.path as osp

import numpy as np
import pytest
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
        'ceph/SDR@3mm', 'ceph/SDR@4mm'
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
    assert result == {
        'ceph/MRE': pytest.approx(1.0),
        'ceph/MRE_std': pytest.approx(0.0),
        'ceph/SDR@1mm': pytest.approx(100.0)
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
