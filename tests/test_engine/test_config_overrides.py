"""Training options written into the config by tools/train.py."""
import pytest
from mmengine.config import Config

from ceph_landmarks.cli import config_overrides as co
from helpers import REPO_ROOT

SYNTHETIC = (f'{REPO_ROOT}/configs/synthetic/'
             'td-hm_hrnet-w18-small_1xb8-30e_synthetic-256x256.py')


@pytest.fixture
def cfg():
    return Config.fromfile(SYNTHETIC)


def test_image_size_updates_codecs_and_affine(cfg):
    changed = co.set_image_size(cfg, 384, 320)
    assert changed >= 5  # codec, head decoder, GenerateTarget, 3 affines
    assert cfg.codec.input_size == (384, 320)
    assert cfg.codec.heatmap_size == (96, 80)  # stride 4 kept
    assert cfg.model.head.decoder.heatmap_size == (96, 80)
    pipeline = cfg.train_dataloader.dataset.pipeline
    assert [t for t in pipeline
            if t.type == 'TopdownAffine'][0].input_size == (384, 320)
    assert [t for t in pipeline
            if t.type == 'GenerateTarget'][0].encoder.heatmap_size == (96, 80)
    val = cfg.val_dataloader.dataset.pipeline
    assert [t for t in val
            if t.type == 'TopdownAffine'][0].input_size == (384, 320)


def test_image_size_must_fit_stride(cfg):
    with pytest.raises(
            ValueError, match='not divisible by the heatmap '
            'stride 4'):
        co.set_image_size(cfg, 250, 256)


def test_epochs_and_warmup_schedule(cfg):
    co.set_epochs(cfg, 12)
    co.set_warmup_epochs(cfg, 2)
    assert cfg.train_cfg.max_epochs == 12
    warmup, cosine = cfg.param_scheduler
    assert (warmup.type, warmup.begin, warmup.end, warmup.by_epoch,
            warmup.convert_to_iter_based) == ('LinearLR', 0, 2, True, True)
    assert cosine.type == 'CosineAnnealingLR'
    assert (cosine.begin, cosine.end) == (2, 12)
    assert 'T_max' not in cosine  # mmengine's default: end - begin
    co.set_warmup_epochs(cfg, 0)
    assert [s.type for s in cfg.param_scheduler] == ['CosineAnnealingLR']
    with pytest.raises(ValueError, match='shorter than training'):
        co.set_warmup_epochs(cfg, 12)


def test_optimizer_options(cfg):
    co.set_lr(cfg, 5e-4)
    co.set_accumulation(cfg, 4)
    co.set_clip_grad(cfg, 1.0)
    assert cfg.optim_wrapper.optimizer.lr == 5e-4
    assert cfg.optim_wrapper.accumulative_counts == 4
    assert cfg.optim_wrapper.clip_grad == dict(max_norm=1.0, norm_type=2)
    co.set_clip_grad(cfg, 0)
    assert cfg.optim_wrapper.clip_grad is None
    with pytest.raises(ValueError, match='but got 0'):
        co.set_accumulation(cfg, 0)


def test_loader_options(cfg):
    co.set_batch_size(cfg, 6)
    co.set_num_workers(cfg, 0)
    assert cfg.train_dataloader.batch_size == 6
    for name in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        assert cfg[name].num_workers == 0
        assert cfg[name].persistent_workers is False
        assert cfg[name].prefetch_factor is None
    co.set_pin_memory(cfg, True)
    assert cfg.val_dataloader.pin_memory is True


def test_ema_amp_compile(cfg):
    co.enable_ema(cfg, 0.999)
    co.enable_ema(cfg, 0.9999)
    assert [h for h in cfg.custom_hooks if 'EMA' in h.type] == [
        dict(
            type='EMAHook',
            ema_type='DecayEMA',
            decay=0.9999,
            update_buffers=True)
    ]
    with pytest.raises(ValueError, match='EMA decay .* but got 1.5'):
        co.enable_ema(cfg, 1.5)
    enabled = co.enable_amp(cfg)
    assert enabled == co.accelerator_available()
    assert (cfg.optim_wrapper.get('type') == 'AmpOptimWrapper') == enabled
    with pytest.raises(ValueError, match="'float16' or 'bfloat16'"):
        co.enable_amp(cfg, 'int8')
    co.enable_compile(cfg)
    assert cfg.compile is True


def test_unfreeze_after(cfg):
    co.set_unfreeze_after(cfg, 3)
    co.set_unfreeze_after(cfg, 2)
    hooks = [h for h in cfg.custom_hooks if h.type == 'BackboneFreezeHook']
    assert hooks == [
        dict(type='BackboneFreezeHook', unfreeze_epoch=2, lr_mult=0.1)
    ]
    assert cfg.optim_wrapper.paramwise_cfg.custom_keys.backbone.lr_mult == 0.1
    with pytest.raises(ValueError, match='but got 0'):
        co.set_unfreeze_after(cfg, 2, lr_mult=0)


def test_random_flip_goes_before_the_affine(cfg):
    co.enable_random_flip(cfg)
    types = [t['type'] for t in cfg.train_dataloader.dataset.pipeline]
    assert types.index('RandomFlip') == types.index('TopdownAffine') - 1
    assert 'RandomFlip' not in [
        t['type'] for t in cfg.val_dataloader.dataset.pipeline
    ]
    with pytest.raises(ValueError, match='already has a RandomFlip'):
        co.enable_random_flip(cfg)
