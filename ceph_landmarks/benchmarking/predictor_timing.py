"""Latency and throughput of landmark predictors, side by side.

Used by ``tools/benchmark_runtime.py`` to time the ONNX runtime
(:class:`ceph_landmarks.runtime.OnnxLandmarkPredictor`) against the PyTorch
predictor (:class:`ceph_landmarks.apis.LandmarkPredictor`) on the same
images in one run: after a warm-up, the predictors take turns, round after
round (``A B A B ...``), so that a change of machine load hits both; each
figure is the median over the rounds. The images are decoded once before
timing: what is timed is ``predict_batch`` on pixel arrays (boxes, warps,
networks, decoding, refinement windows and the measurements).
"""
import statistics
import time
from typing import Dict, List, Sequence

import numpy as np

__all__ = ['time_predictors']


def _seconds(predictor, images: Sequence[np.ndarray],
             batch_size: int) -> float:
    start = time.perf_counter()
    predictor.predict_batch(list(images), batch_size=batch_size)
    return time.perf_counter() - start


def time_predictors(predictors: Dict[str, object],
                    images: Sequence[np.ndarray],
                    batch_sizes: Sequence[int],
                    rounds: int = 3,
                    warmup: int = 1) -> List[dict]:
    """Time each predictor on all images, per batch size.

    Args:
        predictors (dict): Name to predictor (anything with
            ``predict_batch(images, batch_size=...)``).
        images (Sequence[np.ndarray]): Decoded images (``[H, W, 3]``
            uint8 BGR).
        batch_sizes (Sequence[int]): Images per forward pass to time.
        rounds (int): Timed rounds per predictor and batch size.
        warmup (int): Untimed runs first (on the first images).

    Returns:
        list[dict]: One row per predictor and batch size: ``predictor``,
        ``batch_size``, ``images``, ``seconds`` (median of the rounds, all
        images), ``ms_per_image``, ``images_per_s`` and ``rounds_s`` (each
        round's time).
    """
    rows = []
    for batch_size in batch_sizes:
        for predictor in predictors.values():
            for _ in range(warmup):
                _seconds(predictor, images[:batch_size], batch_size)
        times = {name: [] for name in predictors}
        for _ in range(rounds):
            for name, predictor in predictors.items():
                times[name].append(_seconds(predictor, images, batch_size))
        for name, spent in times.items():
            median = statistics.median(spent)
            rows.append(
                dict(
                    predictor=name,
                    batch_size=batch_size,
                    images=len(images),
                    seconds=median,
                    ms_per_image=1000 * median / len(images),
                    images_per_s=len(images) / median,
                    rounds_s=spent))
    return rows
