"""The 21-landmark fine-tune through tools/train.py (tiny variant of the
config): a 19-landmark checkpoint is extended on load, the backbone is
frozen for one epoch and then trains at 0.1 x the head's learning rate,
and resuming works on both sides of the switch."""
import os.path as osp
from types import SimpleNamespace

import pytest
import torch
from mmengine.config import Config
from mmengine.registry import init_default_scope
from mmpose.registry import MODELS

from ceph_landmarks.models import load_local_checkpoint
from helpers import (TINY_SRPOSE_FT, data_options, digests, last_run_scalars,
                     run_tool, save_runner_checkpoint, write_landmark_variant)

pytestmark = pytest.mark.slow


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
    2 across the switch (run B), resume to epoch 3 after it (run C).

    Returns the source checkpoint, the three epochs' checkpoints, the
    digests of the checkpoint files after each run and the logged epochs
    of each run.
    """
    tmp = tmp_path_factory.mktemp('finetune')
    data = write_landmark_variant(tiny_data, str(tmp / 'p1p2'),
                                  'isbi2015_p1p2')
    cfg = Config.fromfile(TINY_SRPOSE_FT)
    cfg.model.head.out_channels = 19
    init_default_scope('mmpose')
    torch.manual_seed(0)
    source = str(tmp / 'isbi2015.pth')
    save_runner_checkpoint(MODELS.build(cfg.model), source, 'isbi2015')

    work_dir = str(tmp / 'work')
    common = ['--work-dir', work_dir, *data_options(data)]
    runs = [([], [f'load_from={source}', 'train_cfg.max_epochs=1']),
            (['--resume'], ['train_cfg.max_epochs=2']),
            (['--resume'], ['train_cfg.max_epochs=3'])]
    files, epochs = [], []
    for flags, cfg_options in runs:
        run_tool('train.py', TINY_SRPOSE_FT, *flags, *common, *cfg_options)
        files.append({
            name: digest
            for name, digest in digests(work_dir).items()
            if name.startswith('epoch_')
        })
        epochs.append(
            {r['epoch']
             for r in last_run_scalars(work_dir) if 'epoch' in r})
    ckpts = [
        load_local_checkpoint(osp.join(work_dir, f'epoch_{e}.pth'))
        for e in (1, 2, 3)
    ]
    return SimpleNamespace(
        source=load_local_checkpoint(source),
        ckpts=ckpts,
        files=files,
        epochs=epochs)


def test_19_landmark_checkpoint_is_extended_on_load(finetune):
    epoch1 = finetune.ckpts[0]
    assert epoch1['state_dict']['head.lr_head.0.weight'].shape[0] == 21
    assert epoch1['meta']['dataset_meta']['num_keypoints'] == 21


def test_backbone_frozen_in_the_first_epoch(finetune):
    # weights and BatchNorm statistics untouched, the head trained
    source = finetune.source['state_dict']
    epoch1 = finetune.ckpts[0]['state_dict']
    assert all(torch.equal(v, epoch1[k]) for k, v in backbone(source).items())
    assert not torch.equal(source['head.fuse.0.weight'],
                           epoch1['head.fuse.0.weight'])


def test_resume_continues_each_run_where_the_last_stopped(finetune):
    """Runs B and C train only their new epoch: the earlier epochs'
    checkpoints are left as they were."""
    assert finetune.epochs == [{1}, {2}, {3}]
    assert [sorted(f) for f in finetune.files
            ] == [['epoch_1.pth'], ['epoch_1.pth', 'epoch_2.pth'],
                  ['epoch_1.pth', 'epoch_2.pth', 'epoch_3.pth']]
    for before, after in zip(finetune.files, finetune.files[1:]):
        assert {k: after[k] for k in before} == before
    iters = [c['meta']['iter'] for c in finetune.ckpts]
    assert [c['meta']['epoch'] for c in finetune.ckpts] == [1, 2, 3]
    assert iters == [iters[0], 2 * iters[0], 3 * iters[0]]


def test_backbone_unfrozen_at_a_tenth_of_the_rate_after_resume(finetune):
    epoch1, epoch2 = (c['state_dict'] for c in finetune.ckpts[:2])
    assert not all(
        torch.equal(v, epoch2[k]) for k, v in backbone(epoch1).items())
    for ckpt in finetune.ckpts:
        assert_backbone_lr_is_a_tenth(ckpt)


def test_resume_after_the_switch_keeps_training_the_backbone(finetune):
    epoch2, epoch3 = (c['state_dict'] for c in finetune.ckpts[1:])
    assert not all(
        torch.equal(v, epoch3[k]) for k, v in backbone(epoch2).items())
