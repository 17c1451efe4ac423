"""``ceph_landmarks.core.evaluation.conformal``: split-conformal error radii
on synthetic errors whose distribution is known."""
import json
import math

import numpy as np
import pytest

from ceph_landmarks.core.evaluation.conformal import (DIFFICULTY_SIGNALS,
                                                      RadiusCalibration,
                                                      compare_radius_models,
                                                      conformal_quantile,
                                                      coverage,
                                                      difficulty_transform,
                                                      fit_radius_calibration)

NAMES = [f'landmark_{k}' for k in range(19)]
NOMINAL = 0.9


def _sigmas(rng: np.random.Generator) -> np.ndarray:
    return rng.uniform(0.5, 2.5, size=len(NAMES))


def _difficulty(rng: np.random.Generator, num: int) -> np.ndarray:
    """A distance-like signal in mm: median 2.7, mostly above the floor."""
    return np.exp(rng.normal(1.0, 0.7, size=(num, len(NAMES))))


@pytest.mark.parametrize('alpha', [0.05, 0.1, 0.2, 0.33])
@pytest.mark.parametrize('num', [1, 4, 9, 19, 20, 57])
def test_conformal_quantile_is_the_finite_sample_rank(alpha, num):
    scores = np.random.default_rng(num).permutation(np.arange(1., num + 1))
    rank = math.ceil((num + 1) * (1 - alpha))
    expected = float(rank) if rank <= num else math.inf
    assert conformal_quantile(scores, alpha) == expected


def test_conformal_quantile_exact_products_and_nan():
    # (19 + 1) * 0.9 = 18 exactly: the 18th, not the 19th, smallest
    assert conformal_quantile(np.arange(1., 20.), 0.1) == 18.0
    with_nan = np.concatenate([np.arange(1., 20.), [np.nan] * 5])
    assert conformal_quantile(with_nan, 0.1) == 18.0
    assert conformal_quantile(np.array([1., 2., np.nan]), 0.1) == math.inf


@pytest.mark.parametrize('alpha', [0, 1, -0.1, 1.5, 'x', None, math.nan])
def test_conformal_quantile_refuses_bad_alpha(alpha):
    with pytest.raises(ValueError, match='alpha'):
        conformal_quantile(np.arange(10.), alpha)


@pytest.mark.parametrize('scores', [[], [np.nan, np.nan]])
def test_conformal_quantile_refuses_no_scores(scores):
    with pytest.raises(ValueError, match='no scores'):
        conformal_quantile(np.array(scores), 0.1)


def test_coverage_ignores_nan_and_takes_per_image_radii():
    errors = np.array([[1., 3.], [2., np.nan], [0.5, 1.]])
    per, overall = coverage(errors, np.array([1.5, 2.5]))
    np.testing.assert_allclose(per, [2 / 3, 0.5])
    assert overall == pytest.approx(3 / 5)
    radii = np.array([[0.5, 3.], [2., 0.], [0.4, 0.9]])
    per, overall = coverage(errors, radii)
    np.testing.assert_allclose(per, [1 / 3, 0.5])
    assert overall == pytest.approx(2 / 5)
    per, _ = coverage(np.array([[1., np.nan]]), np.array([2., 2.]))
    assert per[0] == 1 and np.isnan(per[1])
    with pytest.raises(ValueError, match='radii'):
        coverage(errors, np.array([1., 2., 3.]))
    with pytest.raises(ValueError, match='no errors'):
        coverage(np.full((2, 2), np.nan), np.ones(2))


def test_difficulty_transforms_point_the_right_way():
    values = np.array([0.0, 0.01, 0.5, 2.0, np.nan])
    confidence = difficulty_transform('confidence', values)
    np.testing.assert_allclose(confidence[:4], [20., 20., 2., 0.5])
    distance = difficulty_transform('refine_shift_mm', values)
    np.testing.assert_allclose(distance[:4], [0.5, 0.5, 0.5, 2.])
    assert np.isnan(confidence[4]) and np.isnan(distance[4])
    # any distance in mm is accepted; other names are refused
    np.testing.assert_allclose(
        difficulty_transform('my_spread_mm', values[:4]), distance[:4])
    for name, signal in DIFFICULTY_SIGNALS.items():
        assert signal.harder_when_higher == name.endswith('_mm')
    with pytest.raises(ValueError, match='unknown difficulty'):
        difficulty_transform('entropy', values)


def test_calibration_reaches_nominal_coverage():
    """Rayleigh errors with per-landmark sigma: fit on 200 images, check on
    5000 fresh ones."""
    rng = np.random.default_rng(0)
    sigmas = _sigmas(rng)
    calib = fit_radius_calibration(
        rng.rayleigh(sigmas, size=(200, len(NAMES))), NAMES, alpha=0.1)
    assert calib.difficulty is None and calib.scale is None
    fresh = rng.rayleigh(sigmas, size=(5000, len(NAMES)))
    per, overall = coverage(fresh, calib.radius_mm())
    assert abs(overall - NOMINAL) <= 0.015
    assert per.min() >= 0.82
    # the radii follow the known quantile sigma * sqrt(-2 ln alpha)
    np.testing.assert_allclose(
        calib.radius_mm(), sigmas * math.sqrt(-2 * math.log(0.1)), rtol=0.2)
    assert calib.num_calibration == 200 and calib.nominal_coverage == 0.9


@pytest.mark.parametrize('name, signal', [
    ('refine_shift_mm', lambda d: d),
    ('confidence', lambda d: 1.0 / d),
])
def test_informative_difficulty_gives_smaller_radius(name, signal):
    """Errors that scale with the difficulty: the adaptive radius is chosen,
    keeps the coverage and is smaller on average."""
    rng = np.random.default_rng(1)
    sigmas = _sigmas(rng)
    difficulty = _difficulty(rng, 200)
    errors = rng.rayleigh(sigmas * difficulty)
    calib = fit_radius_calibration(
        errors, NAMES, difficulties={name: signal(difficulty)})
    assert calib.difficulty == name
    rows = {row['model']: row for row in calib.candidates}
    assert rows[name]['chosen'] and not rows['constant']['chosen']
    assert rows[name]['mean_radius_mm'] < rows['constant']['mean_radius_mm']

    fresh_difficulty = _difficulty(rng, 5000)
    fresh = rng.rayleigh(sigmas * fresh_difficulty)
    adaptive = calib.radius_mm(signal(fresh_difficulty))
    constant = np.broadcast_to(calib.radii_mm, fresh.shape)
    assert abs(coverage(fresh, adaptive)[1] - NOMINAL) <= 0.015
    assert abs(coverage(fresh, constant)[1] - NOMINAL) <= 0.015
    assert adaptive.mean() < 0.85 * constant.mean()


def test_smallest_radius_wins_and_gain_is_required():
    rng = np.random.default_rng(6)
    sigmas = _sigmas(rng)
    difficulty = _difficulty(rng, 200)
    errors = rng.rayleigh(sigmas * difficulty)
    blurred = difficulty * np.exp(rng.normal(0, 0.25, size=errors.shape))
    candidates = dict(refine_shift_mm=difficulty, flip_disagreement_mm=blurred)
    calib = fit_radius_calibration(errors, NAMES, difficulties=candidates)
    rows = {row['model']: row for row in calib.candidates}
    assert rows['flip_disagreement_mm']['mean_radius_mm'] < rows['constant'][
        'mean_radius_mm']  # both help, the exact signal more
    assert calib.difficulty == 'refine_shift_mm'
    # a gain below min_gain keeps the constant radius
    gain = 1 - rows['refine_shift_mm']['mean_radius_mm'] / rows['constant'][
        'mean_radius_mm']
    kept = fit_radius_calibration(
        errors, NAMES, difficulties=candidates, min_gain=gain + 0.01)
    assert kept.difficulty is None and kept.candidates[0]['chosen']


def test_useless_difficulty_keeps_constant_radius():
    rng = np.random.default_rng(2)
    sigmas = _sigmas(rng)
    errors = rng.rayleigh(sigmas, size=(200, len(NAMES)))
    calib = fit_radius_calibration(
        errors,
        NAMES,
        difficulties=dict(
            ensemble_spread_mm=_difficulty(rng, 200),
            confidence=rng.uniform(0.1, 1.0, size=errors.shape)))
    assert calib.difficulty is None
    assert [row['model'] for row in calib.candidates
            ] == ['constant', 'ensemble_spread_mm', 'confidence']
    assert [row['chosen'] for row in calib.candidates] == [True, False, False]
    for row in calib.candidates[1:]:
        assert row['mean_radius_mm'] > calib.candidates[0]['mean_radius_mm']


def test_compare_radius_models_cross_fits():
    rng = np.random.default_rng(3)
    difficulty = _difficulty(rng, 60)
    errors = rng.rayleigh(difficulty)
    errors[:5, 0] = np.nan  # unannotated landmarks are ignored
    rows = compare_radius_models(
        errors, dict(refine_shift_mm=difficulty), folds=5, seed=0)
    assert [row['model'] for row in rows] == ['constant', 'refine_shift_mm']
    for row in rows:
        assert row['folds'] == 5
        assert 0.8 <= row['coverage'] <= 1.0
        assert row['min_landmark_coverage'] <= row['coverage']
        assert math.isfinite(row['mean_radius_mm'])
    again = compare_radius_models(
        errors, dict(refine_shift_mm=difficulty), folds=5, seed=0)
    assert again == rows
    # folds of 2 images cannot bound a 90 % quantile: inf, not a number
    tiny = compare_radius_models(errors[:10], folds=5)
    assert tiny[0]['mean_radius_mm'] == math.inf


def test_radius_needs_difficulty_when_adaptive():
    calib = RadiusCalibration(
        alpha=0.1,
        landmark_names=['a', 'b'],
        radii_mm=[2.0, 3.0],
        difficulty='refine_shift_mm',
        scale=[1.5, 1.0])
    with pytest.raises(ValueError, match='refine_shift_mm'):
        calib.radius_mm()
    np.testing.assert_allclose(calib.radius_mm([2.0, 0.1]), [3.0, 0.5])
    # a missing difficulty falls back to the constant radius
    np.testing.assert_allclose(calib.radius_mm([[np.nan, 4.0]]), [[2.0, 4.0]])
    with pytest.raises(ValueError, match='difficulty values'):
        calib.radius_mm([1.0, 2.0, 3.0])
    constant = RadiusCalibration(0.1, ['a', 'b'], [2.0, 3.0])
    np.testing.assert_allclose(constant.radius_mm(), [2.0, 3.0])
    assert constant.radius_mm(np.ones((4, 2))).shape == (4, 2)


def test_fit_refuses_bad_inputs():
    errors = np.ones((50, 2))
    with pytest.raises(ValueError, match='landmark names'):
        fit_radius_calibration(errors, ['a'])
    with pytest.raises(ValueError, match='negative'):
        fit_radius_calibration(-errors, ['a', 'b'])
    with pytest.raises(ValueError, match='infinite'):
        fit_radius_calibration(errors[:5], ['a', 'b'], alpha=0.1)
    with pytest.raises(ValueError, match='unknown difficulty'):
        fit_radius_calibration(errors, ['a', 'b'], difficulties=dict(x=errors))
    with pytest.raises(ValueError, match='refine_shift_mm'):
        fit_radius_calibration(
            errors, ['a', 'b'], difficulties=dict(refine_shift_mm=errors[1:]))


def _fitted() -> RadiusCalibration:
    rng = np.random.default_rng(4)
    difficulty = _difficulty(rng, 100)
    return fit_radius_calibration(
        rng.rayleigh(difficulty),
        NAMES,
        difficulties=dict(refine_shift_mm=difficulty),
        fitted_on='synthetic, 100 images')


def test_round_trip_through_json():
    calib = _fitted()
    assert calib.difficulty == 'refine_shift_mm'
    text = json.dumps(calib.to_dict(), allow_nan=False)
    back = RadiusCalibration.from_dict(json.loads(text), 'calib.json')
    assert back == calib
    values = np.random.default_rng(5).uniform(0.1, 3.0, (3, len(NAMES)))
    np.testing.assert_array_equal(
        back.radius_mm(values), calib.radius_mm(values))


@pytest.mark.parametrize('change, key', [
    (dict(radii_mm=None), 'radii_mm'),
    (dict(radii_mm=[1.0, 2.0]), 'radii_mm'),
    (dict(radii_mm=[-1.0] * 19), 'radii_mm'),
    (dict(radii_mm=['a'] * 19), 'radii_mm'),
    (dict(alpha=1.5), 'alpha'),
    (dict(landmark_names=['a'] * 19), 'landmark_names'),
    (dict(difficulty='entropy'), 'difficulty'),
    (dict(scale=None), 'scale'),
    (dict(difficulty=None), 'scale'),
    (dict(num_calibration=-3), 'num_calibration'),
    (dict(fitted_on=3), 'fitted_on'),
    (dict(version=2), 'version'),
    (dict(radius=1.0), 'radius'),
])
def test_bad_dict_is_refused_naming_source_and_key(change, key):
    d = _fitted().to_dict()
    d.update(change)
    if change.get('radii_mm', 0) is None:
        del d['radii_mm']
    with pytest.raises(ValueError) as info:
        RadiusCalibration.from_dict(d, 'work_dirs/x/calibration.json')
    assert str(info.value).startswith('work_dirs/x/calibration.json: ')
    assert repr(key) in str(info.value)


def test_non_dict_is_refused_naming_source():
    with pytest.raises(ValueError, match='calibration.json: .*dictionary'):
        RadiusCalibration.from_dict([1, 2], 'calibration.json')
