# CL-Detection 2023 (38 landmarks) in the package's COCO-style JSON with
# per-image spacing, as written by the CL-Detection 2023 converter.
# Paths are relative to the working directory.
dataset_type = 'CephalometricDataset'
data_root = 'data/cldetection2023/'

train_dataloader = dict(
    batch_size=8,
    num_workers=2,
    # workers start afresh each epoch, seeded from the checkpointed RNG,
    # so --resume is exact (RandomStateHook)
    persistent_workers=False,
    sampler=dict(type='DefaultSampler', shuffle=True),
    dataset=dict(
        type=dataset_type,
        landmark_set='cldetection2023',
        data_root=data_root,
        ann_file='annotations/train.json',
        data_prefix=dict(img='images/'),
        pipeline=[],
    ))
val_dataloader = dict(
    batch_size=4,
    num_workers=2,
    persistent_workers=True,
    drop_last=False,
    sampler=dict(type='DefaultSampler', shuffle=False, round_up=False),
    dataset=dict(
        type=dataset_type,
        landmark_set='cldetection2023',
        data_root=data_root,
        ann_file='annotations/val.json',
        data_prefix=dict(img='images/'),
        test_mode=True,
        pipeline=[],
    ))
test_dataloader = dict(
    batch_size=4,
    num_workers=2,
    persistent_workers=True,
    drop_last=False,
    sampler=dict(type='DefaultSampler', shuffle=False, round_up=False),
    dataset=dict(
        type=dataset_type,
        landmark_set='cldetection2023',
        data_root=data_root,
        ann_file='annotations/test.json',
        data_prefix=dict(img='images/'),
        test_mode=True,
        pipeline=[],
    ))

val_evaluator = dict(type='CephalometricMetric')
test_evaluator = [val_evaluator, dict(type='CephalometricAngleMetric')]
