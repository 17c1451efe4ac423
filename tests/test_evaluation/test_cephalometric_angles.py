"""Cephalometric angles against hand-computed values, resolution by name.

Also the deprecated angle-only interface (``cephalometric_angles``,
``available_measurements``, ``MEASUREMENTS``): its outputs as recorded
before it became a wrapper over ``MEASUREMENT_SPECS``, and its warnings.
"""
import importlib
import math

import numpy as np
import pytest

from ceph_landmarks.evaluation.functional import (available_measurements,
                                                  cephalometric_angles,
                                                  vector_angle)
from ceph_landmarks.evaluation.functional.cephalometric_angles import (
    anb, fma, impa, interincisal_angle, sna, snb, upper_incisor_to_sn)
from ceph_landmarks.evaluation.functional.cephalometric_measurements import (
    MEASUREMENT_SPECS, measurement_values)
from ceph_landmarks.evaluation.functional.legacy_angle_interface import \
    MEASUREMENTS
from ceph_landmarks.metainfo import landmark_names

# the calls of the deprecated interface warn; test_deprecation_warnings
# checks the warnings, the other tests its results
pytestmark = pytest.mark.filterwarnings(
    'ignore:(cephalometric_angles|available_measurements) is deprecated'
    ':DeprecationWarning')

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


def test_cephalometric_angles_by_landmark_name():
    names, kpts = _isbi_keypoints()
    angles = cephalometric_angles(kpts, names)
    assert list(angles) == ['SNA', 'SNB', 'ANB', 'FMA']  # no incisor apex
    assert float(angles['SNA']) == pytest.approx(90.0)
    assert float(angles['SNB']) == pytest.approx(45.0)
    assert float(angles['ANB']) == pytest.approx(45.0)
    assert float(angles['FMA']) == pytest.approx(30.0)
    # the same landmarks in another channel order give the same angles
    order = np.random.default_rng(0).permutation(len(names))
    shuffled = cephalometric_angles(kpts[order], [names[i] for i in order])
    for key, value in angles.items():
        assert float(shuffled[key]) == pytest.approx(float(value))


def test_sets_with_incisor_apices_get_all_angles():
    expected = ['SNA', 'SNB', 'ANB', 'FMA', 'U1-SN', 'IMPA', 'U1-L1']
    assert available_measurements(
        landmark_names('cldetection2023')) == expected
    assert available_measurements(landmark_names('aariz')) == expected
    assert available_measurements(['sella', 'nasion']) == []


def test_missing_landmark_names_the_landmark():
    names, kpts = _isbi_keypoints()
    with pytest.raises(
            ValueError,
            match=r'U1-SN needs the landmarks U1A '
            r'\(upper_incisor_apex\)'):
        cephalometric_angles(kpts, names, ['U1-SN'])
    with pytest.raises(ValueError, match="unknown measurement 'XYZ'"):
        cephalometric_angles(kpts, names, ['XYZ'])
    with pytest.raises(ValueError, match=r'shape \[\.\.\., 19, 2\]'):
        cephalometric_angles(kpts[:5], names)


def test_degenerate_policy_raise_or_nan():
    names, kpts = _isbi_keypoints()
    batch = np.stack([kpts, kpts])
    batch[1, names.index('nasion')] = batch[1, names.index('sella')]
    with pytest.raises(
            ValueError,
            match=r'SNA is undefined: zero-length '
            r'segment N-S at index \[1\]'):
        cephalometric_angles(batch, names)
    angles = cephalometric_angles(batch, names, on_degenerate='nan')
    assert angles['SNA'][0] == pytest.approx(90.0)
    assert math.isnan(angles['SNA'][1])
    assert angles['FMA'][1] == pytest.approx(30.0)  # not touched by S, N
    with pytest.raises(ValueError, match="on_degenerate must be"):
        cephalometric_angles(kpts, names, on_degenerate='ignore')


# Outputs of the angle interface recorded before it became a wrapper over
# MEASUREMENT_SPECS (commit 17779df): the wrapper must give the same keys,
# types and values, ``nan`` policy and messages included.
RECORDED = {
    'isbi2015': {
        'SNA': 107.26927779252756,
        'SNB': 4.116110886289202,
        'ANB': 103.15316690623835,
        'FMA': 11.343000446212255
    },
    'aariz': {
        'SNA': 20.660654978302283,
        'SNB': 105.82984358855538,
        'ANB': -85.16918861025309,
        'FMA': 64.12487970344812,
        'U1-SN': 123.68298872943647,
        'IMPA': 160.10413321417482,
        'U1-L1': 158.61461132118325
    },
}
# cldetection2023 shares its first 19 landmarks with isbi2015
RECORDED['cldetection2023'] = dict(
    RECORDED['isbi2015'], **{
        'U1-SN': 55.272631160526515,
        'IMPA': 59.13440060552305,
        'U1-L1': 108.10748658217376
    })
NAN = math.nan
# cldetection2023 landmarks stretched vertically by 1.0, 1.1... 1.5, shaped
# (2, 3); image [0, 1] has no menton (nan), image [1, 2] has N on S
RECORDED_BATCH = {
    'SNA': [[107.26927779252756, 103.1111412664811, 99.29140997047082],
            [95.76448394998098, 92.49244439226352, NAN]],
    'SNB': [[4.116110886289202, 3.9927672429250474, 3.856761887291998],
            [3.7155654585551656, 3.5740588572638994, NAN]],
    'ANB': [[103.15316690623835, 99.11837402355606, 95.43464808317883],
            [92.04891849142582, 88.91838553499963, NAN]],
    'FMA': [[11.343000446212255, NAN, 10.746659692546114],
            [10.40082500592699, 10.045186133517536, 9.689653841618352]],
    'U1-SN': [[55.272631160526515, 51.0375266198596, 47.36763522065646],
              [44.16286683969761, 41.34423695404399, NAN]],
    'IMPA': [[59.13440060552305, NAN, 64.17116568354406],
             [66.2767849536257, 68.16457901371753, 69.86789498747771]],
    'U1-L1': [[108.10748658217376, 106.1662878382289, 104.4841754614907],
              [103.00818183649614, 101.6984977208081, 100.52473050802506]],
}


def _spread_keypoints(num: int) -> np.ndarray:
    """Landmarks spread over a 100 x 90 field, no two alike: [num, 2]."""
    k = np.arange(num)
    return np.stack([10. + (37 * k) % 89, 5. + (53 * k) % 83], axis=-1)


@pytest.mark.parametrize('landmark_set', list(RECORDED))
def test_angles_equal_the_recorded_ones(landmark_set):
    names = landmark_names(landmark_set)
    angles = cephalometric_angles(_spread_keypoints(len(names)), names)
    assert list(angles) == list(RECORDED[landmark_set])
    assert available_measurements(names) == list(RECORDED[landmark_set])
    for key, value in angles.items():
        assert isinstance(value, np.ndarray) and value.shape == ()
        assert value.dtype == np.float64
        assert float(value) == pytest.approx(
            RECORDED[landmark_set][key], rel=1e-12)


def _recorded_batch():
    names = landmark_names('cldetection2023')
    base = _spread_keypoints(len(names))
    batch = np.stack([base * (1., 1. + 0.1 * m) for m in range(6)])
    batch = batch.reshape(2, 3, len(names), 2)
    batch[0, 1, names.index('menton')] = np.nan
    batch[1, 2, names.index('nasion')] = batch[1, 2, names.index('sella')]
    return names, batch


def test_batch_with_missing_and_coinciding_landmarks_as_recorded():
    names, batch = _recorded_batch()
    angles = cephalometric_angles(batch, names, on_degenerate='nan')
    assert list(angles) == list(RECORDED_BATCH)
    for key, value in angles.items():
        assert value.shape == (2, 3) and value.dtype == np.float64
        np.testing.assert_allclose(
            value, RECORDED_BATCH[key], rtol=1e-12, err_msg=key)
    with pytest.raises(
            ValueError,
            match=r'^SNA is undefined: zero-length segment N-S at index '
            r'\[1, 2\]: its two landmarks coincide'):
        cephalometric_angles(batch, names)
    with pytest.raises(
            ValueError,
            match='^FMA is undefined: segment Go-Me: non-finite coordinates$'):
        cephalometric_angles(batch[0], names)


def test_requested_angles_in_the_requested_order():
    names = landmark_names('cldetection2023')
    kpts = _spread_keypoints(len(names))
    angles = cephalometric_angles(kpts, names, ['U1-L1', 'SNA'])
    assert list(angles) == ['U1-L1', 'SNA']
    assert float(angles['U1-L1']) == pytest.approx(108.10748658217376)
    assert cephalometric_angles(kpts[None], names,
                                ['U1-L1'])['U1-L1'].shape == (1, )
    assert cephalometric_angles(kpts, names, []) == {}
    # aliases: a_point / b_point / upper_incisor_tip are found by name
    assert available_measurements(
        ['sella', 'nasion', 'a_point', 'b_point',
         'upper_incisor_tip']) == ['SNA', 'SNB', 'ANB']


def test_deprecation_warnings_name_the_replacement():
    names = landmark_names('isbi2015')
    with pytest.warns(
            DeprecationWarning,
            match='cephalometric_angles is deprecated: use '
            'measurement_values'):
        cephalometric_angles(_spread_keypoints(len(names)), names)
    with pytest.warns(
            DeprecationWarning,
            match='available_measurements is deprecated: use '
            'supported_measurements'):
        available_measurements(names)


def test_measurements_come_from_the_measurement_table():
    table = {spec.key: spec for spec in MEASUREMENT_SPECS}
    assert list(MEASUREMENTS) == [
        'SNA', 'SNB', 'ANB', 'FMA', 'U1-SN', 'IMPA', 'U1-L1'
    ]
    for key, (function, points) in MEASUREMENTS.items():
        if key == 'U1-SN':  # the one angle the table does not list
            assert (function, points) == (upper_incisor_to_sn, ('S', 'N', 'U1',
                                                                'U1A'))
        else:
            assert (function, points) == (table[key].function,
                                          table[key].points)


def test_angles_equal_measurement_values():
    names = landmark_names('aariz')
    kpts = _spread_keypoints(len(names))
    values = measurement_values(kpts, names)
    for key, angle in cephalometric_angles(kpts, names).items():
        if key != 'U1-SN':
            assert float(angle) == values[key]


def test_old_module_path_still_exports_the_moved_names():
    functional = 'ceph_landmarks.evaluation.functional'
    old = importlib.import_module(f'{functional}.cephalometric_angles')
    for name, module in [('MEASUREMENTS', 'legacy_angle_interface'),
                         ('cephalometric_angles', 'legacy_angle_interface'),
                         ('available_measurements', 'legacy_angle_interface'),
                         ('resolve_landmarks', 'cephalometric_landmarks'),
                         ('LANDMARK_ALIASES', 'cephalometric_landmarks')]:
        new = importlib.import_module(f'{functional}.{module}')
        assert getattr(old, name) is getattr(new, name)
    with pytest.raises(AttributeError, match="no attribute 'XYZ'"):
        old.XYZ
