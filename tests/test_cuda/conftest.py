"""The tiny models and batches of the CUDA checks (run on the CPU too)."""
from typing import Callable, Tuple

import pytest
import torch

from helpers import (TINY_CONFIG, TINY_SRPOSE, build_tiny_model,
                     write_landmark_variant)
from helpers.devices import train_batch


@pytest.fixture(scope='session')
def tiny_case(tiny_data, tmp_path_factory) -> Callable:
    """``tiny_case(head)``: a fresh tiny model and a batch of two 64 x 64
    training samples for it, ``head`` being ``'heatmap'`` (HRNet +
    ``HeatmapHead``, 19 landmarks, ``TINY_CONFIG``), ``'srpose'`` (HRNet +
    ``SRPoseHead``, 38 landmarks, ``TINY_SRPOSE``) or ``'heatmap-no-acc'``
    (the first without its training accuracy, which MMPose computes in
    numpy: ``train_cfg=dict(compute_acc=False)``)."""
    data38 = write_landmark_variant(tiny_data,
                                    str(tmp_path_factory.mktemp('data38')),
                                    'cldetection2023')
    batches = dict(
        heatmap=train_batch(TINY_CONFIG, tiny_data),
        srpose=train_batch(TINY_SRPOSE, data38))

    def make(head: str) -> Tuple[torch.nn.Module, dict]:
        if head == 'srpose':
            return build_tiny_model(38, srpose=True), batches['srpose']
        model = build_tiny_model(19)
        if head == 'heatmap-no-acc':
            model.train_cfg = dict(compute_acc=False)
        return model, batches['heatmap']

    return make
