# Synthetic cephalograms written by tools/generate_synthetic.py (19 ISBI
# landmarks, 0.1 mm/px). Paths are relative to the working directory.
dataset_type = 'CephalometricDataset'
data_root = 'data/synthetic/'

train_dataloader = dict(
    batch_size=8,
    num_workers=2,
    # workers start afresh each epoch, seeded from the checkpointed RNG,
    # so --resume is exact (RandomStateHook)
    persistent_workers=False,
    prefetch_factor=2,
    pin_memory=False,  # tools/train.py turns it on where CUDA is available
    sampler=dict(type='DefaultSampler', shuffle=True),
    dataset=dict(
        type=dataset_type,
        landmark_set='isbi2015',
        data_root=data_root,
        ann_file='annotations/train.json',
        data_prefix=dict(img='images/'),
        pipeline=[],
    ))
val_dataloader = dict(
    batch_size=8,
    num_workers=2,
    persistent_workers=True,
    prefetch_factor=2,
    pin_memory=False,
    drop_last=False,
    sampler=dict(type='DefaultSampler', shuffle=False, round_up=False),
    dataset=dict(
        type=dataset_type,
        landmark_set='isbi2015',
        data_root=data_root,
        ann_file='annotations/val.json',
        data_prefix=dict(img='images/'),
        test_mode=True,
        pipeline=[],
    ))
test_dataloader = val_dataloader

val_evaluator = dict(type='CephalometricMetric')
# testing also reports the error of the cephalometric angles (ceph/SNA_MAE...)
test_evaluator = [val_evaluator, dict(type='CephalometricAngleMetric')]
