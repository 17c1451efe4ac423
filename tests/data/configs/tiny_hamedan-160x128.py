# Test-only config: the Hamedan config with a very small HRNet on 128 x 160
# inputs and one epoch, so a training run on a few real images takes
# seconds on CPU. The data root is given on the command line (tests convert
# the data into a temporary folder).
_base_ = [
    '../../../configs/hamedan/'
    'td-hm_hrnet-w18-small_1xb8-60e_hamedan-640x512.py', './_base_/tiny.py'
]

train_cfg = dict(max_epochs=1, val_interval=1)
default_hooks = dict(logger=dict(interval=1))
param_scheduler = [
    dict(type='LinearLR', begin=0, end=2, start_factor=0.1, by_epoch=False)
]

codec = dict(
    _base_.codec, input_size=(128, 160), heatmap_size=(32, 40), sigma=1)
model = dict(
    backbone=_base_.tiny_hrnet, head=dict(in_channels=8, decoder=codec))

# no box augmentation; grey-level augmentation with MMPose's defaults
train_pipeline = [
    *_base_.whole_image,
    dict(type='TopdownAffine', input_size=codec['input_size']),
    dict(type='RandomGammaContrast', prob=0.8),
    dict(type='RandomCLAHE', prob=0.5),
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
