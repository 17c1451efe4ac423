"""Shared fixtures: a tiny synthetic dataset and checkpoints of the tiny
model, untrained (in process, fast) or trained (in a subprocess, slow).

Helpers (paths, ``run_tool``, model builders) live in ``tests/helpers``,
imported as ``helpers``.
"""
import os.path as osp

import pytest

from ceph_landmarks.core.synthetic import write_synthetic_split
from helpers import (REFINE_CONFIG, TINY_CONFIG, build_tiny_model,
                     data_options, run_tool, save_runner_checkpoint)

#: Fixtures that train in a subprocess: a test that uses one is ``slow``.
SLOW_FIXTURES = frozenset({'tiny_checkpoint', 'tiny_refine_checkpoint'})

#: The longest test files (several minutes each, real-data protocols): run
#: first, one on each of `make test`'s two pytest-xdist workers (which keep
#: this order with --no-loadscope-reorder), so that neither ends the run
#: alone on one of them.
LONGEST_FIRST = ('test_protocol_external.py', 'test_protocol.py')


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(items):
    """Mark ``slow`` every test that needs a trained checkpoint (before
    ``-m`` selects), and put the longest files first."""
    for item in items:
        if SLOW_FIXTURES.intersection(getattr(item, 'fixturenames', ())):
            item.add_marker(pytest.mark.slow)
    items.sort(key=lambda item: item.path.name not in LONGEST_FIRST)


@pytest.fixture(scope='session')
def tiny_data(tmp_path_factory) -> str:
    """A synthetic dataset of 8 train / 4 val small images (96 x 120 px)."""
    root = str(tmp_path_factory.mktemp('synthetic'))
    write_synthetic_split(root, 'train', 8, seed=1, scale=0.05)
    write_synthetic_split(root, 'val', 4, seed=1, scale=0.05)
    return root


@pytest.fixture(scope='session')
def untrained_checkpoint(tmp_path_factory) -> str:
    """Runner-style checkpoint of the tiny model (``TINY_CONFIG``, 19 ISBI
    landmarks) with random weights: built in process in about a second,
    for tests that need a loadable checkpoint, not a trained one."""
    path = str(tmp_path_factory.mktemp('untrained') / 'model.pth')
    save_runner_checkpoint(build_tiny_model(19), path, 'isbi2015')
    return path


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
