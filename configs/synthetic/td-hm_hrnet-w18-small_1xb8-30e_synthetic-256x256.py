# Tiny CPU model for the demo: the small HRNet-W18 with a heatmap head, DARK
# (unbiased) decoding, trained on the synthetic cephalograms at 256 x 256
# (64 x 64 heatmaps).
_base_ = [
    '../_base_/td-hm_cephalometric.py',
    '../_base_/models/td-hm_hrnet-w18-small.py',
    '../_base_/schedules/adam_iter-warmup-cosine.py'
]

train_cfg = dict(max_epochs=30, val_interval=5)

codec = dict(
    _base_.codec, input_size=(256, 256), heatmap_size=(64, 64), unbiased=True)
model = dict(head=dict(out_channels=_base_.num_landmarks, decoder=codec))

train_pipeline = [
    *_base_.whole_image,
    _base_.box_augmentation,
    dict(type='TopdownAffine', input_size=codec['input_size']),
    dict(type='GenerateTarget', encoder=codec),
    _base_.pack_inputs,
]
val_pipeline = [
    *_base_.whole_image,
    dict(type='TopdownAffine', input_size=codec['input_size']),
    _base_.pack_inputs,
]

# written by tools/generate_synthetic.py (19 ISBI landmarks, 0.1 mm/px);
# relative to the working directory
data_root = 'data/synthetic/'
train_dataloader = dict(
    dataset=dict(data_root=data_root, pipeline=train_pipeline))
val_dataloader = dict(dataset=dict(data_root=data_root, pipeline=val_pipeline))
test_dataloader = val_dataloader
