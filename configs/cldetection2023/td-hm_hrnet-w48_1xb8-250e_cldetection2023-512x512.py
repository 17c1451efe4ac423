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
    '../_base_/td-hm_cephalometric.py', '../_base_/models/td-hm_hrnet-w48.py',
    '../_base_/schedules/adam_warmup-multistep_210e.py'
]

# the original's schedule (../_base_/schedules/), validated every 2 epochs
train_cfg = dict(max_epochs=250, val_interval=2)

# the 38 landmarks of ceph_landmarks/core/metainfo/cldetection2023.py
landmark_set = 'cldetection2023'
num_landmarks = 38

model = dict(
    backbone=dict(
        # ImageNet weights when training from scratch (downloaded once);
        # ignored when a checkpoint is loaded with load_from / tools/test.py
        init_cfg=dict(
            type='Pretrained',
            checkpoint='https://download.openmmlab.com/mmpose/'
            'pretrain_models/hrnet_w48-8ef0771d.pth')),
    head=dict(out_channels=num_landmarks, decoder=_base_.codec))

# no box augmentation; the box padded by 1.25 at test time
test_box = [
    dict(type='LoadCephalogram'),
    dict(type='GetBBoxCenterScale', padding=1.25),
]
train_pipeline = [
    *_base_.whole_image,
    dict(type='TopdownAffine', input_size=_base_.codec['input_size']),
    dict(type='GenerateTarget', encoder=_base_.codec),
    _base_.pack_inputs,
]
val_pipeline = [
    *test_box,
    dict(type='TopdownAffine', input_size=_base_.codec['input_size']),
    _base_.pack_inputs,
]

# the package's JSON with per-image spacing, as written by the
# CL-Detection 2023 converter
data_root = 'data/cldetection2023/'
dataset = dict(landmark_set=landmark_set, data_root=data_root)
train_dataloader = dict(dataset=dict(**dataset, pipeline=train_pipeline))
val_dataloader = dict(
    batch_size=4, dataset=dict(**dataset, pipeline=val_pipeline))
test_dataloader = dict(
    batch_size=4,
    dataset=dict(
        **dataset, ann_file='annotations/test.json', pipeline=val_pipeline))
