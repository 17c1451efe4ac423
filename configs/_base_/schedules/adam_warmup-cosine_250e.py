# The training recipe of the original "optimized" training script as mmengine
# configuration: Adam at 5e-4, 5 warm-up epochs (updated every iteration),
# cosine decay to epoch 250, gradient clipping always on. tools/train.py
# --epochs / --warmup-epochs / --lr / --clip-grad rewrite these consistently.
max_epochs = 250
warmup_epochs = 5

train_cfg = dict(by_epoch=True, max_epochs=max_epochs, val_interval=5)

optim_wrapper = dict(
    optimizer=dict(type='Adam', lr=5e-4),
    clip_grad=dict(max_norm=1.0, norm_type=2))

param_scheduler = [
    dict(
        type='LinearLR',
        start_factor=0.001,
        by_epoch=True,
        begin=0,
        end=warmup_epochs,
        convert_to_iter_based=True),
    dict(
        type='CosineAnnealingLR',
        T_max=max_epochs - warmup_epochs,
        eta_min=1e-6,
        by_epoch=True,
        begin=warmup_epochs,
        end=max_epochs),
]

# EMA of the weights (decay 0.9999 with warm-up); validation, the best
# checkpoint and tools/test.py use the averaged weights
custom_hooks = [dict(type='DecayEMAHook', decay=0.9999)]
