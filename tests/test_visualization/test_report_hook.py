"""EvaluationReportHook: collects the test outputs, writes the report."""
import csv
import os.path as osp
from unittest.mock import MagicMock

import cv2
import numpy as np
import pytest
from mmengine.structures import InstanceData
from mmpose.registry import HOOKS
from mmpose.structures import PoseDataSample

from ceph_landmarks.visualization import EvaluationReportHook

NAMES = ['sella', 'nasion', 'menton']


def _sample(img_path, error_px, spacing=(0.1, 0.1)):
    """A test output whose prediction is ``error_px`` right of the truth."""
    gt = np.array([[[40., 50.], [200., 60.], [120., 250.]]])  # (1, 3, 2)
    metainfo = dict(img_path=img_path)
    if spacing is not None:
        metainfo['spacing'] = spacing
    sample = PoseDataSample(metainfo=metainfo)
    sample.gt_instances = InstanceData(
        keypoints=gt, keypoints_visible=np.ones((1, 3)))
    sample.pred_instances = InstanceData(keypoints=gt + [error_px, 0.])
    return sample


def _runner(tmp_path, num_images):
    runner = MagicMock()
    runner.log_dir = str(tmp_path / 'work_dir' / '20240101_000000')
    runner.test_dataloader.dataset.metainfo = dict(
        dataset_name='isbi2015', keypoint_id2name=dict(enumerate(NAMES)))
    runner.test_dataloader.dataset.__len__.return_value = num_images
    return runner


def _image(tmp_path, name):
    path = str(tmp_path / name)
    cv2.imwrite(path, np.full((300, 240), 90, np.uint8))
    return path


def _table(out_dir):
    with open(osp.join(out_dir, 'per_image_errors.csv')) as f:
        return list(csv.DictReader(f))


def test_report_of_the_collected_batches_in_the_log_dir(tmp_path):
    paths = [_image(tmp_path, f'img_{i}.png') for i in range(3)]
    runner = _runner(tmp_path, 3)
    hook = HOOKS.build(dict(type='EvaluationReportHook', num_worst=2))
    hook.before_test_epoch(runner)
    batch = [_sample(paths[0], 0.), _sample(paths[1], 30.)]
    hook.after_test_iter(runner, 0, outputs=batch)
    hook.after_test_iter(runner, 1, outputs=[_sample(paths[2], 10.)])
    hook.after_test_epoch(runner, metrics={})

    report = osp.join(runner.log_dir, 'report')
    rows = _table(report)
    worst_first = [osp.basename(row['image']) for row in rows]
    assert worst_first == ['img_1.png', 'img_2.png', 'img_0.png']
    assert float(rows[0]['MRE_mm']) == pytest.approx(3.0)  # 30 px * 0.1
    for name in ('per_landmark_mre.png', 'sdr_curve.png', 'worst_01_img_1.png',
                 'worst_02_img_2.png'):
        assert osp.getsize(osp.join(report, name)) > 1000
    assert not osp.exists(osp.join(report, 'worst_03_img_0.png'))

    # a second test run starts from nothing
    out_dir = str(tmp_path / 'second')
    hook.out_dir = out_dir
    hook.before_test_epoch(runner)
    hook.after_test_iter(runner, 0, outputs=[_sample(paths[0], 5.)])
    hook.after_test_epoch(runner)
    assert [row['image'] for row in _table(out_dir)] == [paths[0]]


def test_output_without_spacing_is_refused(tmp_path):
    hook = EvaluationReportHook()
    message = ("EvaluationReportHook needs the pixel spacing of a.png.*add "
               "'spacing' to the meta_keys")
    with pytest.raises(KeyError, match=message):
        hook.after_test_iter(
            _runner(tmp_path, 1), 0, outputs=[_sample('a.png', 0., None)])


def test_bad_num_worst_is_refused():
    with pytest.raises(ValueError, match='num_worst .* but got -1'):
        EvaluationReportHook(num_worst=-1)
