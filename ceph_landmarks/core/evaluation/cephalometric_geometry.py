"""Geometry primitives of the cephalometric measurements: pure numpy.

Every function takes points as arrays ``[..., 2]`` of ``(x, y)`` in one
isotropic frame (millimetres, or pixels of an image whose pixels are
square); leading dimensions broadcast. A line or segment whose two points
coincide has no direction: the functions raise ``ValueError`` naming it,
so a caller can report the measurement as undefined.

Signed distances need to know which side of a line is *anterior* (towards
the face). A lateral cephalogram may face left or right, so the caller
passes a ``forward`` direction (e.g. sella to nasion, or porion to
orbitale): the side of the line that ``forward`` points to is positive.
"""
from typing import Tuple

import numpy as np

__all__ = [
    'displacement', 'segment', 'vector_angle', 'angle_at', 'distance',
    'signed_distance'
]

#: Shortest segment (in the coordinates' unit) that still has a direction.
_MIN_LENGTH = 1e-6


def displacement(start: np.ndarray, end: np.ndarray, label: str) -> np.ndarray:
    """Vector ``end - start`` between two landmarks, checked to be finite.

    Args:
        start (np.ndarray[..., 2]): First landmark.
        end (np.ndarray[..., 2]): Second landmark.
        label (str): The pair's name for messages, e.g. ``'S-N'``.

    Returns:
        np.ndarray[..., 2]: ``end - start`` (zero when they coincide).

    Raises:
        ValueError: If a point is not ``[..., 2]`` or a coordinate is not
            finite.
    """
    start = np.asarray(start, dtype=np.float64)
    end = np.asarray(end, dtype=np.float64)
    if start.shape[-1:] != (2, ) or end.shape[-1:] != (2, ):
        raise ValueError(f'segment {label}: points must have shape [..., 2], '
                         f'but got {start.shape} and {end.shape}')
    vec = end - start
    if not np.all(np.isfinite(vec)):
        raise ValueError(f'segment {label}: non-finite coordinates')
    return vec


def segment(start: np.ndarray, end: np.ndarray, label: str) -> np.ndarray:
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
    vec = displacement(start, end, label)
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
    u = segment(np.zeros(2), u, 'u')
    v = segment(np.zeros(2), v, 'v')
    cross = u[..., 0] * v[..., 1] - u[..., 1] * v[..., 0]
    dot = np.sum(u * v, axis=-1)
    return np.degrees(np.arctan2(np.abs(cross), dot))


def angle_at(vertex: np.ndarray, p: np.ndarray, q: np.ndarray,
             labels: Tuple[str, str, str]) -> np.ndarray:
    """Unsigned angle ``p-vertex-q`` at ``vertex``, in degrees.

    Args:
        vertex (np.ndarray[..., 2]): The angle's vertex.
        p (np.ndarray[..., 2]): End of the first arm.
        q (np.ndarray[..., 2]): End of the second arm.
        labels (tuple[str, str, str]): Names of ``(vertex, p, q)`` for
            messages, e.g. ``('N', 'S', 'A')``.

    Returns:
        np.ndarray[...]: The angle in ``[0, 180]`` degrees.

    Raises:
        ValueError: If ``vertex`` coincides with ``p`` or ``q``.
    """
    v, a, b = labels
    return vector_angle(
        segment(vertex, p, f'{v}-{a}'), segment(vertex, q, f'{v}-{b}'))


def distance(p: np.ndarray, q: np.ndarray, label: str) -> np.ndarray:
    """Euclidean distance between two landmarks.

    Args:
        p (np.ndarray[..., 2]): First landmark.
        q (np.ndarray[..., 2]): Second landmark.
        label (str): The segment's name for messages, e.g. ``'ANS-Me'``.

    Returns:
        np.ndarray[...]: The distance in the coordinates' unit (zero when
        the landmarks coincide: a distance needs no direction).

    Raises:
        ValueError: If a coordinate is not finite.
    """
    return np.linalg.norm(displacement(p, q, label), axis=-1)


def signed_distance(point: np.ndarray, start: np.ndarray, end: np.ndarray,
                    forward: np.ndarray, label: str) -> np.ndarray:
    """Distance of a point from a line, positive on the ``forward`` side.

    The line passes through ``start`` and ``end``. The sign is that of the
    component of ``forward`` normal to the line: a point on the side that
    ``forward`` points to gets a positive distance, one on the other side
    a negative one, whichever way the image faces.

    Args:
        point (np.ndarray[..., 2]): The point measured.
        start (np.ndarray[..., 2]): A point of the line.
        end (np.ndarray[..., 2]): Another point of the line.
        forward (np.ndarray[..., 2]): A direction towards the positive side
            (e.g. sella to nasion for "anterior").
        label (str): The line's name for messages, e.g. ``'E-line'``.

    Returns:
        np.ndarray[...]: The signed distance in the coordinates' unit.

    Raises:
        ValueError: If ``start`` coincides with ``end``, a coordinate is not
            finite, or ``forward`` is parallel to the line (no side).

    Examples:
        >>> line = np.array([0., 0.]), np.array([0., 10.])
        >>> float(signed_distance(np.array([3., 5.]), *line,
        ...                       np.array([1., 0.]), 'line'))
        3.0
    """
    direction = segment(start, end, label)
    normal = np.stack([-direction[..., 1], direction[..., 0]], axis=-1)
    normal /= np.linalg.norm(normal, axis=-1, keepdims=True)
    forward = np.asarray(forward, dtype=np.float64)
    side = np.sign(np.sum(normal * forward, axis=-1))
    if np.any(side == 0) or not np.all(np.isfinite(side)):
        raise ValueError(f'{label}: the forward direction is parallel to the '
                         'line (or zero), so its anterior side is undefined')
    offset = displacement(start, point, f'{label} to point')
    return side * np.sum(offset * normal, axis=-1)
