"""Evaluation report: the plots and the worst images' overlays."""
import csv
import os.path as osp

import cv2
import numpy as np
import pytest

from ceph_landmarks.core.writers.overlay import GT_COLOR, PRED_COLOR
from ceph_landmarks.visualization import (plot_per_landmark_mre,
                                          plot_sdr_curve,
                                          write_evaluation_report)


def _check_png(path, min_bytes=5000):
    """A real picture: a decodable PNG of some size, not one flat colour."""
    assert osp.getsize(path) > min_bytes
    image = cv2.imread(path)
    assert image is not None and image.shape[0] > 200 and image.shape[1] > 200
    assert image.std() > 10
    return image


def test_plots_are_non_trivial_pngs(tmp_path):
    names = [f'landmark_{k}' for k in range(19)]
    rng = np.random.default_rng(0)
    mre = rng.uniform(1, 3, 19)
    mre[4] = np.nan  # never annotated: no bar, no crash
    _check_png(
        plot_per_landmark_mre(names, mre, mre / 4, str(tmp_path / 'mre.png')))
    errors = rng.gamma(2.0, 1.0, (10, 19))
    _check_png(
        plot_sdr_curve(errors, np.ones((10, 19), bool),
                       str(tmp_path / 'sdr.png')))


@pytest.fixture
def three_images(tmp_path):
    """Three 300 x 240 grey images with growing prediction errors."""
    paths = []
    for i in range(3):
        path = str(tmp_path / f'img_{i}.png')
        cv2.imwrite(path, np.full((300, 240), 60 + 40 * i, np.uint8))
        paths.append(path)
    gt = np.tile(np.array([[40., 50.], [200., 60.], [120., 250.]]),
                 (3, 1, 1))  # (3, 3, 2)
    pred = gt.copy()
    pred[:, :, 0] += np.array([0., 30., 10.])[:, None]  # image 1 worst
    return paths, pred, gt


def test_report_files_and_worst_image_overlay(three_images, tmp_path):
    paths, pred, gt = three_images
    out = str(tmp_path / 'report')
    mask = np.ones((3, 3), bool)
    spacing = np.full((3, 2), 0.1)
    written = write_evaluation_report(
        pred,
        gt,
        mask,
        spacing,
        paths, ['sella', 'nasion', 'menton'],
        out,
        labels=['S', 'N', 'Me'],
        num_worst=2)
    assert [osp.basename(p) for p in written] == [
        'per_landmark_mre.png', 'sdr_curve.png', 'per_image_errors.csv',
        'worst_01_img_1.png', 'worst_02_img_2.png'
    ]
    _check_png(osp.join(out, 'per_landmark_mre.png'))
    _check_png(osp.join(out, 'sdr_curve.png'))

    rows = list(csv.DictReader(open(osp.join(out, 'per_image_errors.csv'))))
    assert [osp.basename(r['image'])
            for r in rows] == ['img_1.png', 'img_2.png', 'img_0.png']
    assert float(rows[0]['MRE_mm']) == pytest.approx(3.0)  # 30 px * 0.1

    worst = _check_png(osp.join(out, 'worst_01_img_1.png'), min_bytes=1000)
    assert worst.shape == (300, 240, 3)
    for (px, py), (gx, gy) in zip(pred[1], gt[1]):
        assert tuple(worst[int(py), int(px)]) == PRED_COLOR
        assert tuple(worst[int(gy), int(gx)]) == GT_COLOR


def test_unreadable_image_gets_no_overlay(three_images, tmp_path):
    paths, pred, gt = three_images
    paths = [str(tmp_path / 'missing.png')] + paths[1:]
    written = write_evaluation_report(
        pred,
        gt,
        np.ones((3, 3), bool),
        np.full((3, 2), 0.1),
        paths, ['a', 'b', 'c'],
        str(tmp_path / 'report'),
        num_worst=3)
    names = [osp.basename(p) for p in written]
    assert 'worst_03_missing.png' not in names
    assert 'worst_01_img_1.png' in names and 'worst_02_img_2.png' in names
