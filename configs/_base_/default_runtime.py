# Runtime shared by every ceph_landmarks config.
default_scope = 'mmpose'
custom_imports = dict(imports=['ceph_landmarks'], allow_failed_imports=False)

default_hooks = dict(
    timer=dict(type='IterTimerHook'),
    logger=dict(type='LoggerHook', interval=10),
    param_scheduler=dict(type='ParamSchedulerHook'),
    checkpoint=dict(
        type='CheckpointHook',
        interval=1,
        max_keep_ckpts=1,
        save_best='ceph/MRE',
        rule='less'),
    sampler_seed=dict(type='DistSamplerSeedHook'),
    visualization=dict(type='PoseVisualizationHook', enable=False),
    # refuse checkpoints whose shapes differ from the model's (mmengine only
    # warns); with src_landmarks/dst_landmarks, extend them by landmark name
    landmarks=dict(type='LandmarkCheckpointHook'),
    # random generator states in checkpoints: --resume continues the same
    # augmentation draws; dataloader workers seeded anew each epoch
    random_state=dict(type='RandomStateHook'),
)

env_cfg = dict(
    cudnn_benchmark=False,
    mp_cfg=dict(mp_start_method='fork', opencv_num_threads=0),
    dist_cfg=dict(backend='nccl'),
)

# TensorBoard beside the local files: `tensorboard --logdir WORK_DIR`
vis_backends = [
    dict(type='LocalVisBackend'),
    dict(type='TensorboardVisBackend'),
]
visualizer = dict(
    type='PoseLocalVisualizer', vis_backends=vis_backends, name='visualizer')

log_processor = dict(
    type='LogProcessor', window_size=50, by_epoch=True, num_digits=6)
log_level = 'INFO'
load_from = None
resume = False
randomness = dict(seed=0)
backend_args = dict(backend='local')

val_cfg = dict()
test_cfg = dict()
