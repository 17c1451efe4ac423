# HRNet-W48 + HeatmapHead (no deconvolution: heatmaps at 1/4 of the input):
# the architecture of the official CL-Detection 2023 baseline. The backbone
# is MMPose's HRNet-W48 as in
# mmpose::body_2d_keypoint/topdown_heatmap/coco/
# td-hm_hrnet-w48_8xb32-210e_coco-256x192.py (tests/test_configs.py checks
# that they agree). It is restated here rather than inherited: MMPose ships
# it only inside that complete COCO config, whose data, schedule and runtime
# would come with it, and mmengine refuses a key set by two sibling bases.
# A model base has no base of its own: a leaf lists it beside
# ../td-hm_cephalometric.py and completes the head with
# out_channels=num_landmarks and decoder=codec (see there).
# Leaf configs may give the backbone pretrained weights with
# init_cfg=dict(type='Pretrained', checkpoint='local/path/or/url.pth').
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
        deconv_out_channels=None,
        loss=dict(type='KeypointMSELoss', use_target_weight=True)),
    # tools/test.py --flip-test: flipped heatmaps shifted one pixel, as
    # MMPose does for heatmaps at 1/4 of the input
    test_cfg=dict(flip_test=False, flip_mode='heatmap', shift_heatmap=True))
