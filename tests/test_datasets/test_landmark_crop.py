"""The refinement stage's data: LandmarkCrop windows and one sample per
landmark."""
import os.path as osp

import numpy as np
import pytest
from mmpose.registry import DATASETS, TRANSFORMS

import ceph_landmarks  # noqa: F401


def _results(k=1, **extra):
    keypoints = np.array([[[100., 50.], [40., 160.], [10., 10.]]],
                         dtype=np.float32)
    return dict(
        img_shape=(200, 150), keypoints=keypoints, crop_landmark=k, **extra)


def test_window_is_centred_on_the_given_centre():
    crop = TRANSFORMS.build(
        dict(type='LandmarkCrop', crop_size=0.1, offset_std=0.05))
    out = crop(_results(crop_center=np.array([33., 44.])))
    # the first stage's estimate wins over the truth; no random offset
    np.testing.assert_allclose(out['bbox_center'], [[33., 44.]])
    np.testing.assert_allclose(out['bbox_scale'], [[20., 20.]])  # 0.1 x 200
    np.testing.assert_allclose(out['bbox'], [[23., 34., 43., 54.]])


def test_training_offset_follows_the_landmark_spread():
    crop = TRANSFORMS.build(
        dict(
            type='LandmarkCrop',
            crop_size=0.5,
            offset_std=[[0.0, 0.0], [0.02, 0.05], [0.0, 0.0]]))
    np.random.seed(0)
    centres = np.array(
        [crop(_results(k=1))['crop_center'] for _ in range(2000)])
    offsets = centres - [40., 160.]
    # sd in pixels = fraction x longer side (200)
    np.testing.assert_allclose(offsets.std(axis=0), [4., 10.], rtol=0.1)
    np.testing.assert_allclose(offsets.mean(axis=0), [0., 0.], atol=0.6)
    still = crop(_results(k=0))['crop_center']
    np.testing.assert_allclose(still, [100., 50.])


def test_offset_is_cut_inside_the_window():
    crop = TRANSFORMS.build(
        dict(
            type='LandmarkCrop',
            crop_size=0.1,
            offset_std=1.0,
            max_offset=0.25))
    np.random.seed(1)
    offsets = np.array(
        [crop(_results(k=2))['crop_center'] - [10., 10.] for _ in range(200)])
    assert np.abs(offsets).max() <= 0.25 * 20 + 1e-4
    assert np.abs(offsets).max() > 4.9  # the cut is reached


@pytest.mark.parametrize('kwargs, match', [
    (dict(crop_size=0), 'crop_size'),
    (dict(crop_size=1.5), 'crop_size'),
    (dict(max_offset=0.6), 'max_offset'),
    (dict(offset_std=-0.1), 'offset_std'),
    (dict(offset_std=[[0.1, 0.1, 0.1]]), 'offset_std'),
])
def test_bad_arguments_are_refused(kwargs, match):
    with pytest.raises(ValueError, match=match):
        TRANSFORMS.build(dict(type='LandmarkCrop', **kwargs))


def test_offset_rows_must_cover_the_landmark():
    crop = TRANSFORMS.build(
        dict(type='LandmarkCrop', offset_std=[[0.1, 0.1], [0.1, 0.1]]))
    with pytest.raises(ValueError, match='landmark 2'):
        crop(_results(k=2))


def test_crop_dataset_has_one_sample_per_visible_landmark(tiny_data):
    dataset = DATASETS.build(
        dict(
            type='CephalometricCropDataset',
            data_root=tiny_data + '/',
            ann_file='annotations/val.json',
            data_prefix=dict(img='images/'),
            pipeline=[]))
    plain = DATASETS.build(
        dict(
            type='CephalometricDataset',
            data_root=tiny_data + '/',
            ann_file='annotations/val.json',
            data_prefix=dict(img='images/'),
            pipeline=[]))
    visible = sum(
        int((plain[i]['keypoints_visible'] > 0).sum())
        for i in range(len(plain)))
    assert len(dataset) == visible == 4 * 19
    first = [dataset[i] for i in range(19)]
    assert [s['crop_landmark'] for s in first] == list(range(19))
    assert {osp.basename(s['img_path']) for s in first} == \
        {osp.basename(plain[0]['img_path'])}
