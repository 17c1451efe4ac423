"""The 21-landmark fine-tune through tools/train.py (tiny variant of the
config): a 19-landmark checkpoint is extended on load, the backbone is
frozen for one epoch and then trains at 0.1 x the head's learning rate,
and resuming works on both sides of the switch."""
import os.path as osp
import re

import pytest
import torch
from mmengine.config import Config
from mmengine.registry import init_default_scope
from mmpose.registry import MODELS

from ceph_landmarks.engine import load_local_checkpoint
from conftest import REPO_ROOT, data_options, run_tool
from landmark_helpers import save_runner_checkpoint, write_landmark_variant

FT_CONFIG = osp.join(REPO_ROOT, 'tests', 'data', 'configs',
                     'tiny_srpose-ft_isbi2015-p1p2-64x64.py')


def backbone(state_dict):
    return {k: v for k, v in state_dict.items() if k.startswith('backbone.')}


def assert_backbone_lr_is_a_tenth(checkpoint):
    """Backbone groups (those with lr_mult) run at 0.1 x the others."""
    groups = checkpoint['optimizer']['param_groups']
    backbone_lrs = {g['lr'] for g in groups if g.get('lr_mult') == 0.1}
    head_lrs = {g['lr'] for g in groups if 'lr_mult' not in g}
    assert len(backbone_lrs) == 1 and len(head_lrs) == 1
    assert backbone_lrs.pop() == pytest.approx(0.1 * head_lrs.pop())
    num_backbone = len(backbone(checkpoint['state_dict']))
    assert 0 < sum(g.get('lr_mult') == 0.1 for g in groups) <= num_backbone


@pytest.fixture(scope='module')
def finetune(tiny_data, tmp_path_factory):
    """Train epoch 1 from a 19-landmark checkpoint (run A), resume to epoch
    2 across the switch (run B), resume to epoch 3 after it (run C)."""
    tmp = tmp_path_factory.mktemp('finetune')
    data = write_landmark_variant(tiny_data, str(tmp / 'p1p2'),
                                  'isbi2015_p1p2')
    cfg = Config.fromfile(FT_CONFIG)
    cfg.model.head.out_channels = 19
    init_default_scope('mmpose')
    torch.manual_seed(0)
    source = str(tmp / 'isbi2015.pth')
    save_runner_checkpoint(MODELS.build(cfg.model), source, 'isbi2015')

    work_dir = str(tmp / 'work')
    common = ['--work-dir', work_dir, *data_options(data)]
    logs = [
        run_tool('train.py', FT_CONFIG, *common, f'load_from={source}',
                 'train_cfg.max_epochs=1'),
        run_tool('train.py', FT_CONFIG, '--resume', *common,
                 'train_cfg.max_epochs=2'),
        run_tool('train.py', FT_CONFIG, '--resume', *common,
                 'train_cfg.max_epochs=3'),
    ]
    ckpts = [
        load_local_checkpoint(osp.join(work_dir, f'epoch_{e}.pth'))
        for e in (1, 2, 3)
    ]
    return (load_local_checkpoint(source), ckpts,
            [p.stdout + p.stderr for p in logs])


def test_19_landmark_checkpoint_is_extended_on_load(finetune):
    source, ckpts, logs = finetune
    assert ('by landmark name from isbi2015 (19) to isbi2015_p1p2 (21): '
            "kept 19, new ['p1', 'p2']") in logs[0]
    head = ckpts[0]['state_dict']['head.lr_head.0.weight']
    assert head.shape[0] == 21
    assert ckpts[0]['meta']['dataset_meta']['num_keypoints'] == 21


def test_backbone_frozen_in_the_first_epoch(finetune):
    source, ckpts, logs = finetune
    assert 'Epoch 1: backbone frozen' in logs[0]
    # weights and BatchNorm statistics untouched, the head trained
    src, epoch1 = backbone(source['state_dict']), ckpts[0]['state_dict']
    assert all(torch.equal(v, epoch1[k]) for k, v in src.items())
    assert not torch.equal(source['state_dict']['head.fuse.0.weight'],
                           epoch1['head.fuse.0.weight'])


def test_backbone_unfrozen_at_a_tenth_of_the_rate_after_resume(finetune):
    _, ckpts, logs = finetune
    assert 'resumed epoch: 1' in logs[1]
    assert re.search(
        r'Epoch 2: backbone unfrozen; learning rate backbone \S+ = 0\.1 x '
        r'head', logs[1])
    epoch1, epoch2 = ckpts[0]['state_dict'], ckpts[1]['state_dict']
    assert not all(
        torch.equal(v, epoch2[k]) for k, v in backbone(epoch1).items())
    for ckpt in ckpts:
        assert_backbone_lr_is_a_tenth(ckpt)


def test_resume_after_the_switch_keeps_training_the_backbone(finetune):
    _, ckpts, logs = finetune
    assert 'resumed epoch: 2' in logs[2]
    assert re.search(
        r'Epoch 3: backbone trainable \(frozen up to epoch 1\); learning '
        r'rate backbone \S+ = 0\.1 x head', logs[2])
    assert 'Extended' not in logs[1] + logs[2]  # already 21 landmarks
    epoch2, epoch3 = ckpts[1]['state_dict'], ckpts[2]['state_dict']
    assert not all(
        torch.equal(v, epoch3[k]) for k, v in backbone(epoch2).items())
    assert not re.search(r'Epoch\(train\)\s+\[[12]\]', logs[2])
