# Test-only config for the exact-resume test: the tiny synthetic model with
# the Hamedan recipe's random augmentation (box shift / scale / rotation,
# gamma / contrast / brightness, CLAHE) and its EMA, three epochs of four
# iterations, validated every epoch. The data root and the number of workers
# are given on the command line.
_base_ = ['./tiny_synthetic-64x64.py']

custom_hooks = [dict(type='DecayEMAHook', decay=0.9999)]
train_cfg = dict(max_epochs=3, val_interval=1)
randomness = dict(deterministic=True)

codec = dict(
    type='MSRAHeatmap',
    input_size=(64, 64),
    heatmap_size=(16, 16),
    sigma=1,
    unbiased=True)
meta_keys = ('id', 'img_id', 'img_path', 'ori_shape', 'img_shape',
             'input_size', 'input_center', 'input_scale', 'spacing')
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
    dict(
        type='RandomGammaContrast',
        gamma_range=(0.7, 1.5),
        contrast_range=(0.75, 1.25),
        brightness_delta=20,
        prob=0.8),
    dict(type='RandomCLAHE', clip_limit=(1.0, 3.0), prob=0.5),
    dict(type='GenerateTarget', encoder=codec),
    dict(type='PackPoseInputs', meta_keys=meta_keys),
]
train_dataloader = dict(batch_size=2, dataset=dict(pipeline=train_pipeline))
