# The CL-Detection 2023 winner's model (public repository
# 5k5000/CLdetection2023, configs/CLdetection2023/srpose_s2.py; see
# ../_base_/models/td-hm-srpose_hrnet-w48.py), 38 landmarks, input and
# heatmaps 1024 x 1024. Its state dict is exactly that of the published
# checkpoint (model_pretrained_on_train_and_val.pth), which therefore loads
# as it is:
#   python tools/test.py CONFIG model_pretrained_on_train_and_val.pth
# Data, landmarks, ImageNet weights and schedule as the baseline
# (./td-hm_hrnet-w48_1xb8-250e_cldetection2023-512x512.py).
# Evaluation: the whole image as the box, test-time padding 1.25 (training
# 1.0), no flip test (the original tested with flips).
# Deviations from the original: no RandomFlip and no RandomHalfBody in
# training (neither is valid for a lateral cephalogram).
_base_ = [
    '../_base_/td-hm_cephalometric.py',
    '../_base_/models/td-hm-srpose_hrnet-w48.py',
    '../_base_/schedules/adam_warmup-multistep_210e.py'
]

train_cfg = dict(max_epochs=100, val_interval=1)

# the 38 landmarks of ceph_landmarks/core/metainfo/cldetection2023.py
landmark_set = 'cldetection2023'
num_landmarks = 38

codec = dict(
    _base_.codec,
    input_size=(1024, 1024),
    heatmap_size=(1024, 1024),
    sigma=6,
    unbiased=True)

model = dict(
    backbone=dict(
        # ImageNet weights when training from scratch (downloaded once);
        # ignored when a checkpoint is loaded with load_from / tools/test.py
        init_cfg=dict(
            type='Pretrained',
            checkpoint='https://download.openmmlab.com/mmpose/'
            'pretrain_models/hrnet_w48-8ef0771d.pth')),
    head=dict(out_channels=num_landmarks, decoder=codec))

# the box padded by 1.25 at test time
test_box = [
    dict(type='LoadCephalogram'),
    dict(type='GetBBoxCenterScale', padding=1.25),
]
train_pipeline = [
    *_base_.whole_image,
    dict(type='RandomBBoxTransform'),  # MMPose defaults, as the original
    dict(type='TopdownAffine', input_size=codec['input_size']),
    dict(type='GenerateTarget', encoder=codec),
    _base_.pack_inputs,
]
val_pipeline = [
    *test_box,
    dict(type='TopdownAffine', input_size=codec['input_size']),
    _base_.pack_inputs,
]

# the package's JSON with per-image spacing, as written by the
# CL-Detection 2023 converter
data_root = 'data/cldetection2023/'
dataset = dict(landmark_set=landmark_set, data_root=data_root)
train_dataloader = dict(
    batch_size=4, dataset=dict(**dataset, pipeline=train_pipeline))
val_dataloader = dict(
    batch_size=4, dataset=dict(**dataset, pipeline=val_pipeline))
test_dataloader = dict(
    batch_size=4,
    dataset=dict(
        **dataset, ann_file='annotations/test.json', pipeline=val_pipeline))
