# Test-only config: a very small HRNet on 64 x 64 inputs, two epochs, so a
# full train / test / resume round trip runs in seconds on CPU. The data root
# is given on the command line (tests build the data in a temporary folder).
_base_ = [
    '../../../configs/synthetic/'
    'td-hm_hrnet-w18-small_1xb8-30e_synthetic-256x256.py', './_base_/tiny.py'
]

train_cfg = dict(max_epochs=2, val_interval=1)
default_hooks = dict(logger=dict(interval=1))
param_scheduler = [
    dict(type='LinearLR', begin=0, end=2, start_factor=0.1, by_epoch=False)
]

codec = dict(_base_.codec, input_size=(64, 64), heatmap_size=(16, 16), sigma=1)
model = dict(
    backbone=_base_.tiny_hrnet, head=dict(in_channels=8, decoder=codec))

# no box augmentation
train_pipeline = [
    *_base_.whole_image,
    dict(type='TopdownAffine', input_size=codec['input_size']),
    dict(type='GenerateTarget', encoder=codec),
    _base_.pack_inputs,
]
val_pipeline = [
    *_base_.whole_image,
    dict(type='TopdownAffine', input_size=codec['input_size']),
    _base_.pack_inputs,
]
train_dataloader = dict(
    **_base_.tiny_loader, dataset=dict(pipeline=train_pipeline))
val_dataloader = dict(
    **_base_.tiny_loader, dataset=dict(pipeline=val_pipeline))
test_dataloader = val_dataloader
