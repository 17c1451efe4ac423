# What every cephalometric top-down heatmap config shares: the landmark set,
# the codec, the pipelines, the data loaders and the evaluation. A leaf
# config lists this file, one model base (models/: the whole `model`) and
# usually one schedule base (schedules/) as its bases, and adds the data
# root and what differs. Configs are at most three levels deep: runtime <-
# this file <- leaf, the model and schedule bases beside this file; a
# variant restates what it shares with another leaf rather than inherit it.
#
# mmengine refuses a key set by two sibling bases and loads each base on its
# own, so the model bases cannot see `codec` or `num_landmarks` here: every
# leaf completes the head with `out_channels` and `decoder`.
#
# mmengine resolves a variable where it is written, so a config that changes
# `codec` also restates `model.head.decoder` and the pipelines (built from
# the pieces below), and one that changes `landmark_set` also changes
# `num_landmarks`, the loaders' `landmark_set` and `model.head.out_channels`.
_base_ = ['./default_runtime.py']

# the 19 ISBI 2015 landmarks (ceph_landmarks/core/metainfo/isbi2015.py)
landmark_set = 'isbi2015'
num_landmarks = 19

# heatmaps at 1/4 of the input
codec = dict(
    type='MSRAHeatmap',
    input_size=(512, 512),
    heatmap_size=(128, 128),
    sigma=2)

# 'spacing' (mm/px) must reach the metric
meta_keys = ('id', 'img_id', 'img_path', 'category_id', 'ori_shape',
             'img_shape', 'input_size', 'input_center', 'input_scale', 'flip',
             'flip_direction', 'spacing')

# pipeline pieces: the image with the whole image as the box
whole_image = [
    dict(type='LoadCephalogram'),
    dict(type='GetBBoxCenterScale', padding=1.0),
]
# box shift / scale / rotation; no horizontal flip: a lateral cephalogram has
# no left/right landmark pairs
box_augmentation = dict(
    type='RandomBBoxTransform',
    shift_factor=0.05,
    shift_prob=0.5,
    scale_factor=(0.9, 1.1),
    rotate_factor=10.0,
    rotate_prob=0.5)
# exposure and local contrast differ between X-ray machines: grey levels
# only, after the warp (the geometry has already moved the keypoints)
grey_level_augmentation = [
    dict(
        type='RandomGammaContrast',
        gamma_range=(0.7, 1.5),
        contrast_range=(0.75, 1.25),
        brightness_delta=20,
        prob=0.8),
    dict(type='RandomCLAHE', clip_limit=(1.0, 3.0), prob=0.5),
]
pack_inputs = dict(type='PackCephalogramInputs', meta_keys=meta_keys)

train_pipeline = [
    *whole_image,
    box_augmentation,
    dict(type='TopdownAffine', input_size=codec['input_size']),
    dict(type='GenerateTarget', encoder=codec),
    pack_inputs,
]
val_pipeline = [
    *whole_image,
    dict(type='TopdownAffine', input_size=codec['input_size']),
    pack_inputs,
]

# the package's COCO-style JSON with per-image spacing; leaf configs set
# data_root (relative to the working directory)
dataset_type = 'CephalometricDataset'
train_dataloader = dict(
    batch_size=8,
    num_workers=2,
    # workers start afresh each epoch, seeded from the checkpointed RNG,
    # so --resume is exact (RandomStateHook)
    persistent_workers=False,
    sampler=dict(type='DefaultSampler', shuffle=True),
    dataset=dict(
        type=dataset_type,
        landmark_set=landmark_set,
        ann_file='annotations/train.json',
        data_prefix=dict(img='images/'),
        pipeline=train_pipeline,
    ))
val_dataloader = dict(
    batch_size=8,
    num_workers=2,
    persistent_workers=True,
    drop_last=False,
    sampler=dict(type='DefaultSampler', shuffle=False, round_up=False),
    dataset=dict(
        train_dataloader['dataset'],
        ann_file='annotations/val.json',
        test_mode=True,
        pipeline=val_pipeline))
test_dataloader = val_dataloader

val_evaluator = dict(type='CephalometricMetric')
# testing also reports the error of the cephalometric angles (ceph/SNA_MAE...)
test_evaluator = [val_evaluator, dict(type='CephalometricMeasurementMetric')]
