# The small HRNet-W18 heatmap model of the synthetic config, trained on the
# real Hamedan cephalograms: 19 ISBI landmarks, 1340 x 1671 px at 0.144
# mm/px, ground truth = mean of the two orthodontists. Input 512 x 640 keeps
# the images' 4:5 aspect ratio (0.38 mm per input pixel).
#
# Data (data/ is relative to the working directory), seeded 80/20 split:
#   python data_converters/labelme.py \
#       --ann-dirs ../shared/data/hamedan/annotations/farhadifar \
#                  ../shared/data/hamedan/annotations/mollabashi \
#       --spacing 0.144 --skip-invalid --seed 0 --out data/hamedan
# or convert, train and test against both doctors in one command (add
# --folds 5 for 5-fold cross-validation):
#   python tools/run_protocol.py THIS_CONFIG --ann-dirs ... --spacing 0.144 \
#       --out work_dirs/hamedan_protocol
# On a 2-core CPU (no GPU), --train-args "--image-size 384 480 --epochs 80"
# trains in under an hour; see the README for measured figures.
#
# Trained from scratch (no weights can be downloaded here). With pretrained
# weights, add for example
#   --cfg-options model.backbone.init_cfg.type=Pretrained \
#       model.backbone.init_cfg.checkpoint=PATH_OR_URL
# (plus model.backbone.init_cfg.prefix=backbone. for a whole pose model), or
# load_from=PATH to start from a full checkpoint of this architecture.
_base_ = ['../synthetic/td-hm_hrnet-w18-small_1xb8-30e_synthetic-256x256.py']

data_root = 'data/hamedan/'

# EMA of the weights, validated, tested and checkpointed as the model
custom_hooks = [dict(type='DecayEMAHook', decay=0.9999)]

max_epochs = 60
train_cfg = dict(by_epoch=True, max_epochs=max_epochs, val_interval=5)
param_scheduler = [
    dict(type='LinearLR', begin=0, end=40, start_factor=0.01, by_epoch=False),
    dict(
        type='CosineAnnealingLR',
        T_max=max_epochs,
        eta_min=1e-5,
        begin=0,
        end=max_epochs,
        by_epoch=True),
]

codec = dict(
    type='MSRAHeatmap',
    input_size=(512, 640),
    heatmap_size=(128, 160),
    sigma=2,
    unbiased=True)
model = dict(head=dict(decoder=codec))

# 'spacing' (mm/px) must reach the metric; no flip (no left/right pairs)
meta_keys = ('id', 'img_id', 'img_path', 'category_id', 'ori_shape',
             'img_shape', 'input_size', 'input_center', 'input_scale',
             'flip', 'flip_direction', 'spacing')
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
    # exposure and local contrast differ between X-ray machines; grey-level
    # changes only (the geometry above already moved the keypoints)
    dict(
        type='RandomGammaContrast',
        gamma_range=(0.7, 1.5),
        contrast_range=(0.75, 1.25),
        brightness_delta=20,
        prob=0.8),
    dict(type='RandomCLAHE', clip_limit=(1.0, 3.0), prob=0.5),
    dict(type='GenerateTarget', encoder=codec),
    dict(type='PackPoseInputs', meta_keys=meta_keys),
]
val_pipeline = [
    dict(type='LoadCephalogram'),
    dict(type='GetBBoxCenterScale', padding=1.0),
    dict(type='TopdownAffine', input_size=codec['input_size']),
    dict(type='PackPoseInputs', meta_keys=meta_keys),
]

train_dataloader = dict(
    dataset=dict(
        data_root=data_root,
        ann_file='annotations/train.json',
        pipeline=train_pipeline))
val_dataloader = dict(
    dataset=dict(
        data_root=data_root,
        ann_file='annotations/val.json',
        pipeline=val_pipeline))
test_dataloader = val_dataloader
