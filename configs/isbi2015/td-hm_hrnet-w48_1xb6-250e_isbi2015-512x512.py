# The original "optimized" training script's model and recipe as a config:
# HRNet-W48 + HeatmapHead at 512 x 512 on the 19 ISBI 2015 landmarks, batch
# 6, Adam 5e-4 with 5 warm-up epochs and cosine decay over 250 epochs,
# gradient clipping at 1.0, EMA 0.9999, TensorBoard. Mixed precision and
# compilation are GPU options of tools/train.py (--amp, --compile).
# Trains from scratch; give ImageNet weights with
#   --cfg-options model.backbone.init_cfg.type=Pretrained \
#       model.backbone.init_cfg.checkpoint=path/to/hrnet_w48.pth
_base_ = [
    '../_base_/default_runtime.py', '../_base_/datasets/isbi2015.py',
    '../_base_/schedules/adam_warmup-cosine_250e.py',
    '../_base_/models/td-hm_hrnet-w48_512x512.py'
]

# the model base's codec, restated for the pipelines (input and heatmap
# sizes change together: tools/train.py --image-size W H)
codec = dict(
    type='MSRAHeatmap', input_size=(512, 512), heatmap_size=(128, 128),
    sigma=2)

# 'spacing' (mm/px) must reach the metric
meta_keys = ('id', 'img_id', 'img_path', 'category_id', 'ori_shape',
             'img_shape', 'input_size', 'input_center', 'input_scale',
             'flip', 'flip_direction', 'spacing')

# no horizontal flip: a lateral cephalogram has no left/right landmark pairs
train_pipeline = [
    dict(type='LoadCephalogram'),
    dict(type='GetBBoxCenterScale', padding=1.0),
    dict(
        type='RandomBBoxTransform',
        shift_factor=0.05,
        shift_prob=0.5,
        scale_factor=(0.9, 1.1),
        rotate_factor=10.0,
        rotate_prob=0.5),
    dict(type='TopdownAffine', input_size=codec['input_size']),
    dict(type='GenerateTarget', encoder=codec),
    dict(type='PackPoseInputs', meta_keys=meta_keys),
]
val_pipeline = [
    dict(type='LoadCephalogram'),
    dict(type='GetBBoxCenterScale', padding=1.0),
    dict(type='TopdownAffine', input_size=codec['input_size']),
    dict(type='PackPoseInputs', meta_keys=meta_keys),
]
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
val_dataloader = dict(dataset=dict(pipeline=val_pipeline))
test_dataloader = val_dataloader
