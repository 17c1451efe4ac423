"""Shared fixtures and helpers: the repository root, a tiny synthetic
dataset, and running the tools in a subprocess."""
import os
import os.path as osp
import subprocess
import sys
from typing import List

import pytest

REPO_ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
if REPO_ROOT not in sys.path:
    sys.path.insert(0, REPO_ROOT)

import ceph_landmarks  # noqa: E402,F401  (registers into mmpose)
from ceph_landmarks.datasets.synthetic import \
    write_synthetic_split  # noqa: E402

TINY_CONFIG = osp.join(REPO_ROOT, 'tests', 'data', 'configs',
                       'tiny_synthetic-64x64.py')
REFINE_CONFIG = osp.join(REPO_ROOT, 'tests', 'data', 'configs',
                         'tiny_refine-64x64.py')


@pytest.fixture(scope='session')
def repo_root() -> str:
    return REPO_ROOT


@pytest.fixture(scope='session')
def tiny_data(tmp_path_factory) -> str:
    """A synthetic dataset of 8 train / 4 val small images (96 x 120 px)."""
    root = str(tmp_path_factory.mktemp('synthetic'))
    write_synthetic_split(root, 'train', 8, seed=1, scale=0.05)
    write_synthetic_split(root, 'val', 4, seed=1, scale=0.05)
    return root


def run_tool(script: str, *args: str, check: bool = True,
             timeout: int = 600) -> subprocess.CompletedProcess:
    """Run ``tools/<script>`` with the test's Python, from the repo root."""
    env = dict(os.environ)
    env.pop('TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD', None)
    proc = subprocess.run(
        [sys.executable, osp.join(REPO_ROOT, 'tools', script), *args],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout)
    if check and proc.returncode != 0:
        raise AssertionError(f'{script} failed ({proc.returncode}):\n'
                             f'{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}')
    return proc


def data_options(root: str) -> List[str]:
    """``--cfg-options`` pointing every dataloader at ``root``."""
    return [
        '--cfg-options', *(f'{loader}.dataset.data_root={root}/'
                           for loader in ('train_dataloader',
                                          'val_dataloader',
                                          'test_dataloader'))
    ]


@pytest.fixture(scope='session')
def tiny_checkpoint(tiny_data, tmp_path_factory) -> str:
    """Checkpoint of the tiny synthetic model after two epochs (CPU)."""
    work_dir = str(tmp_path_factory.mktemp('tiny_model'))
    run_tool('train.py', TINY_CONFIG, '--work-dir', work_dir,
             *data_options(tiny_data))
    checkpoint = osp.join(work_dir, 'epoch_2.pth')
    assert osp.isfile(checkpoint)
    return checkpoint


@pytest.fixture(scope='session')
def tiny_refine_checkpoint(tiny_data, tmp_path_factory) -> str:
    """Checkpoint of the tiny refinement stage, trained 8 epochs of one
    window per landmark and image (80 iterations, CPU)."""
    work_dir = str(tmp_path_factory.mktemp('tiny_refine'))
    run_tool('train.py', REFINE_CONFIG, '--work-dir', work_dir, '--epochs',
             '8', '--cfg-options',
             f'train_dataloader.dataset.data_root={tiny_data}/')
    checkpoint = osp.join(work_dir, 'epoch_8.pth')
    assert osp.isfile(checkpoint)
    return checkpoint
