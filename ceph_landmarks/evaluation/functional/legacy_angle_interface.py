"""The deprecated angle-only interface, kept over the measurement table.

:func:`cephalometric_angles` measured seven angles (:data:`MEASUREMENTS`)
before :data:`~.cephalometric_measurements.MEASUREMENT_SPECS` listed every
measurement of the standard analyses. It stays for its callers, as thin
wrappers: the functions and points come from that table, and each call
emits a ``DeprecationWarning`` naming the replacement
(:func:`~.cephalometric_measurements.measurement_values`,
:func:`~.cephalometric_measurements.supported_measurements`).

Unlike ``measurement_values``, :func:`cephalometric_angles` measures a batch
``[..., K, 2]`` in one call and, by default, raises where two landmarks of a
measurement coincide or a coordinate is not finite.
"""
import contextlib
import warnings
from typing import Callable, Dict, List, Mapping, Optional, Sequence, Tuple

import numpy as np

from .cephalometric_angles import upper_incisor_to_sn
from .cephalometric_landmarks import LANDMARK_ALIASES, resolve_landmarks
from .cephalometric_measurements import MEASUREMENT_SPECS

__all__ = ['MEASUREMENTS', 'available_measurements', 'cephalometric_angles']

_TABLE = {spec.key: (spec.function, spec.points) for spec in MEASUREMENT_SPECS}
# the one angle of this interface that the measurement table does not list
_TABLE['U1-SN'] = (upper_incisor_to_sn, ('S', 'N', 'U1', 'U1A'))

#: Each angle of this interface, in its order: the function and the points
#: it takes, in argument order (keys of :data:`LANDMARK_ALIASES`).
MEASUREMENTS: Dict[str, Tuple[Callable[..., np.ndarray], Tuple[str, ...]]] = {
    key: _TABLE[key]
    for key in ('SNA', 'SNB', 'ANB', 'FMA', 'U1-SN', 'IMPA', 'U1-L1')
}


def _warn_deprecated(name: str, replacement: str) -> None:
    """Warn the caller of a deprecated function of this module."""
    warnings.warn(
        f'{name} is deprecated: use {replacement} of '
        'ceph_landmarks.evaluation.functional (the measurements of '
        'MEASUREMENT_SPECS)',
        DeprecationWarning,
        stacklevel=3)


def _available(found: Mapping[str, int]) -> List[str]:
    """Keys of :data:`MEASUREMENTS` whose points are all in ``found``."""
    return [
        key for key, (_, points) in MEASUREMENTS.items()
        if all(p in found for p in points)
    ]


def available_measurements(names: Sequence[str]) -> List[str]:
    """Measurements whose landmarks are all in a landmark list.

    .. deprecated::
        Use :func:`~.cephalometric_measurements.supported_measurements`.

    Args:
        names (Sequence[str]): Landmark names in channel order.

    Returns:
        list[str]: Keys of :data:`MEASUREMENTS`, in their order.
    """
    _warn_deprecated('available_measurements', 'supported_measurements')
    return _available(resolve_landmarks(names))


def _function_and_channels(key: str, found: Mapping[str, int]
                           ) -> Tuple[Callable[..., np.ndarray], List[int]]:
    """A measurement's function and the channels of its points, checked."""
    if key not in MEASUREMENTS:
        raise ValueError(f'unknown measurement {key!r}; known '
                         f'measurements are {list(MEASUREMENTS)}')
    function, points = MEASUREMENTS[key]
    missing = [p for p in points if p not in found]
    if missing:
        raise ValueError(f'{key} needs the landmarks ' +
                         ', '.join(f'{p} ({" or ".join(LANDMARK_ALIASES[p])})'
                                   for p in missing) +
                         ', which are not in the landmark list')
    return function, [found[p] for p in points]


def cephalometric_angles(keypoints: np.ndarray,
                         names: Sequence[str],
                         measurements: Optional[Sequence[str]] = None,
                         on_degenerate: str = 'raise'
                         ) -> Mapping[str, np.ndarray]:
    """Every requested cephalometric angle of one or many images.

    .. deprecated::
        Use :func:`~.cephalometric_measurements.measurement_values` (one
        image, every measurement of ``MEASUREMENT_SPECS``, ``None`` where
        undefined).

    Args:
        keypoints (np.ndarray[..., K, 2]): Landmarks in an isotropic frame
            (mm, or pixels when the pixels are square), channel order of
            ``names``.
        names (Sequence[str]): The ``K`` landmark names.
        measurements (Sequence[str], optional): Keys of
            :data:`MEASUREMENTS`; ``None`` measures all that ``names``
            allow (:func:`available_measurements`).
        on_degenerate (str): ``'raise'`` raises ``ValueError`` when a
            segment has zero length; ``'nan'`` gives ``nan`` for that
            angle of that image instead.

    Returns:
        dict[str, np.ndarray[...]]: Angle in degrees per measurement, with
        the leading shape of ``keypoints`` (a 0-d array for one image).

    Raises:
        ValueError: If ``keypoints`` does not match ``names``, a requested
            measurement is unknown or its landmarks are not in ``names``,
            ``on_degenerate`` is invalid, or (with ``'raise'``) a segment
            has zero length.
    """
    _warn_deprecated('cephalometric_angles', 'measurement_values')
    if on_degenerate not in ('raise', 'nan'):
        raise ValueError("on_degenerate must be 'raise' or 'nan', but got "
                         f'{on_degenerate!r}')
    keypoints = np.asarray(keypoints, dtype=np.float64)
    if keypoints.ndim < 2 or keypoints.shape[-2:] != (len(names), 2):
        raise ValueError(f'keypoints must have shape [..., {len(names)}, 2] '
                         f'for {len(names)} landmark names, but got '
                         f'{keypoints.shape}')
    found = resolve_landmarks(names)
    results = {}
    for key in _available(found) if measurements is None else measurements:
        function, channels = _function_and_channels(key, found)
        if on_degenerate == 'raise':
            points = np.moveaxis(keypoints[..., channels, :], -2, 0)
            try:
                angle = np.asarray(function(*points))
            except ValueError as err:
                raise ValueError(f'{key} is undefined: {err}') from err
        else:
            angle = np.full(keypoints.shape[:-2], np.nan)
            for idx in np.ndindex(*angle.shape):
                with contextlib.suppress(ValueError):  # undefined: stays nan
                    angle[idx] = function(*keypoints[idx][channels])
        results[key] = angle
    return results
