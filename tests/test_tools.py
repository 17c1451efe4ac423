"""tools/train.py and tools/test.py end to end in subprocesses (tiny model).

One training run of two epochs is shared by the tests of this module: test
its best checkpoint and resume it to a third epoch. (A malicious checkpoint
given to tools/test.py: a row of test_bad_inputs.py.)
"""
import glob
import json
import os.path as osp
import pickle

import pytest

from ceph_landmarks.models import load_local_checkpoint
from helpers import (TINY_CONFIG, data_options, last_run_scalars, load_tool,
                     run_tool)

pytestmark = pytest.mark.slow


@pytest.fixture(scope='module')
def work_dir(tiny_data, tmp_path_factory):
    work_dir = str(tmp_path_factory.mktemp('work'))
    run_tool('train.py', TINY_CONFIG, '--work-dir', work_dir, '--amp',
             *data_options(tiny_data))
    return work_dir


def test_train_writes_checkpoints_and_validates(work_dir):
    checkpoint = load_local_checkpoint(osp.join(work_dir, 'epoch_2.pth'))
    assert checkpoint['meta']['epoch'] == 2
    assert glob.glob(osp.join(work_dir, 'best_ceph_MRE_epoch_*.pth'))
    validations = [r for r in last_run_scalars(work_dir) if 'ceph/MRE' in r]
    assert len(validations) == 2  # one per epoch
    assert all('ceph/SDR@2mm' in r for r in validations)
    # CPU: --amp falls back to fp32 (AmpOptimWrapper saves a loss_scaler)
    assert 'loss_scaler' not in checkpoint['optimizer']
    assert glob.glob(osp.join(work_dir, '*', 'per_landmark_errors.csv'))


def test_test_tool_reports_metrics_under_weights_only(work_dir, tiny_data,
                                                      tmp_path):
    best = glob.glob(osp.join(work_dir, 'best_ceph_MRE_epoch_*.pth'))[0]
    out = tmp_path / 'metrics.json'
    run_tool('test.py', TINY_CONFIG, '--checkpoints', best, '--work-dir',
             str(tmp_path), '--out', str(out), '--dump',
             str(tmp_path / 'preds.pkl'), *data_options(tiny_data))
    metrics = json.load(open(out))
    assert set(metrics) >= {'ceph/MRE', 'ceph/SDR@2mm', 'ceph/SDR@4mm'}
    assert 0 < metrics['ceph/MRE'] < 100
    preds = pickle.load(open(tmp_path / 'preds.pkl', 'rb'))
    assert len(preds) == 4


def test_resume_continues_from_last_epoch(work_dir, tiny_data):
    epoch2 = load_local_checkpoint(osp.join(work_dir, 'epoch_2.pth'))
    run_tool('train.py', TINY_CONFIG, '--work-dir', work_dir, '--resume',
             *data_options(tiny_data), 'train_cfg.max_epochs=3')
    # the resumed run trained epoch 3 only, counting on from epoch 2
    assert {r['epoch']
            for r in last_run_scalars(work_dir) if 'epoch' in r} == {3}
    epoch3 = load_local_checkpoint(osp.join(work_dir, 'epoch_3.pth'))
    assert epoch3['meta']['epoch'] == 3
    assert epoch3['meta']['iter'] == epoch2['meta']['iter'] * 3 // 2


def test_test_tool_out_is_strict_json(tmp_path):
    """An undefined metric (NaN) is ``null`` in ``--out``: strict readers
    refuse ``NaN``; the file appears whole (no temporary left)."""
    test_tool = load_tool('test.py')
    out = tmp_path / 'metrics.json'
    hook = test_tool.SaveMetricsHook(str(out))
    hook.after_test_epoch(None, {
        'ceph/MRE': 1.5,
        'ceph/ANB_MAE': float('nan')
    })
    text = out.read_text()
    assert 'NaN' not in text
    assert json.loads(text) == {'ceph/MRE': 1.5, 'ceph/ANB_MAE': None}
    assert [p.name for p in tmp_path.iterdir()] == ['metrics.json']
