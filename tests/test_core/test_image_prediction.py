"""``image_prediction`` of ``ceph_landmarks.core.prediction``: a model's
decoded points as the prediction record every predictor returns."""
import json

import numpy as np
import pytest

from ceph_landmarks.core.evaluation import cephalometric_analysis
from ceph_landmarks.core.metainfo import landmark_names
from ceph_landmarks.core.prediction import ImagePrediction, image_prediction
from ceph_landmarks.core.synthetic import render_cephalogram

NAMES = landmark_names('isbi2015')


@pytest.fixture(scope='module')
def points():
    image, keypoints = render_cephalogram(0)
    scores = np.linspace(0.1, 0.9, len(NAMES))
    return image.shape, keypoints.astype(np.float32), scores


def test_landmarks_in_pixels_and_mm(points):
    shape, keypoints, scores = points
    result = image_prediction(keypoints, scores, NAMES, shape, 'a.png',
                              (0.1, 0.2), '--spacing')
    assert isinstance(result, ImagePrediction)
    assert (result.image, result.height, result.width) == ('a.png', *shape)
    assert (result.spacing, result.spacing_source) == ((0.1, 0.2), '--spacing')
    assert result.names == NAMES
    precise = keypoints.astype(np.float64)  # computed in float64
    np.testing.assert_array_equal(result.keypoints, precise)
    np.testing.assert_array_equal(result.confidences, scores)
    assert [lm.x_mm for lm in result.landmarks
            ] == [float(x * 0.1) for x in precise[:, 0]]
    assert [lm.y_mm for lm in result.landmarks
            ] == [float(y * 0.2) for y in precise[:, 1]]
    expected = cephalometric_analysis(precise, NAMES, (0.1, 0.2))
    assert [m.to_dict() for m in result.measurements] == \
        [m.to_dict() for m in expected]
    assert any(m.unit == 'mm' and m.value is not None
               for m in result.measurements)


def test_without_spacing_no_mm(points):
    shape, keypoints, scores = points
    result = image_prediction(keypoints, scores, NAMES, shape, '<array>', None,
                              None)
    assert result.spacing is None and result.spacing_source is None
    assert all(lm.x_mm is None and lm.y_mm is None for lm in result.landmarks)
    mm = [m for m in result.measurements if m.unit == 'mm']
    assert mm and all(m.value is None for m in mm)
    assert result.to_dict()['landmarks'][0]['x_mm'] is None


@pytest.mark.parametrize('keypoints, scores', [
    (np.zeros((18, 2)), np.zeros(19)),
    (np.zeros((19, 3)), np.zeros(19)),
    (np.zeros((19, 2)), np.zeros((1, 19))),
])
def test_points_that_do_not_match_the_names_are_refused(keypoints, scores):
    with pytest.raises(
            ValueError,
            match=r'^a\.png: expected keypoints of shape \(19, 2\) and '
            r'scores of shape \(19,\) for 19 landmarks'):
        image_prediction(keypoints, scores, NAMES, (10, 10), 'a.png', None,
                         None)


def test_refine_shift_from_the_first_stage_points(points):
    shape, keypoints, scores = points
    rng = np.random.default_rng(0)
    coarse = keypoints + rng.normal(0, 3.0, keypoints.shape)
    coarse[2] = keypoints[2]  # the refinement kept this point
    result = image_prediction(
        keypoints,
        scores,
        NAMES,
        shape,
        'a.png', (0.1, 0.2),
        '--spacing',
        coarse_keypoints=coarse)
    delta = keypoints.astype(np.float64) - coarse.astype(np.float64)
    expected = np.hypot(delta[:, 0] * 0.1, delta[:, 1] * 0.2)
    shifts = [lm.refine_shift_mm for lm in result.landmarks]
    assert shifts == pytest.approx(list(expected))
    assert shifts[2] == 0.0
    np.testing.assert_allclose(result.refine_shifts_mm, expected)
    record = json.loads(json.dumps(result.to_dict(), allow_nan=False))
    assert [lm['refine_shift_mm']
            for lm in record['landmarks']] == pytest.approx(list(expected))


@pytest.mark.parametrize('coarse, spacing', [(None, (0.1, 0.1)),
                                             (np.zeros((19, 2)), None)])
def test_no_refine_shift_without_first_stage_or_spacing(
        points, coarse, spacing):
    shape, keypoints, scores = points
    result = image_prediction(
        keypoints,
        scores,
        NAMES,
        shape,
        'a.png',
        spacing,
        None,
        coarse_keypoints=coarse)
    assert all(lm.refine_shift_mm is None for lm in result.landmarks)
    assert result.refine_shifts_mm is None
    record = json.loads(json.dumps(result.to_dict(), allow_nan=False))
    assert {lm['refine_shift_mm'] for lm in record['landmarks']} == {None}


def test_first_stage_points_that_do_not_match_are_refused(points):
    shape, keypoints, scores = points
    with pytest.raises(
            ValueError,
            match=r'^a\.png: expected first-stage keypoints of shape '
            r'\(19, 2\)'):
        image_prediction(
            keypoints,
            scores,
            NAMES,
            shape,
            'a.png',
            None,
            None,
            coarse_keypoints=np.zeros((18, 2)))
