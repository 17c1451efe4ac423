# Low-memory variant of the ISBI 2015 recipe
# (./td-hm_hrnet-w48_1xb6-250e_isbi2015-512x512.py, whose comments apply):
# 384 x 384 input (96 x 96 heatmaps), batch 3 with gradients accumulated
# over 2 iterations, so the effective batch stays 6.
_base_ = [
    '../_base_/td-hm_cephalometric.py', '../_base_/models/td-hm_hrnet-w48.py',
    '../_base_/schedules/adam_warmup-cosine_250e.py'
]

train_cfg = dict(max_epochs=_base_.max_epochs, val_interval=5)
optim_wrapper = dict(accumulative_counts=2)
custom_hooks = [
    dict(
        type='EMAHook', ema_type='DecayEMA', decay=0.9999, update_buffers=True)
]

codec = dict(_base_.codec, input_size=(384, 384), heatmap_size=(96, 96))
model = dict(head=dict(out_channels=_base_.num_landmarks, decoder=codec))

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

data_root = 'data/isbi2015/'
train_dataloader = dict(
    batch_size=3,
    num_workers=4,
    dataset=dict(data_root=data_root, pipeline=train_pipeline))
val_dataloader = dict(
    batch_size=6,
    num_workers=4,
    dataset=dict(
        data_root=data_root,
        ann_file='annotations/test1.json',
        pipeline=val_pipeline))
test_dataloader = val_dataloader
