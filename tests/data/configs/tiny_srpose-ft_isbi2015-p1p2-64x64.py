# Test-only config: the 21-landmark fine-tune config shrunk for CPU (tiny
# HRNet, narrow SRPose head, 64 x 64 inputs), extending a 19-landmark
# (isbi2015) checkpoint on load and unfreezing the backbone after one epoch.
# load_from and the data root are given on the command line.
_base_ = [
    '../../../configs/isbi2015_p1p2/'
    'td-hm-srpose_hrnet-w48_ft-1xb4-60e_isbi2015-p1p2-1024x1024.py',
    './_base_/tiny.py'
]

load_from = None
default_hooks = dict(
    logger=dict(interval=1),
    checkpoint=dict(max_keep_ckpts=3),
    landmarks=dict(src_landmarks='isbi2015'))
custom_hooks = [dict(type='BackboneFreezeHook', unfreeze_epoch=1)]

train_cfg = dict(max_epochs=3, val_interval=1)
param_scheduler = [
    dict(type='LinearLR', begin=0, end=3, start_factor=0.1, by_epoch=False)
]

codec = dict(_base_.codec, input_size=(64, 64), heatmap_size=(64, 64), sigma=2)
model = dict(
    backbone=_base_.tiny_hrnet,
    head=dict(_base_.tiny_srpose_head, aux_lowres_channels=0, decoder=codec))

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
