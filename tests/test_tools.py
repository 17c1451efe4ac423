"""tools/train.py and tools/test.py end to end in subprocesses (tiny model).

One training run of two epochs is shared by the tests of this module: test
its best checkpoint, resume it to a third epoch, and refuse a malicious
checkpoint.
"""
import glob
import json
import os
import os.path as osp
import pickle
import re

import pytest
import torch

from conftest import TINY_CONFIG, data_options, run_tool


@pytest.fixture(scope='module')
def trained(tiny_data, tmp_path_factory):
    work_dir = str(tmp_path_factory.mktemp('work'))
    proc = run_tool('train.py', TINY_CONFIG, '--work-dir', work_dir,
                    '--amp', *data_options(tiny_data))
    return work_dir, proc


def test_train_writes_checkpoints_and_validates(trained):
    work_dir, proc = trained
    assert osp.isfile(osp.join(work_dir, 'epoch_2.pth'))
    assert glob.glob(osp.join(work_dir, 'best_ceph_MRE_epoch_*.pth'))
    log = proc.stdout + proc.stderr
    assert 'ceph/MRE' in log and 'ceph/SDR@2mm' in log
    assert '--amp ignored' in log  # CPU: mixed precision falls back to fp32
    assert glob.glob(osp.join(work_dir, '*', 'per_landmark_errors.csv'))


def test_test_tool_reports_metrics_under_weights_only(trained, tiny_data,
                                                       tmp_path):
    work_dir, _ = trained
    best = glob.glob(osp.join(work_dir, 'best_ceph_MRE_epoch_*.pth'))[0]
    out = tmp_path / 'metrics.json'
    run_tool('test.py', TINY_CONFIG, best, '--work-dir', str(tmp_path),
             '--out', str(out), '--dump', str(tmp_path / 'preds.pkl'),
             *data_options(tiny_data))
    metrics = json.load(open(out))
    assert set(metrics) >= {'ceph/MRE', 'ceph/SDR@2mm', 'ceph/SDR@4mm'}
    assert 0 < metrics['ceph/MRE'] < 100
    preds = pickle.load(open(tmp_path / 'preds.pkl', 'rb'))
    assert len(preds) == 4


def test_resume_continues_from_last_epoch(trained, tiny_data):
    work_dir, _ = trained
    proc = run_tool('train.py', TINY_CONFIG, '--work-dir', work_dir,
                    '--resume', *data_options(tiny_data),
                    'train_cfg.max_epochs=3')
    log = proc.stdout + proc.stderr
    assert 'resumed epoch: 2' in log
    assert re.search(r'Epoch\(train\)\s+\[3\]', log)
    assert not re.search(r'Epoch\(train\)\s+\[[12]\]', log)
    assert osp.isfile(osp.join(work_dir, 'epoch_3.pth'))


def test_test_tool_refuses_malicious_checkpoint(tiny_data, tmp_path):

    class Exploit:

        def __reduce__(self):
            return (os.system, (f'touch {tmp_path}/pwned', ))

    evil = tmp_path / 'evil.pth'
    torch.save({'state_dict': Exploit()}, evil)
    proc = run_tool('test.py', TINY_CONFIG, str(evil), '--work-dir',
                    str(tmp_path), *data_options(tiny_data), check=False)
    assert proc.returncode != 0
    assert 'Refusing to load checkpoint' in proc.stderr
    assert 'system' in proc.stderr
    assert not (tmp_path / 'pwned').exists()
