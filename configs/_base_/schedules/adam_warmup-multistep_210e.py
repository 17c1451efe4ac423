# The schedule of the official CL-Detection 2023 baseline (MMPose's COCO
# HRNet-W48 schedule): Adam 5e-4, a 500-iteration linear warm-up, steps (x
# 0.1) at epochs 170 and 200. The leaf sets train_cfg (the runtime base has
# one, and mmengine refuses a key set by two sibling bases).
optim_wrapper = dict(optimizer=dict(type='Adam', lr=5e-4))
param_scheduler = [
    dict(
        type='LinearLR', begin=0, end=500, start_factor=0.001, by_epoch=False),
    dict(
        type='MultiStepLR',
        begin=0,
        end=210,
        milestones=[170, 200],
        gamma=0.1,
        by_epoch=True),
]
