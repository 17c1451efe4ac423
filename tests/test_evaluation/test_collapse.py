"""Collapsed landmark pairs against distances computed by hand."""
import math

import numpy as np
import pytest

from ceph_landmarks.core.evaluation import (PAIR_RECORD_KEYS, collapsed_pairs,
                                            landmark_pair_distances)

NAMES = ['upper_incisal_tip', 'lower_incisal_tip', 'menton']


def _incisors():
    """Three images at 0.1 mm/px; the two incisal tips collapse.

    True tips are 40 px (4 mm) apart; the predictions sit at their midpoint
    1, 2 and 10 px apart (0.1, 0.2 and 1.0 mm). Menton is far from both
    and predicted at its true place.
    """
    gt = np.array([
        [[100., 100.], [100., 140.], [100., 500.]],
        [[200., 100.], [200., 140.], [200., 500.]],
        [[300., 100.], [300., 140.], [300., 500.]],
    ])  # (N, K, 2)
    pred = gt.copy()
    pred[:, 0, 1] = 120.0
    pred[:, 1, 1] = [121.0, 122.0, 130.0]
    return pred, gt, np.ones((3, 3), bool), np.full(3, 0.1)


def _pair(records, a, b):
    return next(r for r in records if (r['index_a'], r['index_b']) == (a, b))


def test_collapsed_pair_is_found_with_its_numbers():
    pred, gt, mask, spacing = _incisors()
    found = collapsed_pairs(pred, gt, mask, spacing, NAMES)
    assert len(found) == 1
    rec = found[0]
    assert tuple(rec) == PAIR_RECORD_KEYS
    assert (rec['landmark_a'], rec['landmark_b']) == tuple(NAMES[:2])
    assert (rec['index_a'], rec['index_b']) == (0, 1)
    assert rec['pred_median_mm'] == pytest.approx(0.2)  # of 0.1, 0.2, 1.0
    assert rec['true_median_mm'] == pytest.approx(4.0)
    assert rec['ratio'] == pytest.approx(0.05)
    assert rec['frac_pred_below_0.5mm'] == pytest.approx(2 / 3)
    assert rec['num_images'] == 3 and rec['collapsed'] is True


def test_well_separated_pairs_are_not_collapsed():
    pred, gt, mask, spacing = _incisors()
    records = landmark_pair_distances(pred, gt, mask, spacing, NAMES)
    assert len(records) == 3  # every pair of three landmarks
    # sorted by ratio: the collapsed incisors first
    assert [(r['index_a'], r['index_b']) for r in records][0] == (0, 1)
    upper_menton = _pair(records, 0, 2)
    assert upper_menton['true_median_mm'] == pytest.approx(40.0)
    assert upper_menton['pred_median_mm'] == pytest.approx(38.0)
    assert upper_menton['frac_pred_below_0.5mm'] == 0.0
    assert not upper_menton['collapsed'] and not _pair(records, 1,
                                                       2)['collapsed']
    # a perfect prediction collapses nothing
    assert collapsed_pairs(gt, gt, mask, spacing, NAMES) == []


def test_ratio_is_a_strict_upper_bound_and_min_true_mm_a_floor():
    pred, gt, mask, spacing = _incisors()
    # ratio 0.05 exactly: not below 0.05, below 0.0501
    assert collapsed_pairs(pred, gt, mask, spacing, ratio=0.05) == []
    assert len(collapsed_pairs(pred, gt, mask, spacing, ratio=0.0501)) == 1
    # true tips 4 mm apart: a 4.01 mm floor excludes them
    assert collapsed_pairs(pred, gt, mask, spacing, min_true_mm=4.01) == []
    # default names are the indices
    assert collapsed_pairs(pred, gt, mask, spacing)[0]['landmark_a'] == '0'


def test_invisible_points_are_ignored():
    pred, gt, mask, spacing = _incisors()
    # separate the predicted tips widely on images 0 and 1 (28 mm) ...
    pred[:2, 1, 1] = 400.0
    pred[2, 1, 1] = 125.0  # 0.5 mm from the upper tip on image 2
    assert collapsed_pairs(pred, gt, mask, spacing) == []
    # ... and hide the lower tip there: only image 2 counts
    mask[:2, 1] = False
    rec = _pair(landmark_pair_distances(pred, gt, mask, spacing), 0, 1)
    assert rec['num_images'] == 1
    assert rec['pred_median_mm'] == pytest.approx(0.5)
    assert rec['ratio'] == pytest.approx(0.125) and rec['collapsed']
    assert rec['frac_pred_below_0.5mm'] == 0.0  # 0.5 mm is not below
    # the upper tip and menton are still compared on all three images
    assert _pair(landmark_pair_distances(pred, gt, mask, spacing), 0,
                 2)['num_images'] == 3


def test_pair_never_visible_together_has_no_record():
    pred, gt, mask, spacing = _incisors()
    mask[:, 1] = False
    records = landmark_pair_distances(pred, gt, mask, spacing, NAMES)
    assert [(r['index_a'], r['index_b']) for r in records] == [(0, 2)]


def test_anisotropic_spacing_is_used():
    # one image; true tips 40 px apart in y, predicted 2 px apart in y
    gt = np.array([[[0., 0.], [0., 40.]]])
    pred = np.array([[[0., 20.], [0., 22.]]])
    mask = np.ones((1, 2), bool)
    # x spacing is irrelevant here: y at 0.1 gives 4 mm and 0.2 mm
    rec = landmark_pair_distances(pred, gt, mask, np.array([[5.0, 0.1]]))[0]
    assert rec['true_median_mm'] == pytest.approx(4.0)
    assert rec['pred_median_mm'] == pytest.approx(0.2)
    assert rec['collapsed']
    # swapping the axes makes both 20 times longer: 80 mm and 4 mm apart
    rec = landmark_pair_distances(pred, gt, mask, np.array([[0.1, 2.0]]))[0]
    assert rec['true_median_mm'] == pytest.approx(80.0)
    assert rec['pred_median_mm'] == pytest.approx(4.0)
    assert rec['collapsed'] and rec['frac_pred_below_0.5mm'] == 0.0
    # predictions apart in x only: 20 px at sx 0.1 is 2 mm (ratio 0.5)
    pred = np.array([[[0., 20.], [20., 20.]]])
    rec = landmark_pair_distances(pred, gt, mask, np.array([[0.1, 0.1]]))[0]
    assert rec['pred_median_mm'] == pytest.approx(2.0)
    assert not rec['collapsed']
    # ... but 0.5 mm at sx 0.025 (ratio 0.125): collapsed
    rec = landmark_pair_distances(pred, gt, mask, np.array([[0.025, 0.1]]))[0]
    assert rec['pred_median_mm'] == pytest.approx(0.5)
    assert rec['collapsed']


def test_coincident_true_landmarks_have_nan_ratio_and_sort_last():
    gt = np.zeros((1, 3, 2))
    gt[0, 2] = [100., 0.]
    pred = gt.copy()
    records = landmark_pair_distances(pred, gt, np.ones((1, 3), bool),
                                      np.array([0.1]))
    assert math.isnan(records[-1]['ratio'])
    assert (records[-1]['index_a'], records[-1]['index_b']) == (0, 1)
    assert not any(r['collapsed'] for r in records)


def test_bad_inputs_raise_with_what_was_received():
    pred, gt, mask, spacing = _incisors()
    with pytest.raises(ValueError, match='names must have 3 entries.*got 2'):
        collapsed_pairs(pred, gt, mask, spacing, NAMES[:2])
    with pytest.raises(ValueError, match=r'mask must have shape \[3, 3\]'):
        collapsed_pairs(pred, gt, mask[:, :2], spacing)
    with pytest.raises(ValueError, match='ratio must be positive.*got 0'):
        collapsed_pairs(pred, gt, mask, spacing, ratio=0)
    with pytest.raises(ValueError, match='min_true_mm.*got -1'):
        collapsed_pairs(pred, gt, mask, spacing, min_true_mm=-1)
    with pytest.raises(ValueError, match='spacing of image 1'):
        collapsed_pairs(pred, gt, mask, np.array([0.1, -0.1, 0.1]))
