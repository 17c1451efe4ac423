"""Exports of the tiny test models (``tools/deploy.py``'s library call)."""
import os.path as osp

import pytest
import torch

from ceph_landmarks.apis.onnx_export import export_onnx
from helpers import TINY_CONFIG


@pytest.fixture(scope='session')
def untrained_export(untrained_checkpoint, tmp_path_factory) -> str:
    """The tiny model with random weights, exported (a few seconds)."""
    out = str(tmp_path_factory.mktemp('export') / 'untrained')
    export_onnx(TINY_CONFIG, [untrained_checkpoint], out)
    return out


@pytest.fixture(scope='session')
def second_member(tiny_checkpoint, tmp_path_factory) -> str:
    """Another ensemble member: the trained tiny checkpoint with every
    weight perturbed by 2 % noise (seeded)."""
    content = torch.load(
        tiny_checkpoint, map_location='cpu', weights_only=False)
    generator = torch.Generator().manual_seed(1)
    for key, value in content['state_dict'].items():
        if value.is_floating_point():
            noise = torch.randn(value.shape, generator=generator)
            content['state_dict'][key] = value * (1 + 0.02 * noise)
    path = osp.join(str(tmp_path_factory.mktemp('member')), 'member2.pth')
    torch.save(content, path)
    return path
