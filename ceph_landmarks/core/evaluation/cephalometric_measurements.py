"""The measurements of the standard cephalometric analyses, by name.

:data:`MEASUREMENT_SPECS` lists, in a stable order grouped by analysis
(Steiner, Downs, Tweed, McNamara, Jarabak, Ricketts), every measurement
with its unit, the points it needs (keys of
:data:`~.cephalometric_landmarks.LANDMARK_ALIASES`) and the function of
:mod:`.cephalometric_angles` / :mod:`.cephalometric_linear` that computes
it; the definitions are in those functions' docstrings, the reference
norms in :mod:`.cephalometric_norms`.

:func:`measurement_values` measures one image from landmarks in pixels and
the pixel spacing: coordinates are scaled to millimetres per axis when the
spacing is known (so non-square pixels are handled); without it, angles
and ratios are measured in pixels (square pixels assumed) and the
millimetre measures are ``None``.
"""
import functools
from dataclasses import dataclass
from typing import Callable, Dict, List, Optional, Sequence, Tuple, Union

import numpy as np

from .cephalometric_angles import (anb, angle_of_convexity, facial_angle, fma,
                                   fmia, gonial_angle, impa,
                                   interincisal_angle, lower_incisor_to_nb,
                                   sn_mandibular_plane, sna, snb,
                                   upper_incisor_to_na, y_axis)
from .cephalometric_geometry import distance
from .cephalometric_landmarks import resolve_landmarks
from .cephalometric_linear import (e_line_distance, facial_height_ratio,
                                   n_perpendicular)

__all__ = [
    'MeasurementSpec', 'MEASUREMENT_SPECS', 'UNITS', 'supported_measurements',
    'measurement_values', 'measurement_spec', 'check_spacing'
]

#: Units of the measurements: degrees, millimetres, percent.
UNITS = ('deg', 'mm', '%')

Spacing = Union[float, Sequence[float]]


@dataclass(frozen=True)
class MeasurementSpec:
    """One measurement of a cephalometric analysis.

    Attributes:
        key (str): Short identifier, e.g. ``'SNA'``, ``'N-perp-A'``.
        analysis (str): The analysis it belongs to, e.g. ``'Steiner'``.
        name (str): Human-readable name.
        unit (str): ``'deg'``, ``'mm'`` or ``'%'``.
        points (tuple[str, ...]): Point keys, in the function's argument
            order.
        function (Callable[..., np.ndarray]): Computes the value from the
            points, in an isotropic frame (mm for ``'mm'``); raises
            ``ValueError`` when the geometry leaves it undefined.
        substitute_for (str, optional): Key of the measurement this one
            replaces where that one's landmarks are missing (Ar for Co):
            it is supported only when that one is not.
    """
    key: str
    analysis: str
    name: str
    unit: str
    points: Tuple[str, ...]
    function: Callable[..., np.ndarray]
    substitute_for: Optional[str] = None


def _length(label: str) -> Callable[..., np.ndarray]:
    """A distance function between two points, named for its messages."""
    return functools.partial(distance, label=label)


def _spec(key: str,
          analysis: str,
          name: str,
          unit: str,
          points: str,
          function: Callable[..., np.ndarray],
          substitute_for: Optional[str] = None) -> MeasurementSpec:
    """Shorthand for the table below; ``points`` separated by spaces."""
    return MeasurementSpec(key, analysis, name, unit, tuple(points.split()),
                           function, substitute_for)


#: Every measurement, grouped by analysis, in report order.
MEASUREMENT_SPECS: Tuple[MeasurementSpec, ...] = (
    _spec('SNA', 'Steiner', 'SNA angle', 'deg', 'S N A', sna),
    _spec('SNB', 'Steiner', 'SNB angle', 'deg', 'S N B', snb),
    _spec('ANB', 'Steiner', 'ANB angle (SNA - SNB)', 'deg', 'S N A B', anb),
    _spec('SN-GoMe', 'Steiner', 'SN to mandibular plane (Go-Me)', 'deg',
          'S N Go Me', sn_mandibular_plane),
    _spec('U1-NA', 'Steiner', 'Upper incisor to NA (angle)', 'deg',
          'N A U1 U1A', upper_incisor_to_na),
    _spec('L1-NB', 'Steiner', 'Lower incisor to NB (angle)', 'deg',
          'N B L1 L1A', lower_incisor_to_nb),
    _spec('FH-NPog', 'Downs', 'Facial angle (N-Pog to FH)', 'deg',
          'Po Or N Pog', facial_angle),
    _spec('N-A-Pog', 'Downs', 'Angle of convexity (N-A-Pog)', 'deg',
          'S N A Pog', angle_of_convexity),
    _spec('FH-SGn', 'Downs', 'Y-axis (S-Gn to FH)', 'deg', 'Po Or S Gn',
          y_axis),
    _spec('FMA', 'Downs', 'Mandibular plane angle (FMA, Go-Me to FH)', 'deg',
          'Po Or Go Me', fma),
    _spec('U1-L1', 'Downs', 'Interincisal angle (U1-L1)', 'deg',
          'U1 U1A L1 L1A', interincisal_angle),
    _spec('IMPA', 'Tweed', 'Lower incisor to mandibular plane (IMPA)', 'deg',
          'Go Me L1 L1A', impa),
    _spec('FMIA', 'Tweed', 'Lower incisor to FH (FMIA = 180 - FMA - IMPA)',
          'deg', 'Po Or Go Me L1 L1A', fmia),
    _spec('N-perp-A', 'McNamara', 'A point to nasion perpendicular', 'mm',
          'Po Or N A', n_perpendicular),
    _spec('N-perp-Pog', 'McNamara', 'Pogonion to nasion perpendicular', 'mm',
          'Po Or N Pog', n_perpendicular),
    _spec('Co-A', 'McNamara', 'Midface length (Co-A)', 'mm', 'Co A',
          _length('Co-A')),
    _spec('Co-Gn', 'McNamara', 'Mandibular length (Co-Gn)', 'mm', 'Co Gn',
          _length('Co-Gn')),
    _spec('Ar-A', 'McNamara', 'Midface length, Ar-based substitute (Ar-A)',
          'mm', 'Ar A', _length('Ar-A'), 'Co-A'),
    _spec('Ar-Gn', 'McNamara',
          'Mandibular length, Ar-based substitute (Ar-Gn)', 'mm', 'Ar Gn',
          _length('Ar-Gn'), 'Co-Gn'),
    _spec('ANS-Me', 'McNamara', 'Lower anterior face height (ANS-Me)', 'mm',
          'ANS Me', _length('ANS-Me')),
    _spec('Ar-Go-Me', 'Jarabak', 'Gonial angle (Ar-Go-Me)', 'deg', 'Ar Go Me',
          gonial_angle),
    _spec('Jarabak-ratio', 'Jarabak',
          'Facial height ratio (S-Go / N-Me, Jarabak ratio)', '%', 'S Go N Me',
          facial_height_ratio),
    _spec('UL-E', 'Ricketts', 'Upper lip to E-line', 'mm', "S N Prn Pog' UL",
          e_line_distance),
    _spec('LL-E', 'Ricketts', 'Lower lip to E-line', 'mm', "S N Prn Pog' LL",
          e_line_distance),
)

_BY_KEY: Dict[str, MeasurementSpec] = {s.key: s for s in MEASUREMENT_SPECS}


def supported_measurements(names: Sequence[str]) -> List[str]:
    """Keys of the measurements a landmark set supports.

    A measurement is supported when all its points are in ``names``; an
    Ar-based substitute only when the condylion measurement it replaces
    is not supported.

    Args:
        names (Sequence[str]): Landmark names in channel order.

    Returns:
        list[str]: Keys of :data:`MEASUREMENT_SPECS`, in its order.

    Examples:
        >>> from ceph_landmarks.core.metainfo import landmark_names
        >>> supported_measurements(landmark_names('isbi2015'))[:4]
        ['SNA', 'SNB', 'ANB', 'SN-GoMe']
    """
    found = resolve_landmarks(names)
    complete = {
        s.key
        for s in MEASUREMENT_SPECS if all(p in found for p in s.points)
    }
    return [
        s.key for s in MEASUREMENT_SPECS if s.key in complete and (
            s.substitute_for is None or s.substitute_for not in complete)
    ]


def check_spacing(spacing: Optional[Spacing]) -> Optional[Tuple[float, float]]:
    """The pixel spacing as ``(sx, sy)`` mm/px, checked.

    Args:
        spacing (float | Sequence[float], optional): One number for square
            pixels or ``(sx, sy)``; ``None`` when unknown.

    Returns:
        tuple[float, float], optional: ``(sx, sy)``, or ``None``.

    Raises:
        ValueError: If the spacing is not one or two finite positive
            numbers.
    """
    if spacing is None:
        return None
    values = np.atleast_1d(np.asarray(spacing, dtype=np.float64))
    valid = values.size in (1, 2) and values.ndim == 1 and bool(
        np.all(np.isfinite(values)) and np.all(values > 0))
    if not valid:
        raise ValueError('spacing must be one positive number or (sx, sy) in '
                         f'mm/px, but got {spacing!r}')
    return float(values[0]), float(values[-1])


def measurement_values(keypoints: np.ndarray,
                       names: Sequence[str],
                       spacing: Optional[Spacing] = None,
                       keys: Optional[Sequence[str]] = None
                       ) -> Dict[str, Optional[float]]:
    """The value of each supported measurement on one image.

    Args:
        keypoints (np.ndarray[K, 2]): Landmarks in pixels, in the channel
            order of ``names``.
        names (Sequence[str]): The ``K`` landmark names.
        spacing (float | tuple[float, float], optional): Pixel spacing
            ``(sx, sy)`` in mm/px. ``None``: angles and ratios are measured
            in pixels (square pixels assumed) and mm measures are ``None``.
        keys (Sequence[str], optional): Measurements to compute; ``None``
            for all that ``names`` supports (:func:`supported_measurements`).

    Returns:
        dict[str, float | None]: Value per key, in the measurement's unit;
        ``None`` where it is undefined (coinciding landmarks, non-finite
        coordinates) or needs the unknown spacing.

    Raises:
        ValueError: If ``keypoints`` does not match ``names``, the spacing
            is invalid, or a key is unknown or not supported by ``names``.
    """
    keypoints = np.asarray(keypoints, dtype=np.float64)
    if keypoints.shape != (len(names), 2):
        raise ValueError(f'keypoints must have shape [{len(names)}, 2] for '
                         f'{len(names)} landmark names, but got '
                         f'{keypoints.shape}')
    spacing = check_spacing(spacing)
    supported = supported_measurements(names)
    if keys is None:
        keys = supported
    unsupported = [k for k in keys if k not in supported]
    if unsupported:
        raise ValueError(f'measurements {unsupported} are unknown or need '
                         'landmarks missing from the landmark names; '
                         f'supported: {supported}')
    frame = keypoints * np.asarray(spacing or (1.0, 1.0))  # (K, 2)
    found = resolve_landmarks(names)
    values = {}
    for key in keys:
        spec = _BY_KEY[key]
        values[key] = None
        if spec.unit == 'mm' and spacing is None:
            continue
        try:
            value = float(
                spec.function(*(frame[found[p]] for p in spec.points)))
        except ValueError:  # undefined geometry
            continue
        values[key] = value if np.isfinite(value) else None
    return values


def measurement_spec(key: str) -> MeasurementSpec:
    """The :class:`MeasurementSpec` of a key.

    Raises:
        KeyError: If the key is unknown.
    """
    if key not in _BY_KEY:
        raise KeyError(f'unknown measurement {key!r}; known measurements are '
                       f'{list(_BY_KEY)}')
    return _BY_KEY[key]
