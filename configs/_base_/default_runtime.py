# MMPose's runtime plus what every ceph_landmarks config adds: the plugin,
# checkpoints kept by the mean radial error, landmark-aware checkpoint
# loading, exact --resume, TensorBoard and a fixed seed.
_base_ = ['mmpose::_base_/default_runtime.py']

custom_imports = dict(imports=['ceph_landmarks'], allow_failed_imports=False)

default_hooks = dict(
    logger=dict(interval=10),
    checkpoint=dict(
        interval=1, max_keep_ckpts=1, save_best='ceph/MRE', rule='less'),
    # refuse checkpoints whose shapes differ from the model's (mmengine only
    # warns); with src_landmarks/dst_landmarks, extend them by landmark name
    landmarks=dict(type='LandmarkCheckpointHook'),
    # random generator states in checkpoints: --resume continues the same
    # augmentation draws; dataloader workers seeded anew each epoch
    random_state=dict(type='RandomStateHook'),
)

# TensorBoard beside the local files: `tensorboard --logdir WORK_DIR`
vis_backends = [
    dict(type='LocalVisBackend'),
    dict(type='TensorboardVisBackend'),
]
visualizer = dict(vis_backends=vis_backends)

randomness = dict(seed=0)
