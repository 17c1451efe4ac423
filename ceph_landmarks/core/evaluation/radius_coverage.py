"""How well a calibration's error radii hold on a test set.

A model's calibration (:mod:`ceph_landmarks.core.model_calibration`) gives
each predicted point an error radius that the true point should lie within
with the calibration's nominal probability, e.g. 90 %. On an annotated
test set that the calibration was not fitted on, this module measures it:

1. :func:`refine_shift_mm` gives the ``'refine_shift_mm'`` difficulty
   signal of a two-stage model, the distance between its coarse and its
   final points in mm;
2. :func:`calibrated_radii` gives the ``[N, K]`` radii of the test
   predictions from their difficulty signals (:data:`TEST_SIGNALS`), and
   refuses a calibration whose signal the predictions lack
   (:func:`check_radius_signal`);
3. :func:`radius_coverage` gives the coverage per landmark and overall,
   the smallest landmark coverage and the mean radius
   (``coverage_table`` of :mod:`.calibration_data`, on
   :func:`.conformal.coverage`).

``tools/test.py`` passes the calibration to ``CephalometricMetric``, which
gathers the arrays and reports ``ceph/coverage``,
``ceph/min_landmark_coverage`` and ``ceph/mean_radius_mm``.

Pure numpy; no torch, no OpenMMLab.
"""
import math
from typing import Any, Collection, Dict, Mapping, Sequence

import numpy as np

from .calibration_data import coverage_table
from .conformal import RadiusCalibration
from .radial_error import radial_errors_mm

__all__ = [
    'TEST_SIGNALS', 'refine_shift_mm', 'check_radius_signal',
    'calibrated_radii', 'radius_coverage'
]

#: The difficulty signals test predictions can give: the heatmap peak of
#: each point (``keypoint_scores``), and for a two-stage model
#: (``LandmarkCascade`` with a refinement stage) the shift of each point
#: by the refinement.
TEST_SIGNALS = ('confidence', 'refine_shift_mm')
#: Difficulty signal name to its ``[N, K]`` values.
Signals = Mapping[str, np.ndarray]


def refine_shift_mm(coarse: np.ndarray, final: np.ndarray,
                    spacing: np.ndarray) -> np.ndarray:
    """How far a refinement stage moved each point, in mm.

    Args:
        coarse (np.ndarray): The first stage's points ``[N, K, 2]`` in
            pixels.
        final (np.ndarray): The refined points ``[N, K, 2]`` in pixels.
        spacing (np.ndarray): Pixel spacing of each image in mm/px,
            ``[N]`` or ``[N, 2]`` ``(sx, sy)``.

    Returns:
        np.ndarray: ``[N, K]``, ``sqrt((dx * sx) ** 2 + (dy * sy) ** 2)``.

    Examples:
        >>> refine_shift_mm(np.zeros((1, 1, 2)), np.array([[[3., 4.]]]),
        ...                 np.array([[0.1, 0.2]]))
        array([[0.85440037]])
    """
    return radial_errors_mm(final, coarse, spacing)


def check_radius_signal(radius: RadiusCalibration, available: Collection[str],
                        source: str) -> None:
    """Refuse a calibration whose radius needs a signal not available.

    Args:
        radius (RadiusCalibration): The calibration's radius model.
        available (Collection[str]): The difficulty signals the
            predictions give.
        source (str): The calibration file, named in the error.

    Raises:
        ValueError: If the radius scales with a signal not in
            ``available``; the message names ``source``, the signal and
            those available.
    """
    signal = radius.difficulty
    if signal is None or signal in available:
        return
    hint = ''
    if signal == 'refine_shift_mm':
        hint = ('; only a model with a refinement stage (--refine-config) '
                'gives it')
    elif signal not in TEST_SIGNALS:
        hint = (f'; test predictions give at most '
                f'{", ".join(TEST_SIGNALS)}')
    given = ', '.join(sorted(available)) or 'none'
    raise ValueError(
        f'{source}: the calibration scales the error radii with the '
        f'difficulty signal {signal!r}, which the predictions do not give '
        f'(they give: {given}){hint}')


def calibrated_radii(radius: RadiusCalibration, signals: Signals,
                     num_images: int, source: str) -> np.ndarray:
    """The error radius of every test point, in mm.

    Args:
        radius (RadiusCalibration): The calibration's radius model.
        signals (Signals): Difficulty signal name to its
            ``[N, K]`` values on the test images (see
            :data:`TEST_SIGNALS`); only the calibration's signal is used.
        num_images (int): ``N``.
        source (str): The calibration file, named in the errors.

    Returns:
        np.ndarray: ``[N, K]``: the constant radii of each landmark, or
        those of the calibration's signal
        (:meth:`RadiusCalibration.radius_mm`; a NaN value gets the
        constant radius).

    Raises:
        ValueError: If the calibration needs a signal not in ``signals``
            (see :func:`check_radius_signal`) or its values are not
            ``[N, K]``.
    """
    shape = (int(num_images), len(radius.landmark_names))
    if radius.difficulty is None:
        return np.broadcast_to(radius.radius_mm(), shape).copy()
    check_radius_signal(radius, signals, source)
    values = np.asarray(signals[radius.difficulty], dtype=np.float64)
    if values.shape != shape:
        raise ValueError(
            f'{source}: difficulty signal {radius.difficulty!r} must hold '
            f'{shape} values (images, landmarks), but has {values.shape}')
    return radius.radius_mm(values)


def radius_coverage(names: Sequence[str], errors_mm: np.ndarray,
                    mask: np.ndarray, radii: np.ndarray) -> Dict[str, Any]:
    """How often the true point lies within its radius.

    Args:
        names (Sequence[str]): The ``K`` landmark names.
        errors_mm (np.ndarray): Radial errors ``[N, K]`` in mm.
        mask (np.ndarray): ``[N, K]``, True where the point is annotated;
            the others are left out.
        radii (np.ndarray): Radii ``[N, K]`` in mm.

    Returns:
        dict: ``per_landmark``, one row per landmark (``landmark``,
        ``coverage`` and ``mean_radius_mm``, ``None`` for a landmark never
        annotated, ``num_points``), and ``overall`` (``coverage``, the
        fraction of annotated points within their radius;
        ``min_landmark_coverage``; ``mean_radius_mm`` over the annotated
        points; ``num_points``; NaN values when no point is annotated).

    Raises:
        ValueError: If the shapes disagree.

    Examples:
        >>> table = radius_coverage(['a', 'b'], np.array([[1., 3.]]),
        ...                         np.array([[True, True]]),
        ...                         np.array([[2., 2.]]))
        >>> table['overall']['coverage'], table['per_landmark'][1]['coverage']
        (0.5, 0.0)
    """
    errors = np.asarray(errors_mm, dtype=np.float64)
    mask = np.asarray(mask, dtype=bool)
    radii = np.asarray(radii, dtype=np.float64)
    if errors.ndim != 2 or not (errors.shape == mask.shape == radii.shape) \
            or errors.shape[1] != len(names):
        raise ValueError(
            f'radius_coverage: expected errors, mask and radii [N, K] with '
            f'K = {len(names)} landmarks, but got {errors.shape}, '
            f'{mask.shape} and {radii.shape}')
    if not mask.any():
        return dict(
            per_landmark=[
                dict(
                    landmark=name,
                    coverage=None,
                    mean_radius_mm=None,
                    num_points=0) for name in names
            ],
            overall=dict(
                coverage=math.nan,
                min_landmark_coverage=math.nan,
                mean_radius_mm=math.nan,
                num_points=0))
    return coverage_table(list(names), np.where(mask, errors, np.nan), radii)
