"""The distributed path on CPU: two ``torchrun`` processes (gloo).

End to end (slow): ``tools/dist_train.sh`` trains the tiny model for two
epochs on two ranks with an odd number of validation images, so the two
ranks get different numbers of them; its validation MRE must equal a
single-process ``tools/test.py`` of the final checkpoint, and the files the
metric, the report hook and the checkpoint hook write must be written once,
by rank 0. ``tools/dist_test.sh --report`` must give the same metrics.
The other tests drive ``RandomStateHook``'s gathering with a stand-in
world of two ranks.
"""
import csv
import glob
import json
import os
import os.path as osp
import re
import socket
import subprocess
import sys
from typing import Dict, List
from unittest.mock import MagicMock

import pytest
import torch

from ceph_landmarks.core.synthetic import write_synthetic_split
from ceph_landmarks.engine.hooks import RandomStateHook, random_state_hook
from helpers import REPO_ROOT, TINY_CONFIG, last_run_scalars, run_tool

NUM_LANDMARKS = 19
NUM_VAL = 5  # odd: rank 0 evaluates three images, rank 1 two
VAL_LINE = re.compile(r'Epoch\(val\)\s*\[\d+\]\[\s*(\d+)/(\d+)\]')


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        return sock.getsockname()[1]


def _run_dist(script: str, *args: str, cwd: str) -> str:
    """Run ``tools/<script>`` with two processes; its output.

    The working directory is ``cwd``: mmengine's ``collect_results``
    gathers the ranks' results through a ``.dist_test`` folder there.
    """
    env = dict(os.environ, PYTHON=sys.executable, PORT=str(_free_port()))
    env.pop('TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD', None)
    proc = subprocess.run(
        ['bash', osp.join(REPO_ROOT, 'tools', script), *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=600)
    output = proc.stdout + proc.stderr
    assert proc.returncode == 0, f'{script} failed:\n{output[-6000:]}'
    return output


def _only(pattern: str) -> str:
    """The one file matching ``pattern`` (recursive glob)."""
    found = glob.glob(pattern, recursive=True)
    assert len(found) == 1, f'{pattern}: expected one file, found {found}'
    return found[0]


def _read_csv(path: str) -> List[Dict[str, str]]:
    with open(path, newline='') as f:
        lines = f.read().splitlines()
    assert len(set(lines)) == len(lines), f'{path}: duplicated lines'
    return list(csv.DictReader(lines))


def _data_root_options(root: str, loaders: tuple) -> List[str]:
    return [f'{loader}.dataset.data_root={root}/' for loader in loaders]


@pytest.fixture(scope='module')
def dist_run(tmp_path_factory) -> dict:
    """A two-rank training run of the tiny model: data root, work dir and
    the output of ``tools/dist_train.sh``."""
    tmp = tmp_path_factory.mktemp('dist')
    root = str(tmp / 'data')
    write_synthetic_split(root, 'train', 8, seed=1, scale=0.05)
    write_synthetic_split(root, 'val', NUM_VAL, seed=1, scale=0.05)
    work_dir = str(tmp / 'train')
    output = _run_dist(
        'dist_train.sh',
        TINY_CONFIG,
        '2',
        '--work-dir',
        work_dir,
        '--cfg-options',
        *_data_root_options(root, ('train_dataloader', 'val_dataloader')),
        cwd=str(tmp))
    return dict(root=root, work_dir=work_dir, output=output, tmp=str(tmp))


@pytest.mark.slow
def test_two_ranks_validate_as_one_process(dist_run):
    work_dir, output = dist_run['work_dir'], dist_run['output']
    assert "using 'gloo' on the CPU" in output
    # each rank validated its part in one batch: 3 and 2 of the 5 images
    assert {m.groups() for m in VAL_LINE.finditer(output)} == {('1', '1')}
    val = [r for r in last_run_scalars(work_dir) if 'ceph/MRE' in r]
    assert len(val) == 2  # one validation per epoch, logged once

    out = osp.join(dist_run['tmp'], 'single.json')
    run_tool('test.py', TINY_CONFIG, '--checkpoints',
             osp.join(work_dir, 'epoch_2.pth'), '--work-dir',
             osp.join(dist_run['tmp'], 'single'), '--out', out,
             '--cfg-options',
             *_data_root_options(dist_run['root'], ('test_dataloader', )))
    with open(out) as f:
        single = json.load(f)
    assert val[-1]['ceph/MRE'] == pytest.approx(single['ceph/MRE'], rel=1e-9)
    assert val[-1]['ceph/MRE_std'] == pytest.approx(
        single['ceph/MRE_std'], rel=1e-9)

    # written once, by rank 0: one log folder, one table per validation
    table = _only(osp.join(work_dir, '**', 'per_landmark_errors.csv'))
    rows = _read_csv(table)
    assert len(rows) == NUM_LANDMARKS
    assert len({r['landmark'] for r in rows}) == NUM_LANDMARKS
    assert {int(r['count']) for r in rows} == {NUM_VAL}
    _read_csv(_only(osp.join(work_dir, '**', 'collapsed_pairs.csv')))
    assert len(glob.glob(osp.join(work_dir, '*', '*.log'))) == 1

    # checkpoints once, with both ranks' random states
    assert sorted(map(osp.basename, glob.glob(osp.join(
        work_dir, '*.pth')))) == ['best_ceph_MRE_epoch_2.pth', 'epoch_2.pth']
    checkpoint = torch.load(osp.join(work_dir, 'epoch_2.pth'))
    assert len(checkpoint['random_states']) == 2


@pytest.mark.slow
def test_dist_test_writes_the_report_once(dist_run):
    work_dir = osp.join(dist_run['tmp'], 'dist_test')
    _run_dist(
        'dist_test.sh',
        TINY_CONFIG,
        osp.join(dist_run['work_dir'], 'epoch_2.pth'),
        '2',
        '--work-dir',
        work_dir,
        '--report',
        '--cfg-options',
        *_data_root_options(dist_run['root'], ('test_dataloader', )),
        cwd=dist_run['tmp'])
    log = _only(osp.join(work_dir, '*', '*.log'))
    with open(osp.splitext(log)[0] + '.json') as f:  # the test metrics
        metrics = json.loads(f.read().splitlines()[-1])
    val = [
        r for r in last_run_scalars(dist_run['work_dir']) if 'ceph/MRE' in r
    ]
    assert metrics['ceph/MRE'] == pytest.approx(val[-1]['ceph/MRE'], rel=1e-9)

    per_image = _read_csv(
        _only(osp.join(work_dir, 'report', 'per_image_errors.csv')))
    assert len(per_image) == NUM_VAL
    assert len(
        _read_csv(_only(osp.join(work_dir, '**',
                                 'per_landmark_errors.csv')))) == NUM_LANDMARKS


# RandomStateHook in a stand-in world of two ranks: rank 0 alone saves the
# checkpoint (Runner.save_checkpoint is master_only), so the states must be
# gathered by every rank before, never in before_save_checkpoint.


@pytest.fixture
def two_ranks(monkeypatch) -> MagicMock:
    """``all_gather_object`` of a world of two ranks (rank 1's states are
    the string ``'rank 1'``)."""
    gather = MagicMock(side_effect=lambda states: [states, 'rank 1'])
    monkeypatch.setattr(random_state_hook, 'get_world_size', lambda: 2)
    monkeypatch.setattr(random_state_hook, 'all_gather_object', gather)
    return gather


def _runner(iteration: int) -> MagicMock:
    runner = MagicMock()
    runner.iter = iteration
    runner.hooks = []
    return runner


def test_states_gathered_after_the_epoch_are_saved(two_ranks):
    hook, checkpoint = RandomStateHook(), {}
    hook.after_train_epoch(_runner(8))
    hook.before_save_checkpoint(_runner(8), checkpoint)
    assert two_ranks.call_count == 1  # not in before_save_checkpoint
    assert len(checkpoint['random_states']) == 2
    assert checkpoint['random_states'][1] == 'rank 1'


def test_best_checkpoint_saves_the_states_gathered_before_validation(
        two_ranks):
    hook, checkpoint, runner = RandomStateHook(), {}, _runner(8)
    hook.before_val(runner)
    assert two_ranks.call_count == 1  # every rank, before validation
    torch.rand(1)  # validation draws
    hook.before_save_checkpoint(runner, checkpoint)
    hook.after_val(runner)
    saved = checkpoint['random_states'][0]['torch']
    assert torch.equal(saved, torch.get_rng_state())  # training's states


def test_checkpoint_by_iteration_gathers_every_iteration(two_ranks):
    from mmengine.hooks import CheckpointHook
    hook, runner = RandomStateHook(), _runner(3)
    runner.hooks = [CheckpointHook(by_epoch=False)]
    runner.train_dataloader = torch.utils.data.DataLoader(range(4))
    hook.before_train(runner)
    hook.after_train_iter(runner, 3)
    assert two_ranks.call_count == 1
    checkpoint = {}
    hook.before_save_checkpoint(runner, checkpoint)
    assert two_ranks.call_count == 1
    assert len(checkpoint['random_states']) == 2


def test_states_not_gathered_at_this_iteration_warn(two_ranks):
    hook, checkpoint, runner = RandomStateHook(), {}, _runner(9)
    hook.after_train_epoch(_runner(8))
    hook.before_save_checkpoint(runner, checkpoint)
    assert len(checkpoint['random_states']) == 1
    assert 'not exact' in runner.logger.warning.call_args.args[0]
