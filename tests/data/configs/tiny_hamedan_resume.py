# Test-only config for the exact-resume test: the tiny synthetic model with
# the Hamedan recipe's random augmentation (box shift / scale / rotation,
# gamma / contrast / brightness, CLAHE) and its EMA, three epochs of four
# iterations, validated every epoch. The data root and the number of workers
# are given on the command line.
_base_ = ['./tiny_synthetic-64x64.py']

custom_hooks = [
    dict(
        type='EMAHook', ema_type='DecayEMA', decay=0.9999, update_buffers=True)
]
train_cfg = dict(max_epochs=3, val_interval=1)
randomness = dict(deterministic=True)

train_pipeline = [
    *_base_.whole_image,
    _base_.box_augmentation,
    dict(type='TopdownAffine', input_size=_base_.codec['input_size']),
    *_base_.grey_level_augmentation,
    dict(type='GenerateTarget', encoder=_base_.codec),
    _base_.pack_inputs,
]
train_dataloader = dict(batch_size=2, dataset=dict(pipeline=train_pipeline))
