"""Uncertainty of the cephalometric measurements from the landmark radii.

Each landmark's calibrated error radius ``r`` (the true point lies within
``r`` of the prediction with probability ``coverage``) is turned into an
isotropic two-dimensional Gaussian around the predicted point. The radial
distance of such a Gaussian follows a Rayleigh distribution,
``P(R <= r) = 1 - exp(-r^2 / (2 sigma^2))``, so the per-axis standard
deviation whose ``coverage`` quantile is ``r`` is::

    sigma = r / sqrt(-2 ln(1 - coverage))

(``r / 2.146`` for 90 %). The landmarks are drawn independently from these
Gaussians and every measurement is recomputed on each draw with the
package's own measurement functions
(:data:`~.cephalometric_measurements.MEASUREMENT_SPECS`, as
:func:`~.cephalometric_measurements.measurement_values` uses them); the
uncertainty of a measurement is the standard deviation of its values over
the draws, in its unit.

Sampling (Monte Carlo), not first-order (linearised) propagation: the
measurements are not linear in the points. An angle whose arms are short
compared with the radii (e.g. an incisor axis, or a vertex close to
another landmark) changes non-linearly and is bounded to ``[0, 180]``,
where a linearisation misstates the spread; signed angles and distances
change sign across a line (the angle of convexity, the E-line distances);
a ratio (Jarabak's) has a skewed distribution when its denominator is
uncertain. Sampling needs no derivatives and handles all of these alike.
With the default 500 draws the standard deviation itself is known to
about 3 % (relative standard error ``1 / sqrt(2 (n - 1))``).

The draws are seeded, so the result is deterministic. The landmarks'
errors are assumed independent, which the calibration does not check.
"""
import math
from typing import Dict, Optional, Sequence

import numpy as np

from .cephalometric_landmarks import resolve_landmarks
from .cephalometric_measurements import (Spacing, check_spacing,
                                         measurement_spec, measurement_values)

__all__ = ['measurement_uncertainty', 'rayleigh_sigma']

#: Fewest defined draws from which a standard deviation is reported.
MIN_DEFINED_DRAWS = 2


def rayleigh_sigma(radius: np.ndarray, coverage: float) -> np.ndarray:
    """Per-axis sigma of an isotropic 2-D Gaussian with a given radius.

    Args:
        radius (np.ndarray): Radii, any shape: the distance within which a
            draw falls with probability ``coverage``.
        coverage (float): The radius' probability, in (0, 1).

    Returns:
        np.ndarray: ``radius / sqrt(-2 ln(1 - coverage))``.

    Raises:
        ValueError: If ``coverage`` is not in (0, 1).

    Examples:
        >>> round(float(rayleigh_sigma(np.array(2.146), 0.9)), 3)
        1.0
    """
    coverage = float(coverage)
    if not 0.0 < coverage < 1.0:
        raise ValueError(f'coverage must be in (0, 1), but got {coverage!r}')
    factor = math.sqrt(-2.0 * math.log(1.0 - coverage))
    return np.asarray(radius, dtype=np.float64) / factor


_Index = Dict[str, int]


def _evaluate(key: str, frames: np.ndarray, index: _Index) -> np.ndarray:
    """The measurement ``key`` on each of ``[S, K, 2]`` frames, ``[S]``.

    All draws are measured in one call; where the geometry of some draw is
    undefined (the function raises), each draw is measured on its own and
    the undefined ones become NaN. Non-finite values become NaN.
    """
    spec = measurement_spec(key)
    columns = [index[p] for p in spec.points]
    try:
        values = np.asarray(
            spec.function(*(frames[:, c] for c in columns)), dtype=np.float64)
    except ValueError:
        values = np.full(frames.shape[0], np.nan)
        for i, frame in enumerate(frames):
            try:
                values[i] = float(spec.function(*(frame[c] for c in columns)))
            except ValueError:  # undefined for this draw
                continue
    values = np.broadcast_to(values, (frames.shape[0], )).astype(np.float64)
    return np.where(np.isfinite(values), values, np.nan)


def measurement_uncertainty(keypoints: np.ndarray,
                            radii_px: np.ndarray,
                            landmark_names: Sequence[str],
                            spacing: Optional[Spacing] = None,
                            keys: Optional[Sequence[str]] = None,
                            coverage: float = 0.9,
                            samples: int = 500,
                            seed: int = 0) -> Dict[str, Optional[float]]:
    """Standard deviation of each measurement, sampled from the radii.

    See the module docstring for the method: each landmark is drawn from
    an isotropic Gaussian in pixels whose ``coverage`` radius is its
    radius, the measurements are recomputed on each draw (in mm with the
    spacing, scaled per axis as in
    :func:`~.cephalometric_measurements.measurement_values`) and their
    standard deviation is returned. The Gaussian is isotropic in pixels,
    as the radius in pixels is (the radius in mm over the mean spacing).

    Args:
        keypoints (np.ndarray): ``[K, 2]`` predicted ``(x, y)`` in pixels.
        radii_px (np.ndarray): ``[K]`` error radii in pixels, ``>= 0``; a
            NaN radius keeps its landmark fixed (it adds no uncertainty).
        landmark_names (Sequence[str]): The ``K`` names, in channel order.
        spacing (float | tuple[float, float], optional): Pixel spacing
            ``(sx, sy)`` in mm/px; ``None``: angles and ratios are measured
            in pixels and mm measures have no value (and no uncertainty).
        keys (Sequence[str], optional): The measurements; ``None`` for all
            that the names support.
        coverage (float): The probability of the radii, in (0, 1), e.g. a
            calibration's nominal coverage 0.9.
        samples (int): Number of draws (at least 2).
        seed (int): Seed of the draws; the same inputs and seed give the
            same result.

    Returns:
        dict[str, float | None]: Per key, the standard deviation (ddof 1)
        in the measurement's unit; ``None`` where the value itself is
        undefined (coinciding landmarks, a mm measure without the spacing)
        or fewer than two draws are defined. Draws on which a measurement
        is undefined are left out of its standard deviation.

    Raises:
        ValueError: If the shapes do not match the names, a radius is
            negative or infinite, ``coverage`` is not in (0, 1),
            ``samples < 2``, the spacing is invalid, or a key is unknown
            or unsupported by the names.

    Examples:
        >>> from ceph_landmarks.core.metainfo import landmark_names
        >>> from ceph_landmarks.core.synthetic import TEMPLATE
        >>> names = landmark_names('isbi2015')
        >>> sd = measurement_uncertainty(TEMPLATE, np.full(19, 10.0), names,
        ...                              (0.1, 0.1), keys=['SNA', 'ANS-Me'])
        >>> 0 < sd['SNA'] < 2 and 0 < sd['ANS-Me'] < 2
        True
    """
    keypoints = np.asarray(keypoints, dtype=np.float64)
    radii = np.asarray(radii_px, dtype=np.float64)
    names = list(landmark_names)
    count = len(names)
    if radii.shape != (count, ):
        raise ValueError(f'measurement_uncertainty: expected {count} radii '
                         f'(one per landmark name), but got shape '
                         f'{radii.shape}')
    if np.any(np.isinf(radii)) or np.any(radii[~np.isnan(radii)] < 0):
        raise ValueError(f'measurement_uncertainty: radii must be finite and '
                         f'non-negative (NaN: fixed landmark), but got '
                         f'{radii.tolist()}')
    samples = int(samples)
    if samples < MIN_DEFINED_DRAWS:
        raise ValueError(f'measurement_uncertainty: samples must be at least '
                         f'{MIN_DEFINED_DRAWS}, but got {samples}')
    sigma = rayleigh_sigma(np.nan_to_num(radii, nan=0.0), coverage)
    # validates the keypoints' shape, the spacing and the keys
    nominal = measurement_values(keypoints, names, spacing, keys)
    spacing = check_spacing(spacing)
    rng = np.random.default_rng(seed)
    noise = rng.standard_normal((samples, count, 2))
    draws = keypoints[None] + sigma[None, :, None] * noise
    frames = draws * np.asarray(spacing or (1.0, 1.0))
    index = resolve_landmarks(names)
    result: Dict[str, Optional[float]] = {}
    for key, value in nominal.items():
        result[key] = None
        if value is None:
            continue
        values = _evaluate(key, frames, index)
        defined = values[~np.isnan(values)]
        if defined.size < MIN_DEFINED_DRAWS:
            continue
        # exactly 0 where nothing moves (a float mean may not be exact)
        result[key] = 0.0 if np.ptp(defined) == 0 else float(
            np.std(defined, ddof=1))
    return result
