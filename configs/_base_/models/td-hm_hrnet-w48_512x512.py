# HRNet-W48 + HeatmapHead (no deconvolution) at 512 x 512 with 128 x 128
# heatmaps: the architecture of the official CL-Detection 2023 baseline.
# The backbone is MMPose's HRNet-W48 as in
# mmpose::body_2d_keypoint/topdown_heatmap/coco/
# td-hm_hrnet-w48_8xb32-210e_coco-256x192.py (tests/test_configs.py checks
# that they agree). It is restated here rather than inherited: MMPose ships
# it only inside that complete COCO config, whose data, schedule and runtime
# would come with it, and mmengine refuses a key set by two sibling bases.
# Leaf configs may give the backbone pretrained weights with
# init_cfg=dict(type='Pretrained', checkpoint='local/path/or/url.pth').
_base_ = ['../td-hm_cephalometric.py']

model = dict(
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
    head=dict(in_channels=48))
