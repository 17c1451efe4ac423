"""``measurement_uncertainty`` of ``ceph_landmarks.core.evaluation``: the
spread of the cephalometric measurements sampled from landmark radii."""
import numpy as np
import pytest

from ceph_landmarks.core.evaluation import (measurement_uncertainty,
                                            measurement_values, rayleigh_sigma)
from ceph_landmarks.core.evaluation.cephalometric_landmarks import \
    resolve_landmarks
from ceph_landmarks.core.evaluation.cephalometric_measurements import \
    measurement_spec
from ceph_landmarks.core.evaluation.measurement_uncertainty import _evaluate
from ceph_landmarks.core.metainfo import landmark_names
from ceph_landmarks.core.synthetic import TEMPLATE

NAMES = landmark_names('isbi2015')
SPACING = (0.1, 0.1)  # the template is in ISBI pixels
RADII = np.linspace(10.0, 30.0, len(NAMES))  # 1-3 mm


def _units(keys):
    return {k: measurement_spec(k).unit for k in keys}


def test_rayleigh_sigma_gives_the_coverage():
    sigma = float(rayleigh_sigma(np.array(3.0), 0.9))
    assert sigma == pytest.approx(3.0 / np.sqrt(-2 * np.log(0.1)))
    draws = np.random.default_rng(0).normal(0, sigma, (200000, 2))
    inside = np.mean(np.linalg.norm(draws, axis=1) <= 3.0)
    assert inside == pytest.approx(0.9, abs=0.005)
    with pytest.raises(ValueError, match='coverage'):
        rayleigh_sigma(np.array(1.0), 1.0)


def test_positive_for_angles_and_distances():
    spread = measurement_uncertainty(TEMPLATE, RADII, NAMES, SPACING)
    assert list(spread) == list(measurement_values(TEMPLATE, NAMES, SPACING))
    units = _units(spread)
    assert {'deg', 'mm', '%'} <= set(units.values())
    for key, sd in spread.items():
        assert sd is not None and sd > 0, key
    # a few tenths of a degree to a few degrees for 1-3 mm radii
    assert 0.1 < spread['SNA'] < 5 and 0.1 < spread['ANS-Me'] < 5


def test_distance_spread_matches_the_radius():
    """One moving end of a long distance: its SD is the per-axis sigma."""
    radii = np.full(len(NAMES), np.nan)
    me = NAMES.index('menton')
    radii[me] = 20.0  # px, 2 mm at 0.1 mm/px
    spread = measurement_uncertainty(
        TEMPLATE, radii, NAMES, SPACING, keys=['ANS-Me'], samples=4000)
    expected = float(rayleigh_sigma(np.array(2.0), 0.9))  # mm
    assert spread['ANS-Me'] == pytest.approx(expected, rel=0.06)


def test_doubling_the_radii_doubles_the_spread():
    single = measurement_uncertainty(TEMPLATE, RADII, NAMES, SPACING)
    double = measurement_uncertainty(TEMPLATE, 2 * RADII, NAMES, SPACING)
    ratios = np.array([double[k] / single[k] for k in single])
    assert np.all((ratios > 1.8) & (ratios < 2.2)), ratios


def test_deterministic_with_the_seed():
    first = measurement_uncertainty(TEMPLATE, RADII, NAMES, SPACING, seed=3)
    again = measurement_uncertainty(TEMPLATE, RADII, NAMES, SPACING, seed=3)
    other = measurement_uncertainty(TEMPLATE, RADII, NAMES, SPACING, seed=4)
    assert first == again
    assert first != other


def test_nan_radius_keeps_the_landmark_fixed():
    fixed = measurement_uncertainty(TEMPLATE, np.full(len(NAMES), np.nan),
                                    NAMES, SPACING)
    assert all(sd == 0.0 for sd in fixed.values()), fixed
    radii = np.full(len(NAMES), np.nan)
    radii[NAMES.index('gonion')] = 20.0
    spread = measurement_uncertainty(TEMPLATE, radii, NAMES, SPACING)
    assert spread['SNA'] == 0.0  # S, N, A are fixed
    assert spread['Ar-Go-Me'] > 0  # gonion moves


def test_without_spacing_and_where_undefined():
    spread = measurement_uncertainty(TEMPLATE, RADII, NAMES, None)
    units = _units(spread)
    assert all(spread[k] is None for k in spread if units[k] == 'mm')
    assert all(spread[k] > 0 for k in spread if units[k] == 'deg')
    collapsed = TEMPLATE.copy()
    collapsed[NAMES.index('nasion')] = collapsed[NAMES.index('sella')]
    spread = measurement_uncertainty(collapsed, RADII, NAMES, SPACING)
    assert spread['SNA'] is None  # undefined value, no uncertainty
    assert spread['ANS-Me'] > 0


def test_batched_draws_match_the_measurement_function():
    rng = np.random.default_rng(0)
    draws = TEMPLATE[None] + rng.normal(0, 15, (5, len(NAMES), 2))
    frames = draws * np.asarray((0.1, 0.2))
    index = resolve_landmarks(NAMES)
    for key in ('SNA', 'N-A-Pog', 'Jarabak-ratio', 'FH-SGn', 'N-perp-A'):
        batched = _evaluate(key, frames, index)
        single = [
            measurement_values(d, NAMES, (0.1, 0.2), keys=[key])[key]
            for d in draws
        ]
        np.testing.assert_allclose(batched, single, rtol=1e-12)
    # a draw whose geometry is undefined is NaN, the others measured
    frames[2, index['N']] = frames[2, index['S']]
    values = _evaluate('SNA', frames, index)
    assert np.isnan(values[2]) and np.isfinite(np.delete(values, 2)).all()


@pytest.mark.parametrize('radii, samples, match', [
    (np.ones(5), 500, 'radii'),
    (-np.ones(19), 500, 'non-negative'),
    (np.full(19, np.inf), 500, 'finite'),
    (np.ones(19), 1, 'samples'),
])
def test_bad_inputs_are_named(radii, samples, match):
    with pytest.raises(ValueError, match=match):
        measurement_uncertainty(
            TEMPLATE, radii, NAMES, SPACING, samples=samples)
