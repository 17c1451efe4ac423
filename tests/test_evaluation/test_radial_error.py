"""MRE / SDR maths against numbers computed by hand."""
import numpy as np
import pytest

from ceph_landmarks.core.evaluation import (mean_radial_error,
                                            mre_standard_error, per_image_mre,
                                            per_landmark_errors,
                                            radial_errors_mm,
                                            relative_error_spread, sdr_key,
                                            success_detection_rates)


def _two_images():
    # image 0: spacing 0.1 mm/px, image 1: spacing 0.2 mm/px
    gt = np.zeros((2, 3, 2))
    pred = np.array([
        [[30., 40.], [0., 20.], [10., 0.]],  # 50 px, 20 px, 10 px
        [[6., 8.], [0., 12.5], [100., 0.]],  # 10 px, 12.5 px, 100 px
    ])
    spacing = np.array([0.1, 0.2])
    return pred, gt, spacing


def test_radial_errors_use_each_image_spacing():
    pred, gt, spacing = _two_images()
    errors = radial_errors_mm(pred, gt, spacing)
    np.testing.assert_allclose(errors, [[5.0, 2.0, 1.0], [2.0, 2.5, 20.0]])


def test_radial_errors_anisotropic_spacing():
    pred = np.array([[[10., 10.]]])
    errors = radial_errors_mm(pred, np.zeros((1, 1, 2)), np.array([[0.3,
                                                                    0.4]]))
    np.testing.assert_allclose(errors, [[5.0]])


def test_mre_and_sdr_with_masked_landmark():
    pred, gt, spacing = _two_images()
    errors = radial_errors_mm(pred, gt, spacing)
    mask = np.array([[True, True, True], [True, True, False]])  # 20 mm out
    mre, std = mean_radial_error(errors, mask)
    valid = np.array([5.0, 2.0, 1.0, 2.0, 2.5])
    assert mre == pytest.approx(12.5 / 5)
    assert std == pytest.approx(np.sqrt(((valid - 2.5)**2).mean()))
    sdr = success_detection_rates(errors, mask, [2.0, 2.5, 3.0, 4.0])
    # <= threshold: 2.0 -> {2.0, 1.0, 2.0}; 2.5 -> also 2.5; 4 -> not 5.0
    np.testing.assert_allclose(sdr, [60.0, 80.0, 80.0, 80.0])


def test_sdr_counts_error_equal_to_threshold_as_success():
    errors = np.array([[2.0, 2.0000001]])
    sdr = success_detection_rates(errors, np.ones((1, 2), bool), [2.0])
    np.testing.assert_allclose(sdr, [50.0])


def test_per_landmark_errors():
    pred, gt, spacing = _two_images()
    errors = radial_errors_mm(pred, gt, spacing)
    mask = np.array([[True, True, False], [True, True, False]])
    stats = per_landmark_errors(errors, mask, [2.0, 4.0])
    np.testing.assert_allclose(stats['mre'][:2], [3.5, 2.25])
    np.testing.assert_allclose(stats['std'][:2], [1.5, 0.25])
    np.testing.assert_allclose(stats['sdr'][:2], [[50.0, 50.0], [50.0, 100.0]])
    assert np.isnan(stats['mre'][2]) and stats['count'].tolist() == [2, 2, 0]


def test_invalid_inputs_raise():
    with pytest.raises(
            ValueError,
            match='spacing of image 0 must be one '
            r'positive number \(mm/px\) or \(sx, sy\), but got '
            '0.0'):
        radial_errors_mm(
            np.zeros((1, 2, 2)), np.zeros((1, 2, 2)), np.array([0.0]))
    with pytest.raises(ValueError, match=r'shape \[N, K, 2\]'):
        radial_errors_mm(
            np.zeros((1, 2, 3)), np.zeros((1, 2, 3)), np.array([0.1]))
    assert np.isnan(
        mean_radial_error(np.ones((1, 2)), np.zeros((1, 2), bool))[0])


def test_sdr_key_format():
    assert [sdr_key(t) for t in (2.0, 2.5, 3, 4.0)
            ] == ['SDR@2mm', 'SDR@2.5mm', 'SDR@3mm', 'SDR@4mm']


def test_per_image_mre_uses_only_valid_landmarks():
    pred, gt, spacing = _two_images()
    errors = radial_errors_mm(pred, gt, spacing)  # [[5, 2, 1], [2, 2.5, 20]]
    mask = np.array([[True, True, True], [True, True, False]])
    np.testing.assert_allclose(per_image_mre(errors, mask), [8 / 3, 2.25])
    # an image with no valid landmark gets nan, not 0
    mask[1] = False
    image_mre = per_image_mre(errors, mask)
    assert image_mre[0] == pytest.approx(8 / 3) and np.isnan(image_mre[1])
    with pytest.raises(
            ValueError, match=r'shape \[N, K\].*\(2, 3\) and '
            r'\(2, 2\)'):
        per_image_mre(errors, mask[:, :2])


def test_mre_standard_error_by_hand():
    # per-image MREs 1, 2, 4, 5 (image 3 has one valid landmark of two)
    errors = np.array([[1., 1.], [1., 3.], [4., 4.], [5., 99.]])
    mask = np.array([[True, True], [True, True], [True, True], [True, False]])
    # mean 3; sample variance (4 + 1 + 1 + 4) / 3; SE = sqrt(10 / 3) / 2
    assert mre_standard_error(errors,
                              mask) == pytest.approx(np.sqrt(10 / 3) / 2)
    # not the SD of the pooled landmark errors over sqrt(#landmarks)
    pooled = errors[mask]
    assert mre_standard_error(errors, mask) != pytest.approx(
        pooled.std(ddof=1) / np.sqrt(pooled.size))


def test_mre_standard_error_skips_empty_images_and_needs_two():
    errors = np.array([[1., 1.], [3., 3.], [50., 50.]])
    mask = np.array([[True, True], [True, True], [False, False]])
    # the empty image neither adds an MRE nor counts in sqrt(n): SD 1.414
    assert mre_standard_error(errors,
                              mask) == pytest.approx(np.sqrt(2) / np.sqrt(2))
    assert np.isnan(mre_standard_error(errors[:1], mask[:1]))
    assert np.isnan(mre_standard_error(errors, np.zeros((3, 2), bool)))
    # identical images: no spread
    assert mre_standard_error(np.ones((4, 2)), np.ones(
        (4, 2), bool)) == pytest.approx(0.0)


def test_relative_error_spread_by_hand():
    pred = np.array([[[13., 10.], [0., 0.]], [[7., 6.], [5., 5.]]])
    gt = np.full((2, 2, 2), 10.)
    mask = np.array([[True, False], [True, True]])
    sizes = np.array([[100, 50], [50, 200]])  # longer sides 100 and 200
    spread = relative_error_spread(pred, gt, mask, sizes)
    # landmark 0: x errors 3/100, -3/200; y errors 0, -4/200
    np.testing.assert_allclose(
        spread[0], [np.sqrt((0.03**2 + 0.015**2) / 2),
                    np.sqrt(0.02**2 / 2)])
    # landmark 1: only image 1 counts (image 0 invisible)
    np.testing.assert_allclose(spread[1], [0.025, 0.025])
    with pytest.raises(ValueError, match='expected pred and gt'):
        relative_error_spread(pred, gt, mask, sizes[:1])
