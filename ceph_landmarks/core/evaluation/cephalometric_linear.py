"""Linear cephalometric measurements and ratios: pure numpy.

The measurements of McNamara's analysis, Ricketts' E-line and Jarabak's
facial height ratio that are distances rather than angles. Points are
arrays ``[..., 2]`` in millimetres (a distance in pixels means nothing to
an orthodontist; :func:`~.cephalometric_analysis.cephalometric_analysis`
converts with the pixel spacing, per axis, before calling these). A ratio
of two distances is unit-free, but still needs an isotropic frame.

Signed distances are positive *anterior* (towards the face) and negative
posterior, whichever way the image faces: the anterior direction is taken
from the Frankfort horizontal (porion to orbitale) or from sella to
nasion, as each function says.
"""
import numpy as np

from .cephalometric_geometry import (displacement, distance, segment,
                                     signed_distance)

__all__ = ['n_perpendicular', 'e_line_distance', 'facial_height_ratio']


def n_perpendicular(po: np.ndarray, or_: np.ndarray, n: np.ndarray,
                    point: np.ndarray) -> np.ndarray:
    """Distance of a point from McNamara's nasion perpendicular, signed.

    The nasion perpendicular is the line through nasion (N) perpendicular
    to the Frankfort horizontal (porion Po to orbitale Or). The distance is
    measured parallel to FH: positive when the point (A point, pogonion)
    lies in front of the line, negative behind it.

    Args:
        po (np.ndarray[..., 2]): Porion.
        or_ (np.ndarray[..., 2]): Orbitale.
        n (np.ndarray[..., 2]): Nasion.
        point (np.ndarray[..., 2]): The point measured (A point, Pog).

    Returns:
        np.ndarray[...]: The signed distance in the coordinates' unit.

    Raises:
        ValueError: If Po coincides with Or, or a coordinate is not finite.

    Examples:
        >>> po, or_, n = np.array([0., 5.]), np.array([8., 5.]), np.array(
        ...     [10., 0.])
        >>> float(n_perpendicular(po, or_, n, np.array([11., 30.])))
        1.0
    """
    forward = segment(po, or_, 'Po-Or')  # FH, directed anteriorly
    forward = forward / np.linalg.norm(forward, axis=-1, keepdims=True)
    offset = displacement(n, point, 'N-perpendicular')
    return np.sum(offset * forward, axis=-1)


def e_line_distance(s: np.ndarray, n: np.ndarray, prn: np.ndarray,
                    pog_soft: np.ndarray, lip: np.ndarray) -> np.ndarray:
    """Distance of a lip from Ricketts' esthetic line (E-line), signed.

    The E-line runs from the nose tip (pronasale, Prn) to soft-tissue
    pogonion (Pog'). The distance is perpendicular to it: negative when
    the lip lies behind the line (towards the face), positive in front of
    it. "In front" is the side that the S->N direction points to.

    Args:
        s (np.ndarray[..., 2]): Sella (only for the forward direction).
        n (np.ndarray[..., 2]): Nasion (only for the forward direction).
        prn (np.ndarray[..., 2]): Pronasale (nose tip).
        pog_soft (np.ndarray[..., 2]): Soft-tissue pogonion.
        lip (np.ndarray[..., 2]): The most prominent point of the upper or
            lower lip (labrale superius / inferius).

    Returns:
        np.ndarray[...]: The signed distance in the coordinates' unit.

    Raises:
        ValueError: If Prn coincides with Pog' or S with N, or the E-line
            is parallel to S-N.
    """
    return signed_distance(lip, prn, pog_soft, segment(s, n, 'S-N'),
                           "E-line Prn-Pog'")


def facial_height_ratio(s: np.ndarray, go: np.ndarray, n: np.ndarray,
                        me: np.ndarray) -> np.ndarray:
    """Jarabak's ratio of posterior to anterior face height, in percent.

    ``100 * |S-Go| / |N-Me|``: posterior face height (sella to gonion)
    over anterior face height (nasion to menton). Unit-free, but the two
    lengths must be measured in one isotropic frame.

    Args:
        s (np.ndarray[..., 2]): Sella.
        go (np.ndarray[..., 2]): Gonion.
        n (np.ndarray[..., 2]): Nasion.
        me (np.ndarray[..., 2]): Menton.

    Returns:
        np.ndarray[...]: The ratio in percent.

    Raises:
        ValueError: If N coincides with Me (no anterior face height) or a
            coordinate is not finite.
    """
    anterior = np.linalg.norm(segment(n, me, 'N-Me'), axis=-1)
    return 100.0 * distance(s, go, 'S-Go') / anterior
