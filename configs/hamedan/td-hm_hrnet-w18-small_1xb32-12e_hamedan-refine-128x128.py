# Refinement stage (coarse-to-fine) for the Hamedan recipe: the same small
# HRNet-W18 sees a window of the original image around each landmark and
# re-locates it there. Window side = 0.1 of the image's longer side (167 px,
# 24 mm on the 1340 x 1671 px Hamedan images), input 128 x 128 px (0.19 mm
# per input pixel, near the 0.144 mm of the X-ray), heatmaps 32 x 32
# (0.75 mm per heatmap pixel, against 2 mm for the whole-image model at
# 384 x 480). One heatmap channel per landmark: every landmark inside the
# window is supervised, so look-alike neighbours (the incisal tips) are told
# apart; see ceph_landmarks.models.LandmarkCascade for the design.
#
# Training windows are centred on the true landmark plus an offset drawn
# like the first stage's real errors: per-landmark SDs (fractions of the
# longer image side) measured with tools/crop_offsets.py on out-of-fold
# predictions of the first stage (see `offset_std` below).
#
# Train (same annotation files as the first stage; no validation loop: the
# cascade is what gets tested):
#   python tools/train.py THIS_CONFIG
# Test both stages as one model:
#   python tools/test.py configs/hamedan/...640x512.py COARSE.pth \
#       --refine-config THIS_CONFIG --refine-checkpoints REFINE.pth
# The bases are those of the first stage, not the first stage itself: this
# is another task (no validation loop), so it sets to None the loops,
# loaders and metrics that every whole-image config has.
_base_ = [
    '../_base_/td-hm_cephalometric.py',
    '../_base_/models/td-hm_hrnet-w18-small.py',
    '../_base_/schedules/adam_iter-warmup-cosine.py'
]

train_cfg = dict(_delete_=True, type='EpochBasedTrainLoop', max_epochs=12)
val_cfg = None
val_dataloader = None
val_evaluator = None
test_cfg = None
test_dataloader = None
test_evaluator = None
default_hooks = dict(checkpoint=dict(save_best=None))
# EMA of the weights, as the first stage (cheap insurance)
custom_hooks = [
    dict(
        type='EMAHook', ema_type='DecayEMA', decay=0.9999, update_buffers=True)
]

# DARK (unbiased) decoding, as the first stage
codec = dict(
    _base_.codec, input_size=(128, 128), heatmap_size=(32, 32), unbiased=True)
model = dict(head=dict(out_channels=_base_.num_landmarks, decoder=codec))

crop_size = 0.1
# RMS error of the first stage per landmark (x, y), fraction of the longer
# image side, measured with tools/crop_offsets.py on out-of-fold
# predictions: the first stage (384 x 480, 40 epochs) trained on 39 of the
# dev split's 79 training images and tested on the other 40 (MRE 2.30 mm,
# weaker than the final first stage: the offsets err on the wide side).
offset_std = [
    [0.005, 0.0049],
    [0.0051, 0.0076],
    [0.0088, 0.0051],
    [0.0116, 0.0166],
    [0.0054, 0.0068],
    [0.0057, 0.0085],
    [0.0039, 0.0074],
    [0.0083, 0.0029],
    [0.0047, 0.0069],
    [0.0122, 0.0203],
    [0.0107, 0.0087],
    [0.0079, 0.0064],
    [0.0067, 0.0089],
    [0.0052, 0.0081],
    [0.0073, 0.0075],
    [0.0078, 0.0115],
    [0.0069, 0.0058],
    [0.0082, 0.0086],
    [0.0074, 0.0097],
]

meta_keys = (*_base_.meta_keys, 'flip_indices', 'crop_landmark', 'crop_center')
pack_inputs = dict(type='PackCephalogramInputs', meta_keys=meta_keys)
train_pipeline = [
    dict(type='LoadCephalogram'),
    dict(type='LandmarkCrop', crop_size=crop_size, offset_std=offset_std),
    dict(
        type='RandomBBoxTransform',
        shift_prob=0.0,  # the offset above moves the window
        scale_factor=(0.9, 1.1),
        rotate_factor=10.0,
        rotate_prob=0.5),
    dict(type='TopdownAffine', input_size=codec['input_size']),
    *_base_.grey_level_augmentation,
    dict(type='GenerateTarget', encoder=codec),
    pack_inputs,
]
# the crop pipeline of stage 2 in a LandmarkCascade (crop_center is set to
# the first stage's estimate)
test_pipeline = [
    dict(type='LoadCephalogram'),
    dict(type='LandmarkCrop', crop_size=crop_size),
    dict(type='TopdownAffine', input_size=codec['input_size']),
    pack_inputs,
]

# the first stage's whole-image pipeline, unused here (no validation loop),
# kept as it was when this config derived from the first stage's
val_pipeline = [
    *_base_.whole_image,
    dict(type='TopdownAffine', input_size=(512, 640)),
    _base_.pack_inputs,
]

# the first stage's data (see there)
data_root = 'data/hamedan/'
train_dataloader = dict(
    batch_size=32,
    dataset=dict(
        type='CephalometricCropDataset',
        data_root=data_root,
        pipeline=train_pipeline))
