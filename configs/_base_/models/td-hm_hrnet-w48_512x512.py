# HRNet-W48 + HeatmapHead (no deconvolution) at 512 x 512 with 128 x 128
# heatmaps: the architecture of the official CL-Detection 2023 baseline.
# Leaf configs set head.out_channels to their landmark count and may give the
# backbone pretrained weights with init_cfg=dict(type='Pretrained',
# checkpoint='local/path/or/url.pth').
codec = dict(
    type='MSRAHeatmap', input_size=(512, 512), heatmap_size=(128, 128),
    sigma=2)

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
                num_blocks=(4, ),
                num_channels=(64, )),
            stage2=dict(
                num_modules=1,
                num_branches=2,
                block='BASIC',
                num_blocks=(4, 4),
                num_channels=(48, 96)),
            stage3=dict(
                num_modules=4,
                num_branches=3,
                block='BASIC',
                num_blocks=(4, 4, 4),
                num_channels=(48, 96, 192)),
            stage4=dict(
                num_modules=3,
                num_branches=4,
                block='BASIC',
                num_blocks=(4, 4, 4, 4),
                num_channels=(48, 96, 192, 384)))),
    head=dict(
        type='HeatmapHead',
        in_channels=48,
        out_channels=19,
        deconv_out_channels=None,
        loss=dict(type='KeypointMSELoss', use_target_weight=True),
        decoder=codec),
    # tools/test.py --flip-test: flipped heatmaps shifted one pixel, as
    # MMPose does for heatmaps at 1/4 of the input
    test_cfg=dict(flip_test=False, flip_mode='heatmap', shift_heatmap=True))
