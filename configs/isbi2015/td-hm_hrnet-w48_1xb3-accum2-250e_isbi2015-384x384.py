# Low-memory variant of the ISBI 2015 recipe: 384 x 384 input (96 x 96
# heatmaps), batch 3 with gradients accumulated over 2 iterations, so the
# effective batch stays 6.
_base_ = ['./td-hm_hrnet-w48_1xb6-250e_isbi2015-512x512.py']

optim_wrapper = dict(accumulative_counts=2)

codec = dict(_base_.codec, input_size=(384, 384), heatmap_size=(96, 96))
model = dict(head=dict(decoder=codec))

train_pipeline = [
    *_base_.whole_image,
    _base_.box_augmentation,
    dict(type='TopdownAffine', input_size=codec['input_size']),
    dict(type='GenerateTarget', encoder=codec),
    _base_.pack_inputs,
]
val_pipeline = [
    *_base_.whole_image,
    dict(type='TopdownAffine', input_size=codec['input_size']),
    _base_.pack_inputs,
]
train_dataloader = dict(batch_size=3, dataset=dict(pipeline=train_pipeline))
val_dataloader = dict(dataset=dict(pipeline=val_pipeline))
test_dataloader = val_dataloader
