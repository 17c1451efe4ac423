"""Cephalometric analyses: each measurement on hand-built geometry, signs,
spacing, flags, and what each landmark set supports."""
import json
import math

import numpy as np
import pytest

from ceph_landmarks.core.evaluation import (MeasurementResult,
                                            cephalometric_analysis,
                                            supported_measurements,
                                            vector_angle)
from ceph_landmarks.core.metainfo import landmark_names

# image axes: x right, y down; unless mirrored, the face looks to the right


def _polar(origin, degrees, length):
    """``origin + length * (cos, sin)`` of an angle from +x, y down."""
    rad = math.radians(degrees)
    return np.asarray(origin, float) + length * np.array(
        [math.cos(rad), math.sin(rad)])


def _analyse(points, spacing=None, mirror=False):
    """Results by key, for landmarks given as ``{name: (x, y)}``."""
    names = list(points)
    kpts = np.array([points[n] for n in names], dtype=float)
    if mirror:  # the same face looking to the left
        kpts[:, 0] = 1000.0 - kpts[:, 0]
    return {r.key: r for r in cephalometric_analysis(kpts, names, spacing)}


def _value(points, key, spacing=None, mirror=False):
    return _analyse(points, spacing, mirror)[key].value


@pytest.mark.parametrize('mirror', [False, True])
def test_steiner_sna_snb_anb(mirror):
    s, n = (0., 0.), (100., 0.)
    points = dict(
        sella=s,
        nasion=n,
        subspinale=_polar(n, 180 - 82, 55),  # N->A at 82 deg from N->S
        supramentale=_polar(n, 180 - 80, 95))
    results = _analyse(points, mirror=mirror)
    assert results['SNA'].value == pytest.approx(82.0)
    assert results['SNB'].value == pytest.approx(80.0)
    assert results['ANB'].value == pytest.approx(2.0)
    assert results['SNA'].unit == 'deg'
    assert results['SNA'].analysis == 'Steiner'


def test_sn_to_mandibular_plane():
    gonion = (0., 80.)
    points = dict(
        sella=(0., 0.),
        nasion=(100., 0.),
        gonion=gonion,
        menton=_polar(gonion, 32, 70))
    assert _value(points, 'SN-GoMe') == pytest.approx(32.0)


@pytest.mark.parametrize('mirror', [False, True])
def test_incisors_to_na_and_nb(mirror):
    # N-A and N-B vertical; the incisor axes tilted forwards from vertical
    u1a, l1a = (105., 60.), (105., 110.)
    points = dict(
        nasion=(100., 0.),
        subspinale=(100., 50.),
        supramentale=(100., 100.),
        upper_incisor_apex=u1a,
        upper_incisor_tip=_polar(u1a, 90 - 22, 20),  # down, 22 forwards
        lower_incisor_apex=l1a,
        lower_incisor_tip=_polar(l1a, -90 + 25, 20))  # up, 25 forwards
    results = _analyse(points, mirror=mirror)
    assert results['U1-NA'].value == pytest.approx(22.0)
    assert results['L1-NB'].value == pytest.approx(25.0)


def test_downs_facial_angle_and_y_axis():
    nasion, sella = (100., -10.), (0., -20.)
    points = dict(
        porion=(0., 0.),
        orbitale=(80., 0.),
        nasion=nasion,
        pogonion=_polar(nasion, 180 - 87.8, 120),  # chin slightly back
        sella=sella,
        gnathion=_polar(sella, 59.4, 130))
    results = _analyse(points)
    assert results['FH-NPog'].value == pytest.approx(87.8)
    assert results['FH-SGn'].value == pytest.approx(59.4)
    assert results['FH-NPog'].analysis == 'Downs'


@pytest.mark.parametrize('mirror', [False, True])
def test_angle_of_convexity_sign(mirror):
    # facial plane N-Pog vertical at x = 100; A 10 in front of it or behind
    base = dict(sella=(0., 0.), nasion=(100., 0.), pogonion=(100., 200.))
    expected = 2 * math.degrees(math.atan(10 / 100))
    convex = _value(
        dict(base, subspinale=(110., 100.)), 'N-A-Pog', mirror=mirror)
    concave = _value(
        dict(base, subspinale=(90., 100.)), 'N-A-Pog', mirror=mirror)
    straight = _value(dict(base, subspinale=(100., 100.)), 'N-A-Pog')
    assert convex == pytest.approx(expected)
    assert concave == pytest.approx(-expected)
    assert straight == pytest.approx(0.0, abs=1e-9)


def test_tweed_triangle():
    gonion = (0., 100.)
    l1a = (80., 120.)
    points = dict(
        porion=(0., 0.),
        orbitale=(80., 0.),
        gonion=gonion,
        menton=_polar(gonion, 25, 100),  # FMA 25
        lower_incisor_apex=l1a,
        lower_incisor_tip=_polar(l1a, 25 - 90, 20))  # perpendicular to MP
    results = _analyse(points)
    assert results['FMA'].value == pytest.approx(25.0)
    assert results['IMPA'].value == pytest.approx(90.0)
    assert results['FMIA'].value == pytest.approx(65.0)
    # FMIA is the angle between the incisor axis and FH, measured directly
    direct = vector_angle(
        np.subtract(points['lower_incisor_apex'], points['lower_incisor_tip']),
        np.subtract(points['porion'], points['orbitale']))
    assert results['FMIA'].value == pytest.approx(float(direct))
    assert [results[k].analysis for k in ('IMPA', 'FMIA')] == ['Tweed'] * 2


@pytest.mark.parametrize('mirror', [False, True])
def test_nasion_perpendicular_signed_in_mm(mirror):
    points = dict(
        porion=(0., 50.),
        orbitale=(80., 50.),
        nasion=(100., 0.),
        subspinale=(110., 300.),  # 10 px in front of N-perp
        pogonion=(90., 600.))  # 10 px behind
    results = _analyse(points, spacing=(0.1, 0.1), mirror=mirror)
    assert results['N-perp-A'].value == pytest.approx(1.0)
    assert results['N-perp-Pog'].value == pytest.approx(-1.0)
    assert results['N-perp-A'].unit == 'mm'


def test_anisotropic_spacing_scales_each_axis():
    # spacing (0.1, 0.2): FH Po->Or = (100, 50) px is (10, 10) mm, 45 deg
    points = dict(
        porion=(0., 0.),
        orbitale=(100., 50.),
        nasion=(200., 0.),
        subspinale=(210., 50.),  # N->A = (1, 10) mm
        condylion=(0., 100.),
        gnathion=(30., 140.))  # Co->Gn = (3, 8) mm
    results = _analyse(points, spacing=(0.1, 0.2))
    assert results['N-perp-A'].value == pytest.approx(11 / math.sqrt(2))
    assert results['Co-Gn'].value == pytest.approx(math.hypot(3, 8))


def test_mcnamara_lengths_and_condylion_or_articulare():
    with_co = dict(
        condylion=(0., 0.),
        articulare=(10., 40.),
        subspinale=(300., 400.),
        gnathion=(600., 800.),
        anterior_nasal_spine=(300., 300.),
        menton=(300., 950.))
    results = _analyse(with_co, spacing=(0.1, 0.1))
    assert results['Co-A'].value == pytest.approx(50.0)
    assert results['Co-Gn'].value == pytest.approx(100.0)
    assert results['ANS-Me'].value == pytest.approx(65.0)
    assert 'Ar-A' not in results and 'Ar-Gn' not in results
    assert results['Co-A'].norm_mean == pytest.approx(91.0)

    without_co = {k: v for k, v in with_co.items() if k != 'condylion'}
    results = _analyse(without_co, spacing=(0.1, 0.1))
    assert 'Co-A' not in results
    ar_a = results['Ar-A']
    assert ar_a.value == pytest.approx(math.hypot(29, 36))
    assert 'Ar-based substitute' in ar_a.name
    assert math.isnan(ar_a.norm_mean) and ar_a.deviation is None
    assert ar_a.flag == 'no reference norm'
    assert ar_a.to_dict()['norm_mean'] is None


def test_jarabak_gonial_angle_and_ratio():
    gonion = (0., 63.)
    points = dict(
        sella=(0., 0.),
        articulare=(0., 10.),
        gonion=gonion,
        nasion=(100., 0.),
        menton=(100., 100.))
    results = _analyse(points)
    # Ar-Go-Me: Go->Ar straight up, Go->Me = (100, 37)
    assert results['Ar-Go-Me'].value == pytest.approx(
        90 + math.degrees(math.atan2(37, 100)))
    assert results['Jarabak-ratio'].value == pytest.approx(63.0)
    assert results['Jarabak-ratio'].unit == '%'

    gonial = dict(
        articulare=(0., 0.),
        gonion=gonion,
        menton=_polar(gonion, 130 - 90, 50))
    assert _value(gonial, 'Ar-Go-Me') == pytest.approx(130.0)


def test_ratio_uses_the_spacing_per_axis():
    # S-Go horizontal, N-Me vertical: equal in pixels, 2:1 in mm
    points = dict(
        sella=(0., 0.), gonion=(100., 0.), nasion=(0., 50.), menton=(0., 150.))
    assert _value(points, 'Jarabak-ratio') == pytest.approx(100.0)
    assert _value(
        points, 'Jarabak-ratio', spacing=(0.2, 0.1)) == pytest.approx(200.0)


@pytest.mark.parametrize('mirror', [False, True])
def test_lips_to_e_line_signed(mirror):
    points = dict(
        sella=(0., 0.),
        nasion=(100., 0.),
        pronasale=(200., 100.),
        soft_tissue_pogonion=(200., 300.),  # E-line: x = 200
        labrale_superius=(190., 200.),  # 10 px behind
        labrale_inferius=(205., 250.))  # 5 px in front
    results = _analyse(points, spacing=(0.1, 0.1), mirror=mirror)
    assert results['UL-E'].value == pytest.approx(-1.0)
    assert results['LL-E'].value == pytest.approx(0.5)
    assert results['UL-E'].analysis == 'Ricketts'


def test_without_spacing_mm_measures_are_none():
    points = dict(
        sella=(0., 0.),
        nasion=(100., 0.),
        subspinale=(100., 50.),
        anterior_nasal_spine=(100., 40.),
        menton=(100., 140.))
    results = _analyse(points)
    assert results['SNA'].value == pytest.approx(90.0)  # angle still there
    ans_me = results['ANS-Me']
    assert ans_me.value is None and ans_me.deviation is None
    assert ans_me.flag == 'not measured: needs the pixel spacing'
    assert _analyse(points, spacing=0.1)['ANS-Me'].value == pytest.approx(10)


def test_degenerate_geometry_gives_none_not_an_error():
    points = dict(sella=(5., 5.), nasion=(5., 5.), subspinale=(10., 50.))
    sna = _analyse(points)['SNA']
    assert sna.value is None and sna.deviation is None
    assert sna.flag.startswith('not measured')


@pytest.mark.parametrize('sds, deviation, flag', [
    (0.0, 'within', ''),
    (1.0, 'within', ''),
    (1.5, 'outside 1 SD', 'outside the reference range (mean +- 1 SD)'),
    (-1.5, 'outside 1 SD', 'outside the reference range (mean +- 1 SD)'),
    (2.5, 'outside 2 SD', 'outside the reference range (mean +- 2 SD)'),
    (-2.5, 'outside 2 SD', 'outside the reference range (mean +- 2 SD)'),
])
def test_flags_against_the_norm(sds, deviation, flag):
    # SNA norm 82 +- 2 (Steiner)
    n = (100., 0.)
    points = dict(
        sella=(0., 0.),
        nasion=n,
        subspinale=_polar(n, 180 - (82 + 2 * sds), 50))
    sna = _analyse(points)['SNA']
    assert (sna.norm_mean, sna.norm_sd) == (82.0, 2.0)
    assert 'Steiner 1953' in sna.norm_source
    assert sna.value == pytest.approx(82 + 2 * sds)
    assert sna.deviation == deviation
    assert sna.flag == flag


ISBI_SUPPORTED = [
    'SNA', 'SNB', 'ANB', 'SN-GoMe', 'FH-NPog', 'N-A-Pog', 'FH-SGn', 'FMA',
    'N-perp-A', 'N-perp-Pog', 'Ar-A', 'Ar-Gn', 'ANS-Me', 'Ar-Go-Me',
    'Jarabak-ratio'
]
FULL_SUPPORTED = [
    'SNA', 'SNB', 'ANB', 'SN-GoMe', 'U1-NA', 'L1-NB', 'FH-NPog', 'N-A-Pog',
    'FH-SGn', 'FMA', 'U1-L1', 'IMPA', 'FMIA', 'N-perp-A', 'N-perp-Pog', 'Co-A',
    'Co-Gn', 'ANS-Me', 'Ar-Go-Me', 'Jarabak-ratio', 'UL-E', 'LL-E'
]


@pytest.mark.parametrize('landmark_set, expected', [
    ('isbi2015', ISBI_SUPPORTED),
    ('isbi2015_p1p2', ISBI_SUPPORTED),
    ('cldetection2023', FULL_SUPPORTED),
    ('aariz', FULL_SUPPORTED),
])
def test_supported_measurements_per_landmark_set(landmark_set, expected):
    names = landmark_names(landmark_set)
    assert supported_measurements(names) == expected
    kpts = np.random.default_rng(0).uniform(0, 1000, (len(names), 2))
    results = cephalometric_analysis(kpts, names, spacing=(0.1, 0.1))
    assert [r.key for r in results] == expected
    # grouped by analysis, in a fixed order of analyses
    analyses = [r.analysis for r in results]
    groups = [a for i, a in enumerate(analyses) if a not in analyses[:i]]
    order = ['Steiner', 'Downs', 'Tweed', 'McNamara', 'Jarabak', 'Ricketts']
    assert groups == [a for a in order if a in groups]
    assert analyses == sorted(analyses, key=order.index)
    assert supported_measurements(['p1', 'p2']) == []


def test_results_are_json_safe_and_never_diagnose():
    names = landmark_names('aariz')
    kpts = np.random.default_rng(1).uniform(0, 1000, (len(names), 2))
    for spacing in ((0.1, 0.1), None):
        for result in cephalometric_analysis(kpts, names, spacing):
            assert isinstance(result, MeasurementResult)
            record = result.to_dict()
            text = json.dumps(record, allow_nan=False)
            assert set(record) >= {
                'key', 'analysis', 'name', 'value', 'unit', 'norm_mean',
                'norm_sd', 'norm_source', 'deviation', 'flag'
            }
            assert result.unit in ('deg', 'mm', '%')
            for word in ('class', 'gnath', 'trus', 'normal', 'abnormal'):
                assert word not in (result.name + result.flag).lower(), text


def test_found_by_name_in_any_channel_order():
    names = landmark_names('cldetection2023')
    kpts = np.random.default_rng(2).uniform(0, 1000, (len(names), 2))
    order = np.random.default_rng(3).permutation(len(names))
    first = cephalometric_analysis(kpts, names, (0.1, 0.1))
    shuffled = cephalometric_analysis(kpts[order], [names[i] for i in order],
                                      (0.1, 0.1))
    for a, b in zip(first, shuffled):
        assert a.key == b.key and a.value == pytest.approx(b.value)


def test_invalid_inputs_are_clear_errors():
    names = ['sella', 'nasion', 'subspinale']
    with pytest.raises(ValueError, match=r'shape \[3, 2\]'):
        cephalometric_analysis(np.zeros((2, 2)), names)
    with pytest.raises(ValueError, match=r'spacing must be .* but got'):
        cephalometric_analysis(np.zeros((3, 2)), names, spacing=(0.1, -1))
