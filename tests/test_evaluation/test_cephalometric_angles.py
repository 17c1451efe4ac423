"""Cephalometric angles against hand-computed values, resolution by name."""
import math

import numpy as np
import pytest

from ceph_landmarks.core.evaluation import vector_angle
from ceph_landmarks.core.evaluation.cephalometric_angles import (
    anb, fma, impa, interincisal_angle, sna, snb, upper_incisor_to_sn)
from ceph_landmarks.core.evaluation.cephalometric_measurements import (
    measurement_values, supported_measurements)
from ceph_landmarks.core.metainfo import landmark_names

P = np.array  # a point (x, y); image axes: x right, y down

# S-N horizontal, 10 units long; the face looks to the right
S, N = P([0., 0.]), P([10., 0.])


def test_sna_right_angle():
    # A straight below N: N->S points back, N->A down -> 90 degrees
    assert sna(S, N, P([10., 7.])) == pytest.approx(90.0)


def test_snb_and_anb_by_hand():
    b = P([0., 10.])  # N->B = (-10, 10): 45 degrees from N->S = (-10, 0)
    assert snb(S, N, b) == pytest.approx(45.0)
    # SNA 90 - SNB 45
    assert anb(S, N, P([10., 7.]), b) == pytest.approx(45.0)
    # B in front of A gives a negative ANB (class III)
    assert anb(S, N, b, P([10., 7.])) == pytest.approx(-45.0)


def test_sna_at_a_general_angle():
    # N->A at 60 degrees below the forward direction: SNA = 180 - 60
    a = N + 4.0 * P([math.cos(math.radians(60)), math.sin(math.radians(60))])
    assert sna(S, N, a) == pytest.approx(120.0)


def test_fma_by_hand():
    po, or_ = P([0., 0.]), P([10., 0.])
    go = P([0., 5.])
    me = go + P([10., 10. * math.tan(math.radians(30))])  # 30 deg downwards
    assert fma(po, or_, go, me) == pytest.approx(30.0)


def test_upper_incisor_to_sn_by_hand():
    apex = P([12., 2.])
    # axis apex->tip 70 degrees below the forward direction: 110 to N->S
    axis = P([math.cos(math.radians(70)), math.sin(math.radians(70))])
    tip = apex + 5 * axis
    assert upper_incisor_to_sn(S, N, tip, apex) == pytest.approx(110.0)


def test_impa_by_hand():
    go, me = P([0., 10.]), P([10., 10.])
    # lower incisor pointing up and forwards at 45 degrees: 135 to Me->Go
    apex = P([9., 9.])
    tip = P([11., 7.])
    assert impa(go, me, tip, apex) == pytest.approx(135.0)


def test_interincisal_right_angle():
    u1, u1a = P([10., 10.]), P([9., 9.])  # tip->apex up and back
    l1, l1a = P([10., 10.5]), P([9., 11.5])  # tip->apex down and back
    assert interincisal_angle(u1, u1a, l1, l1a) == pytest.approx(90.0)


def test_angles_broadcast_over_images():
    a = P([[10., 7.], [0., 10.]])  # two images
    np.testing.assert_allclose(sna(S, N, a), [90.0, 45.0])


def test_vector_angle_accurate_near_180():
    angle = vector_angle(P([1., 0.]), P([-1., 1e-9]))
    assert angle == pytest.approx(180.0, abs=1e-6)


def test_degenerate_segment_is_a_clear_error():
    with pytest.raises(ValueError, match='zero-length segment N-S.*coincide'):
        sna(S, S.copy(), P([10., 7.]))
    with pytest.raises(ValueError, match='zero-length segment Go-Me'):
        fma(P([0., 0.]), P([1., 0.]), P([3., 3.]), P([3., 3.]))
    with pytest.raises(ValueError, match='non-finite'):
        snb(S, N, P([np.nan, 1.]))


def _isbi_keypoints():
    names = landmark_names('isbi2015')
    kpts = np.zeros((len(names), 2))
    place = dict(
        sella=S,
        nasion=N,
        subspinale=P([10., 7.]),
        supramentale=P([0., 10.]),
        porion=P([0., 0.]),
        orbitale=P([10., 0.]),
        gonion=P([0., 5.]),
        menton=P([10., 5. + 10. * math.tan(math.radians(30))]))
    for name, xy in place.items():
        kpts[names.index(name)] = xy
    return names, kpts


def test_angles_by_landmark_name():
    names, kpts = _isbi_keypoints()
    keys = ['SNA', 'SNB', 'ANB', 'FMA']
    angles = measurement_values(kpts, names, keys=keys)
    assert list(angles) == keys
    # no incisor apex: no incisor-axis angle
    assert not {'IMPA', 'U1-L1'} & set(supported_measurements(names))
    assert angles['SNA'] == pytest.approx(90.0)
    assert angles['SNB'] == pytest.approx(45.0)
    assert angles['ANB'] == pytest.approx(45.0)
    assert angles['FMA'] == pytest.approx(30.0)
    # the same landmarks in another channel order give the same angles
    order = np.random.default_rng(0).permutation(len(names))
    shuffled = measurement_values(
        kpts[order], [names[i] for i in order], keys=keys)
    for key, value in angles.items():
        assert shuffled[key] == pytest.approx(value)
