# Test-only config: a very small HRNet on 64 x 64 inputs, two epochs, so a
# full train / test / resume round trip runs in seconds on CPU. The data root
# is given on the command line (tests build the data in a temporary folder).
_base_ = [
    '../../../configs/synthetic/'
    'td-hm_hrnet-w18-small_1xb8-30e_synthetic-256x256.py'
]

train_cfg = dict(max_epochs=2, val_interval=1)
default_hooks = dict(logger=dict(interval=1))
param_scheduler = [
    dict(type='LinearLR', begin=0, end=2, start_factor=0.1, by_epoch=False)
]

codec = dict(
    type='MSRAHeatmap',
    input_size=(64, 64),
    heatmap_size=(16, 16),
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
