"""The runtime's numpy decoding against MMPose's ``MSRAHeatmap.decode``."""
import numpy as np
import pytest
from mmpose.codecs import MSRAHeatmap

from ceph_landmarks.runtime.heatmap_decoding import (decode_heatmaps,
                                                     heatmap_maxima)


def _heatmaps(seed: int, num: int = 19, size=(40, 48)) -> np.ndarray:
    """Gaussian peaks (some at the border, some flat or negative) plus
    noise, as a trained network gives them."""
    rng = np.random.default_rng(seed)
    height, width = size
    ys, xs = np.mgrid[0:height, 0:width]
    maps = np.empty((num, height, width), np.float32)
    for k in range(num):
        cx, cy = rng.uniform(-1, width), rng.uniform(-1, height)
        sigma = rng.uniform(0.8, 3.0)
        maps[k] = np.exp(-((xs - cx)**2 + (ys - cy)**2) / (2 * sigma**2))
        maps[k] += rng.normal(0, 0.02, (height, width))
    maps[0] = -np.abs(maps[0])  # no value above 0: (-1, -1)
    maps[1, 0, 0] = 5.0  # the peak in a corner
    maps[2, -1, 10] = 5.0  # on the bottom edge
    return maps


@pytest.mark.parametrize('unbiased', [True, False])
@pytest.mark.parametrize('kernel', [11, 5])
@pytest.mark.parametrize('seed', range(4))
def test_decoding_equals_mmpose(unbiased, kernel, seed):
    input_size, heatmap_size = (192, 160), (48, 40)
    codec = MSRAHeatmap(
        input_size=input_size,
        heatmap_size=heatmap_size,
        sigma=2,
        unbiased=unbiased,
        blur_kernel_size=kernel)
    maps = _heatmaps(seed)
    want_points, want_scores = codec.decode(maps.copy())
    before = maps.copy()
    points, scores = decode_heatmaps(
        maps,
        dict(
            input_size=list(input_size),
            heatmap_size=list(heatmap_size),
            unbiased=unbiased,
            blur_kernel_size=kernel))
    np.testing.assert_array_equal(maps, before)  # input not changed
    np.testing.assert_allclose(points, want_points[0], atol=1e-4)
    np.testing.assert_array_equal(scores, want_scores[0])


def test_maxima_mark_maps_without_a_positive_value():
    maps = np.zeros((2, 3, 4), np.float32)
    maps[1, 2, 3] = 0.5
    points, values = heatmap_maxima(maps)
    assert points.tolist() == [[-1, -1], [3, 2]]
    assert values.tolist() == [0, 0.5]


def test_refinement_moves_points_off_the_grid():
    # a test that can fail: without refinement the points stay integers
    maps = _heatmaps(7)
    codec = dict(
        input_size=[48, 40],
        heatmap_size=[48, 40],
        unbiased=True,
        blur_kernel_size=11)
    points, _ = decode_heatmaps(maps, codec)
    assert np.any(points[3:] != np.round(points[3:]))
