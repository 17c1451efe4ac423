# Test-only config for the exact-resume test: the tiny synthetic model
# (./tiny_synthetic-64x64.py) with the Hamedan recipe's random augmentation
# (box shift / scale / rotation, gamma / contrast / brightness, CLAHE) and
# its EMA, three epochs of four iterations, validated every epoch. The data
# root and the number of workers are given on the command line.
_base_ = [
    '../../../configs/_base_/td-hm_cephalometric.py',
    '../../../configs/_base_/models/td-hm_hrnet-w18-small.py',
    '../../../configs/_base_/schedules/adam_iter-warmup-cosine.py',
    './_base_/tiny.py'
]

custom_hooks = [
    dict(
        type='EMAHook', ema_type='DecayEMA', decay=0.9999, update_buffers=True)
]
train_cfg = dict(max_epochs=3, val_interval=1)
randomness = dict(deterministic=True)
default_hooks = dict(logger=dict(interval=1))
param_scheduler = [
    dict(type='LinearLR', begin=0, end=2, start_factor=0.1, by_epoch=False)
]

codec = dict(
    _base_.codec,
    input_size=(64, 64),
    heatmap_size=(16, 16),
    sigma=1,
    unbiased=True)
model = dict(
    backbone=_base_.tiny_hrnet,
    head=dict(in_channels=8, out_channels=_base_.num_landmarks, decoder=codec))

train_pipeline = [
    *_base_.whole_image,
    _base_.box_augmentation,
    dict(type='TopdownAffine', input_size=codec['input_size']),
    *_base_.grey_level_augmentation,
    dict(type='GenerateTarget', encoder=codec),
    _base_.pack_inputs,
]
val_pipeline = [
    *_base_.whole_image,
    dict(type='TopdownAffine', input_size=codec['input_size']),
    _base_.pack_inputs,
]
data_root = 'data/synthetic/'
train_dataloader = dict(
    _base_.tiny_loader,
    batch_size=2,
    dataset=dict(data_root=data_root, pipeline=train_pipeline))
val_dataloader = dict(
    **_base_.tiny_loader,
    dataset=dict(data_root=data_root, pipeline=val_pipeline))
test_dataloader = val_dataloader
