# Test-only config: the CL-Detection 2023 winner's architecture (HRNet with
# multi-scale output + SRPoseHead, 38 landmarks) shrunk for CPU: a tiny
# HRNet, a narrow head and 64 x 64 inputs. The data root is given on the
# command line (tests write 38-landmark synthetic data).
_base_ = [
    '../../../configs/cldetection2023/'
    'td-hm-srpose_hrnet-w48_1xb4-100e_cldetection2023-1024x1024.py',
    './_base_/tiny.py'
]

train_cfg = dict(max_epochs=1, val_interval=1)
default_hooks = dict(logger=dict(interval=1))
param_scheduler = [
    dict(type='LinearLR', begin=0, end=2, start_factor=0.1, by_epoch=False)
]

codec = dict(_base_.codec, input_size=(64, 64), heatmap_size=(64, 64), sigma=2)
model = dict(
    backbone=dict(_base_.tiny_hrnet, init_cfg=None),
    head=dict(_base_.tiny_srpose_head, decoder=codec))

# no box augmentation
train_pipeline = [
    *_base_.whole_image,
    dict(type='TopdownAffine', input_size=codec['input_size']),
    dict(type='GenerateTarget', encoder=codec),
    _base_.pack_inputs,
]
val_pipeline = [
    *_base_.test_box,
    dict(type='TopdownAffine', input_size=codec['input_size']),
    _base_.pack_inputs,
]
train_dataloader = dict(
    **_base_.tiny_loader, dataset=dict(pipeline=train_pipeline))
val_dataloader = dict(
    **_base_.tiny_loader, dataset=dict(pipeline=val_pipeline))
test_dataloader = dict(
    **_base_.tiny_loader,
    dataset=dict(ann_file='annotations/val.json', pipeline=val_pipeline))
