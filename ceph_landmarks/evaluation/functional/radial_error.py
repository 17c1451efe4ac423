"""Cephalometric error measures in millimetres: pure numpy functions.

Conventions used throughout:

* ``N`` images, ``K`` landmarks, coordinates ``(x, y)`` in pixels of the
  original image.
* ``spacing`` is the pixel size in mm/px of each image, either one value per
  image (``[N]``, isotropic) or ``(sx, sy)`` per image (``[N, 2]``).
* ``mask`` marks the landmarks whose ground truth exists and is visible;
  masked-out landmarks take part in no statistic.
* A landmark is a *success* at threshold ``t`` when its radial error is
  **at most** ``t`` mm (``error <= t``), the rule of the ISBI 2015 challenge
  evaluation.
* Statistics over "all landmarks" pool every valid (image, landmark) pair,
  so the MRE is the mean of all valid radial errors, not a mean of
  per-landmark means.
"""
from typing import Dict, Sequence, Tuple

import numpy as np

from ...datasets.annotations import normalize_spacing

__all__ = [
    'radial_errors_mm', 'mean_radial_error', 'success_detection_rates',
    'per_landmark_errors', 'sdr_key'
]


def radial_errors_mm(pred: np.ndarray, gt: np.ndarray,
                     spacing: np.ndarray) -> np.ndarray:
    """Euclidean distance between predicted and true landmarks, in mm.

    Args:
        pred (np.ndarray[N, K, 2]): Predicted coordinates in pixels.
        gt (np.ndarray[N, K, 2]): Ground-truth coordinates in pixels.
        spacing (np.ndarray[N] | np.ndarray[N, 2]): Pixel spacing in mm/px
            of each image, isotropic or per axis ``(sx, sy)``.

    Returns:
        np.ndarray[N, K]: Radial error of each landmark in mm.

    Raises:
        ValueError: If the shapes disagree or a spacing is not positive
            (naming the image index).

    Examples:
        >>> pred = np.array([[[3., 4.]]])
        >>> gt = np.zeros((1, 1, 2))
        >>> radial_errors_mm(pred, gt, np.array([0.1]))
        array([[0.5]])
    """
    pred = np.asarray(pred, dtype=np.float64)
    gt = np.asarray(gt, dtype=np.float64)
    spacing = np.asarray(spacing, dtype=np.float64)
    if pred.shape != gt.shape or pred.ndim != 3 or pred.shape[-1] != 2:
        raise ValueError('pred and gt must both have shape [N, K, 2], but '
                         f'got {pred.shape} and {gt.shape}')
    n = pred.shape[0]
    if spacing.shape not in ((n, ), (n, 2)):
        raise ValueError(f'spacing must have shape [{n}] or [{n}, 2], but '
                         f'got {spacing.shape}')
    spacing = np.array([
        normalize_spacing(s.tolist(), f'spacing of image {i}')
        for i, s in enumerate(spacing)
    ]).reshape(n, 2)  # (N, 2)
    diff_mm = (pred - gt) * spacing[:, None, :]  # (N, K, 2)
    return np.linalg.norm(diff_mm, axis=-1)  # (N, K)


def _valid(errors: np.ndarray, mask: np.ndarray) -> np.ndarray:
    errors = np.asarray(errors, dtype=np.float64)
    mask = np.asarray(mask, dtype=bool)
    if errors.shape != mask.shape:
        raise ValueError(f'errors and mask must have the same shape, but '
                         f'got {errors.shape} and {mask.shape}')
    return errors[mask]


def mean_radial_error(errors: np.ndarray,
                      mask: np.ndarray) -> Tuple[float, float]:
    """Mean radial error and its standard deviation over valid landmarks.

    Args:
        errors (np.ndarray[N, K]): Radial errors in mm.
        mask (np.ndarray[N, K]): ``True`` for landmarks to evaluate.

    Returns:
        tuple[float, float]: ``(MRE, SD)`` in mm; the SD is the population
        standard deviation (``ddof=0``). Both are ``nan`` when no landmark is
        valid.
    """
    valid = _valid(errors, mask)
    if valid.size == 0:
        return float('nan'), float('nan')
    return float(valid.mean()), float(valid.std())


def success_detection_rates(errors: np.ndarray, mask: np.ndarray,
                            thresholds: Sequence[float]) -> np.ndarray:
    """Percentage of valid landmarks whose error is at most each threshold.

    Args:
        errors (np.ndarray[N, K]): Radial errors in mm.
        mask (np.ndarray[N, K]): ``True`` for landmarks to evaluate.
        thresholds (Sequence[float]): Thresholds in mm.

    Returns:
        np.ndarray[T]: Success detection rate in percent (0-100) for each
        threshold, ``nan`` when no landmark is valid.
    """
    valid = _valid(errors, mask)
    thr = np.asarray(thresholds, dtype=np.float64)
    if valid.size == 0:
        return np.full(thr.shape, np.nan)
    return (valid[None, :] <= thr[:, None]).mean(axis=1) * 100.0


def per_landmark_errors(
        errors: np.ndarray, mask: np.ndarray,
        thresholds: Sequence[float]) -> Dict[str, np.ndarray]:
    """MRE, SD, SDR and count of each landmark separately.

    Args:
        errors (np.ndarray[N, K]): Radial errors in mm.
        mask (np.ndarray[N, K]): ``True`` for landmarks to evaluate.
        thresholds (Sequence[float]): SDR thresholds in mm.

    Returns:
        dict: ``'mre'`` and ``'std'`` (np.ndarray[K], mm), ``'sdr'``
        (np.ndarray[K, T], percent) and ``'count'`` (np.ndarray[K], number of
        valid images per landmark). Landmarks with no valid image get
        ``nan``.
    """
    errors = np.asarray(errors, dtype=np.float64)
    mask = np.asarray(mask, dtype=bool)
    num_landmarks = errors.shape[1]
    mre = np.empty(num_landmarks)
    std = np.empty(num_landmarks)
    sdr = np.empty((num_landmarks, len(thresholds)))
    for k in range(num_landmarks):
        mre[k], std[k] = mean_radial_error(errors[:, k], mask[:, k])
        sdr[k] = success_detection_rates(errors[:, k], mask[:, k],
                                         thresholds)
    return dict(mre=mre, std=std, sdr=sdr, count=mask.sum(axis=0))


def sdr_key(threshold: float) -> str:
    """Metric name of a threshold: ``2.0 -> 'SDR@2mm'``, ``2.5 -> 'SDR@2.5mm'``."""
    return f'SDR@{threshold:g}mm'
