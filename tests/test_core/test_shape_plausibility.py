"""``ceph_landmarks.core.evaluation.shape_plausibility``: the shape model
on landmark configurations of the synthetic cephalograms, and made-up bad
configurations (turned, mirrored, shuffled, points moved far)."""
import json
import math

import numpy as np
import pytest

from ceph_landmarks.core.evaluation import shape_plausibility
from ceph_landmarks.core.evaluation.shape_plausibility import (ShapeModel,
                                                               ShapeVerdict,
                                                               assess_shape)
from ceph_landmarks.core.metainfo import landmark_names
from ceph_landmarks.core.synthetic import TEMPLATE, render_cephalogram

NAMES = landmark_names('isbi2015')
WIDTH = 387  # synthetic canvas width at scale 0.2
MM_PER_PX = 0.5  # 0.1 mm per ISBI pixel, drawn at 0.2 times that size
RANK = {'ok': 0, 'review': 1, 'refuse': 2}


def _landmarks(seeds) -> np.ndarray:
    return np.stack([render_cephalogram(seed)[1] for seed in seeds])


@pytest.fixture(scope='module')
def model() -> ShapeModel:
    return ShapeModel.fit(
        _landmarks(range(150)), NAMES, fitted_on='synthetic seeds 0-149')


@pytest.fixture(scope='module')
def fresh() -> np.ndarray:
    return _landmarks(range(1000, 1040))


def _rotate(shape: np.ndarray, degrees: float) -> np.ndarray:
    turn = math.radians(degrees)
    matrix = np.array([[math.cos(turn), -math.sin(turn)],
                       [math.sin(turn), math.cos(turn)]])
    centre = shape.mean(axis=0)
    return (shape - centre) @ matrix.T + centre


def test_procrustes_recovers_similarity_without_reflection():
    rng = np.random.default_rng(0)
    reference = rng.normal(size=(19, 2)) * 50
    moved = _rotate(reference, 40.0) * 1.7 + [300., -20.]
    aligned, rotation, scale = shape_plausibility.procrustes_align(
        moved, reference)
    np.testing.assert_allclose(aligned, reference, atol=1e-9)
    assert rotation == pytest.approx(-40.0)
    assert scale == pytest.approx(1 / 1.7)
    # a mirror image cannot be turned onto its original
    mirrored = reference * [-1, 1]
    aligned, _, _ = shape_plausibility.procrustes_align(mirrored, reference)
    assert np.abs(aligned - reference).max() > 10
    with pytest.raises(ValueError, match='one point'):
        shape_plausibility.procrustes_align(np.ones((19, 2)), reference)
    with pytest.raises(ValueError, match=r'\[K, 2\]'):
        shape_plausibility.procrustes_align(reference[:, :1], reference)


def test_model_keeps_training_orientation_and_thresholds(model):
    assert model.num_training == 150
    assert model.mean_shape.shape == (19, 2)
    assert 1 <= model.components.shape[0] <= 2 * 19 - 5
    assert model.thresholds['refuse'] == pytest.approx(
        2 * model.thresholds['review'])
    assert model.thresholds['review'] == pytest.approx(
        np.percentile(model.loo_distances, 99))
    # the mean keeps the images' orientation: sella left of nasion, both
    # above menton (image y points down)
    sella, nasion, menton = (
        model.mean_shape[NAMES.index(n)]
        for n in ('sella', 'nasion', 'menton'))
    assert sella[0] < nasion[0] and nasion[1] < menton[1]


def test_fresh_normal_shapes_are_ok(model, fresh):
    verdicts = [assess_shape(model, shape) for shape in fresh]
    counts = {v: sum(x.verdict == v for x in verdicts) for v in RANK}
    assert counts['refuse'] == 0
    assert counts['review'] <= 2  # 99th percentile: about 1 in 100
    for verdict in verdicts:
        assert abs(verdict.rotation_deg) < 12  # synthetic turns: +-8 deg
        assert verdict.distance < model.thresholds['review'] or \
            verdict.verdict == 'review'


@pytest.mark.parametrize('degrees', [90, -90, 180])
def test_turned_shape_is_refused_by_rotation(model, fresh, degrees):
    shape = fresh[0]
    assert assess_shape(model, shape).verdict == 'ok'
    verdict = assess_shape(model, _rotate(shape, degrees))
    assert verdict.verdict == 'refuse'
    assert abs(abs(verdict.rotation_deg) - abs(degrees)) < 12
    assert any('orientation' in reason for reason in verdict.reasons)
    # the shape itself did not change
    assert verdict.distance == pytest.approx(model.distance(shape))


def test_small_turn_is_not_refused(model, fresh):
    verdict = assess_shape(model, _rotate(fresh[0], 15))
    assert verdict.verdict == 'ok'


def test_mirrored_shape_is_flagged(model, fresh):
    shape = fresh[0]
    mirrored = shape * [-1, 1] + [WIDTH, 0]
    verdict = assess_shape(model, mirrored)
    assert RANK[verdict.verdict] >= RANK['review']
    assert verdict.distance > model.thresholds['review']


@pytest.mark.parametrize('seed', range(4))
def test_shuffled_landmarks_are_flagged(model, fresh, seed):
    shape = fresh[1]
    assert assess_shape(model, shape).verdict == 'ok'
    order = np.random.default_rng(seed).permutation(len(NAMES))
    verdict = assess_shape(model, shape[order])
    assert RANK[verdict.verdict] >= RANK['review']
    assert any('unlike' in r or 'far from' in r for r in verdict.reasons)


@pytest.mark.parametrize('seed', range(4))
def test_three_landmarks_moved_far_are_flagged(model, fresh, seed):
    rng = np.random.default_rng(seed)
    shape = fresh[2].copy()
    assert assess_shape(model, shape).verdict == 'ok'
    moved = rng.choice(len(NAMES), size=3, replace=False)
    angles = rng.uniform(0, 2 * np.pi, size=3)
    shape[moved] += 30.0 / MM_PER_PX * np.stack(
        [np.cos(angles), np.sin(angles)], axis=1)  # 30 mm
    verdict = assess_shape(model, shape)
    assert RANK[verdict.verdict] >= RANK['review']
    assert verdict.rotation_deg == pytest.approx(model.rotation_deg(shape))
    assert all('diagnos' not in reason for reason in verdict.reasons)


def test_both_distance_terms_count():
    """Shapes that vary along two modes only: a point moved off the modes
    is caught by the residual term, an extreme mode by the Mahalanobis
    term."""
    rng = np.random.default_rng(0)
    modes = rng.normal(size=(2, 19, 2))
    modes /= np.linalg.norm(modes, axis=(1, 2), keepdims=True)

    def draw(weights: np.ndarray) -> np.ndarray:
        noise = rng.normal(0, 1.0, size=(len(weights), 19, 2))
        return TEMPLATE + np.einsum('nm,mkd->nkd', weights, modes) + noise

    model = ShapeModel.fit(draw(rng.normal(0, 80, size=(60, 2))), NAMES)
    assert model.components.shape[0] == 2
    typical = draw(np.array([[40.0, -60.0]]))[0]
    assert assess_shape(model, typical).verdict == 'ok'
    off_modes = typical.copy()
    off_modes[3] += [15.0, 0.0]  # 1.5 mm in ISBI pixels
    assert assess_shape(model, off_modes).verdict == 'review'
    extreme = draw(np.array([[80.0 * 12, 0.0]]))[0]  # 12 sigma on mode 1
    assert RANK[assess_shape(model, extreme).verdict] >= RANK['review']


def test_collapsed_prediction_is_refused(model):
    verdict = assess_shape(model, np.full((19, 2), 100.0))
    assert verdict.verdict == 'refuse' and math.isinf(verdict.distance)
    json.dumps(verdict.to_dict(), allow_nan=False)
    with pytest.raises(ValueError, match='NaN'):
        assess_shape(model, np.full((19, 2), np.nan))
    with pytest.raises(ValueError, match='19 landmarks'):
        model.distance(np.ones((5, 2)) * np.arange(5)[:, None])


def test_round_trip_through_json(model, fresh):
    text = json.dumps(model.to_dict(), allow_nan=False)
    back = ShapeModel.from_dict(json.loads(text), 'shape_model.json')
    assert back.thresholds == model.thresholds
    assert back.fitted_on == 'synthetic seeds 0-149'
    for shape in (fresh[3], _rotate(fresh[3], 90)):
        assert back.distance(shape) == model.distance(shape)
        assert back.rotation_deg(shape) == model.rotation_deg(shape)
    verdict = assess_shape(back, fresh[3])
    assert isinstance(verdict, ShapeVerdict)
    assert verdict.to_dict()['verdict'] == verdict.verdict


@pytest.mark.parametrize('change, key', [
    (dict(mean_shape=[[0, 0]] * 19), 'mean_shape'),
    (dict(mean_shape=[[0, 0]] * 18), 'mean_shape'),
    (dict(components=[[1.0] * 38]), 'components'),
    (dict(variances=[-1.0]), 'variances'),
    (dict(residual_variance=0), 'residual_variance'),
    (dict(residual_variance='x'), 'residual_variance'),
    (dict(thresholds=dict(review=5.0, refuse=4.0)), 'thresholds'),
    (dict(thresholds=dict(review=5.0)), 'thresholds'),
    (dict(landmark_names=['a', 'b']), 'landmark_names'),
    (dict(max_rotation_deg=270), 'max_rotation_deg'),
    (dict(num_training=-1), 'num_training'),
    (dict(version=7), 'version'),
    (dict(extra=1), 'extra'),
    (dict(components=None), 'components'),
])
def test_bad_dict_is_refused_naming_source_and_key(model, change, key):
    d = model.to_dict()
    d.update(change)
    if key in change and change[key] is None:
        del d[key]
    with pytest.raises(ValueError) as info:
        ShapeModel.from_dict(d, 'models/shape_model.json')
    assert str(info.value).startswith('models/shape_model.json: ')
    assert repr(key) in str(info.value)


def test_fit_refuses_bad_training_shapes():
    shapes = _landmarks(range(12))
    with pytest.raises(ValueError, match='at least 10'):
        ShapeModel.fit(shapes[:5], NAMES)
    with pytest.raises(ValueError, match='landmark names'):
        ShapeModel.fit(shapes, NAMES[:-1])
    bad = shapes.copy()
    bad[3, 4] = np.nan
    with pytest.raises(ValueError, match='training shape 3'):
        ShapeModel.fit(bad, NAMES)
    with pytest.raises(ValueError, match=r'\[N, K, 2\]'):
        ShapeModel.fit(shapes[..., 0], NAMES)
