"""Functions that write training options into an mmengine ``Config``.

``tools/train.py`` maps each command-line flag to one of these, so every
option ends up in the config (and in the config dumped into the work dir)
and is carried out by the mmengine Runner itself. All functions modify
``cfg`` in place.
"""
import logging
from typing import Any, Iterator, Optional

from mmengine.config import Config, ConfigDict
from mmengine.logging import print_log

__all__ = [
    'network_stride', 'set_image_size', 'set_epochs', 'set_warmup_epochs',
    'set_lr', 'set_batch_size', 'set_num_workers', 'set_pin_memory',
    'set_accumulation', 'set_clip_grad', 'enable_ema', 'enable_amp',
    'enable_compile', 'accelerator_available', 'set_unfreeze_after'
]

_DATALOADERS = ('train_dataloader', 'val_dataloader', 'test_dataloader')


def _dicts(node: Any) -> Iterator[dict]:
    """Yield every dict nested anywhere in ``node`` (depth first)."""
    if isinstance(node, dict):
        yield node
        for value in node.values():
            yield from _dicts(value)
    elif isinstance(node, (list, tuple)):
        for value in node:
            yield from _dicts(value)


def network_stride(cfg: Config) -> Optional[int]:
    """The factor the backbone needs both input sides to be divisible by.

    HRNet halves its input twice in the stem and once more for each further
    branch, and adds the branches up after upsampling them, so a side must be
    divisible by ``4 * 2 ** (branches - 1)`` (32 for four branches), else
    the branch sizes do not match.

    Args:
        cfg (Config): A config with ``model.backbone``.

    Returns:
        int | None: The stride, or ``None`` for a backbone not known here.
    """
    backbone = cfg.get('model', {}).get('backbone', {})
    if backbone.get('type') != 'HRNet':
        return None
    stages = backbone.get('extra', {})
    last = stages[max(k for k in stages if k.startswith('stage'))]
    branches = last.get('num_branches', len(last['num_channels']))
    return 4 * 2**(branches - 1)


def set_image_size(cfg: Config, width: int, height: int) -> int:
    """Change the network input size, keeping each codec's stride.

    Every codec (a dict with ``input_size`` and ``heatmap_size``: the
    ``codec`` variable, the head's decoder, ``GenerateTarget``'s encoder)
    gets ``input_size=(width, height)`` and a heatmap size reduced by its
    current stride; every ``TopdownAffine`` gets the new ``input_size``.

    Args:
        cfg (Config): The config to modify.
        width (int): Input width in pixels.
        height (int): Input height in pixels.

    Returns:
        int: Number of dicts changed.

    Raises:
        ValueError: If the size is not positive, not divisible by the
            backbone's stride (:func:`network_stride`) or by a codec's
            heatmap stride.
    """
    if width <= 0 or height <= 0:
        raise ValueError(f'image size must be positive, but got '
                         f'{width} x {height}')
    codecs = [
        node for node in _dicts(cfg._cfg_dict)
        if 'input_size' in node and 'heatmap_size' in node
    ]
    strides = []
    for codec in codecs:
        (in_w, in_h), (hm_w, hm_h) = codec['input_size'], codec['heatmap_size']
        stride_w, stride_h = in_w / hm_w, in_h / hm_h
        if width % stride_w or height % stride_h:
            raise ValueError(
                f'image size {width} x {height} is not divisible by the '
                f'heatmap stride {stride_w:g} x {stride_h:g} of codec '
                f'{codec.get("type")}')
        strides.append((stride_w, stride_h))
    stride = network_stride(cfg)
    if stride and (width % stride or height % stride):
        fit = [
            max(stride,
                round(side / stride) * stride) for side in (width, height)
        ]
        raise ValueError(
            f'image size {width} x {height} does not fit the network: '
            f'{cfg.model.backbone.type} needs both sides divisible by '
            f'{stride}, e.g. {fit[0]} x {fit[1]}')

    for codec, (stride_w, stride_h) in zip(codecs, strides):
        codec['input_size'] = (width, height)
        codec['heatmap_size'] = (int(width // stride_w),
                                 int(height // stride_h))
    affines = [
        node for node in _dicts(cfg._cfg_dict)
        if node.get('type') == 'TopdownAffine'
    ]
    for affine in affines:
        affine['input_size'] = (width, height)
    return len(codecs) + len(affines)


def _warmup_and_decay(cfg: Config):
    schedulers = cfg.get('param_scheduler') or []
    if isinstance(schedulers, dict):
        schedulers = [schedulers]
    warmup = [s for s in schedulers if s.get('type') == 'LinearLR']
    decay = [s for s in schedulers if s.get('type') != 'LinearLR']
    return list(schedulers), warmup, decay


def _fit_decay(decay: list, begin: int, end: int) -> None:
    for sched in decay:
        if sched.get('by_epoch', True):
            sched['begin'] = begin
            sched['end'] = end
            if 'T_max' in sched:
                sched['T_max'] = end - begin


def set_epochs(cfg: Config, epochs: int) -> None:
    """Set ``train_cfg.max_epochs`` and stretch the epoch-based decay
    schedulers to end there."""
    if epochs <= 0:
        raise ValueError(f'epochs must be positive, but got {epochs}')
    cfg.train_cfg.max_epochs = epochs
    _, warmup, decay = _warmup_and_decay(cfg)
    begin = max([w.get('end', 0) for w in warmup if w.get('by_epoch', True)]
                or [0])
    _fit_decay(decay, min(begin, epochs), epochs)


def set_warmup_epochs(cfg: Config, epochs: int) -> None:
    """Linear learning-rate warm-up over ``epochs`` epochs, updated every
    iteration; the decay schedulers start where it ends. ``0`` removes it."""
    if epochs < 0:
        raise ValueError(f'warm-up epochs must be >= 0, but got {epochs}')
    _, warmup, decay = _warmup_and_decay(cfg)
    max_epochs = cfg.train_cfg.max_epochs
    if epochs >= max_epochs:
        raise ValueError(f'warm-up ({epochs} epochs) must be shorter than '
                         f'training ({max_epochs} epochs)')
    schedulers = []
    if epochs > 0:
        start = warmup[0].get('start_factor', 0.001) if warmup else 0.001
        schedulers.append(
            ConfigDict(
                type='LinearLR',
                start_factor=start,
                by_epoch=True,
                begin=0,
                end=epochs,
                convert_to_iter_based=True))
    _fit_decay(decay, epochs, max_epochs)
    cfg.param_scheduler = schedulers + decay


def set_lr(cfg: Config, lr: float) -> None:
    """Base learning rate of the optimizer."""
    if lr <= 0:
        raise ValueError(f'learning rate must be positive, but got {lr}')
    cfg.optim_wrapper.optimizer.lr = lr


def set_batch_size(cfg: Config, batch_size: int) -> None:
    """Training batch size (per GPU)."""
    if batch_size <= 0:
        raise ValueError(f'batch size must be positive, but got {batch_size}')
    cfg.train_dataloader.batch_size = batch_size


def set_num_workers(cfg: Config, num_workers: int) -> None:
    """Dataloader workers of every dataloader; prefetching only applies with
    at least one worker. Evaluation workers persist; training workers start
    afresh each epoch, seeded from state in the checkpoint, so that
    ``--resume`` is exact (see :class:`RandomStateHook`)."""
    if num_workers < 0:
        raise ValueError(f'num_workers must be >= 0, but got {num_workers}')
    for name in _DATALOADERS:
        loader = cfg.get(name)
        if not loader:
            continue
        loader.num_workers = num_workers
        loader.persistent_workers = (
            num_workers > 0 and name != 'train_dataloader')
        if num_workers == 0:
            loader.prefetch_factor = None


def set_pin_memory(cfg: Config, enabled: bool) -> None:
    """Pinned host memory for every dataloader (useful with CUDA only)."""
    for name in _DATALOADERS:
        if cfg.get(name):
            cfg[name].pin_memory = enabled


def set_accumulation(cfg: Config, steps: int) -> None:
    """Gradient accumulation over ``steps`` iterations
    (``optim_wrapper.accumulative_counts``)."""
    if steps < 1:
        raise ValueError(f'accumulation steps must be >= 1, but got {steps}')
    cfg.optim_wrapper.accumulative_counts = steps


def set_clip_grad(cfg: Config, max_norm: float) -> None:
    """Clip the gradient norm at ``max_norm``; ``0`` turns clipping off."""
    if max_norm < 0:
        raise ValueError(f'max_norm must be >= 0, but got {max_norm}')
    cfg.optim_wrapper.clip_grad = (
        ConfigDict(max_norm=max_norm, norm_type=2) if max_norm > 0 else None)


def enable_ema(cfg: Config, decay: float = 0.9999) -> None:
    """Average the weights: mmengine's ``EMAHook`` with
    :class:`~ceph_landmarks.engine.DecayEMA` (decay warm-up, BatchNorm
    statistics averaged too) replaces any ``EMAHook`` in
    ``custom_hooks``."""
    if not 0.0 < decay < 1.0:
        raise ValueError(f'EMA decay must be in (0, 1), but got {decay}')
    hooks = [
        h for h in (cfg.get('custom_hooks') or [])
        if h.get('type') != 'EMAHook'
    ]
    hooks.append(
        ConfigDict(
            type='EMAHook',
            ema_type='DecayEMA',
            decay=decay,
            update_buffers=True))
    cfg.custom_hooks = hooks


def enable_random_flip(cfg: Config, prob: float = 0.5) -> None:
    """Mirror training images horizontally with probability ``prob``.

    Inserts MMPose's ``RandomFlip`` before the training pipeline's
    ``TopdownAffine``. Landmarks follow the dataset's ``flip_indices``: the
    identity for the package's landmark sets (no left/right pairs), so each
    landmark keeps its name in the mirrored image. This is the training
    augmentation that matches the flip test (``tools/test.py
    --flip-test``); a lateral cephalogram always faces one way, so a model
    trained without it has never seen a mirrored one.

    Args:
        cfg (Config): The config to modify.
        prob (float): Flip probability. Defaults to 0.5.

    Raises:
        ValueError: If the training pipeline has no ``TopdownAffine`` or
            already flips.
    """
    pipeline = cfg.train_dataloader.dataset.pipeline
    types = [t.get('type') for t in pipeline]
    if 'RandomFlip' in types:
        raise ValueError('the training pipeline already has a RandomFlip')
    if 'TopdownAffine' not in types:
        raise ValueError('--random-flip needs a TopdownAffine in the '
                         f'training pipeline, but it has {types}')
    pipeline.insert(
        types.index('TopdownAffine'),
        ConfigDict(type='RandomFlip', direction='horizontal', prob=prob))


def set_unfreeze_after(cfg: Config, epochs: int, lr_mult: float = 0.1) -> None:
    """Freeze the backbone for ``epochs`` epochs, then train it at
    ``lr_mult`` times the head's learning rate.

    Adds (or replaces) the ``BackboneFreezeHook`` and the backbone's
    ``lr_mult`` in ``optim_wrapper.paramwise_cfg.custom_keys``, which is
    what gives the backbone its lower rate in the optimizer.
    """
    if epochs < 0:
        raise ValueError(f'unfreeze epoch must be >= 0, but got {epochs}')
    if not 0 < lr_mult <= 1:
        raise ValueError(f'lr_mult must be in (0, 1], but got {lr_mult}')
    hooks = [
        h for h in (cfg.get('custom_hooks') or [])
        if h.get('type') != 'BackboneFreezeHook'
    ]
    hooks.append(
        ConfigDict(
            type='BackboneFreezeHook', unfreeze_epoch=epochs, lr_mult=lr_mult))
    cfg.custom_hooks = hooks
    paramwise = cfg.optim_wrapper.setdefault('paramwise_cfg', ConfigDict())
    keys = paramwise.setdefault('custom_keys', ConfigDict())
    keys.setdefault('backbone', ConfigDict()).lr_mult = lr_mult


def accelerator_available() -> bool:
    """Whether mmengine can run mixed precision here (CUDA, NPU, MLU...)."""
    from mmengine.device import get_device
    return get_device() not in ('cpu', 'mps')


def enable_amp(cfg: Config, dtype: Optional[str] = 'float16') -> bool:
    """Switch to ``AmpOptimWrapper`` where an accelerator exists.

    mmengine refuses ``AmpOptimWrapper`` without an accelerator, and CPU
    bf16 autocast was measured about 20x slower than fp32 on this project's
    2-core machines, so on CPU the config keeps fp32 and a warning says so.

    Args:
        cfg (Config): The config to modify.
        dtype (str, optional): ``'float16'`` or ``'bfloat16'``.

    Returns:
        bool: Whether mixed precision was enabled.
    """
    if dtype not in ('float16', 'bfloat16'):
        raise ValueError(f"AMP dtype must be 'float16' or 'bfloat16', but "
                         f'got {dtype}')
    if not accelerator_available():
        print_log(
            '--amp ignored: mixed precision needs a GPU (mmengine refuses '
            'AmpOptimWrapper on CPU, and CPU bf16 is far slower than fp32); '
            'training in fp32.',
            logger='current',
            level=logging.WARNING)
        return False
    cfg.optim_wrapper.type = 'AmpOptimWrapper'
    cfg.optim_wrapper.dtype = dtype
    cfg.optim_wrapper.setdefault('loss_scale', 'dynamic')
    return True


def enable_compile(cfg: Config) -> None:
    """Compile the model's training step with ``torch.compile``."""
    cfg.compile = True
