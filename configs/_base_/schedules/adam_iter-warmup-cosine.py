# The schedule of the small CPU models: Adam at 2e-3 with gradients clipped
# at norm 5, a 40-iteration linear warm-up, then cosine decay over the whole
# training to 1e-5 (it ends at train_cfg.max_epochs, mmengine's default end,
# so a leaf changes the length with train_cfg alone).
optim_wrapper = dict(
    optimizer=dict(type='Adam', lr=2e-3), clip_grad=dict(max_norm=5.0))
param_scheduler = [
    dict(type='LinearLR', begin=0, end=40, start_factor=0.01, by_epoch=False),
    dict(type='CosineAnnealingLR', eta_min=1e-5, begin=0, by_epoch=True),
]
