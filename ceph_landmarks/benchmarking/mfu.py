"""Model FLOPs utilisation (MFU): the model's useful FLOPs per second over
the device's achievable dense matmul rate.

The numerator counts the model's FLOPs (see :mod:`.model_flops`) per sample
times the samples per second measured; a training step counts three
forwards (the backward pass costs about twice the forward: gradients with
respect to activations and to weights), an inference step one. Recomputed
or wasted work (padding, the framework's own operations) does not count,
as in PaLM's definition of MFU (Chowdhery et al., 2022, appendix B).

The denominator is *measured* by :func:`matmul_tflops` rather than taken
from a data sheet: the rate a large square matmul reaches on this device
in this dtype. An MFU near 1 therefore means the model runs as fast as the
device's best case, whatever the marketing peak.
"""
import math
import statistics
import time
from typing import Optional

import torch

__all__ = [
    'flops_from_macs', 'step_flops_per_sample', 'mfu', 'matmul_tflops',
    'STEP_FORWARDS'
]

#: Forward passes' worth of FLOPs in one step of each mode.
STEP_FORWARDS = {'training': 3, 'inference': 1}


def flops_from_macs(macs: float) -> float:
    """FLOPs of ``macs`` multiply-accumulates (one multiply, one add each).

    mmengine's ``FlopAnalyzer`` (and fvcore's, which it derives from)
    counts one fused multiply-add as one "flop"; a matmul's rate in FLOP/s
    counts two.

    Examples:
        >>> flops_from_macs(1.5e9)
        3000000000.0
    """
    return 2.0 * macs


def step_flops_per_sample(forward_flops: float, mode: str) -> float:
    """FLOPs per sample of one step: 3 forwards in training, 1 in inference.

    Args:
        forward_flops (float): FLOPs of one forward pass of one sample.
        mode (str): ``'training'`` or ``'inference'``.

    Raises:
        ValueError: For another mode.

    Examples:
        >>> step_flops_per_sample(2e9, 'training')
        6000000000.0
    """
    if mode not in STEP_FORWARDS:
        raise ValueError(f'no FLOPs per step for mode {mode!r}; expected '
                         f'one of {sorted(STEP_FORWARDS)}')
    return STEP_FORWARDS[mode] * forward_flops


def mfu(flops_per_sample: Optional[float], samples_per_s: float,
        peak_tflops: Optional[float]) -> Optional[float]:
    """Model FLOPs utilisation: achieved FLOP/s over the peak FLOP/s.

    Args:
        flops_per_sample (float, optional): FLOPs of one step per sample
            (see :func:`step_flops_per_sample`).
        samples_per_s (float): Measured throughput.
        peak_tflops (float, optional): Achievable rate, in TFLOP/s.

    Returns:
        float, optional: The fraction (0.4 is 40 %); ``None`` when a figure
        is unknown (``None``, not finite, or a peak that is not positive).

    Examples:
        >>> mfu(6e9, 1000.0, 12.0)  # 6 TFLOP/s of 12
        0.5
    """
    figures = (flops_per_sample, samples_per_s, peak_tflops)
    if any(f is None or not math.isfinite(f)
           for f in figures) or peak_tflops <= 0:
        return None
    return flops_per_sample * samples_per_s / (peak_tflops * 1e12)


def _sync(device: torch.device) -> None:
    if device.type == 'cuda':
        torch.cuda.synchronize(device)


def matmul_tflops(device: str,
                  dtype: torch.dtype = torch.bfloat16,
                  n: int = 8192,
                  iters: int = 10,
                  warmup: int = 3) -> float:
    """The dense matmul rate of ``device`` in ``dtype``, in TFLOP/s.

    Times ``n x n @ n x n`` products (``2 n^3`` FLOPs each) of random
    normal inputs (never zeros, which some hardware multiplies faster), one
    product per timing, synchronised, and returns the median over
    ``iters`` after ``warmup`` untimed ones.

    Args:
        device (str): ``'cuda'``, ``'cuda:N'`` or ``'cpu'``.
        dtype (torch.dtype): Input dtype. Defaults to bfloat16 (what AMP
            runs on tensor cores); on CPU use float32 or bfloat16.
        n (int): Matrix size. The default fills a GPU; on CPU take about
            1024 (an 8192 product is 1.1 TFLOP).
        iters (int): Timed products.
        warmup (int): Untimed products first (kernel selection, clocks).

    Returns:
        float: The median rate, TFLOP/s.

    Examples:
        >>> matmul_tflops('cpu', torch.float32, n=256, iters=3) > 0
        True
    """
    if n < 1 or iters < 1 or warmup < 0:
        raise ValueError(f'matmul_tflops needs n >= 1, iters >= 1 and '
                         f'warmup >= 0, but got n={n}, iters={iters}, '
                         f'warmup={warmup}')
    dev = torch.device(device)
    generator = torch.Generator(device=dev).manual_seed(0)
    a, b = (
        torch.randn(n, n, device=dev, generator=generator).to(dtype)
        for _ in range(2))
    out = torch.empty(n, n, device=dev, dtype=dtype)
    seconds = []
    for i in range(warmup + iters):
        _sync(dev)
        start = time.perf_counter()
        torch.matmul(a, b, out=out)
        _sync(dev)
        if i >= warmup:
            seconds.append(time.perf_counter() - start)
    return 2.0 * n**3 / statistics.median(seconds) / 1e12
