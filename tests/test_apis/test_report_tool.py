"""tools/test.py --report: the report files and the angle errors."""
import glob
import json
import os.path as osp

import cv2

from helpers import TINY_CONFIG, data_options, run_tool


def test_report_and_angle_metric(tiny_checkpoint, tiny_data, tmp_path):
    out = tmp_path / 'metrics.json'
    run_tool('test.py', TINY_CONFIG, '--checkpoints', tiny_checkpoint,
             '--work-dir', str(tmp_path), '--out', str(out), '--report',
             *data_options(tiny_data))
    metrics = json.load(open(out))
    # the angle metric of the test evaluator beside MRE / SDR
    assert {
        'ceph/MRE', 'ceph/SNA_MAE', 'ceph/SNB_MAE', 'ceph/ANB_MAE',
        'ceph/FMA_MAE', 'ceph/angle_MAE'
    } <= set(metrics)

    report = tmp_path / 'report'  # default: WORK_DIR/report
    for name in ('per_landmark_mre.png', 'sdr_curve.png'):
        image = cv2.imread(str(report / name))
        assert osp.getsize(report / name) > 10000
        assert image.shape[0] > 300 and image.std() > 10
    worst = sorted(glob.glob(str(report / 'worst_*.png')))
    assert len(worst) == 4  # the 4 validation images, worst first
    assert osp.basename(worst[0]).startswith('worst_01_val_')
    rows = open(report / 'per_image_errors.csv').read().splitlines()
    assert rows[0] == 'rank,image,MRE_mm,max_error_mm' and len(rows) == 5
