"""The synthetic cephalogram generator."""
import json
import os.path as osp

import cv2
import numpy as np

from ceph_landmarks.core.synthetic import (render_cephalogram,
                                           write_synthetic_split)


def test_render_is_deterministic_and_seed_dependent():
    img_a, pts_a = render_cephalogram(7)
    img_b, pts_b = render_cephalogram(7)
    img_c, pts_c = render_cephalogram(8)
    np.testing.assert_array_equal(img_a, img_b)
    np.testing.assert_array_equal(pts_a, pts_b)
    assert np.abs(pts_a - pts_c).max() > 1.0
    assert img_a.shape == (480, 387) and img_a.dtype == np.uint8


def test_landmarks_sit_on_visible_structure():
    img, pts = render_cephalogram(3)
    h, w = img.shape
    assert np.all((pts >= 0) & (pts < [w, h]))
    # each landmark's dot is brighter than the image's median background
    values = [img[int(round(y)), int(round(x))] for x, y in pts]
    assert min(values) > np.median(img) + 60


def test_write_split(tmp_path):
    ann_file = write_synthetic_split(str(tmp_path), 'val', 3, seed=5)
    coco = json.load(open(ann_file))
    assert [i['spacing'] for i in coco['images']] == [0.1] * 3
    assert len(coco['annotations']) == 3
    assert len(coco['annotations'][0]['keypoints']) == 19 * 3
    img = cv2.imread(
        osp.join(tmp_path, 'images', 'val_0000.png'), cv2.IMREAD_UNCHANGED)
    assert img.shape == (coco['images'][0]['height'],
                         coco['images'][0]['width'])
    again = write_synthetic_split(str(tmp_path / 'b'), 'val', 3, seed=5)
    assert json.load(open(again))['annotations'] == coco['annotations']
