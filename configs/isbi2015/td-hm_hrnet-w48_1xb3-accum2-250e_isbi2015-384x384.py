# Low-memory variant of the ISBI 2015 recipe: 384 x 384 input (96 x 96
# heatmaps), batch 3 with gradients accumulated over 2 iterations, so the
# effective batch stays 6.
_base_ = ['./td-hm_hrnet-w48_1xb6-250e_isbi2015-512x512.py']

codec = dict(
    type='MSRAHeatmap', input_size=(384, 384), heatmap_size=(96, 96),
    sigma=2)
model = dict(head=dict(decoder=codec))
optim_wrapper = dict(accumulative_counts=2)

meta_keys = ('id', 'img_id', 'img_path', 'category_id', 'ori_shape',
             'img_shape', 'input_size', 'input_center', 'input_scale',
             'flip', 'flip_direction', 'spacing')
train_pipeline = [
    dict(type='LoadCephalogram'),
    dict(type='GetBBoxCenterScale', padding=1.0),
    dict(
        type='RandomBBoxTransform',
        shift_factor=0.05,
        shift_prob=0.5,
        scale_factor=(0.9, 1.1),
        rotate_factor=10.0,
        rotate_prob=0.5),
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
train_dataloader = dict(batch_size=3, dataset=dict(pipeline=train_pipeline))
val_dataloader = dict(dataset=dict(pipeline=val_pipeline))
test_dataloader = val_dataloader
