"""``--cfg-options`` keys checked against the config before the Runner is
built (``ceph_landmarks.cli.cfg_options``)."""
import pytest
from mmengine.config import Config

from ceph_landmarks.cli.cfg_options import check_cfg_options
from helpers import TINY_CONFIG


@pytest.fixture(scope='module')
def cfg():
    return Config.fromfile(TINY_CONFIG)


@pytest.mark.parametrize('key', [
    'train_cfg.max_epochs',
    'work_dir',
    'load_from',
    'launcher',
    'randomness.seed',
    'randomness.deterministic',
    'env_cfg.cudnn_benchmark',
    'train_dataloader.dataset.data_root',
    'train_dataloader.dataset.cache_images',
    'train_dataloader.pin_memory',
    'train_dataloader.drop_last',
    'train_dataloader.dataset.pipeline.0.prob',
    'model.head.new_arg',
    'model.backbone.init_cfg.checkpoint',
    'model.test_cfg.flip_test',
    'optim_wrapper.accumulative_counts',
    'optim_wrapper.clip_grad.max_norm',
    'optim_wrapper.paramwise_cfg.custom_keys.backbone.lr_mult',
    'default_hooks.checkpoint.interval',
    'default_hooks.new_hook.type',
    'train_cfg.val_begin',
    'compile',
])
def test_legitimate_overrides_pass(cfg, key):
    check_cfg_options(cfg, {key: 1}, 'tiny.py')


@pytest.mark.parametrize('key, message', [
    ('train_cfg.max_epoch',
     r'^--cfg-options train_cfg\.max_epoch: no such key in tiny\.py; did '
     r'you mean train_cfg\.max_epochs\?$'),
    ('train_dataloader.batchsize', 'did you mean train_dataloader.batch_size'),
    ('work_dirs', 'did you mean work_dir?'),
    ('train_cfg.zzz', 'train_cfg has: by_epoch, .*max_epochs'),
    ('val_cfg.fp61', 'no such key'),
    ('train_dataloader.dataset.pipeline.40.prob',
     'pipeline has 5 items in tiny.py; index 40 is past its end'),
    ('train_cfg.max_epochs.x', 'train_cfg.max_epochs is 2 in tiny.py, not a '
     'dict'),
    ('custom_hooks.x', 'custom_hooks is a list'),
])
def test_typos_are_refused(cfg, key, message):
    with pytest.raises(ValueError, match=message):
        check_cfg_options(cfg, {key: 1}, 'tiny.py')


def test_a_key_under_none_is_created_by_the_override():
    cfg = dict(val_dataloader=None, optim_wrapper=dict(clip_grad=None))
    check_cfg_options(
        cfg, {
            'val_dataloader.dataset.data_root': 'x',
            'optim_wrapper.clip_grad.max_norm': 1
        }, 'c.py')


def test_a_component_of_another_type_takes_any_key():
    cfg = dict(train_cfg=dict(type='MyLoop', steps=3))
    check_cfg_options(cfg, {'train_cfg.anything': 1}, 'c.py')
    cfg = dict(train_cfg=dict(type='EpochBasedTrainLoop', max_epochs=3))
    with pytest.raises(ValueError, match='did you mean train_cfg.max_epochs'):
        check_cfg_options(cfg, {'train_cfg.max_epoch': 1}, 'c.py')


def test_no_options():
    check_cfg_options({}, None, 'c.py')
