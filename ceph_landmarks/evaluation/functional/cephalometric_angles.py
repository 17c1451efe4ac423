"""Standard cephalometric angles from landmark coordinates: pure numpy.

Conventions used throughout:

* A point is an array ``[..., 2]`` of ``(x, y)``; leading dimensions
  broadcast, so one call measures one image (``[2]``) or ``N`` images
  (``[N, 2]``).
* Coordinates must be in an isotropic frame: millimetres, or pixels of an
  image whose pixels are square. Convert with the pixel spacing first when
  ``sx != sy`` (an angle is not invariant to anisotropic scaling).
* Angles are in degrees. Each angle between two directions is unsigned, in
  ``[0, 180]``, so it does not depend on whether the face looks left or right
  in the image; ANB, a difference of two such angles, is signed.
* A segment whose two landmarks coincide has no direction: the functions
  raise ``ValueError`` naming the segment.

Landmarks are found by **name** (:data:`LANDMARK_ALIASES`), never by channel
index, so every landmark set that contains the points gets the measurements
(the 19 ISBI 2015 landmarks give SNA, SNB, ANB and FMA; CL-Detection 2023
and 'Aariz, which add the incisor apices, give all seven).

Examples:
    >>> s, n, a = np.array([0., 0.]), np.array([10., 0.]), np.array([10., 10.])
    >>> float(sna(s, n, a))
    90.0
"""
from typing import Callable, Dict, List, Mapping, Optional, Sequence, Tuple

import numpy as np

__all__ = [
    'vector_angle', 'sna', 'snb', 'anb', 'fma', 'upper_incisor_to_sn', 'impa',
    'interincisal_angle', 'LANDMARK_ALIASES', 'MEASUREMENTS',
    'resolve_landmarks', 'available_measurements', 'cephalometric_angles'
]

#: Shortest segment (in the coordinates' unit) that still has a direction.
_MIN_LENGTH = 1e-6


def _segment(start: np.ndarray, end: np.ndarray, label: str) -> np.ndarray:
    """Direction vector ``end - start`` of a segment, checked for length.

    Args:
        start (np.ndarray[..., 2]): First landmark.
        end (np.ndarray[..., 2]): Second landmark.
        label (str): The segment's name for messages, e.g. ``'S-N'``.

    Returns:
        np.ndarray[..., 2]: ``end - start``.

    Raises:
        ValueError: If a point is not ``[..., 2]``, a coordinate is not
            finite, or the two landmarks coincide.
    """
    start = np.asarray(start, dtype=np.float64)
    end = np.asarray(end, dtype=np.float64)
    if start.shape[-1:] != (2, ) or end.shape[-1:] != (2, ):
        raise ValueError(f'segment {label}: points must have shape [..., 2], '
                         f'but got {start.shape} and {end.shape}')
    vec = end - start
    if not np.all(np.isfinite(vec)):
        raise ValueError(f'segment {label}: non-finite coordinates')
    short = np.linalg.norm(vec, axis=-1) < _MIN_LENGTH
    if np.any(short):
        where = '' if vec.ndim == 1 else \
            f' at index {np.argwhere(short)[0].tolist()}'
        raise ValueError(f'zero-length segment {label}{where}: its two '
                         'landmarks coincide, so it has no direction')
    return vec


def vector_angle(u: np.ndarray, v: np.ndarray) -> np.ndarray:
    """Unsigned angle between two direction vectors, in degrees.

    Computed as ``atan2(|u x v|, u . v)``, which stays accurate near 0 and
    180 degrees (``arccos`` of the cosine does not).

    Args:
        u (np.ndarray[..., 2]): First direction (non-zero).
        v (np.ndarray[..., 2]): Second direction (non-zero).

    Returns:
        np.ndarray[...]: The angle in ``[0, 180]`` degrees.

    Raises:
        ValueError: If a vector has zero length.

    Examples:
        >>> float(vector_angle(np.array([1., 0.]), np.array([0., 2.])))
        90.0
    """
    u = _segment(np.zeros(2), u, 'u')
    v = _segment(np.zeros(2), v, 'v')
    cross = u[..., 0] * v[..., 1] - u[..., 1] * v[..., 0]
    dot = np.sum(u * v, axis=-1)
    return np.degrees(np.arctan2(np.abs(cross), dot))


def _angle_at(vertex: np.ndarray, p: np.ndarray, q: np.ndarray,
              labels: Tuple[str, str, str]) -> np.ndarray:
    """Angle ``p-vertex-q`` at ``vertex``; labels name (vertex, p, q)."""
    v, a, b = labels
    return vector_angle(
        _segment(vertex, p, f'{v}-{a}'), _segment(vertex, q, f'{v}-{b}'))


def sna(s: np.ndarray, n: np.ndarray, a: np.ndarray) -> np.ndarray:
    """SNA: the angle S-N-A at nasion (sagittal position of the maxilla).

    The angle at nasion (N) between the line to sella (S) and the line to
    subspinale (A point, the deepest point of the anterior maxilla). Norm
    about 82 degrees; larger means a prognathic maxilla.

    Args:
        s (np.ndarray[..., 2]): Sella.
        n (np.ndarray[..., 2]): Nasion.
        a (np.ndarray[..., 2]): Subspinale (A point).

    Returns:
        np.ndarray[...]: SNA in degrees, in ``[0, 180]``.

    Raises:
        ValueError: If N coincides with S or with A.
    """
    return _angle_at(n, s, a, ('N', 'S', 'A'))


def snb(s: np.ndarray, n: np.ndarray, b: np.ndarray) -> np.ndarray:
    """SNB: the angle S-N-B at nasion (sagittal position of the mandible).

    The angle at nasion (N) between the line to sella (S) and the line to
    supramentale (B point, the deepest point of the anterior mandible).
    Norm about 80 degrees.

    Args:
        s (np.ndarray[..., 2]): Sella.
        n (np.ndarray[..., 2]): Nasion.
        b (np.ndarray[..., 2]): Supramentale (B point).

    Returns:
        np.ndarray[...]: SNB in degrees, in ``[0, 180]``.

    Raises:
        ValueError: If N coincides with S or with B.
    """
    return _angle_at(n, s, b, ('N', 'S', 'B'))


def anb(s: np.ndarray, n: np.ndarray, a: np.ndarray,
        b: np.ndarray) -> np.ndarray:
    """ANB = SNA - SNB: the sagittal jaw relationship, signed.

    Positive (norm about +2 degrees) when A lies in front of B as seen
    from S-N (skeletal class I/II), negative for a class III relationship.

    Args:
        s (np.ndarray[..., 2]): Sella.
        n (np.ndarray[..., 2]): Nasion.
        a (np.ndarray[..., 2]): Subspinale (A point).
        b (np.ndarray[..., 2]): Supramentale (B point).

    Returns:
        np.ndarray[...]: ANB in degrees, in ``[-180, 180]``.

    Raises:
        ValueError: If N coincides with S, A or B.
    """
    return sna(s, n, a) - snb(s, n, b)


def fma(po: np.ndarray, or_: np.ndarray, go: np.ndarray,
        me: np.ndarray) -> np.ndarray:
    """FMA: the Frankfort-mandibular plane angle (vertical growth pattern).

    The angle between the Frankfort horizontal, directed from porion (Po)
    to orbitale (Or), and the mandibular plane, directed from gonion (Go)
    to menton (Me). Both directions point forwards, so a normal face gives
    an acute angle (norm about 25 degrees; larger means a long, open face).

    Args:
        po (np.ndarray[..., 2]): Porion.
        or_ (np.ndarray[..., 2]): Orbitale.
        go (np.ndarray[..., 2]): Gonion.
        me (np.ndarray[..., 2]): Menton.

    Returns:
        np.ndarray[...]: FMA in degrees, in ``[0, 180]``.

    Raises:
        ValueError: If Po coincides with Or, or Go with Me.
    """
    return vector_angle(_segment(po, or_, 'Po-Or'), _segment(go, me, 'Go-Me'))


def upper_incisor_to_sn(s: np.ndarray, n: np.ndarray, u1_tip: np.ndarray,
                        u1_apex: np.ndarray) -> np.ndarray:
    """U1-SN: inclination of the upper incisor to the S-N line.

    The posterior-inferior angle between the long axis of the upper central
    incisor, directed from its root apex (U1A) to its incisal tip (U1), and
    the S-N line directed backwards, from nasion (N) to sella (S). Norm
    about 103 degrees; larger means a proclined incisor.

    Args:
        s (np.ndarray[..., 2]): Sella.
        n (np.ndarray[..., 2]): Nasion.
        u1_tip (np.ndarray[..., 2]): Upper incisor incisal tip.
        u1_apex (np.ndarray[..., 2]): Upper incisor root apex.

    Returns:
        np.ndarray[...]: U1-SN in degrees, in ``[0, 180]``.

    Raises:
        ValueError: If S coincides with N, or U1 with U1A.
    """
    return vector_angle(
        _segment(u1_apex, u1_tip, 'U1A-U1'), _segment(n, s, 'N-S'))


def impa(go: np.ndarray, me: np.ndarray, l1_tip: np.ndarray,
         l1_apex: np.ndarray) -> np.ndarray:
    """IMPA: incisor-mandibular plane angle (lower incisor inclination).

    The posterior-superior angle between the long axis of the lower central
    incisor, directed from its root apex (L1A) to its incisal tip (L1), and
    the mandibular plane directed backwards, from menton (Me) to gonion
    (Go). Norm about 90-95 degrees; larger means a proclined incisor.

    Args:
        go (np.ndarray[..., 2]): Gonion.
        me (np.ndarray[..., 2]): Menton.
        l1_tip (np.ndarray[..., 2]): Lower incisor incisal tip.
        l1_apex (np.ndarray[..., 2]): Lower incisor root apex.

    Returns:
        np.ndarray[...]: IMPA in degrees, in ``[0, 180]``.

    Raises:
        ValueError: If Go coincides with Me, or L1 with L1A.
    """
    return vector_angle(
        _segment(l1_apex, l1_tip, 'L1A-L1'), _segment(me, go, 'Me-Go'))


def interincisal_angle(u1_tip: np.ndarray, u1_apex: np.ndarray,
                       l1_tip: np.ndarray, l1_apex: np.ndarray) -> np.ndarray:
    """U1-L1: the interincisal angle between the two incisor long axes.

    The angle between the upper incisor axis, directed from its incisal tip
    (U1) to its apex (U1A), and the lower incisor axis, directed from its
    tip (L1) to its apex (L1A): the angle the two axes enclose behind the
    incisal edges. Norm about 130 degrees; smaller means proclined incisors.

    Args:
        u1_tip (np.ndarray[..., 2]): Upper incisor incisal tip.
        u1_apex (np.ndarray[..., 2]): Upper incisor root apex.
        l1_tip (np.ndarray[..., 2]): Lower incisor incisal tip.
        l1_apex (np.ndarray[..., 2]): Lower incisor root apex.

    Returns:
        np.ndarray[...]: U1-L1 in degrees, in ``[0, 180]``.

    Raises:
        ValueError: If U1 coincides with U1A, or L1 with L1A.
    """
    return vector_angle(
        _segment(u1_tip, u1_apex, 'U1-U1A'), _segment(l1_tip, l1_apex,
                                                      'L1-L1A'))


#: Landmark names (as in the package's landmark sets) accepted for each
#: point of the measurements, in order of preference.
LANDMARK_ALIASES: Dict[str, Tuple[str, ...]] = {
    'S': ('sella', ),
    'N': ('nasion', ),
    'A': ('subspinale', 'a_point'),
    'B': ('supramentale', 'b_point'),
    'Po': ('porion', ),
    'Or': ('orbitale', ),
    'Go': ('gonion', ),
    'Me': ('menton', ),
    'U1': ('upper_incisal_incision', 'upper_incisor_tip'),
    'U1A': ('upper_incisor_apex', ),
    'L1': ('lower_incisal_incision', 'lower_incisor_tip'),
    'L1A': ('lower_incisor_apex', ),
}

#: Each measurement: its function and the points it takes, in argument
#: order (keys of :data:`LANDMARK_ALIASES`).
MEASUREMENTS: Dict[str, Tuple[Callable[..., np.ndarray], Tuple[str, ...]]] = {
    'SNA': (sna, ('S', 'N', 'A')),
    'SNB': (snb, ('S', 'N', 'B')),
    'ANB': (anb, ('S', 'N', 'A', 'B')),
    'FMA': (fma, ('Po', 'Or', 'Go', 'Me')),
    'U1-SN': (upper_incisor_to_sn, ('S', 'N', 'U1', 'U1A')),
    'IMPA': (impa, ('Go', 'Me', 'L1', 'L1A')),
    'U1-L1': (interincisal_angle, ('U1', 'U1A', 'L1', 'L1A')),
}


def resolve_landmarks(names: Sequence[str]) -> Dict[str, int]:
    """Channel index of each measurement point present in a landmark list.

    Args:
        names (Sequence[str]): Landmark names in channel order.

    Returns:
        dict[str, int]: Point key of :data:`LANDMARK_ALIASES` (``'S'``,
        ``'N'``...) to its channel; points absent from ``names`` are left
        out.
    """
    index = {name: k for k, name in enumerate(names)}
    found = {}
    for point, aliases in LANDMARK_ALIASES.items():
        for alias in aliases:
            if alias in index:
                found[point] = index[alias]
                break
    return found


def available_measurements(names: Sequence[str]) -> List[str]:
    """Measurements whose landmarks are all in a landmark list.

    Args:
        names (Sequence[str]): Landmark names in channel order.

    Returns:
        list[str]: Keys of :data:`MEASUREMENTS`, in their order.

    Examples:
        >>> from ceph_landmarks.metainfo import landmark_names
        >>> available_measurements(landmark_names('isbi2015'))
        ['SNA', 'SNB', 'ANB', 'FMA']
    """
    found = resolve_landmarks(names)
    return [
        key for key, (_, points) in MEASUREMENTS.items()
        if all(p in found for p in points)
    ]


def _measure_each(function: Callable[..., np.ndarray],
                  points: List[np.ndarray]) -> np.ndarray:
    """Apply ``function`` point set by point set, ``nan`` where undefined."""
    shape = np.broadcast_shapes(*(p.shape[:-1] for p in points))
    points = [np.broadcast_to(p, shape + (2, )) for p in points]
    out = np.full(shape, np.nan)
    for idx in np.ndindex(*shape):
        try:
            out[idx] = function(*(p[idx] for p in points))
        except ValueError:
            pass
    return out


def cephalometric_angles(keypoints: np.ndarray,
                         names: Sequence[str],
                         measurements: Optional[Sequence[str]] = None,
                         on_degenerate: str = 'raise'
                         ) -> Mapping[str, np.ndarray]:
    """Every requested cephalometric angle of one or many images.

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

    Examples:
        >>> from ceph_landmarks.metainfo import landmark_names
        >>> names = landmark_names('isbi2015')
        >>> kpts = np.random.default_rng(0).uniform(0, 100, (19, 2))
        >>> sorted(cephalometric_angles(kpts, names))
        ['ANB', 'FMA', 'SNA', 'SNB']
    """
    if on_degenerate not in ('raise', 'nan'):
        raise ValueError("on_degenerate must be 'raise' or 'nan', but got "
                         f'{on_degenerate!r}')
    keypoints = np.asarray(keypoints, dtype=np.float64)
    if keypoints.ndim < 2 or keypoints.shape[-2:] != (len(names), 2):
        raise ValueError(f'keypoints must have shape [..., {len(names)}, 2] '
                         f'for {len(names)} landmark names, but got '
                         f'{keypoints.shape}')
    found = resolve_landmarks(names)
    if measurements is None:
        measurements = available_measurements(names)
    results = {}
    for key in measurements:
        if key not in MEASUREMENTS:
            raise ValueError(f'unknown measurement {key!r}; known '
                             f'measurements are {list(MEASUREMENTS)}')
        function, points = MEASUREMENTS[key]
        missing = [p for p in points if p not in found]
        if missing:
            raise ValueError(f'{key} needs the landmarks ' + ', '.join(
                f'{p} ({" or ".join(LANDMARK_ALIASES[p])})'
                for p in missing) + ', which are not in the landmark '
                             'list')
        args = [keypoints[..., found[p], :] for p in points]
        if on_degenerate == 'raise':
            try:
                results[key] = np.asarray(function(*args))
            except ValueError as err:
                raise ValueError(f'{key} is undefined: {err}') from err
        else:
            results[key] = _measure_each(function, args)
    return results
