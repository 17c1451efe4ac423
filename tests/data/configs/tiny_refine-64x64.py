# Test-only refinement stage of the tiny synthetic model
# (./tiny_synthetic-64x64.py, with its bases): windows of 0.3 of the longer
# image side around each landmark, input 64 x 64, trained without
# validation (as the real refinement configs, which set the loops, loaders
# and metrics of validation and testing to None).
_base_ = [
    '../../../configs/_base_/td-hm_cephalometric.py',
    '../../../configs/_base_/models/td-hm_hrnet-w18-small.py',
    '../../../configs/_base_/schedules/adam_iter-warmup-cosine.py',
    './_base_/tiny.py'
]

train_cfg = dict(_delete_=True, type='EpochBasedTrainLoop', max_epochs=2)
val_cfg = None
val_dataloader = None
val_evaluator = None
test_cfg = None
test_dataloader = None
test_evaluator = None
default_hooks = dict(logger=dict(interval=1), checkpoint=dict(save_best=None))
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

meta_keys = (*_base_.meta_keys, 'flip_indices', 'crop_landmark', 'crop_center')
pack_inputs = dict(type='PackCephalogramInputs', meta_keys=meta_keys)
train_pipeline = [
    dict(type='LoadCephalogram'),
    dict(type='LandmarkCrop', crop_size=0.3, offset_std=0.04),
    dict(type='TopdownAffine', input_size=codec['input_size']),
    dict(type='GenerateTarget', encoder=codec),
    pack_inputs,
]
test_pipeline = [
    dict(type='LoadCephalogram'),
    dict(type='LandmarkCrop', crop_size=0.3),
    dict(type='TopdownAffine', input_size=codec['input_size']),
    pack_inputs,
]
# the whole-image pipeline of the tiny synthetic model, unused here (no
# validation loop), kept as it was when this config derived from that one
val_pipeline = [
    *_base_.whole_image,
    dict(type='TopdownAffine', input_size=codec['input_size']),
    _base_.pack_inputs,
]
data_root = 'data/synthetic/'
train_dataloader = dict(
    _base_.tiny_loader,
    batch_size=16,
    dataset=dict(
        type='CephalometricCropDataset',
        data_root=data_root,
        pipeline=train_pipeline))
