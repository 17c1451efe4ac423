"""Throughput and memory of a config's model, framework against bare PyTorch.

Used by ``tools/benchmark.py``. Every measurement runs the same model on the
same batch:

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
  target generation, collate).

The bare loop's loss is the head's losses summed as the framework sums them
(``model.parse_losses``: every entry whose key contains ``loss``), so any
head works (``loss_kpt`` of ``HeatmapHead``, ``loss_kpt_lowres`` and
``loss_kpt_level{i}`` of ``SRPoseHead``).

Peak memory (``peak_memory_mb``) is measured for each measurement on its
own, over building the model and the untimed warm-up steps, as the peak
above the level at its start: CUDA's peak statistics are reset before each
one, and on CPU the resident-set high-water mark is reset through
``/proc/self/clear_refs`` (``None`` where that is impossible); see
:mod:`ceph_landmarks.engine.peak_memory`.

Variants: ``fp32``, ``channels_last``, ``amp`` (CUDA only: mmengine refuses
AMP without an accelerator) and ``compile`` (``torch.compile``).
"""
import copy
import time
from dataclasses import asdict, dataclass
from typing import Callable, Dict, List, Optional, Sequence

import torch
from mmengine.config import Config
from mmengine.dataset import pseudo_collate
from mmengine.optim import build_optim_wrapper
from mmengine.registry import init_default_scope
from mmengine.runner import Runner
from mmpose.registry import DATASETS, MODELS

from .peak_memory import PeakMemory, peak_memory_method

__all__ = [
    'BenchmarkResult', 'benchmark_training', 'benchmark_inference',
    'benchmark_data', 'supported_variants', 'format_table', 'summarise',
    'peak_memory_method'
]


@dataclass
class BenchmarkResult:
    """One measured configuration."""

    mode: str  # 'training' | 'inference' | 'data'
    runner: str  # 'framework' | 'bare' | 'dataloader'
    variant: str  # 'fp32' | 'channels_last' | 'amp' | 'compile'
    samples_per_s: float
    ms_per_iter: float
    peak_memory_mb: Optional[float]  # None: see peak_memory_method
    batch_size: int
    iters: int
    error: Optional[str] = None

    def to_dict(self) -> dict:
        return asdict(self)


def supported_variants(device: str) -> List[str]:
    """Variants that make sense on ``device`` (compile is slow to build on
    CPU, so it is only a default on CUDA; ask for it explicitly on CPU)."""
    if device.startswith('cuda'):
        return ['fp32', 'channels_last', 'amp', 'compile']
    return ['fp32', 'channels_last']


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


def _build(cfg: Config, device: str, variant: str) -> torch.nn.Module:
    init_default_scope(cfg.get('default_scope', 'mmpose'))
    model = MODELS.build(copy.deepcopy(cfg.model)).to(device)
    if variant == 'channels_last':
        model = model.to(memory_format=torch.channels_last)
    return model


def _batch(cfg: Config, loader: str, batch_size: int) -> dict:
    """One collated batch through the pipeline of ``cfg[loader]``."""
    init_default_scope(cfg.get('default_scope', 'mmpose'))
    dataset = DATASETS.build(copy.deepcopy(cfg[loader].dataset))
    samples = [dataset[i % len(dataset)] for i in range(batch_size)]
    return pseudo_collate(samples)


def _autocast(device: str, enabled: bool):
    return torch.autocast(
        device_type=device.split(':')[0], dtype=torch.float16, enabled=enabled)


def benchmark_training(cfg: Config,
                       device: str = 'cpu',
                       batch_size: Optional[int] = None,
                       variants: Sequence[str] = ('fp32', ),
                       warmup: int = 2,
                       iters: int = 3,
                       rounds: int = 3) -> List[BenchmarkResult]:
    """Training samples/s of the framework step and of a bare loop.

    Args:
        cfg (Config): A training config (its dataset must exist).
        device (str): ``'cpu'`` or ``'cuda'``.
        batch_size (int, optional): Defaults to the config's.
        variants (Sequence[str]): Subset of ``fp32``, ``channels_last``,
            ``amp``, ``compile``.
        warmup (int): Untimed iterations first.
        iters (int): Timed iterations per round.
        rounds (int): Alternating framework/bare rounds; the best counts.

    Returns:
        list[BenchmarkResult]: A framework and a bare result per variant.
    """
    batch_size = batch_size or cfg.train_dataloader.batch_size
    batch = _batch(cfg, 'train_dataloader', batch_size)
    return [
        res for variant in variants for res in _measure_pair(
            lambda runner: _train_step(cfg, batch, device, variant, runner),
            'training', variant, device, batch_size, warmup, iters, rounds)
    ]


def _measure_pair(make_step: Callable[[str], Callable[[], None]], mode: str,
                  variant: str, device: str, batch_size: int, warmup: int,
                  iters: int, rounds: int) -> List[BenchmarkResult]:
    """Time the framework and the bare step of one variant, alternating.

    The two are timed in ``rounds`` alternating rounds of ``iters``
    iterations and each keeps its best round, so that load from other
    processes hits both alike and the overhead ratio stays meaningful on a
    shared machine. The peak memory of each is measured on its own while it
    is built and warmed up. The process's first step also pays one-time
    costs (library code paged in, lazy initialisation, workspaces) that
    would be charged to whichever runner is measured first, so a throw-away
    framework step runs before. A variant that fails (say ``compile``
    without a compiler) is reported with its error instead of aborting the
    run.
    """
    steps, peaks, best, errors = {}, {}, {}, {}
    for runner in ('framework', 'bare'):
        try:
            if runner == 'framework':
                make_step(runner)()  # the throw-away step
            with PeakMemory(device) as memory:
                steps[runner] = make_step(runner)
                _time(steps[runner], device, warmup, 1)
            peaks[runner] = memory.peak_mb
            best[runner] = float('inf')
        except Exception as err:  # reported in the table, not fatal
            errors[runner] = f'{type(err).__name__}: {err}'
    for _ in range(rounds):
        for runner, step in steps.items():
            try:
                best[runner] = min(best[runner], _time(step, device, 0, iters))
            except Exception as err:
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


def _train_step(cfg: Config, batch: dict, device: str, variant: str,
                runner: str) -> Callable[[], None]:
    model = _build(cfg, device, variant)
    model.train()
    optim_cfg = copy.deepcopy(cfg.optim_wrapper)
    if variant == 'amp':
        optim_cfg.type = 'AmpOptimWrapper'
        optim_cfg.setdefault('loss_scale', 'dynamic')
    if runner == 'framework':
        optim_wrapper = build_optim_wrapper(model, optim_cfg)
        train_step = model.train_step
        if variant == 'compile':
            train_step = torch.compile(train_step)
        # channels_last weights make the convolutions pick that layout
        return lambda: train_step(batch, optim_wrapper)

    data = model.data_preprocessor(batch, True)
    inputs = data['inputs']
    if variant == 'channels_last':
        inputs = inputs.contiguous(memory_format=torch.channels_last)
    samples = data['data_samples']
    optimizer = build_optim_wrapper(model, optim_cfg).optimizer
    clip = (optim_cfg.get('clip_grad') or {}).get('max_norm')
    scaler = torch.amp.GradScaler(
        device.split(':')[0], enabled=variant == 'amp')

    def loss_fn() -> torch.Tensor:
        with _autocast(device, variant == 'amp'):
            feats = model.extract_feat(inputs)
            losses = model.head.loss(feats, samples, dict(compute_acc=False))
            return model.parse_losses(losses)[0]

    if variant == 'compile':
        loss_fn = torch.compile(loss_fn)

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
                        rounds: int = 3) -> List[BenchmarkResult]:
    """Inference samples/s: ``model.test_step`` against a bare forward."""
    batch = _batch(cfg, 'val_dataloader', batch_size)
    return [
        res for variant in variants for res in _measure_pair(
            lambda runner: _infer_step(cfg, batch, device, variant, runner),
            'inference', variant, device, batch_size, warmup, iters, rounds)
    ]


def _infer_step(cfg: Config, batch: dict, device: str, variant: str,
                runner: str) -> Callable[[], None]:
    model = _build(cfg, device, variant)
    model.eval()
    amp = variant == 'amp'
    if runner == 'framework':
        test_step = model.test_step
        if variant == 'compile':
            test_step = torch.compile(test_step)

        def step() -> None:
            with torch.no_grad(), _autocast(device, amp):
                test_step(batch)

        return step
    inputs = model.data_preprocessor(batch, False)['inputs']
    if variant == 'channels_last':
        inputs = inputs.contiguous(memory_format=torch.channels_last)
    forward = model._forward
    if variant == 'compile':
        forward = torch.compile(forward)

    def bare_step() -> None:
        with torch.no_grad(), _autocast(device, amp):
            forward(inputs)

    return bare_step


def benchmark_data(cfg: Config,
                   batch_size: Optional[int] = None,
                   num_workers: Optional[int] = None,
                   iters: int = 10) -> BenchmarkResult:
    """Samples/s delivered by the config's training dataloader alone (its
    peak memory is that of this process: worker processes not counted)."""
    loader_cfg = copy.deepcopy(cfg.train_dataloader)
    if batch_size:
        loader_cfg.batch_size = batch_size
    if num_workers is not None:
        loader_cfg.num_workers = num_workers
        loader_cfg.persistent_workers = num_workers > 0
        if num_workers == 0:
            loader_cfg.prefetch_factor = None
    init_default_scope(cfg.get('default_scope', 'mmpose'))
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
    return BenchmarkResult('data', 'dataloader',
                           f'workers={loader_cfg.num_workers}',
                           samples / seconds, seconds / done * 1000,
                           memory.peak_mb, loader_cfg.batch_size, done)


def format_table(results: Sequence[BenchmarkResult]) -> str:
    """A plain-text table of results (``-``: no peak memory figure)."""
    header = [
        'mode', 'runner', 'variant', 'samples/s', 'ms/iter', 'peak MB', 'note'
    ]
    rows = [header]
    for r in results:
        peak = '-' if r.peak_memory_mb is None else f'{r.peak_memory_mb:.0f}'
        rows.append([
            r.mode, r.runner, r.variant, f'{r.samples_per_s:.2f}',
            f'{r.ms_per_iter:.1f}', peak, r.error or ''
        ])
    widths = [max(len(row[i]) for row in rows) for i in range(len(header))]
    return '\n'.join('  '.join(c.ljust(w) for c, w in zip(row, widths))
                     for row in rows)


def summarise(results: Sequence[BenchmarkResult],
              dataset_size: Optional[int] = None) -> Dict[str, float]:
    """Overhead and balance ratios from a set of results.

    Returns:
        dict: ``framework_overhead_<mode>_<variant>`` (framework time / bare
        time - 1), ``data_vs_training`` (dataloader samples/s over fp32
        framework training samples/s) and ``epoch_time_s`` (dataset size /
        training samples/s) when available.
    """
    out: Dict[str, float] = {}
    by_key = {(r.mode, r.runner, r.variant): r for r in results}
    for (mode, runner, variant), res in by_key.items():
        bare = by_key.get((mode, 'bare', variant))
        if runner == 'framework' and bare and not res.error and not bare.error:
            out[f'framework_overhead_{mode}_{variant}'] = (
                bare.samples_per_s / res.samples_per_s - 1.0)
    train = by_key.get(('training', 'framework', 'fp32'))
    data = [r for r in results if r.mode == 'data']
    if train and not train.error:
        if data:
            out['data_vs_training'] = (
                data[0].samples_per_s / train.samples_per_s)
        if dataset_size:
            out['epoch_time_s'] = dataset_size / train.samples_per_s
    return out
