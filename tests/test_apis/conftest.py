"""A tiny model trained by tools/train.py, shared by the inference tests."""
import os.path as osp

import pytest

from conftest import TINY_CONFIG, data_options, run_tool


@pytest.fixture(scope='session')
def tiny_checkpoint(tiny_data, tmp_path_factory) -> str:
    """Checkpoint of the tiny synthetic model after two epochs (CPU)."""
    work_dir = str(tmp_path_factory.mktemp('tiny_model'))
    run_tool('train.py', TINY_CONFIG, '--work-dir', work_dir,
             *data_options(tiny_data))
    checkpoint = osp.join(work_dir, 'epoch_2.pth')
    assert osp.isfile(checkpoint)
    return checkpoint
