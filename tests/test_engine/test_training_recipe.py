"""The training recipe through tools/train.py: every flag lands in the dumped
config, TensorBoard is written, the EMA is saved, and resuming after one
epoch reproduces an uninterrupted two-epoch run exactly."""
import glob
import os.path as osp

import pytest
import torch
from mmengine.config import Config

from helpers import TINY_CONFIG, data_options, run_tool

pytestmark = pytest.mark.slow  # every test runs tools/train.py


def test_recipe_flags_reach_the_dumped_config(tiny_data, tmp_path):
    proc = run_tool('train.py', TINY_CONFIG, '--work-dir', str(tmp_path),
                    '--amp', '--ema', '--ema-decay', '0.9999', '--accumulate',
                    '2', '--clip-grad', '1.0', '--warmup-epochs', '1',
                    '--epochs', '2', '--lr', '1e-3', '--batch-size', '2',
                    '--num-workers', '0', '--image-size', '96', '64',
                    *data_options(tiny_data))
    log = proc.stdout + proc.stderr
    assert '--amp ignored' in log  # CPU: fp32 with a clear message

    dumped = Config.fromfile(osp.join(tmp_path, osp.basename(TINY_CONFIG)))
    assert dumped.optim_wrapper.accumulative_counts == 2
    assert dumped.optim_wrapper.clip_grad.max_norm == 1.0
    assert dumped.optim_wrapper.optimizer.lr == 1e-3
    assert dumped.train_cfg.max_epochs == 2
    assert dumped.param_scheduler[0].type == 'LinearLR'
    assert dumped.param_scheduler[0].end == 1
    assert dumped.train_dataloader.batch_size == 2
    assert dumped.codec.input_size == (96, 64)
    assert dumped.model.head.decoder.heatmap_size == (24, 16)
    assert [(h.ema_type, h.decay) for h in dumped.custom_hooks
            if h.type == 'EMAHook'] == [('DecayEMA', 0.9999)]
    # validated and saved with the averaged weights, the raw ones beside
    checkpoint = _load(tmp_path / 'epoch_2.pth')
    assert int(checkpoint['ema_state_dict']['steps']) == 8  # 2 x 4 iters
    assert glob.glob(
        osp.join(tmp_path, '*', 'vis_data', 'events.out.tfevents.*'))


def _load(path):
    return torch.load(path, map_location='cpu')


def _assert_same(a, b, where):
    if isinstance(a, torch.Tensor):
        assert torch.equal(a, b), where
    elif isinstance(a, dict):
        assert set(a) == set(b), where
        for key in a:
            _assert_same(a[key], b[key], f'{where}.{key}')
    elif isinstance(a, (list, tuple)):
        assert len(a) == len(b), where
        for i, (x, y) in enumerate(zip(a, b)):
            _assert_same(x, y, f'{where}[{i}]')
    else:
        assert a == b or (a != a and b != b), where


def test_resume_equals_uninterrupted_run(tiny_data, tmp_path):
    common = [
        '--ema', '--ema-decay', '0.9', '--epochs', '2',
        *data_options(tiny_data), 'randomness.deterministic=True'
    ]
    straight, split = tmp_path / 'straight', tmp_path / 'split'
    run_tool('train.py', TINY_CONFIG, '--work-dir', str(straight), *common)
    run_tool('train.py', TINY_CONFIG, '--work-dir', str(split), *common,
             'train_cfg.max_epochs=1')
    proc = run_tool('train.py', TINY_CONFIG, '--work-dir', str(split),
                    '--resume', str(split / 'epoch_1.pth'), *common)
    assert 'resumed epoch: 1' in proc.stdout + proc.stderr

    a, b = _load(straight / 'epoch_2.pth'), _load(split / 'epoch_2.pth')
    for key in ('state_dict', 'ema_state_dict', 'optimizer',
                'param_schedulers'):
        _assert_same(a[key], b[key], key)
    assert int(b['ema_state_dict']['steps']) == 4  # 2 epochs x 2 iters
    # EMA really differs from the raw weights
    raw = b['ema_state_dict']['module.head.final_layer.weight']
    assert not torch.equal(raw, b['state_dict']['head.final_layer.weight'])


@pytest.mark.parametrize('flag, value, message', [
    ('--accumulate', '0', 'accumulation steps must be >= 1'),
    ('--warmup-epochs', '5', 'must be shorter than training'),
])
def test_bad_flag_values_are_clear_errors(tiny_data, tmp_path, flag, value,
                                          message):
    proc = run_tool(
        'train.py',
        TINY_CONFIG,
        '--work-dir',
        str(tmp_path),
        flag,
        value,
        *data_options(tiny_data),
        check=False)
    assert proc.returncode != 0 and message in proc.stderr


def test_unfreeze_after_flag(tiny_data, tmp_path):
    proc = run_tool('train.py', TINY_CONFIG, '--work-dir', str(tmp_path),
                    '--unfreeze-after', '1', '--epochs', '2',
                    *data_options(tiny_data))
    log = proc.stdout + proc.stderr
    assert 'Epoch 1: backbone frozen' in log
    assert 'Epoch 2: backbone unfrozen; learning rate backbone' in log
    assert '= 0.1 x head' in log
    dumped = Config.fromfile(osp.join(tmp_path, osp.basename(TINY_CONFIG)))
    assert dumped.optim_wrapper.paramwise_cfg.custom_keys.backbone.lr_mult \
        == 0.1
