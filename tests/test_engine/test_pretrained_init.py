"""Pretrained weights from a local file through ``init_cfg``, as the
Hamedan recipe documents for users who have them."""
import torch
from mmengine.config import Config
from mmpose.registry import MODELS
from mmpose.utils import register_all_modules

import ceph_landmarks  # noqa: F401
from helpers import TINY_HAMEDAN


def test_backbone_init_cfg_with_a_local_checkpoint(tmp_path):
    register_all_modules()
    cfg = Config.fromfile(TINY_HAMEDAN)
    torch.manual_seed(0)
    source = MODELS.build(cfg.model)
    source.init_weights()
    weights = tmp_path / 'pose_model.pth'
    torch.save({'state_dict': source.state_dict()}, weights)

    cfg.merge_from_dict({
        'model.backbone.init_cfg.type': 'Pretrained',
        'model.backbone.init_cfg.checkpoint': str(weights),
        'model.backbone.init_cfg.prefix': 'backbone.',
    })
    torch.manual_seed(1)
    model = MODELS.build(cfg.model)
    before = model.backbone.conv1.weight.detach().clone()
    model.init_weights()
    assert not torch.equal(before, source.backbone.conv1.weight)
    for name, value in model.backbone.state_dict().items():
        assert torch.equal(value, source.backbone.state_dict()[name]), name
