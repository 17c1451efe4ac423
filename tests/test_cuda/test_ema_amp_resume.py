"""EMA + AMP + ``--resume`` in the mmengine Runner: a run resumed from its
checkpoint of epoch 1 holds, once loaded, the very weights, EMA weights,
optimizer and loss-scaler states it saved, and ends where an uninterrupted
run ends.

The config is the exact-resume test's (``tiny_hamedan_resume.py``: the tiny
model, the Hamedan recipe's random augmentation and EMA), two epochs of four
iterations, without validation. On CUDA with mmengine's
``AmpOptimWrapper`` (float16, dynamic loss scale); on the CPU in float32 and
with ``CpuAmpOptimWrapper`` (float16 and the CPU's gradient scaler).
"""
import copy
import inspect
import math
import os.path as osp
import uuid
from typing import Any

import pytest
import torch
from mmengine.config import Config
from mmengine.hooks import EMAHook, Hook
from mmengine.runner import Runner

from helpers import CONFIG_DIR, data_options
from helpers.devices import on_cuda

RESUME_CONFIG = osp.join(CONFIG_DIR, 'tiny_hamedan_resume.py')

#: The Runner puts the model on the GPU where there is one.
ON_CPU = pytest.mark.skipif(
    torch.cuda.is_available(),
    reason='the Runner trains on the GPU here: see the cuda case')
CASES = [
    # cpu-fp16 does all this one does, and saves and loads a loss scaler
    pytest.param(
        dict(type='OptimWrapper'),
        0.,
        marks=(ON_CPU, pytest.mark.slow),
        id='cpu-fp32'),
    pytest.param(
        dict(type='CpuAmpOptimWrapper', dtype='float16'),
        0.,
        marks=ON_CPU,
        id='cpu-fp16'),
    # cuDNN's backward and nearest upsampling add in any order: the runs
    # differ by rounding, which Adam may amplify where a gradient is ~0
    on_cuda(
        dict(type='AmpOptimWrapper', dtype='float16'), 5e-2, id='cuda-fp16'),
]


class StateRecorder(Hook):
    """Copies of the model, the EMA model and the optimizer wrapper (with
    its loss scaler) when training starts, after any resume, and when it
    ends."""

    priority = 'LOWEST'

    def __init__(self) -> None:
        self.states = {}

    def _record(self, runner: Runner, when: str) -> None:
        ema, = [h for h in runner.hooks if isinstance(h, EMAHook)]
        self.states[when] = copy.deepcopy(
            dict(
                model=runner.model.state_dict(),
                ema=ema.ema_model.state_dict(),
                optim_wrapper=runner.optim_wrapper.state_dict()))

    def before_train(self, runner: Runner) -> None:
        self._record(runner, 'start')

    def after_train(self, runner: Runner) -> None:
        self._record(runner, 'end')


def train(data_root: str,
          work_dir: str,
          optim_wrapper: dict,
          max_epochs: int,
          resume: bool = False) -> dict:
    """Train the resume config in this process; the recorded states."""
    cfg = Config.fromfile(RESUME_CONFIG)
    cfg.merge_from_dict(
        dict((option.split('=', 1) for option in data_options(data_root)[1:])))
    cfg.merge_from_dict({
        'train_cfg.max_epochs':
        max_epochs,
        'default_hooks.checkpoint.save_best':
        None,
        'optim_wrapper.type':
        optim_wrapper['type'],
        'visualizer.vis_backends': [dict(type='LocalVisBackend')],
    })
    # not deterministic=True: CUDA has no deterministic nearest upsampling
    # backward, and torch.use_deterministic_algorithms would outlive the test
    cfg.randomness = dict(seed=0)
    cfg.optim_wrapper.update(optim_wrapper)
    cfg.val_dataloader = cfg.val_cfg = cfg.val_evaluator = None
    cfg.test_dataloader = cfg.test_cfg = cfg.test_evaluator = None
    cfg.work_dir = work_dir
    cfg.experiment_name = f'{osp.basename(work_dir)}-{uuid.uuid4()}'
    if resume:
        cfg.resume = True
        cfg.load_from = osp.join(work_dir, 'epoch_1.pth')
    # Runner.from_cfg without its cfg=: the Runner would format the whole
    # config with yapf for the log, the work dir and each checkpoint, most
    # of the CPU time of these short runs
    runner = Runner(
        **{
            name: cfg[name]
            for name in inspect.signature(Runner).parameters
            if name != 'cfg' and name in cfg
        })
    recorder = StateRecorder()
    runner.register_hook(recorder)
    runner.train()
    return recorder.states


def assert_same(actual: Any,
                expected: Any,
                tolerance: float = 0.,
                path: str = '') -> None:
    """Equal nested states: tensors within ``tolerance`` of the largest
    value of each (bit for bit with 0), anything else equal."""
    if isinstance(expected, dict):
        assert actual.keys() == expected.keys(), path
        for key in expected:
            assert_same(actual[key], expected[key], tolerance, f'{path}/{key}')
    elif isinstance(expected, (list, tuple)):
        assert len(actual) == len(expected), path
        for i, (a, e) in enumerate(zip(actual, expected)):
            assert_same(a, e, tolerance, f'{path}/{i}')
    elif isinstance(expected, torch.Tensor):
        a, e = actual.cpu().double(), expected.cpu().double()
        assert a.shape == e.shape, path
        if tolerance == 0:
            assert torch.equal(
                a,
                e), (f'{path}: max abs difference {(a - e).abs().max():.3g}')
        else:
            scale = max(e.abs().max().item(), 1e-12)
            error = (a - e).abs().max().item() / scale
            assert error <= tolerance, f'{path}: relative error {error:.3g}'
    elif isinstance(expected, float) and math.isnan(expected):
        assert math.isnan(actual), path
    else:
        assert actual == expected, f'{path}: {actual} != {expected}'


def check_ema_amp_resume(data_root: str, work_dir: str, optim_wrapper: dict,
                         tolerance: float) -> None:
    """Resumed from epoch 1: restored bit for bit; at the end of epoch 2
    within ``tolerance`` of the uninterrupted run (bit for bit with 0);
    the EMA model averaged all eight iterations in both."""
    straight = train(data_root, osp.join(work_dir, 'straight'), optim_wrapper,
                     2)
    saved = train(data_root, osp.join(work_dir, 'split'), optim_wrapper,
                  1)['end']
    resumed = train(
        data_root, osp.join(work_dir, 'split'), optim_wrapper, 2, resume=True)

    assert_same(resumed['start'], saved)
    if optim_wrapper['type'] != 'OptimWrapper':
        assert 'loss_scaler' in saved['optim_wrapper']
    assert_same(resumed['end'], straight['end'], tolerance)
    for run in (straight, resumed):
        assert int(run['end']['ema']['steps']) == 8


@pytest.mark.parametrize('optim_wrapper,tolerance', CASES)
def test_ema_amp_resume_equals_uninterrupted_run(tiny_data, tmp_path,
                                                 optim_wrapper, tolerance):
    check_ema_amp_resume(tiny_data, str(tmp_path), optim_wrapper, tolerance)
