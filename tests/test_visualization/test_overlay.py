"""Landmark overlays: dots where the landmarks are, lines, labels."""
import numpy as np
import pytest

from ceph_landmarks.core.writers.overlay import (ERROR_COLOR, GT_COLOR,
                                                 PRED_COLOR,
                                                 draw_landmark_overlay)

GREY = 90


def _image(height=200, width=300):
    return np.full((height, width), GREY, np.uint8)


def _color(canvas, xy):
    return tuple(int(c) for c in canvas[xy[1], xy[0]])


def test_dots_and_error_line_are_drawn_where_the_landmarks_are():
    image = _image()
    pred = np.array([[50., 60.], [250., 150.]])
    gt = np.array([[150., 60.], [250., 150.]])
    canvas = draw_landmark_overlay(image, pred, ['S', 'N'], gt_keypoints=gt)
    assert canvas.shape == (200, 300, 3) and canvas.dtype == np.uint8
    assert _color(canvas, (50, 60)) == PRED_COLOR
    assert _color(canvas, (150, 60)) == GT_COLOR
    # error line along row 60 between them (anti-aliased: nearly the colour)
    assert np.abs(np.subtract(_color(canvas, (100, 60)),
                              ERROR_COLOR)).max() < 30
    # a perfect prediction hides its ground truth dot
    assert _color(canvas, (250, 150)) == PRED_COLOR
    # far from every mark the X-ray is untouched, and the input is a copy
    assert _color(canvas, (10, 190)) == (GREY, GREY, GREY)
    assert (image == GREY).all()


def test_labels_are_written_beside_the_prediction():
    pred = np.array([[100., 100.]])
    plain = draw_landmark_overlay(_image(), pred)
    labelled = draw_landmark_overlay(_image(), pred, ['N'])
    changed = np.argwhere((plain != labelled).any(axis=2))  # (row, col)
    assert len(changed) > 20
    # up and to the right of the dot
    assert changed[:, 1].min() > 100 and changed[:, 0].max() < 100


def test_invisible_ground_truth_is_not_drawn():
    pred = np.array([[50., 60.]])
    canvas = draw_landmark_overlay(
        _image(),
        pred,
        gt_keypoints=np.array([[150., 60.]]),
        gt_visible=np.array([0]))
    assert _color(canvas, (150, 60)) == (GREY, GREY, GREY)
    assert _color(canvas, (100, 60)) == (GREY, GREY, GREY)


def test_title_never_hides_a_landmark():
    pred = np.array([[5., 5.]])
    canvas = draw_landmark_overlay(_image(), pred, title='x' * 40)
    assert _color(canvas, (5, 5)) == PRED_COLOR
    assert (canvas[:30, :200] != GREY).any()


def test_bad_input_is_a_clear_error():
    with pytest.raises(ValueError, match='must be uint8'):
        draw_landmark_overlay(_image().astype(float), np.zeros((1, 2)))
    with pytest.raises(ValueError, match=r'shape \[K, 2\]'):
        draw_landmark_overlay(_image(), np.zeros((2, 3)))
    with pytest.raises(ValueError, match='gt_keypoints must have the shape'):
        draw_landmark_overlay(
            _image(), np.zeros((2, 2)), gt_keypoints=np.zeros((3, 2)))
    with pytest.raises(ValueError, match='got 1 labels for 2 landmarks'):
        draw_landmark_overlay(_image(), np.zeros((2, 2)), ['S'])


def test_error_radius_circles_are_drawn_around_the_prediction():
    pred = np.array([[100., 100.], [220., 60.]])
    plain = draw_landmark_overlay(_image(), pred)
    circled = draw_landmark_overlay(_image(), pred, radii_px=[30.0, None])
    changed = (plain != circled).any(axis=2)
    # on the circle of the first landmark, in the prediction's colour
    for x, y in [(130, 100), (70, 100), (100, 130), (100, 70)]:
        assert changed[y, x]
        assert np.abs(np.subtract(_color(circled, (x, y)),
                                  PRED_COLOR)).max() < 60
    # inside and outside it, and around the landmark without a radius,
    # the X-ray is untouched; the dots stay on top
    assert not changed[100, 115] and not changed[100, 150]
    rows, cols = np.nonzero(changed)
    assert (np.hypot(cols - 100, rows - 100) < 33).all()
    assert _color(circled, (100, 100)) == PRED_COLOR
    # no radius, NaN or zero: nothing drawn
    assert (draw_landmark_overlay(
        _image(), pred, radii_px=np.array([np.nan, 0.0])) == plain).all()


def test_radii_must_match_the_landmarks():
    with pytest.raises(ValueError, match='got 1 radii_px for 2 landmarks'):
        draw_landmark_overlay(_image(), np.zeros((2, 2)), radii_px=[3.0])
