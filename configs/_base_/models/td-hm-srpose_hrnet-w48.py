# The CL-Detection 2023 winner's model (public repository
# 5k5000/CLdetection2023, configs/CLdetection2023/srpose_s2.py): HRNet-W48
# (as in ./td-hm_hrnet-w48.py) with all four branches as output (stage4
# multiscale_output=True) and the SRPose super-resolution heatmap head, whose
# last level has the input's resolution. Training supervises the
# low-resolution heatmaps (weight 1e-4) and the two highest levels; inference
# uses the single full-resolution output. A model base has no base of its
# own: a leaf lists it beside ../td-hm_cephalometric.py and completes the
# head with out_channels=num_landmarks and decoder=codec (see there).
model = dict(
    type='TopdownPoseEstimator',
    data_preprocessor=dict(
        type='PoseDataPreprocessor',
        mean=[121.25, 121.25, 121.25],
        std=[76.5, 76.5, 76.5],
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
                num_channels=(48, 96, 192, 384),
                multiscale_output=True))),
    head=dict(
        type='SRPoseHead',
        in_channels=[384, 192, 96, 48],  # lowest resolution first
        branch_channels=[384, 192, 96, 48],
        upsample_log=[3, 2, 1, 2],
        per_emb_nums=[16, 8, 4, 4],
        supervises=[False, False, True, True],
        lowres_loss_weight=1e-4,
        loss=dict(type='KeypointMSELoss', use_target_weight=True)),
    # heatmaps at the input's resolution: a flipped one maps back unshifted
    test_cfg=dict(flip_test=False, flip_mode='heatmap', shift_heatmap=False))
