# Tiny CPU model for the demo: the small HRNet-W18 with a heatmap head,
# trained on the synthetic cephalograms at 256 x 256.
_base_ = [
    '../_base_/models/td-hm_hrnet-w18-small_256x256.py',
    '../_base_/schedules/adam_iter-warmup-cosine.py'
]

train_cfg = dict(max_epochs=30, val_interval=5)

# written by tools/generate_synthetic.py (19 ISBI landmarks, 0.1 mm/px);
# relative to the working directory
data_root = 'data/synthetic/'
train_dataloader = dict(dataset=dict(data_root=data_root))
val_dataloader = dict(dataset=dict(data_root=data_root))
test_dataloader = val_dataloader
