"""Throughput and memory of a config's model, framework against bare PyTorch.

Used by ``tools/benchmark.py`` (through :mod:`.benchmark_report`). Every
measurement runs the same model on the same batch:

* ``training`` / ``framework``: ``model.train_step(batch, optim_wrapper)``,
  the exact step the mmengine Runner runs (data preprocessor, head loss with
  its accuracy, optimizer wrapper with gradient clipping and accumulation);
* ``training`` / ``bare``: a plain PyTorch loop on the already-normalised
  input tensor: backbone, head, the head's own loss module, ``backward``,
  gradient clipping, ``optimizer.step``;
* ``inference`` / ``framework``: ``model.test_step`` (decoding to image
  coordinates included) against ``bare``: backbone and head under
  ``torch.no_grad``;
* ``data``: the config's training dataloader alone (decode, augment,
  target generation, collate), optionally with the dataset's image cache.

The bare loop's loss is the head's losses summed as the framework sums them
(``model.parse_losses``: every entry whose key contains ``loss``), so any
head works (``loss_kpt`` of ``HeatmapHead``, ``loss_kpt_lowres`` and
``loss_kpt_level{i}`` of ``SRPoseHead``).

Variants (:mod:`.benchmark_variants`) add up like the rows of a speed-up
table: ``fp32``, ``amp_bf16``, ``amp_fp16``, ``amp_bf16+channels_last``,
``amp_bf16+channels_last+compile``. How each runner applies them:

* AMP: the framework trains through mmengine's ``AmpOptimWrapper`` with
  the variant's ``dtype`` and its default dynamic loss scaling (what a
  config with ``optim_wrapper=dict(type='AmpOptimWrapper', dtype=...)``
  runs); mmengine refuses it without an accelerator, which the row reports
  as its error. Framework inference and the bare loop use
  ``torch.autocast``; the bare loop scales the loss (``GradScaler``) for
  float16 only.
* channels_last: the weights, and the input batch too. mmengine's data
  preprocessor stacks the batch into a contiguous NCHW tensor; convolution
  weights in channels_last alone already make cuDNN run NHWC (it converts
  the input at the first convolution), but so that both runners see the
  same input the framework's data preprocessor gets a forward hook that
  returns its ``inputs`` in channels_last (the bare loop converts its
  tensor once).
* compile: ``torch.compile`` of the framework's ``train_step`` /
  ``test_step`` (as the Runner's ``compile`` option does) and of the bare
  loss / forward function. The first call compiles; it falls in the
  untimed warm-up.

Peak memory (``peak_memory_mb``) is measured for each measurement on its
own, over building the model and the untimed warm-up steps, as the peak
above the level at its start: CUDA's peak statistics are reset before each
one, and on CPU the resident-set high-water mark is reset through
``/proc/self/clear_refs`` (``None`` where that is impossible); see
:mod:`ceph_landmarks.benchmarking.peak_memory`.
"""
import contextlib
import copy
import time
from dataclasses import asdict, dataclass
from typing import Callable, ContextManager, Dict, List, Optional, Sequence

import torch
from mmengine.config import Config
from mmengine.dataset import pseudo_collate
from mmengine.optim import build_optim_wrapper
from mmengine.registry import init_default_scope
from mmengine.runner import Runner
from mmpose.registry import DATASETS, MODELS

from .benchmark_variants import Variant, parse_variant
from .mfu import matmul_tflops
from .peak_memory import PeakMemory

__all__ = [
    'BenchmarkResult', 'benchmark_training', 'benchmark_inference',
    'benchmark_data', 'format_table', 'summarise', 'matmul_tflops'
]


@dataclass
class BenchmarkResult:
    """One measured configuration."""

    mode: str  # 'training' | 'inference' | 'data'
    runner: str  # 'framework' | 'bare' | 'dataloader'
    variant: str  # e.g. 'amp_bf16+channels_last', 'workers=2+cache'
    samples_per_s: float
    ms_per_iter: float
    peak_memory_mb: Optional[float]  # None: see peak_memory_method
    batch_size: int
    iters: int
    error: Optional[str] = None
    mfu: Optional[float] = None  # model FLOPs utilisation, see .mfu

    def to_dict(self) -> dict:
        return asdict(self)


#: A callback given each variant's results as soon as they are measured.
OnVariant = Callable[[List[BenchmarkResult]], None]


def _sync(device: str) -> None:
    if device.startswith('cuda'):
        torch.cuda.synchronize()


def _time(step: Callable[[], None], device: str, warmup: int,
          iters: int) -> float:
    """Seconds per call of ``step`` after ``warmup`` untimed calls."""
    for _ in range(warmup):
        step()
    _sync(device)
    start = time.perf_counter()
    for _ in range(iters):
        step()
    _sync(device)
    return (time.perf_counter() - start) / iters


def _build(cfg: Config, device: str, variant: Variant) -> torch.nn.Module:
    init_default_scope(cfg.get('default_scope', 'mmpose'))
    model = MODELS.build(copy.deepcopy(cfg.model)).to(device)
    if variant.channels_last:
        model = model.to(memory_format=torch.channels_last)
        # the data preprocessor stacks a contiguous NCHW batch: hand it on
        # in channels_last, as the bare loop does
        model.data_preprocessor.register_forward_hook(
            lambda module, args, out: dict(
                out, inputs=_channels_last(out['inputs'])))
    return model


def _channels_last(inputs: torch.Tensor) -> torch.Tensor:
    return inputs.contiguous(memory_format=torch.channels_last)


def _batch(cfg: Config, loader: str, batch_size: int) -> dict:
    """One collated batch through the pipeline of ``cfg[loader]``."""
    init_default_scope(cfg.get('default_scope', 'mmpose'))
    dataset = DATASETS.build(copy.deepcopy(cfg[loader].dataset))
    samples = [dataset[i % len(dataset)] for i in range(batch_size)]
    return pseudo_collate(samples)


def _autocast(device: str, variant: Variant) -> ContextManager:
    """Autocast to the variant's dtype; nothing for fp32."""
    if not variant.amp:
        return contextlib.nullcontext()
    return torch.autocast(device.split(':')[0], dtype=variant.amp_dtype)


def _compiled(fn: Callable, variant: Variant) -> Callable:
    return torch.compile(fn) if variant.compile else fn


def benchmark_training(cfg: Config,
                       device: str = 'cpu',
                       batch_size: Optional[int] = None,
                       variants: Sequence[str] = ('fp32', ),
                       warmup: int = 2,
                       iters: int = 3,
                       rounds: int = 3,
                       on_variant: Optional[OnVariant] = None
                       ) -> List[BenchmarkResult]:
    """Training samples/s of the framework step and of a bare loop.

    Args:
        cfg (Config): A training config (its dataset must exist).
        device (str): ``'cpu'`` or ``'cuda'``.
        batch_size (int, optional): Defaults to the config's.
        variants (Sequence[str]): Variant names (see
            :mod:`.benchmark_variants`), e.g. ``'fp32'``,
            ``'amp_bf16+channels_last'``.
        warmup (int): Untimed iterations first.
        iters (int): Timed iterations per round.
        rounds (int): Alternating framework/bare rounds; the best counts.
        on_variant (callable, optional): Called with the results of each
            variant as soon as it is measured (to save partial results).

    Returns:
        list[BenchmarkResult]: A framework and a bare result per variant
        (named canonically: ``'channels_last'`` gives
        ``'fp32+channels_last'``).

    Raises:
        ValueError: For an unknown variant name (before measuring).
    """
    batch_size = batch_size or cfg.train_dataloader.batch_size
    batch = _batch(cfg, 'train_dataloader', batch_size)
    return _measure_variants(
        lambda variant, runner: _train_step(cfg, batch, device, variant, runner
                                            ), 'training', variants, device,
        batch_size, warmup, iters, rounds, on_variant)


def _measure_variants(make_step: Callable[[Variant, str], Callable[[], None]],
                      mode: str, variants: Sequence[str], device: str,
                      batch_size: int, warmup: int, iters: int, rounds: int,
                      on_variant: Optional[OnVariant]
                      ) -> List[BenchmarkResult]:
    """:func:`_measure_pair` for each variant; the process's first step
    also pays one-time costs (library code paged in, lazy initialisation,
    workspaces) that would be charged to whichever runner is measured
    first, so a throw-away fp32 framework step runs before them all."""
    parsed = [parse_variant(name) for name in variants]
    try:
        make_step(parse_variant('fp32'), 'framework')()
    except Exception:  # the measurements report it
        pass
    results = []
    for variant in parsed:
        pair = _measure_pair(lambda runner: make_step(variant, runner), mode,
                             variant.name, device, batch_size, warmup, iters,
                             rounds)
        results += pair
        if on_variant is not None:
            on_variant(pair)
        if device.startswith('cuda'):
            torch.cuda.empty_cache()
    return results


def _measure_pair(make_step: Callable[[str], Callable[[], None]], mode: str,
                  variant: str, device: str, batch_size: int, warmup: int,
                  iters: int, rounds: int) -> List[BenchmarkResult]:
    """Time the framework and the bare step of one variant, alternating.

    The two are timed in ``rounds`` alternating rounds of ``iters``
    iterations and each keeps its best round, so that load from other
    processes hits both alike and the overhead ratio stays meaningful on a
    shared machine. The peak memory of each is measured on its own while it
    is built and warmed up. A variant that fails (say ``compile`` without
    a compiler, or AMP training without an accelerator) is reported with
    its error instead of aborting the run.
    """
    steps, peaks, best, errors = {}, {}, {}, {}
    for runner in ('framework', 'bare'):
        try:
            with PeakMemory(device) as memory:
                steps[runner] = make_step(runner)
                _time(steps[runner], device, warmup, 1)
            peaks[runner] = memory.peak_mb
            best[runner] = float('inf')
        except Exception as err:  # reported in the table, not fatal
            steps.pop(runner, None)
            errors[runner] = f'{type(err).__name__}: {err}'
    for _ in range(rounds):
        for runner, step in list(steps.items()):
            try:
                best[runner] = min(best[runner], _time(step, device, 0, iters))
            except Exception as err:
                del steps[runner]
                errors[runner] = f'{type(err).__name__}: {err}'
    results = []
    for runner in ('framework', 'bare'):
        if runner in errors:
            results.append(
                BenchmarkResult(mode, runner, variant, float('nan'),
                                float('nan'), None, batch_size, 0,
                                errors[runner]))
            continue
        seconds = best[runner]
        results.append(
            BenchmarkResult(mode, runner, variant, batch_size / seconds,
                            seconds * 1000, peaks[runner], batch_size,
                            iters * rounds))
    return results


def _framework_optim_cfg(cfg: Config, device: str, variant: Variant) -> Config:
    """The config's optimizer wrapper, as ``AmpOptimWrapper`` for AMP."""
    optim_cfg = copy.deepcopy(cfg.optim_wrapper)
    if variant.amp:
        if not device.startswith('cuda'):
            raise RuntimeError(
                f'variant {variant.name} on {device}: mmengine\'s '
                'AmpOptimWrapper trains with AMP on an accelerator only '
                '(it refuses to be built without one); the bare loop runs '
                'AMP here')
        optim_cfg.type = 'AmpOptimWrapper'
        optim_cfg.dtype = variant.amp_dtype_name
        optim_cfg.setdefault('loss_scale', 'dynamic')
    return optim_cfg


def _train_step(cfg: Config, batch: dict, device: str, variant: Variant,
                runner: str) -> Callable[[], None]:
    if runner == 'framework':
        optim_cfg = _framework_optim_cfg(cfg, device, variant)
        model = _build(cfg, device, variant).train()
        optim_wrapper = build_optim_wrapper(model, optim_cfg)
        train_step = _compiled(model.train_step, variant)
        return lambda: train_step(batch, optim_wrapper)

    model = _build(cfg, device, variant).train()
    data = model.data_preprocessor(batch, True)  # channels_last: by hook
    inputs, samples = data['inputs'], data['data_samples']
    optimizer = build_optim_wrapper(model,
                                    copy.deepcopy(cfg.optim_wrapper)).optimizer
    clip = (cfg.optim_wrapper.get('clip_grad') or {}).get('max_norm')
    scaler = torch.amp.GradScaler(
        device.split(':')[0], enabled=variant.amp_dtype == torch.float16)

    def loss_fn() -> torch.Tensor:
        with _autocast(device, variant):
            feats = model.extract_feat(inputs)
            losses = model.head.loss(feats, samples, dict(compute_acc=False))
            return model.parse_losses(losses)[0]

    loss_fn = _compiled(loss_fn, variant)

    def step() -> None:
        optimizer.zero_grad(set_to_none=True)
        scaler.scale(loss_fn()).backward()
        if clip:
            scaler.unscale_(optimizer)
            torch.nn.utils.clip_grad_norm_(model.parameters(), clip)
        scaler.step(optimizer)
        scaler.update()

    return step


def benchmark_inference(cfg: Config,
                        device: str = 'cpu',
                        batch_size: int = 1,
                        variants: Sequence[str] = ('fp32', ),
                        warmup: int = 2,
                        iters: int = 3,
                        rounds: int = 3,
                        on_variant: Optional[OnVariant] = None
                        ) -> List[BenchmarkResult]:
    """Inference samples/s: ``model.test_step`` against a bare forward (the
    arguments as for :func:`benchmark_training`)."""
    batch = _batch(cfg, 'val_dataloader', batch_size)
    return _measure_variants(
        lambda variant, runner: _infer_step(cfg, batch, device, variant, runner
                                            ), 'inference', variants, device,
        batch_size, warmup, iters, rounds, on_variant)


def _infer_step(cfg: Config, batch: dict, device: str, variant: Variant,
                runner: str) -> Callable[[], None]:
    model = _build(cfg, device, variant).eval()
    if runner == 'framework':
        forward, inputs = _compiled(model.test_step, variant), batch
    else:
        forward = _compiled(model._forward, variant)
        inputs = model.data_preprocessor(batch, False)['inputs']

    def step() -> None:
        with torch.no_grad(), _autocast(device, variant):
            forward(inputs)

    return step


def benchmark_data(cfg: Config,
                   batch_size: Optional[int] = None,
                   num_workers: Optional[int] = None,
                   iters: int = 10,
                   cache_images: bool = False) -> BenchmarkResult:
    """Samples/s delivered by the config's training dataloader alone.

    Args:
        cfg (Config): A training config (its dataset must exist).
        batch_size (int, optional): Defaults to the config's.
        num_workers (int, optional): Defaults to the config's.
        iters (int): Timed batches (after a first, untimed one that starts
            the workers).
        cache_images (bool): Build the dataset with ``cache_images=True``
            (see :class:`ceph_landmarks.datasets.CephalometricDataset`):
            every image is decoded once when the dataset is built, which
            is not timed but counts in the peak memory.

    Returns:
        BenchmarkResult: Variant ``workers=N`` or ``workers=N+cache``; its
        peak memory is that of this process (workers not counted). A
        failure (say a dataset type without ``cache_images``) is the row's
        error.
    """
    loader_cfg = copy.deepcopy(cfg.train_dataloader)
    if batch_size:
        loader_cfg.batch_size = batch_size
    if num_workers is not None:
        loader_cfg.num_workers = num_workers
        loader_cfg.persistent_workers = num_workers > 0
        if num_workers == 0:
            loader_cfg.prefetch_factor = None
    if cache_images:
        loader_cfg.dataset.cache_images = True
    variant = f'workers={loader_cfg.num_workers}' + ('+cache' * cache_images)
    init_default_scope(cfg.get('default_scope', 'mmpose'))
    try:
        with PeakMemory('cpu') as memory:
            loader = Runner.build_dataloader(loader_cfg, seed=0)
            it = iter(loader)
            next(it)  # start the workers
            start = time.perf_counter()
            samples = done = 0
            while done < iters:
                try:
                    batch = next(it)
                except StopIteration:
                    it = iter(loader)
                    continue
                samples += len(batch['inputs'])
                done += 1
            seconds = time.perf_counter() - start
    except Exception as err:  # reported in the table, not fatal
        return BenchmarkResult('data', 'dataloader', variant, float('nan'),
                               float('nan'), None, loader_cfg.batch_size, 0,
                               f'{type(err).__name__}: {err}')
    return BenchmarkResult('data', 'dataloader', variant, samples / seconds,
                           seconds / done * 1000, memory.peak_mb,
                           loader_cfg.batch_size, done)


def format_table(results: Sequence[BenchmarkResult]) -> str:
    """A plain-text table of results (``-``: no figure)."""
    header = [
        'mode', 'runner', 'variant', 'samples/s', 'ms/iter', 'peak MB', 'MFU',
        'note'
    ]
    rows = [header]
    for r in results:
        peak = '-' if r.peak_memory_mb is None else f'{r.peak_memory_mb:.0f}'
        mfu = '-' if r.mfu is None else f'{r.mfu:.1%}'
        rows.append([
            r.mode, r.runner, r.variant, f'{r.samples_per_s:.2f}',
            f'{r.ms_per_iter:.1f}', peak, mfu, r.error or ''
        ])
    widths = [max(len(row[i]) for row in rows) for i in range(len(header))]
    return '\n'.join('  '.join(c.ljust(w) for c, w in zip(row, widths))
                     for row in rows)


def summarise(results: Sequence[BenchmarkResult],
              dataset_size: Optional[int] = None) -> Dict[str, float]:
    """Overhead and balance ratios from a set of results.

    Returns:
        dict: ``framework_overhead_<mode>_<variant>`` (framework time / bare
        time - 1); for each data row, ``data_vs_training`` (dataloader
        samples/s over fp32 framework training samples/s) and
        ``data_vs_fastest_training`` (over the fastest framework training
        variant's: below 1, the loader cannot keep that step fed), with
        ``_cache`` appended for the cached row; ``epoch_time_s`` (dataset
        size / fp32 training samples/s) when available.
    """
    ok = [r for r in results if not r.error]
    out: Dict[str, float] = {}
    by_key = {(r.mode, r.runner, r.variant): r for r in ok}
    for (mode, runner, variant), res in by_key.items():
        bare = by_key.get((mode, 'bare', variant))
        if runner == 'framework' and bare:
            out[f'framework_overhead_{mode}_{variant}'] = (
                bare.samples_per_s / res.samples_per_s - 1.0)
    training = [
        r for r in ok if r.mode == 'training' and r.runner == 'framework'
    ]
    fp32 = by_key.get(('training', 'framework', 'fp32'))
    fastest = max(training, key=lambda r: r.samples_per_s, default=None)
    for data in (r for r in ok if r.mode == 'data'):
        suffix = '_cache' if data.variant.endswith('+cache') else ''
        if fp32:
            out['data_vs_training' + suffix] = (
                data.samples_per_s / fp32.samples_per_s)
        if fastest:
            out['data_vs_fastest_training' + suffix] = (
                data.samples_per_s / fastest.samples_per_s)
    if fp32 and dataset_size:
        out['epoch_time_s'] = dataset_size / fp32.samples_per_s
    return out
