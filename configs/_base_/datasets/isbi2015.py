# ISBI 2015 (19 landmarks, 0.1 mm/px) as written by
# data_converters/isbi2015.py: train.json (150 images), test1.json (150),
# test2.json (100). Validation and testing use Test1; evaluate Test2 with
#   --cfg-options test_dataloader.dataset.ann_file=annotations/test2.json
# Tuned loading as in the original training script: 4 persistent workers
# with prefetching (tools/train.py pins memory where CUDA is available).
dataset_type = 'CephalometricDataset'
data_root = 'data/isbi2015/'

train_dataloader = dict(
    batch_size=6,
    num_workers=4,
    # workers start afresh each epoch, seeded from the checkpointed RNG,
    # so --resume is exact (RandomStateHook)
    persistent_workers=False,
    prefetch_factor=2,
    pin_memory=False,
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
    batch_size=6,
    num_workers=4,
    persistent_workers=True,
    prefetch_factor=2,
    pin_memory=False,
    drop_last=False,
    sampler=dict(type='DefaultSampler', shuffle=False, round_up=False),
    dataset=dict(
        type=dataset_type,
        landmark_set='isbi2015',
        data_root=data_root,
        ann_file='annotations/test1.json',
        data_prefix=dict(img='images/'),
        test_mode=True,
        pipeline=[],
    ))
test_dataloader = val_dataloader

val_evaluator = dict(type='CephalometricMetric')
test_evaluator = [val_evaluator, dict(type='CephalometricAngleMetric')]
