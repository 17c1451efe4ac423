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

from ..io.annotations import normalize_spacing

__all__ = [
    'radial_errors_mm', 'mean_radial_error', 'success_detection_rates',
    'per_landmark_errors', 'sdr_key', 'per_image_mre', 'mre_standard_error'
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


def per_landmark_errors(errors: np.ndarray, mask: np.ndarray,
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
        sdr[k] = success_detection_rates(errors[:, k], mask[:, k], thresholds)
    return dict(mre=mre, std=std, sdr=sdr, count=mask.sum(axis=0))


def per_image_mre(errors: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """Mean radial error of each image over its valid landmarks.

    Args:
        errors (np.ndarray[N, K]): Radial errors in mm.
        mask (np.ndarray[N, K]): ``True`` for landmarks to evaluate.

    Returns:
        np.ndarray[N]: MRE of each image in mm, ``nan`` for an image with no
        valid landmark.

    Examples:
        >>> per_image_mre(np.array([[1., 3.], [2., 9.]]),
        ...               np.array([[True, True], [True, False]]))
        array([2., 2.])
    """
    errors = np.asarray(errors, dtype=np.float64)
    mask = np.asarray(mask, dtype=bool)
    if errors.shape != mask.shape or errors.ndim != 2:
        raise ValueError('errors and mask must both have shape [N, K], but '
                         f'got {errors.shape} and {mask.shape}')
    counts = mask.sum(axis=1)  # (N, )
    sums = np.where(mask, errors, 0.0).sum(axis=1)  # (N, )
    with np.errstate(invalid='ignore', divide='ignore'):
        return np.where(counts > 0, sums / counts, np.nan)


def mre_standard_error(errors: np.ndarray, mask: np.ndarray) -> float:
    """Standard error of the MRE, with the image as the unit of sampling.

    The landmarks of one image share its contrast, anatomy and annotator,
    so their errors are not independent and ``MRE_std / sqrt(N * K)``
    would understate the uncertainty. The images are the independent
    draws: the standard error is the sample standard deviation
    (``ddof=1``) of the per-image MREs (:func:`per_image_mre`) divided by
    the square root of the number of images. It tells how far the MRE of
    another set of images of the same kind could be expected to move, so
    a difference between two models smaller than about twice it is noise.

    Args:
        errors (np.ndarray[N, K]): Radial errors in mm.
        mask (np.ndarray[N, K]): ``True`` for landmarks to evaluate.

    Returns:
        float: The standard error in mm. Images with no valid landmark are
        left out; ``nan`` when fewer than two images remain.

    Examples:
        >>> errors = np.array([[1., 3.], [4., 9.], [3., 0.]])
        >>> mask = np.array([[True, True], [True, False], [True, False]])
        >>> round(mre_standard_error(errors, mask), 4)  # MREs 2, 4, 3
        0.5774
    """
    image_mre = per_image_mre(errors, mask)
    image_mre = image_mre[~np.isnan(image_mre)]
    if image_mre.size < 2:
        return float('nan')
    return float(image_mre.std(ddof=1) / np.sqrt(image_mre.size))


def sdr_key(threshold: float) -> str:
    """Metric name of a threshold.

    Examples:
        >>> sdr_key(2.0), sdr_key(2.5)
        ('SDR@2mm', 'SDR@2.5mm')
    """
    return f'SDR@{threshold:g}mm'
