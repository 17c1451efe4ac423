"""Exact ``--resume`` with random augmentation (RandomStateHook).

End to end (slow: three short training runs per case): tools/train.py
with the Hamedan recipe's augmentation and EMA is killed with SIGKILL in its
second epoch, resumed, and must end with the weights and EMA weights of an
uninterrupted run, bit for bit, with 0 and 2 dataloader workers. The other
tests drive the hook with a stand-in runner.
"""
import os
import os.path as osp
import random
import re
import signal
import subprocess
import sys
from functools import partial
from unittest.mock import MagicMock

import numpy as np
import pytest
import torch
from mmengine.runner import Runner
from torch.utils.data import DataLoader, Dataset

from ceph_landmarks.engine.hooks import RandomStateHook
from ceph_landmarks.engine.worker_init import epoch_worker_init_fn
from helpers import REPO_ROOT, data_options, run_tool

RESUME_CONFIG = osp.join(REPO_ROOT, 'tests', 'data', 'configs',
                         'tiny_hamedan_resume.py')
# the LoggerHook line of the first iteration of epoch 2 (logged every iter)
IN_EPOCH_2 = re.compile(r'Epoch\(train\)\s+\[2\]\[\s*1/')


def _train_until_killed(work_dir: str, options: list) -> str:
    """Run tools/train.py, SIGKILL it once epoch 2 has begun; its log."""
    env = dict(os.environ, PYTHONUNBUFFERED='1')
    env.pop('TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD', None)
    proc = subprocess.Popen([
        sys.executable,
        osp.join(REPO_ROOT, 'tools', 'train.py'), RESUME_CONFIG, '--work-dir',
        work_dir, *options
    ],
                            cwd=REPO_ROOT,
                            env=env,
                            stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT,
                            text=True)
    lines = []
    try:
        for line in proc.stdout:
            lines.append(line)
            if IN_EPOCH_2.search(line):
                os.kill(proc.pid, signal.SIGKILL)
                break
    finally:
        proc.kill()
        proc.wait(timeout=60)
        proc.stdout.close()
    return ''.join(lines)


def _max_abs_difference(a: dict, b: dict) -> float:
    assert a.keys() == b.keys()
    return max((x.double() - y.double()).abs().max().item()
               for x, y in zip(a.values(), b.values()))


@pytest.mark.slow
@pytest.mark.skipif(os.name != 'posix', reason='SIGKILL')
@pytest.mark.parametrize('num_workers', [0, 2])
def test_resume_after_sigkill_equals_uninterrupted_run(tiny_data, tmp_path,
                                                       num_workers):
    options = [
        *data_options(tiny_data), f'train_dataloader.num_workers={num_workers}'
    ]
    straight, split = tmp_path / 'straight', tmp_path / 'split'
    run_tool('train.py', RESUME_CONFIG, '--work-dir', str(straight), *options)

    log = _train_until_killed(str(split), options)
    assert (split / 'epoch_1.pth').is_file() and not (
        split / 'epoch_2.pth').exists(), f'not killed in epoch 2:\n{log}'
    proc = run_tool('train.py', RESUME_CONFIG, '--work-dir', str(split),
                    '--resume', *options)
    log = proc.stdout + proc.stderr
    assert 'resumed epoch: 1' in log and 'not exact' not in log

    a = torch.load(straight / 'epoch_3.pth', map_location='cpu')
    b = torch.load(split / 'epoch_3.pth', map_location='cpu')
    for key in ('state_dict', 'ema_state_dict'):
        same = all(torch.equal(a[key][k], b[key][k]) for k in a[key])
        assert same, (f'{key}: max abs difference '
                      f'{_max_abs_difference(a[key], b[key]):.3g}')


def _runner(iteration: int = 0, loader=None) -> MagicMock:
    runner = MagicMock()
    runner.iter = iteration
    runner.train_dataloader = loader or DataLoader(range(4))
    return runner


def _draw() -> tuple:
    return (random.random(), np.random.rand(), torch.rand(1).item())


def test_states_saved_in_a_checkpoint_are_restored_on_resume(tmp_path):
    hook, checkpoint = RandomStateHook(), dict(meta=dict(epoch=1, iter=8))
    np.random.normal()  # a cached Gaussian is part of NumPy's state
    hook.before_save_checkpoint(_runner(8), checkpoint)
    expected = _draw()
    torch.save(checkpoint, tmp_path / 'epoch_1.pth')

    resumed = RandomStateHook()
    resumed.after_load_checkpoint(
        _runner(), torch.load(tmp_path / 'epoch_1.pth', weights_only=True))
    runner = _runner(8)  # Runner.resume set the loop to the checkpoint's
    resumed.before_train(runner)
    assert _draw() == expected
    runner.logger.warning.assert_not_called()


def test_loading_weights_only_leaves_the_generators_alone():
    hook, checkpoint = RandomStateHook(), dict(meta=dict(epoch=1, iter=8))
    hook.before_save_checkpoint(_runner(8), checkpoint)
    expected = _draw()
    hook.after_load_checkpoint(_runner(), checkpoint)
    hook.before_train(_runner(0))  # load_from: training starts at 0
    assert _draw() != expected


def test_old_checkpoint_resumes_with_a_warning():
    hook, runner = RandomStateHook(), _runner(8)
    hook.after_load_checkpoint(runner, dict(meta=dict(epoch=1, iter=8)))
    hook.before_train(runner)
    message = runner.logger.warning.call_args.args[0]
    assert 'no random states' in message and 'not exact' in message


def test_resume_with_persistent_workers_warns_it_is_not_exact():
    hook, checkpoint = RandomStateHook(), dict(meta=dict(epoch=1, iter=8))
    hook.before_save_checkpoint(_runner(8), checkpoint)
    loader = DataLoader(range(4), num_workers=1, persistent_workers=True)
    runner = _runner(8, loader)
    hook.after_load_checkpoint(runner, checkpoint)
    hook.before_train(runner)
    message = runner.logger.warning.call_args.args[0]
    assert 'persistent workers' in message and 'not exact' in message


def test_validation_does_not_draw_on_the_training_streams():
    hook, runner = RandomStateHook(), _runner()
    hook.before_val(runner)
    in_validation = _draw()
    checkpoint = dict(meta=dict(epoch=1, iter=8))
    hook.before_save_checkpoint(runner, checkpoint)  # best checkpoint
    hook.after_val(runner)
    assert _draw() == in_validation  # training goes on from before it

    resumed, runner = RandomStateHook(), _runner(8)
    resumed.after_load_checkpoint(runner, checkpoint)
    resumed.before_train(runner)
    assert _draw() == in_validation


class _Draws(Dataset):
    """What a random augmentation would draw, one number per sample."""

    def __len__(self) -> int:
        return 4

    def __getitem__(self, index: int) -> float:
        return float(np.random.rand())


def _epochs(loader: DataLoader, epochs: int = 2) -> list:
    return [torch.cat(list(loader)).tolist() for _ in range(epochs)]


def test_workers_draw_anew_each_epoch_and_again_after_resume():
    loader = Runner.build_dataloader(
        dict(
            dataset=_Draws(),
            sampler=dict(type='DefaultSampler', shuffle=False),
            batch_size=2,
            num_workers=2,
            persistent_workers=False,
            collate_fn=dict(type='default_collate')),
        seed=0)
    first, second = _epochs(loader)
    assert first == second  # mmengine: seed + worker_id every epoch

    RandomStateHook().before_train(_runner(loader=loader))
    assert loader.worker_init_fn.func is epoch_worker_init_fn
    state = torch.get_rng_state()
    first, second = _epochs(loader)
    assert first != second
    torch.set_rng_state(state)  # as restored by --resume
    assert _epochs(loader) == [first, second]


def test_a_configured_worker_init_fn_is_kept():
    loader = DataLoader(_Draws(), worker_init_fn=partial(print, 'mine'))
    RandomStateHook().before_train(_runner(loader=loader))
    assert loader.worker_init_fn.func is print
