# Test-only config: the CL-Detection 2023 winner's architecture (HRNet with
# multi-scale output + SRPoseHead, 38 landmarks) shrunk for CPU: a tiny
# HRNet, a narrow head and 64 x 64 inputs. The data root is given on the
# command line (tests write 38-landmark synthetic data).
_base_ = [
    '../../../configs/cldetection2023/'
    'td-hm-srpose_hrnet-w48_1xb4-100e_cldetection2023-1024x1024.py'
]

train_cfg = dict(max_epochs=1, val_interval=1)
default_hooks = dict(logger=dict(interval=1))
param_scheduler = [
    dict(type='LinearLR', begin=0, end=2, start_factor=0.1, by_epoch=False)
]

codec = dict(
    type='MSRAHeatmap',
    input_size=(64, 64),
    heatmap_size=(64, 64),
    sigma=2,
    unbiased=True)
model = dict(
    backbone=dict(
        init_cfg=None,
        extra=dict(
            stage1=dict(num_blocks=(1, ), num_channels=(16, )),
            stage2=dict(num_blocks=(1, 1), num_channels=(8, 16)),
            stage3=dict(
                num_modules=1, num_blocks=(1, 1, 1),
                num_channels=(8, 16, 32)),
            stage4=dict(
                num_modules=1,
                num_blocks=(1, 1, 1, 1),
                num_channels=(8, 16, 32, 64)))),
    head=dict(
        in_channels=[64, 32, 16, 8],
        branch_channels=[16, 16, 8, 8],
        per_emb_nums=[4, 4, 2, 2],
        decoder=codec))

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
    dict(type='GetBBoxCenterScale', padding=1.25),
    dict(type='TopdownAffine', input_size=codec['input_size']),
    dict(type='PackPoseInputs', meta_keys=meta_keys),
]
loader = dict(batch_size=4, num_workers=0, persistent_workers=False)
train_dataloader = dict(**loader, dataset=dict(pipeline=train_pipeline))
val_dataloader = dict(**loader, dataset=dict(pipeline=val_pipeline))
test_dataloader = dict(
    **loader,
    dataset=dict(ann_file='annotations/val.json', pipeline=val_pipeline))
