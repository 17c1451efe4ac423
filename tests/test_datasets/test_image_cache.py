"""The dataset's image cache: each file decoded once, samples identical to
uncached ones, the files not read again, grey images in one channel."""
import os
import os.path as osp
import shutil

import cv2
import numpy as np
import pytest
from mmengine.config import Config
from mmengine.registry import init_default_scope
from mmpose.registry import DATASETS

from ceph_landmarks.core.io.image_io import ImageReadError
from ceph_landmarks.core.io.image_loading import load_cephalogram
from ceph_landmarks.datasets.image_cache import ImageCache
from helpers import TINY_CONFIG


@pytest.fixture
def data_copy(tiny_data, tmp_path) -> str:
    """A copy of the tiny data set that a test may take images from."""
    return shutil.copytree(tiny_data, str(tmp_path / 'data'))


def build_dataset(root: str, type_: str = 'CephalometricDataset', **kwargs):
    """The tiny config's training set (no random augmentation) at
    ``root``."""
    cfg = Config.fromfile(TINY_CONFIG).train_dataloader.dataset
    cfg.update(type=type_, data_root=f'{root}/', **kwargs)
    init_default_scope('mmpose')
    return DATASETS.build(cfg.to_dict())


def check_same_samples(cached, uncached) -> None:
    assert len(cached) == len(uncached)
    for i in range(len(cached)):
        a, b = cached[i], uncached[i]
        np.testing.assert_array_equal(a['inputs'].numpy(), b['inputs'].numpy())
        for key in ('keypoints', 'keypoints_visible'):
            np.testing.assert_array_equal(a['data_samples'].gt_instances[key],
                                          b['data_samples'].gt_instances[key])
        np.testing.assert_array_equal(
            a['data_samples'].gt_fields.heatmaps.numpy(),
            b['data_samples'].gt_fields.heatmaps.numpy())


def test_cached_samples_are_the_uncached_ones_without_reading_files(data_copy):
    uncached = build_dataset(data_copy)
    expected = [uncached[i] for i in range(len(uncached))]
    cached = build_dataset(data_copy, cache_images=True)
    images = osp.join(data_copy, 'images')
    shutil.rmtree(images)  # the cache must not read a file again
    with pytest.raises(ImageReadError, match='images'):
        uncached[0]
    check_same_samples(cached, expected)
    info = cached.get_data_info(0)
    assert info['img'].shape[2] == 3 and info['img'].dtype == np.uint8


def test_grey_images_are_cached_in_one_channel(tiny_data):
    dataset = build_dataset(tiny_data, cache_images=True)
    cache = dataset._image_cache
    assert len(cache) == len(dataset) == 8
    info = dataset.get_data_info(0)
    height, width = info['img'].shape[:2]
    assert cache.nbytes == 8 * height * width  # one byte per pixel


def test_each_file_is_decoded_once_for_the_landmark_crops(tiny_data):
    dataset = build_dataset(
        tiny_data,
        'CephalometricCropDataset',
        cache_images=True,
        pipeline=[dict(type='LoadCephalogram')])
    assert len(dataset) > len(dataset._image_cache) == 8
    first, second = dataset[0]['img'], dataset[1]['img']
    assert first is not second  # each sample gets its own array
    np.testing.assert_array_equal(first, second)  # same image, two crops


def test_colour_images_are_kept_and_copied(tmp_path):
    rng = np.random.default_rng(0)
    colour = rng.integers(0, 256, (20, 30, 3), dtype=np.uint8)
    path = str(tmp_path / 'colour.png')
    cv2.imwrite(path, colour)
    cache = ImageCache([path, path])
    assert len(cache) == 1 and cache.nbytes == colour.nbytes
    img = cache.get(path)
    np.testing.assert_array_equal(img, load_cephalogram(path))
    img[:] = 0  # a sample's array is its own: the cache is unchanged
    np.testing.assert_array_equal(cache.get(path), colour)
    with pytest.raises(KeyError, match='other.png: not in the image cache'):
        cache.get(str(tmp_path / 'other.png'))


def test_a_missing_file_fails_by_name_when_caching(tmp_path):
    with pytest.raises(ImageReadError, match='gone.png'):
        ImageCache([str(tmp_path / 'gone.png')])
    assert not os.listdir(tmp_path)
