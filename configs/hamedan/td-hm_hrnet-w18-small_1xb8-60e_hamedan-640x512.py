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
_base_ = [
    '../_base_/td-hm_cephalometric.py',
    '../_base_/models/td-hm_hrnet-w18-small.py',
    '../_base_/schedules/adam_iter-warmup-cosine.py'
]

train_cfg = dict(max_epochs=60, val_interval=5)

# EMA of the weights, validated, tested and checkpointed as the model
custom_hooks = [
    dict(
        type='EMAHook', ema_type='DecayEMA', decay=0.9999, update_buffers=True)
]

# DARK (unbiased) decoding
codec = dict(
    _base_.codec,
    input_size=(512, 640),
    heatmap_size=(128, 160),
    unbiased=True)
model = dict(head=dict(out_channels=_base_.num_landmarks, decoder=codec))

# the box augmentation plus grey-level changes of exposure and contrast
train_pipeline = [
    *_base_.whole_image,
    _base_.box_augmentation,
    dict(type='TopdownAffine', input_size=codec['input_size']),
    *_base_.grey_level_augmentation,
    dict(type='GenerateTarget', encoder=codec),
    _base_.pack_inputs,
]
val_pipeline = [
    *_base_.whole_image,
    dict(type='TopdownAffine', input_size=codec['input_size']),
    _base_.pack_inputs,
]

data_root = 'data/hamedan/'
train_dataloader = dict(
    dataset=dict(data_root=data_root, pipeline=train_pipeline))
val_dataloader = dict(dataset=dict(data_root=data_root, pipeline=val_pipeline))
test_dataloader = val_dataloader
