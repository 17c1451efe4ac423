"""Tiny models built in the test process, and checkpoints laid out like the
ones the mmengine Runner publishes (no training, no subprocess)."""
import copy
import functools
import os.path as osp

import torch
from mmengine.config import Config, ConfigDict
from mmengine.logging import MessageHub
from mmengine.optim.scheduler import LinearLR
from mmengine.registry import init_default_scope
from mmpose.datasets.datasets.utils import parse_pose_metainfo
from mmpose.registry import MODELS

from ceph_landmarks.core.metainfo import get_landmark_set
from .paths import TINY_CONFIG, TINY_SRPOSE


@functools.lru_cache(maxsize=None)
def _model_cfg(config: str) -> ConfigDict:
    return Config.fromfile(config).model


def build_tiny_model(num_landmarks: int = 19,
                     srpose: bool = False,
                     aux_lowres_channels: int = 0,
                     seed: int = 0) -> torch.nn.Module:
    """The tiny HRNet of the test configs with a heatmap or SRPose head.

    Args:
        num_landmarks (int): Output channels of the head.
        srpose (bool): ``SRPoseHead`` (``TINY_SRPOSE``) instead of the
            ``HeatmapHead`` of ``TINY_CONFIG``.
        aux_lowres_channels (int): SRPose only: unsupervised low-resolution
            maps kept from an extension.
        seed (int): Seed of the random initialisation.

    Returns:
        torch.nn.Module: The model, in training mode, untrained.
    """
    cfg = copy.deepcopy(_model_cfg(TINY_SRPOSE if srpose else TINY_CONFIG))
    cfg.head.out_channels = num_landmarks
    if srpose:
        cfg.head.aux_lowres_channels = aux_lowres_channels
    init_default_scope('mmpose')
    torch.manual_seed(seed)
    return MODELS.build(cfg)


def save_runner_checkpoint(model: torch.nn.Module, path: str,
                           landmark_set: str) -> dict:
    """Save ``model`` as a Runner checkpoint: ``meta`` with numpy arrays in
    ``dataset_meta``, ``state_dict``, ``message_hub`` (mmengine
    ``HistoryBuffer`` objects), ``optimizer`` and ``param_schedulers``.

    Args:
        model (torch.nn.Module): The weights to save.
        path (str): The ``.pth`` file to write.
        landmark_set (str): Landmark set named in ``meta.dataset_meta``.

    Returns:
        dict: The checkpoint written.
    """
    hub = MessageHub.get_instance(f'writer-{osp.basename(path)}')
    hub.update_scalar('train/loss', 0.5)
    hub.update_info('epoch', 100)
    optimizer = torch.optim.Adam(model.parameters(), lr=5e-4)
    scheduler = LinearLR(optimizer, start_factor=0.1, end=10, by_epoch=False)
    checkpoint = dict(
        meta=dict(
            dataset_meta=parse_pose_metainfo(get_landmark_set(landmark_set)),
            epoch=100,
            iter=1000,
            seed=0,
            mmengine_version='0.10.7'),
        state_dict=model.state_dict(),
        message_hub=hub.state_dict(),
        optimizer=optimizer.state_dict(),
        param_schedulers=[scheduler.state_dict()])
    torch.save(checkpoint, path)
    return checkpoint
