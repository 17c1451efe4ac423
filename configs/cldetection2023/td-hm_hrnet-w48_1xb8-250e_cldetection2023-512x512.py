# The official CL-Detection 2023 baseline (public repository
# szuboy/CL-Detection2023-MMPose): HRNet-W48 + HeatmapHead without
# deconvolution, 38 landmarks, input 512 x 512, heatmaps 128 x 128 (MSRA,
# sigma 2), ImageNet mean/std. Its state dict is exactly that of the
# published baseline checkpoint, which therefore loads as it is:
#   python tools/test.py CONFIG baseline.pth
# Evaluation as in the challenge code: the whole image as the box, test-time
# box padding 1.25 (training uses 1.0), no flip test.
# Deviation from the original: no RandomFlip in training (a mirrored
# lateral cephalogram is not a valid cephalogram).
_base_ = [
    '../_base_/default_runtime.py', '../_base_/datasets/cldetection2023.py',
    '../_base_/models/td-hm_hrnet-w48_512x512.py'
]

# schedule of the original: Adam 5e-4, 500-iteration warm-up, steps at 170
# and 200 epochs, validation every 2 epochs
max_epochs = 250
train_cfg = dict(by_epoch=True, max_epochs=max_epochs, val_interval=2)
optim_wrapper = dict(optimizer=dict(type='Adam', lr=5e-4))
param_scheduler = [
    dict(
        type='LinearLR', begin=0, end=500, start_factor=0.001,
        by_epoch=False),
    dict(
        type='MultiStepLR',
        begin=0,
        end=210,
        milestones=[170, 200],
        gamma=0.1,
        by_epoch=True),
]

# the model base's codec, restated for the pipelines
codec = dict(
    type='MSRAHeatmap', input_size=(512, 512), heatmap_size=(128, 128),
    sigma=2)

model = dict(
    backbone=dict(
        # ImageNet weights when training from scratch (downloaded once);
        # ignored when a checkpoint is loaded with load_from / tools/test.py
        init_cfg=dict(
            type='Pretrained',
            checkpoint='https://download.openmmlab.com/mmpose/'
            'pretrain_models/hrnet_w48-8ef0771d.pth')),
    head=dict(out_channels=38))

# 'spacing' (mm/px) must reach the metric
meta_keys = ('id', 'img_id', 'img_path', 'category_id', 'ori_shape',
             'img_shape', 'input_size', 'input_center', 'input_scale',
             'flip', 'flip_direction', 'spacing')

train_pipeline = [
    dict(type='LoadCephalogram'),
    dict(type='GetBBoxCenterScale', padding=1.0),
    dict(type='TopdownAffine', input_size=codec['input_size']),
    dict(type='GenerateTarget', encoder=codec),
    dict(type='PackPoseInputs', meta_keys=meta_keys),
]
val_pipeline = [
    dict(type='LoadCephalogram'),
    dict(type='GetBBoxCenterScale', padding=1.25),
    dict(type='TopdownAffine', input_size=codec['input_size']),
    dict(type='PackPoseInputs', meta_keys=meta_keys),
]

train_dataloader = dict(batch_size=8, dataset=dict(pipeline=train_pipeline))
val_dataloader = dict(dataset=dict(pipeline=val_pipeline))
test_dataloader = dict(dataset=dict(pipeline=val_pipeline))
