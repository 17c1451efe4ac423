"""Agreement between two annotators, with the same measures as a model.

The inter-observer error of two experts is the reference a model is judged
against: a model whose error against either expert is below it does as
well as a second expert. It is computed exactly like the model metric
(:mod:`.radial_error`): radial errors in mm with each image's spacing, MRE
pooled over all landmarks both annotators placed, SDR counting
``error <= threshold``.
"""
from typing import Dict, Sequence

import numpy as np

from .radial_error import (mean_radial_error, radial_errors_mm, sdr_key,
                           success_detection_rates)

__all__ = ['interobserver_agreement']


def interobserver_agreement(
    points_a: np.ndarray,
    points_b: np.ndarray,
    mask: np.ndarray,
    spacing: np.ndarray,
    thresholds: Sequence[float] = (2.0, 2.5, 3.0, 4.0)
) -> Dict[str, float]:
    """MRE, its SD and SDRs of annotator B measured against annotator A.

    Args:
        points_a (np.ndarray[N, K, 2]): Annotator A's landmarks in pixels.
        points_b (np.ndarray[N, K, 2]): Annotator B's landmarks in pixels.
        mask (np.ndarray[N, K]): ``True`` where both annotators placed the
            landmark.
        spacing (np.ndarray[N] | np.ndarray[N, 2]): Pixel spacing in mm/px.
        thresholds (Sequence[float]): SDR thresholds in mm.

    Returns:
        dict[str, float]: ``MRE`` and ``MRE_std`` (mm), ``SDR@{t}mm``
        (percent) for each threshold, and ``count``, the number of landmark
        pairs compared. The measure is symmetric in A and B.

    Examples:
        >>> a = np.zeros((1, 2, 2))
        >>> b = np.array([[[10., 0.], [0., 30.]]])
        >>> stats = interobserver_agreement(a, b, np.ones((1, 2), bool),
        ...                                 np.array([0.1]), thresholds=[2])
        >>> stats['MRE'], stats['SDR@2mm'], stats['count']
        (2.0, 50.0, 2)
    """
    errors = radial_errors_mm(points_a, points_b, spacing)  # (N, K)
    mre, std = mean_radial_error(errors, mask)
    stats = {'MRE': mre, 'MRE_std': std}
    rates = success_detection_rates(errors, mask, thresholds)
    for t, rate in zip(thresholds, rates):
        stats[sdr_key(t)] = float(rate)
    stats['count'] = int(np.count_nonzero(mask))
    return stats
