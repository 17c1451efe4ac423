# A small HRNet-W18 (two blocks per branch, one module per stage) +
# HeatmapHead (no deconvolution: heatmaps at 1/4 of the input): trains on a
# CPU. The leaves that use it decode with DARK (`unbiased=True` in their
# codec). A model base has no base of its own: a leaf lists it beside
# ../td-hm_cephalometric.py and completes the head with
# out_channels=num_landmarks and decoder=codec (see there).
model = dict(
    type='TopdownPoseEstimator',
    data_preprocessor=dict(
        type='PoseDataPreprocessor',
        mean=[123.675, 116.28, 103.53],
        std=[58.395, 57.12, 57.375],
        bgr_to_rgb=True),
    backbone=dict(
        type='HRNet',
        in_channels=3,
        extra=dict(
            stage1=dict(
                num_modules=1,
                num_branches=1,
                block='BOTTLENECK',
                num_blocks=(2, ),
                num_channels=(64, )),
            stage2=dict(
                num_modules=1,
                num_branches=2,
                block='BASIC',
                num_blocks=(2, 2),
                num_channels=(18, 36)),
            stage3=dict(
                num_modules=1,
                num_branches=3,
                block='BASIC',
                num_blocks=(2, 2, 2),
                num_channels=(18, 36, 72)),
            stage4=dict(
                num_modules=1,
                num_branches=4,
                block='BASIC',
                num_blocks=(2, 2, 2, 2),
                num_channels=(18, 36, 72, 144)))),
    head=dict(
        type='HeatmapHead',
        in_channels=18,
        deconv_out_channels=None,
        loss=dict(type='KeypointMSELoss', use_target_weight=True)),
    # tools/test.py --flip-test: flipped heatmaps shifted one pixel, as
    # MMPose does for heatmaps at 1/4 of the input
    test_cfg=dict(flip_test=False, flip_mode='heatmap', shift_heatmap=True))
