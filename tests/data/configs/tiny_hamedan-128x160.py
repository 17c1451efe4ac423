# Test-only config: the Hamedan config with a very small HRNet on 128 x 160
# inputs and one epoch, so a training run on a few real images takes
# seconds on CPU. The data root is given on the command line (tests convert
# the data into a temporary folder).
_base_ = [
    '../../../configs/hamedan/'
    'td-hm_hrnet-w18-small_1xb8-60e_hamedan-512x640.py'
]

train_cfg = dict(max_epochs=1, val_interval=1)
default_hooks = dict(logger=dict(interval=1))
param_scheduler = [
    dict(type='LinearLR', begin=0, end=2, start_factor=0.1, by_epoch=False)
]

codec = dict(
    type='MSRAHeatmap',
    input_size=(128, 160),
    heatmap_size=(32, 40),
    sigma=1,
    unbiased=True)
model = dict(
    backbone=dict(
        extra=dict(
            stage1=dict(num_blocks=(1, ), num_channels=(16, )),
            stage2=dict(num_blocks=(1, 1), num_channels=(8, 16)),
            stage3=dict(num_blocks=(1, 1, 1), num_channels=(8, 16, 32)),
            stage4=dict(
                num_blocks=(1, 1, 1, 1), num_channels=(8, 16, 32, 64)))),
    head=dict(in_channels=8, decoder=codec))

meta_keys = ('id', 'img_id', 'img_path', 'ori_shape', 'img_shape',
             'input_size', 'input_center', 'input_scale', 'spacing')
train_pipeline = [
    dict(type='LoadCephalogram'),
    dict(type='GetBBoxCenterScale', padding=1.0),
    dict(type='TopdownAffine', input_size=codec['input_size']),
    dict(type='RandomGammaContrast', prob=0.8),
    dict(type='RandomCLAHE', prob=0.5),
    dict(type='GenerateTarget', encoder=codec),
    dict(type='PackPoseInputs', meta_keys=meta_keys),
]
val_pipeline = [
    dict(type='LoadCephalogram'),
    dict(type='GetBBoxCenterScale', padding=1.0),
    dict(type='TopdownAffine', input_size=codec['input_size']),
    dict(type='PackPoseInputs', meta_keys=meta_keys),
]
loader = dict(
    batch_size=4, num_workers=0, persistent_workers=False,
    prefetch_factor=None)
train_dataloader = dict(dataset=dict(pipeline=train_pipeline), **loader)
val_dataloader = dict(dataset=dict(pipeline=val_pipeline), **loader)
test_dataloader = val_dataloader
