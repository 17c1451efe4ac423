"""The runtime's boxes and warps against MMPose's test pipeline."""
import numpy as np
import pytest
from mmcv.transforms import Compose

import ceph_landmarks  # noqa: F401 (registers LandmarkCrop)
from ceph_landmarks.runtime.box_warp import (to_image_pixels, warp_into_input,
                                             whole_image_box, window_box)


def _image(height: int, width: int) -> np.ndarray:
    rng = np.random.default_rng(height * width)
    return rng.integers(0, 256, (height, width, 3), dtype=np.uint8)


@pytest.mark.parametrize('shape', [(167, 134), (120, 96), (100, 300)])
@pytest.mark.parametrize('input_size', [(64, 64), (128, 160), (256, 192)])
def test_whole_image_input_equals_mmposes(shape, input_size):
    from mmpose.datasets.transforms import GetBBoxCenterScale, TopdownAffine
    height, width = shape
    img = _image(height, width)
    results = dict(
        img=img,
        img_shape=shape,
        bbox=np.array([[0, 0, width, height]], np.float32))
    results = GetBBoxCenterScale(padding=1.0).transform(results)
    results = TopdownAffine(input_size=input_size).transform(results)
    box = whole_image_box(width, height, input_size)
    np.testing.assert_array_equal(box[0], results['input_center'])
    np.testing.assert_array_equal(box[1], results['input_scale'])
    np.testing.assert_array_equal(
        warp_into_input(img, box, input_size), results['img'])


@pytest.mark.parametrize('center', [(50.3, 60.7), (2.0, 3.0), (133.9, 1.5)])
def test_window_input_equals_landmark_crops(center):
    height, width, input_size = 167, 134, (64, 64)
    img = _image(height, width)
    pipeline = Compose([
        dict(type='mmpose.LandmarkCrop', crop_size=0.3),
        dict(type='mmpose.TopdownAffine', input_size=input_size)
    ])
    results = pipeline(
        dict(
            img=img,
            img_shape=(height, width),
            crop_landmark=0,
            crop_center=np.array(center, np.float32)))
    box = window_box(
        np.array(center, np.float32), width, height, 0.3, input_size)
    np.testing.assert_array_equal(box[0], results['input_center'])
    np.testing.assert_array_equal(box[1], results['input_scale'])
    np.testing.assert_array_equal(
        warp_into_input(img, box, input_size), results['img'])


def test_points_map_back_to_the_image():
    box = (np.array([100, 80], np.float32), np.array([200, 250], np.float32))
    points = np.array([[0, 0], [64, 80], [128, 160]], np.float32)
    mapped = to_image_pixels(points, box, (128, 160))
    np.testing.assert_allclose(mapped, [[0, -45], [100, 80], [200, 205]])
