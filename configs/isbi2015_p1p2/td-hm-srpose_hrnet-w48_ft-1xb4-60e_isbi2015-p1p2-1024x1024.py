# Fine-tune the CL-Detection 2023 winner's model (38 landmarks) to the 19 ISBI
# landmarks plus two new points, p1 and p2 (21 landmarks), in one run:
#   python tools/train.py CONFIG
# - load_from is the published 38-landmark checkpoint; the `landmarks` hook
#   extends it by landmark name on load (19 kept, p1/p2 new, 19 dropped),
#   no separate conversion step;
# - the backbone is frozen for the first 10 epochs (only the head learns),
#   then trains at 0.1 x the head's learning rate.
# From a 19-landmark (isbi2015) checkpoint instead: set load_from to it,
# default_hooks.landmarks.src_landmarks='isbi2015' and
# model.head.aux_lowres_channels=0.
# Input, codec, pipelines and evaluation as the CL-Detection 2023 winner's
# config (../cldetection2023/
# td-hm-srpose_hrnet-w48_1xb4-100e_cldetection2023-1024x1024.py).
_base_ = [
    '../_base_/td-hm_cephalometric.py',
    '../_base_/models/td-hm-srpose_hrnet-w48.py'
]

# model_pretrained_on_train_and_val.pth of 5k5000/CLdetection2023, saved
# under this name; the path is relative to the working directory
load_from = 'checkpoints/cldetection2023_srpose_hrnet-w48_1024x1024.pth'

# the 19 ISBI 2015 landmarks plus p1 and p2
# (ceph_landmarks/core/metainfo/isbi2015_p1p2.py)
landmark_set = 'isbi2015_p1p2'
num_landmarks = 21

default_hooks = dict(
    landmarks=dict(
        src_landmarks='cldetection2023', dst_landmarks=landmark_set))

unfreeze_epoch = 10
custom_hooks = [
    dict(
        type='BackboneFreezeHook', unfreeze_epoch=unfreeze_epoch, lr_mult=0.1)
]

train_cfg = dict(max_epochs=60, val_interval=1)
# the backbone's parameter groups run at 0.1 x the base rate (used once it
# is unfrozen; BackboneFreezeHook checks that the two agree)
optim_wrapper = dict(
    optimizer=dict(type='Adam', lr=5e-4),
    paramwise_cfg=dict(custom_keys={'backbone': dict(lr_mult=0.1)}))
param_scheduler = [
    dict(
        type='LinearLR', begin=0, end=100, start_factor=0.001, by_epoch=False),
    dict(
        type='MultiStepLR',
        begin=0,
        milestones=[40, 55],
        gamma=0.1,
        by_epoch=True),
]

codec = dict(
    _base_.codec,
    input_size=(1024, 1024),
    heatmap_size=(1024, 1024),
    sigma=6,
    unbiased=True)

model = dict(
    backbone=dict(init_cfg=None),  # all weights come from load_from
    # 19 auxiliary low-resolution maps: those of the 19 dropped landmarks,
    # which the shared features of the published model depend on, so the 19
    # kept landmarks start exactly as the published model predicts them
    head=dict(
        out_channels=num_landmarks, aux_lowres_channels=19, decoder=codec))

# the box padded by 1.25 at test time
test_box = [
    dict(type='LoadCephalogram'),
    dict(type='GetBBoxCenterScale', padding=1.25),
]
train_pipeline = [
    *_base_.whole_image,
    dict(type='RandomBBoxTransform'),  # MMPose defaults
    dict(type='TopdownAffine', input_size=codec['input_size']),
    dict(type='GenerateTarget', encoder=codec),
    _base_.pack_inputs,
]
val_pipeline = [
    *test_box,
    dict(type='TopdownAffine', input_size=codec['input_size']),
    _base_.pack_inputs,
]

# your 21-landmark data in the package's COCO-style JSON with spacing
data_root = 'data/isbi2015_p1p2/'
dataset = dict(landmark_set=landmark_set, data_root=data_root)
train_dataloader = dict(
    batch_size=4, dataset=dict(**dataset, pipeline=train_pipeline))
val_dataloader = dict(
    batch_size=4, dataset=dict(**dataset, pipeline=val_pipeline))
test_dataloader = dict(
    batch_size=4,
    dataset=dict(
        **dataset, ann_file='annotations/test.json', pipeline=val_pipeline))
