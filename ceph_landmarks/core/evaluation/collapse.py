"""Landmark pairs whose predictions collapse onto one point.

A heatmap model that cannot tell two look-alike structures apart can hedge:
instead of putting each landmark on its own structure, it puts both at
their midpoint, where the loss of a wrong guess is halved. The upper and
lower incisal tips of a lateral cephalogram are the typical case: about
4 mm apart, i.e. two heatmap pixels at 2 mm per pixel, and alike in shape.
Each collapsed landmark then has an error of about half the true distance,
which the MRE and the per-landmark table show only as two mediocre
landmarks; the cause is visible only when the two predictions are compared
with each other. :func:`landmark_pair_distances` does that comparison for
every pair of landmarks, and :func:`collapsed_pairs` keeps the pairs whose
predicted distance is a small fraction of their true distance.

Medians over images are used instead of means so that one image where the
model happens to separate the two points (or to swap them) does not hide a
collapse on all the others.
"""
import warnings
from typing import List, Optional, Sequence

import numpy as np

from .radial_error import radial_errors_mm

__all__ = [
    'TOUCH_MM', 'PAIR_RECORD_KEYS', 'landmark_pair_distances',
    'collapsed_pairs'
]

#: Predicted distance (mm) below which two landmarks count as "touching":
#: 0.5 mm is below the error any annotator or model is judged at (the
#: smallest SDR threshold is 2 mm), so two points this close are one point.
TOUCH_MM = 0.5

#: Keys of a pair record, in table-column order.
PAIR_RECORD_KEYS = ('landmark_a', 'landmark_b', 'index_a', 'index_b',
                    'pred_median_mm', 'true_median_mm', 'ratio',
                    'frac_pred_below_0.5mm', 'num_images', 'collapsed')


def landmark_pair_distances(pred: np.ndarray,
                            gt: np.ndarray,
                            mask: np.ndarray,
                            spacing: np.ndarray,
                            names: Optional[Sequence[str]] = None,
                            ratio: float = 0.25,
                            min_true_mm: float = 1.0) -> List[dict]:
    """Median predicted and true distance of every pair of landmarks.

    For each pair ``(a, b)`` with ``a < b``, only the images where the
    ground truth of both landmarks is visible count. A pair is *collapsed*
    when its true landmarks are apart (median true distance at least
    ``min_true_mm``) but its predictions are not (median predicted distance
    below ``ratio`` times the median true distance): the model puts both
    landmarks at about the same point, typically the midpoint of two
    structures it cannot tell apart (see the module docstring). The
    ``min_true_mm`` floor keeps landmarks that really coincide out of the
    list.

    Args:
        pred (np.ndarray[N, K, 2]): Predicted landmarks in pixels.
        gt (np.ndarray[N, K, 2]): True landmarks in pixels.
        mask (np.ndarray[N, K]): ``True`` where the ground truth is visible.
        spacing (np.ndarray[N] | np.ndarray[N, 2]): Pixel spacing in mm/px,
            isotropic or per axis ``(sx, sy)``; distances are measured in
            mm, so an anisotropic spacing weighs x and y differently.
        names (Sequence[str], optional): The ``K`` landmark names. Defaults
            to ``'0'``, ``'1'``, ...
        ratio (float): A pair is collapsed when its median predicted
            distance is below ``ratio`` times its median true distance.
            Defaults to 0.25: a model that only blurs two landmarks toward
            each other keeps them well above a quarter of their distance,
            while a hedging model puts them within a few percent of it.
        min_true_mm (float): Pairs whose median true distance is below this
            are never collapsed. Defaults to 1.0 mm.

    Returns:
        list[dict]: One record per pair with at least one image, sorted by
        ``ratio`` (most collapsed first, undefined ratios last), with keys
        ``landmark_a``, ``landmark_b`` (names), ``index_a``, ``index_b``
        (indices, ``index_a < index_b``), ``pred_median_mm``,
        ``true_median_mm``, ``ratio`` (``pred_median_mm / true_median_mm``,
        ``nan`` when the true median is 0), ``frac_pred_below_0.5mm``
        (fraction of the images where the two predictions are less than
        :data:`TOUCH_MM` apart), ``num_images`` and ``collapsed`` (bool).

    Raises:
        ValueError: If the shapes disagree, ``names`` has not ``K`` entries
            or ``ratio`` / ``min_true_mm`` are out of range.

    Examples:
        >>> gt = np.array([[[0., 0.], [0., 40.]]])  # 4 mm apart at 0.1
        >>> pred = np.array([[[0., 20.], [0., 21.]]])  # 0.1 mm apart
        >>> pairs = landmark_pair_distances(pred, gt, np.ones((1, 2), bool),
        ...                                 np.array([0.1]), ['U1', 'L1'])
        >>> pairs[0]['collapsed'], round(pairs[0]['ratio'], 3)
        (True, 0.025)
    """
    if not ratio > 0:
        raise ValueError(f'ratio must be positive, but got {ratio!r}')
    if not min_true_mm >= 0:
        raise ValueError('min_true_mm must be a non-negative number of mm, '
                         f'but got {min_true_mm!r}')
    pred = np.asarray(pred, dtype=np.float64)
    gt = np.asarray(gt, dtype=np.float64)
    mask = np.asarray(mask, dtype=bool)
    if pred.shape != gt.shape or pred.ndim != 3 or pred.shape[-1] != 2:
        raise ValueError('pred and gt must both have shape [N, K, 2], but '
                         f'got {pred.shape} and {gt.shape}')
    num_landmarks = pred.shape[1]
    if mask.shape != pred.shape[:2]:
        raise ValueError(f'mask must have shape {list(pred.shape[:2])}, '
                         f'but got {list(mask.shape)}')
    names = ([str(k)
              for k in range(num_landmarks)] if names is None else list(names))
    if len(names) != num_landmarks:
        raise ValueError(f'names must have {num_landmarks} entries (one per '
                         f'landmark), but got {len(names)}')

    idx_a, idx_b = np.triu_indices(num_landmarks, k=1)  # (P, ), (P, )
    # radial_errors_mm validates the spacing and applies (sx, sy) per image
    pred_mm = radial_errors_mm(pred[:, idx_a], pred[:, idx_b], spacing)
    true_mm = radial_errors_mm(gt[:, idx_a], gt[:, idx_b], spacing)
    valid = mask[:, idx_a] & mask[:, idx_b]  # (N, P)
    count = valid.sum(axis=0)  # (P, )
    with warnings.catch_warnings():
        # pairs never visible together are dropped below
        warnings.simplefilter('ignore', RuntimeWarning)
        pred_med = np.nanmedian(np.where(valid, pred_mm, np.nan), axis=0)
        true_med = np.nanmedian(np.where(valid, true_mm, np.nan), axis=0)
    touching = ((pred_mm < TOUCH_MM) & valid).sum(axis=0)  # (P, )
    with np.errstate(divide='ignore', invalid='ignore'):
        frac_touching = touching / count
        rel = np.where(true_med > 0, pred_med / true_med, np.nan)  # (P, )
        collapsed = (true_med >= min_true_mm) & (pred_med < ratio * true_med)

    keep = np.flatnonzero(count > 0)
    keep = keep[np.argsort(rel[keep], kind='stable')]  # nan sorts last
    return [
        dict(
            zip(PAIR_RECORD_KEYS, (
                names[idx_a[p]],
                names[idx_b[p]],
                int(idx_a[p]),
                int(idx_b[p]),
                float(pred_med[p]),
                float(true_med[p]),
                float(rel[p]),
                float(frac_touching[p]),
                int(count[p]),
                bool(collapsed[p]),
            ))) for p in keep
    ]


def collapsed_pairs(pred: np.ndarray,
                    gt: np.ndarray,
                    mask: np.ndarray,
                    spacing: np.ndarray,
                    names: Optional[Sequence[str]] = None,
                    ratio: float = 0.25,
                    min_true_mm: float = 1.0) -> List[dict]:
    """The landmark pairs whose predictions collapse onto one point.

    The records of :func:`landmark_pair_distances` whose ``collapsed`` flag
    is set: the true landmarks are at least ``min_true_mm`` apart (median
    over the images where both are visible) and the predictions are less
    than ``ratio`` times that. Such a pair means the model hedges between
    two look-alike structures (the upper and lower incisal tips, say) and
    puts both points at their midpoint, so each has an error of about half
    the true distance however well the model has learned the region.

    Args:
        pred (np.ndarray[N, K, 2]): Predicted landmarks in pixels.
        gt (np.ndarray[N, K, 2]): True landmarks in pixels.
        mask (np.ndarray[N, K]): ``True`` where the ground truth is visible.
        spacing (np.ndarray[N] | np.ndarray[N, 2]): Pixel spacing in mm/px.
        names (Sequence[str], optional): The ``K`` landmark names.
        ratio (float): Largest predicted / true distance ratio of a
            collapsed pair (exclusive). Defaults to 0.25.
        min_true_mm (float): Smallest median true distance of a collapsed
            pair in mm. Defaults to 1.0.

    Returns:
        list[dict]: The collapsed pairs, most collapsed first, with the keys
        of :func:`landmark_pair_distances`.
    """
    return [
        r for r in landmark_pair_distances(pred, gt, mask, spacing, names,
                                           ratio, min_true_mm)
        if r['collapsed']
    ]
