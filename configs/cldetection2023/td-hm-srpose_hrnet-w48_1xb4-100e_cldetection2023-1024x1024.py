# The CL-Detection 2023 winner's model (public repository
# 5k5000/CLdetection2023, configs/CLdetection2023/srpose_s2.py): HRNet-W48
# with all four branches as output (stage4 multiscale_output=True) and the
# SRPose super-resolution heatmap head, 38 landmarks, input and heatmaps
# 1024 x 1024. Its state dict is exactly that of the published checkpoint
# (model_pretrained_on_train_and_val.pth), which therefore loads as it is:
#   python tools/test.py CONFIG model_pretrained_on_train_and_val.pth
# Training supervises the low-resolution heatmaps (weight 1e-4) and the two
# highest levels; inference uses the single full-resolution output.
# Evaluation: the whole image as the box, test-time padding 1.25 (training
# 1.0), no flip test (the original tested with flips).
# Deviations from the original: no RandomFlip and no RandomHalfBody in
# training (neither is valid for a lateral cephalogram).
_base_ = ['./td-hm_hrnet-w48_1xb8-250e_cldetection2023-512x512.py']

train_cfg = dict(max_epochs=100, val_interval=1)

codec = dict(
    _base_.codec,
    input_size=(1024, 1024),
    heatmap_size=(1024, 1024),
    sigma=6,
    unbiased=True)

model = dict(
    # heatmaps at the input's resolution: a flipped one maps back unshifted
    test_cfg=dict(shift_heatmap=False),
    data_preprocessor=dict(
        mean=[121.25, 121.25, 121.25], std=[76.5, 76.5, 76.5]),
    backbone=dict(extra=dict(stage4=dict(multiscale_output=True))),
    head=dict(
        _delete_=True,
        type='SRPoseHead',
        in_channels=[384, 192, 96, 48],  # lowest resolution first
        out_channels=_base_.num_landmarks,
        branch_channels=[384, 192, 96, 48],
        upsample_log=[3, 2, 1, 2],
        per_emb_nums=[16, 8, 4, 4],
        supervises=[False, False, True, True],
        lowres_loss_weight=1e-4,
        loss=dict(type='KeypointMSELoss', use_target_weight=True),
        decoder=codec))

train_pipeline = [
    *_base_.whole_image,
    dict(type='RandomBBoxTransform'),  # MMPose defaults, as the original
    dict(type='TopdownAffine', input_size=codec['input_size']),
    dict(type='GenerateTarget', encoder=codec),
    _base_.pack_inputs,
]
val_pipeline = [
    *_base_.test_box,
    dict(type='TopdownAffine', input_size=codec['input_size']),
    _base_.pack_inputs,
]

train_dataloader = dict(batch_size=4, dataset=dict(pipeline=train_pipeline))
val_dataloader = dict(dataset=dict(pipeline=val_pipeline))
test_dataloader = dict(dataset=dict(pipeline=val_pipeline))
