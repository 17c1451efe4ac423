# Test-only refinement stage of the tiny synthetic model: windows of 0.3 of
# the longer image side around each landmark, input 64 x 64, trained
# without validation (as the real refinement configs).
_base_ = ['./tiny_synthetic-64x64.py']

train_cfg = dict(_delete_=True, type='EpochBasedTrainLoop', max_epochs=2)
val_cfg = None
val_dataloader = None
val_evaluator = None
test_cfg = None
test_dataloader = None
test_evaluator = None
default_hooks = dict(checkpoint=dict(save_best=None))

meta_keys = (*_base_.meta_keys, 'flip_indices', 'crop_landmark', 'crop_center')
pack_inputs = dict(type='PackPoseInputs', meta_keys=meta_keys)
train_pipeline = [
    dict(type='LoadCephalogram'),
    dict(type='LandmarkCrop', crop_size=0.3, offset_std=0.04),
    dict(type='TopdownAffine', input_size=_base_.codec['input_size']),
    dict(type='GenerateTarget', encoder=_base_.codec),
    pack_inputs,
]
test_pipeline = [
    dict(type='LoadCephalogram'),
    dict(type='LandmarkCrop', crop_size=0.3),
    dict(type='TopdownAffine', input_size=_base_.codec['input_size']),
    pack_inputs,
]
train_dataloader = dict(
    batch_size=16,
    dataset=dict(type='CephalometricCropDataset', pipeline=train_pipeline))
