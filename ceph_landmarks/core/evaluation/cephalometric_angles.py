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
  in the image; ANB (a difference of two such angles) and the angle of
  convexity (signed by the side of a line) are signed.
* A segment whose two landmarks coincide has no direction: the functions
  raise ``ValueError`` naming the segment.

The reference norms of these angles and the analyses they belong to
(Steiner, Downs, Tweed, Jarabak) are in :mod:`.cephalometric_norms` and
:mod:`.cephalometric_analysis`; which points each measurement takes, found
by landmark name, is in
:data:`~.cephalometric_measurements.MEASUREMENT_SPECS`.

Examples:
    >>> s, n, a = np.array([0., 0.]), np.array([10., 0.]), np.array([10., 10.])
    >>> float(sna(s, n, a))
    90.0
"""
import numpy as np

from .cephalometric_geometry import (angle_at, segment, signed_distance,
                                     vector_angle)

__all__ = [
    'sna', 'snb', 'anb', 'fma', 'upper_incisor_to_sn', 'impa',
    'interincisal_angle', 'sn_mandibular_plane', 'upper_incisor_to_na',
    'lower_incisor_to_nb', 'facial_angle', 'angle_of_convexity', 'y_axis',
    'fmia', 'gonial_angle'
]


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
    return angle_at(n, s, a, ('N', 'S', 'A'))


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
    return angle_at(n, s, b, ('N', 'S', 'B'))


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
    return vector_angle(segment(po, or_, 'Po-Or'), segment(go, me, 'Go-Me'))


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
        segment(u1_apex, u1_tip, 'U1A-U1'), segment(n, s, 'N-S'))


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
        segment(l1_apex, l1_tip, 'L1A-L1'), segment(me, go, 'Me-Go'))


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
        segment(u1_tip, u1_apex, 'U1-U1A'), segment(l1_tip, l1_apex, 'L1-L1A'))


def sn_mandibular_plane(s: np.ndarray, n: np.ndarray, go: np.ndarray,
                        me: np.ndarray) -> np.ndarray:
    """SN-GoMe: the angle between the S-N line and the mandibular plane.

    The angle between the S-N line directed forwards, from sella (S) to
    nasion (N), and the mandibular plane directed forwards, from gonion
    (Go) to menton (Me): an acute angle, larger for a steeper mandibular
    plane. (Steiner drew the mandibular plane Go-Gn; Go-Me, used here as
    in most software, runs a degree or two steeper.)

    Args:
        s (np.ndarray[..., 2]): Sella.
        n (np.ndarray[..., 2]): Nasion.
        go (np.ndarray[..., 2]): Gonion.
        me (np.ndarray[..., 2]): Menton.

    Returns:
        np.ndarray[...]: SN-GoMe in degrees, in ``[0, 180]``.

    Raises:
        ValueError: If S coincides with N, or Go with Me.
    """
    return vector_angle(segment(s, n, 'S-N'), segment(go, me, 'Go-Me'))


def upper_incisor_to_na(n: np.ndarray, a: np.ndarray, u1_tip: np.ndarray,
                        u1_apex: np.ndarray) -> np.ndarray:
    """U1-NA: the angle between the upper incisor axis and the N-A line.

    The angle between the long axis of the upper central incisor, directed
    from its root apex (U1A) to its incisal tip (U1), and the N-A line
    directed downwards, from nasion (N) to A point: larger for a more
    proclined upper incisor (Steiner's angular "U1 to NA").

    Args:
        n (np.ndarray[..., 2]): Nasion.
        a (np.ndarray[..., 2]): Subspinale (A point).
        u1_tip (np.ndarray[..., 2]): Upper incisor incisal tip.
        u1_apex (np.ndarray[..., 2]): Upper incisor root apex.

    Returns:
        np.ndarray[...]: U1-NA in degrees, in ``[0, 180]``.

    Raises:
        ValueError: If N coincides with A, or U1 with U1A.
    """
    return vector_angle(
        segment(u1_apex, u1_tip, 'U1A-U1'), segment(n, a, 'N-A'))


def lower_incisor_to_nb(n: np.ndarray, b: np.ndarray, l1_tip: np.ndarray,
                        l1_apex: np.ndarray) -> np.ndarray:
    """L1-NB: the angle between the lower incisor axis and the N-B line.

    The angle between the long axis of the lower central incisor, directed
    from its root apex (L1A) to its incisal tip (L1), and the N-B line
    directed upwards, from B point to nasion (N): larger for a more
    proclined lower incisor (Steiner's angular "L1 to NB").

    Args:
        n (np.ndarray[..., 2]): Nasion.
        b (np.ndarray[..., 2]): Supramentale (B point).
        l1_tip (np.ndarray[..., 2]): Lower incisor incisal tip.
        l1_apex (np.ndarray[..., 2]): Lower incisor root apex.

    Returns:
        np.ndarray[...]: L1-NB in degrees, in ``[0, 180]``.

    Raises:
        ValueError: If N coincides with B, or L1 with L1A.
    """
    return vector_angle(
        segment(l1_apex, l1_tip, 'L1A-L1'), segment(b, n, 'B-N'))


def facial_angle(po: np.ndarray, or_: np.ndarray, n: np.ndarray,
                 pog: np.ndarray) -> np.ndarray:
    """Downs' facial angle: the facial plane N-Pog to Frankfort horizontal.

    The inner inferior angle where the facial plane (nasion N to pogonion
    Pog) crosses the Frankfort horizontal (porion Po to orbitale Or): the
    angle between N->Pog (downwards) and Or->Po (backwards). 90 degrees
    when the facial plane is perpendicular to FH; smaller when the chin
    lies further back.

    Args:
        po (np.ndarray[..., 2]): Porion.
        or_ (np.ndarray[..., 2]): Orbitale.
        n (np.ndarray[..., 2]): Nasion.
        pog (np.ndarray[..., 2]): Pogonion.

    Returns:
        np.ndarray[...]: The facial angle in degrees, in ``[0, 180]``.

    Raises:
        ValueError: If Po coincides with Or, or N with Pog.
    """
    return vector_angle(segment(n, pog, 'N-Pog'), segment(or_, po, 'Or-Po'))


def angle_of_convexity(s: np.ndarray, n: np.ndarray, a: np.ndarray,
                       pog: np.ndarray) -> np.ndarray:
    """Downs' angle of convexity N-A-Pog, signed.

    The angle by which the two lines nasion-A point and A point-pogonion
    depart from a straight line: ``180 - angle(N-A-Pog)``, positive when A
    lies in front of the facial plane N-Pog (a convex profile), negative
    when behind it, zero when N, A and Pog are aligned. "In front" is the
    side that the S->N direction points to, so the sign does not depend on
    which way the image faces.

    Args:
        s (np.ndarray[..., 2]): Sella (only for the forward direction).
        n (np.ndarray[..., 2]): Nasion.
        a (np.ndarray[..., 2]): Subspinale (A point).
        pog (np.ndarray[..., 2]): Pogonion.

    Returns:
        np.ndarray[...]: The angle of convexity in degrees, in
        ``[-180, 180]``.

    Raises:
        ValueError: If A coincides with N or Pog, N with Pog or S, or the
            facial plane is parallel to S-N.
    """
    bend = 180.0 - angle_at(a, n, pog, ('A', 'N', 'Pog'))
    side = np.sign(signed_distance(a, n, pog, segment(s, n, 'S-N'), 'N-Pog'))
    return side * bend


def y_axis(po: np.ndarray, or_: np.ndarray, s: np.ndarray,
           gn: np.ndarray) -> np.ndarray:
    """Downs' Y-axis: the S-Gn line to Frankfort horizontal.

    The antero-inferior angle between the Y-axis, directed from sella (S)
    to gnathion (Gn), and the Frankfort horizontal directed forwards, from
    porion (Po) to orbitale (Or): larger when the chin lies lower and
    further back.

    Args:
        po (np.ndarray[..., 2]): Porion.
        or_ (np.ndarray[..., 2]): Orbitale.
        s (np.ndarray[..., 2]): Sella.
        gn (np.ndarray[..., 2]): Gnathion.

    Returns:
        np.ndarray[...]: The Y-axis angle in degrees, in ``[0, 180]``.

    Raises:
        ValueError: If Po coincides with Or, or S with Gn.
    """
    return vector_angle(segment(s, gn, 'S-Gn'), segment(po, or_, 'Po-Or'))


def fmia(po: np.ndarray, or_: np.ndarray, go: np.ndarray, me: np.ndarray,
         l1_tip: np.ndarray, l1_apex: np.ndarray) -> np.ndarray:
    """FMIA = 180 - FMA - IMPA: Tweed's Frankfort-mandibular incisor angle.

    The third angle of Tweed's triangle formed by the Frankfort horizontal,
    the mandibular plane and the lower incisor axis (see :func:`fma` and
    :func:`impa`): larger for a more upright lower incisor.

    Args:
        po (np.ndarray[..., 2]): Porion.
        or_ (np.ndarray[..., 2]): Orbitale.
        go (np.ndarray[..., 2]): Gonion.
        me (np.ndarray[..., 2]): Menton.
        l1_tip (np.ndarray[..., 2]): Lower incisor incisal tip.
        l1_apex (np.ndarray[..., 2]): Lower incisor root apex.

    Returns:
        np.ndarray[...]: FMIA in degrees.

    Raises:
        ValueError: If Po coincides with Or, Go with Me, or L1 with L1A.
    """
    return 180.0 - fma(po, or_, go, me) - impa(go, me, l1_tip, l1_apex)


def gonial_angle(ar: np.ndarray, go: np.ndarray, me: np.ndarray) -> np.ndarray:
    """Ar-Go-Me: the gonial angle, at gonion.

    The angle at gonion (Go) between the ramus line to articulare (Ar) and
    the mandibular body line to menton (Me), as in Jarabak's analysis.

    Args:
        ar (np.ndarray[..., 2]): Articulare.
        go (np.ndarray[..., 2]): Gonion.
        me (np.ndarray[..., 2]): Menton.

    Returns:
        np.ndarray[...]: The gonial angle in degrees, in ``[0, 180]``.

    Raises:
        ValueError: If Go coincides with Ar or Me.
    """
    return angle_at(go, ar, me, ('Go', 'Ar', 'Me'))
