# The original "optimized" training script's model and recipe as a config:
# HRNet-W48 + HeatmapHead at 512 x 512 on the 19 ISBI 2015 landmarks, batch
# 6, Adam 5e-4 with 5 warm-up epochs and cosine decay over 250 epochs,
# gradient clipping at 1.0, EMA 0.9999, TensorBoard. Mixed precision and
# compilation are GPU options of tools/train.py (--amp, --compile).
# Trains from scratch; give ImageNet weights with
#   --cfg-options model.backbone.init_cfg.type=Pretrained \
#       model.backbone.init_cfg.checkpoint=path/to/hrnet_w48.pth
_base_ = [
    '../_base_/td-hm_cephalometric.py', '../_base_/models/td-hm_hrnet-w48.py',
    '../_base_/schedules/adam_warmup-cosine_250e.py'
]

train_cfg = dict(max_epochs=_base_.max_epochs, val_interval=5)

model = dict(
    head=dict(out_channels=_base_.num_landmarks, decoder=_base_.codec))

# EMA of the weights (decay 0.9999 with warm-up); validation, the best
# checkpoint and tools/test.py use the averaged weights
custom_hooks = [
    dict(
        type='EMAHook', ema_type='DecayEMA', decay=0.9999, update_buffers=True)
]

# ISBI 2015 (0.1 mm/px) as written by data_converters/isbi2015.py:
# train.json (150 images), test1.json (150), test2.json (100). Validation
# and testing use Test1; evaluate Test2 with
#   --cfg-options test_dataloader.dataset.ann_file=annotations/test2.json
# Tuned loading as in the original training script: 4 workers.
data_root = 'data/isbi2015/'
train_dataloader = dict(
    batch_size=6, num_workers=4, dataset=dict(data_root=data_root))
val_dataloader = dict(
    batch_size=6,
    num_workers=4,
    dataset=dict(data_root=data_root, ann_file='annotations/test1.json'))
test_dataloader = val_dataloader
