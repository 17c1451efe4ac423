"""Shared fixtures: the repository root and a tiny synthetic dataset."""
import os.path as osp
import sys

import pytest

REPO_ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
if REPO_ROOT not in sys.path:
    sys.path.insert(0, REPO_ROOT)

import ceph_landmarks  # noqa: E402,F401  (registers into mmpose)
from ceph_landmarks.datasets.synthetic import \
    write_synthetic_split  # noqa: E402

TINY_CONFIG = osp.join(REPO_ROOT, 'tests', 'data', 'configs',
                       'tiny_synthetic-64x64.py')


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
