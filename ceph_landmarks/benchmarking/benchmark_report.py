"""A whole benchmark run of a config, as the JSON ``tools/benchmark.py``
writes: the measurements of :mod:`.benchmark`, the model's FLOPs
(:mod:`.model_flops`), the device's matmul rate and each row's MFU
(:mod:`.mfu`).

The report (a JSON-serialisable dict):

* ``config``, ``device``, ``device_name``, ``torch``, ``cuda`` (CUDA
  version torch was built with, or ``None``), ``num_threads``,
  ``input_size`` (``[W, H]`` or ``None``), ``variants`` and
  ``infer_variants`` (canonical names, training and inference);
* ``peak_memory``: ``{'model': ..., 'data': ...}``, how peak memory was
  measured (a sentence each);
* ``model_gflops_per_sample``: GFLOPs of one forward pass of one sample
  (multiply and add counted apart), ``None`` when not counted (``data``
  mode) or when counting failed (then ``model_flops_error`` says why);
* ``matmul_tflops``: the dense matmul rate MFU is relative to, ``None``
  when neither measured nor given; ``matmul``: ``{'source': 'measured' |
  'given', 'dtype', 'n'}`` or ``None``;
* ``results``: one dict per row (:class:`.benchmark.BenchmarkResult`:
  ``mode``, ``runner``, ``variant``, ``samples_per_s``, ``ms_per_iter``,
  ``peak_memory_mb``, ``batch_size``, ``iters``, ``error``, ``mfu``);
  ``mfu`` is set on training (3 forwards per sample) and inference (1)
  rows when the FLOPs and the matmul rate are known. Every row's MFU is
  relative to the same rate (bfloat16 on CUDA), so an fp32 row shows what
  it leaves unused;
* ``summary``: the ratios of :func:`.benchmark.summarise`;
* ``complete``: ``False`` in the partial reports given to ``progress``
  while measuring, ``True`` at the end.

A failed measurement is a row with its ``error`` and ``NaN`` rates (which
Python's ``json`` writes as ``NaN``).
"""
import platform
from dataclasses import replace
from typing import Callable, List, Optional, Sequence

import torch
from mmengine.config import Config

from . import benchmark as bm
from .benchmark_variants import default_variants, parse_variant
from .mfu import STEP_FORWARDS, matmul_tflops, mfu, step_flops_per_sample
from .model_flops import model_forward_flops
from .peak_memory import peak_memory_method

__all__ = ['run_benchmark', 'report_lines', 'MODES', 'matmul_settings']

#: ``--mode`` choices and the measurements each runs.
MODES = {
    'training': ('training', ),
    'inference': ('inference', ),
    'data': ('data', ),
    'both': ('training', 'inference', 'data'),
}


def matmul_settings(device: str) -> dict:
    """The matmul :func:`run_benchmark` measures on ``device``: bfloat16
    8192 x 8192 on CUDA (tensor cores, what AMP runs on), float32
    1024 x 1024 on CPU (quick; CPUs without bfloat16 units emulate it)."""
    if device.startswith('cuda'):
        return dict(dtype=torch.bfloat16, n=8192, iters=10, warmup=3)
    return dict(dtype=torch.float32, n=1024, iters=5, warmup=2)


def _matmul_rate(device: str, peak_tflops: Optional[float],
                 measure: bool) -> tuple:
    """``(TFLOP/s or None, description or None)``."""
    if peak_tflops is not None:
        return peak_tflops, dict(source='given', dtype=None, n=None)
    if not measure:
        return None, None
    settings = matmul_settings(device)
    rate = matmul_tflops(device, **settings)
    return rate, dict(
        source='measured',
        dtype=str(settings['dtype']).replace('torch.', ''),
        n=settings['n'])


def _device_name(device: str) -> str:
    if device.startswith('cuda'):
        return torch.cuda.get_device_name(device)
    return platform.processor() or platform.machine()


def run_benchmark(cfg: Config,
                  config: str,
                  mode: str = 'both',
                  device: str = 'cpu',
                  batch_size: Optional[int] = None,
                  infer_batch_size: int = 1,
                  variants: Optional[Sequence[str]] = None,
                  infer_variants: Optional[Sequence[str]] = None,
                  warmup: int = 2,
                  iters: int = 3,
                  rounds: int = 3,
                  num_workers: Optional[int] = None,
                  cache_images: bool = False,
                  peak_tflops: Optional[float] = None,
                  measure_matmul: bool = False,
                  progress: Optional[Callable[[dict], None]] = None) -> dict:
    """Benchmark ``cfg`` and return the report described above.

    Args:
        cfg (Config): The loaded config (its datasets must exist).
        config (str): Its path, for the report.
        mode (str): A key of :data:`MODES`.
        device (str): ``'cpu'``, ``'cuda'`` or ``'cuda:N'``.
        batch_size (int, optional): Training and data batch size; defaults
            to the config's.
        infer_batch_size (int): Inference batch size.
        variants (Sequence[str], optional): Variant names; defaults to
            :func:`.benchmark_variants.default_variants`.
        infer_variants (Sequence[str], optional): Inference variants, if
            not ``variants`` (say without ``compile``, slow to build).
        warmup, iters, rounds (int): See :func:`.benchmark.
            benchmark_training`; the data mode times
            ``max(iters * rounds, 5)`` batches.
        num_workers (int, optional): Data mode workers (config's default).
        cache_images (bool): Data mode: a second row with the dataset's
            image cache (``workers=N+cache``).
        peak_tflops (float, optional): The matmul rate for MFU; skips
            measuring.
        measure_matmul (bool): Measure the rate (:func:`.mfu.
            matmul_tflops` with :func:`matmul_settings`).
        progress (callable, optional): Called with the report so far after
            each variant and data row (so that a run cut short can still
            leave its results); the FLOPs and the matmul rate come first.

    Returns:
        dict: The report.

    Raises:
        ValueError: For an unknown mode or variant (before measuring).
    """
    if mode not in MODES:
        raise ValueError(f'benchmark mode {mode!r}: expected one of '
                         f'{sorted(MODES)}')
    names = [
        parse_variant(name).name
        for name in (variants or default_variants(device))
    ]
    infer_names = [parse_variant(name).name
                   for name in infer_variants] if infer_variants else names
    parts = MODES[mode]
    rate, matmul = _matmul_rate(device, peak_tflops, measure_matmul)
    flops, flops_error = None, None
    if 'training' in parts or 'inference' in parts:
        try:
            flops = model_forward_flops(cfg, device)
        except Exception as err:  # the report says why
            flops_error = f'{type(err).__name__}: {err}'
    report = dict(
        config=config,
        device=device,
        device_name=_device_name(device),
        torch=torch.__version__,
        cuda=torch.version.cuda,
        num_threads=torch.get_num_threads(),
        input_size=list(cfg.codec.input_size) if 'codec' in cfg else None,
        variants=names,
        infer_variants=infer_names,
        peak_memory=dict(
            model=peak_memory_method(device), data=peak_memory_method('cpu')),
        model_gflops_per_sample=None if flops is None else flops / 1e9,
        matmul_tflops=rate,
        matmul=matmul,
        results=[],
        summary={},
        complete=False)
    if flops_error:
        report['model_flops_error'] = flops_error
    if progress is not None:
        progress(report)
    results: List[bm.BenchmarkResult] = []

    def add(rows: List[bm.BenchmarkResult]) -> None:
        results.extend(_with_mfu(row, flops, rate) for row in rows)
        report['results'] = [r.to_dict() for r in results]
        report['summary'] = bm.summarise(results)
        if progress is not None:
            progress(report)

    # the data rows first: quick and bounded (a run cut short in a slow
    # compile keeps them), and their workers are gone before the model is
    # timed
    if 'data' in parts:
        data_iters = max(iters * rounds, 5)
        for cached in (False, True)[:1 + cache_images]:
            add([
                bm.benchmark_data(cfg, batch_size, num_workers, data_iters,
                                  cached)
            ])
    if 'training' in parts:
        bm.benchmark_training(cfg, device, batch_size, names, warmup, iters,
                              rounds, add)
    if 'inference' in parts:
        bm.benchmark_inference(cfg, device, infer_batch_size, infer_names,
                               warmup, iters, rounds, add)
    report['complete'] = True
    return report


def _with_mfu(row: bm.BenchmarkResult, flops: Optional[float],
              rate: Optional[float]) -> bm.BenchmarkResult:
    """``row`` with its MFU, when it is a model row and both are known."""
    if flops is None or row.error or row.mode not in STEP_FORWARDS:
        return row
    return replace(
        row,
        mfu=mfu(
            step_flops_per_sample(flops, row.mode), row.samples_per_s, rate))


def report_lines(report: dict) -> List[str]:
    """The report as printed lines: the table, then one line per figure."""
    rows = [bm.BenchmarkResult(**row) for row in report['results']]
    lines = [bm.format_table(rows)]
    lines += [
        f'peak MB ({part}): {method}'
        for part, method in report['peak_memory'].items()
    ]
    gflops = report['model_gflops_per_sample']
    if gflops is not None:
        lines.append(f'model: {gflops:.2f} GFLOPs per sample (forward; '
                     'training counts 3x)')
    elif 'model_flops_error' in report:
        lines.append(f'model FLOPs not counted: '
                     f'{report["model_flops_error"]}')
    if report['matmul_tflops'] is not None:
        matmul = report['matmul']
        how = ('given' if matmul['source'] == 'given' else
               f'measured, {matmul["dtype"]} {matmul["n"]}x{matmul["n"]}')
        lines.append(f'matmul: {report["matmul_tflops"]:.2f} TFLOP/s '
                     f'({how}): the MFU reference')
    lines += [
        f'{key}: {value:.3f}' for key, value in report['summary'].items()
    ]
    return lines
