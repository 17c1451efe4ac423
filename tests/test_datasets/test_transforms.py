"""Photometric transforms: grey-level changes only, seeded, validated;
PackCephalogramInputs packs as MMPose's PackPoseInputs."""
import numpy as np
import pytest
import torch
from mmpose.registry import TRANSFORMS

import ceph_landmarks  # noqa: F401
from ceph_landmarks.datasets.transforms.random_gamma_contrast import \
    gamma_contrast_table


def _xray(shape=(64, 80), channels=3, seed=0):
    """A grey, low-contrast image stored as 3 equal channels."""
    rng = np.random.default_rng(seed)
    grey = (100 + 30 * rng.random(shape)).astype(np.uint8)
    grey[:, shape[1] // 2:] += 40  # two regions of different brightness
    if channels == 0:
        return grey
    return np.repeat(grey[..., None], channels, axis=2)


def _results(img):
    keypoints = np.array([[[10.5, 20.25], [30.0, 40.0]]], dtype=np.float32)
    return dict(img=img, keypoints=keypoints.copy(), img_path='x.png')


@pytest.mark.parametrize('cfg', [
    dict(type='RandomGammaContrast', prob=1.0),
    dict(type='RandomCLAHE', prob=1.0),
])
def test_registered_changes_pixels_not_keypoints(cfg):
    transform = TRANSFORMS.build(cfg)
    img = _xray()
    np.random.seed(3)
    out = transform(_results(img.copy()))
    assert out['img'].shape == img.shape
    assert out['img'].dtype == np.uint8
    assert not np.array_equal(out['img'], img)
    # still grey: all three channels equal
    assert np.array_equal(out['img'][..., 0], out['img'][..., 2])
    np.testing.assert_array_equal(out['keypoints'], _results(img)['keypoints'])


@pytest.mark.parametrize('name', ['RandomGammaContrast', 'RandomCLAHE'])
def test_prob_zero_is_identity(name):
    transform = TRANSFORMS.build(dict(type=name, prob=0.0))
    img = _xray()
    out = transform(_results(img.copy()))
    assert np.array_equal(out['img'], img)


@pytest.mark.parametrize('name', ['RandomGammaContrast', 'RandomCLAHE'])
def test_same_seed_same_output(name):
    transform = TRANSFORMS.build(dict(type=name, prob=0.5))
    outs = []
    for _ in range(2):
        np.random.seed(11)
        outs.append([transform(_results(_xray()))['img'] for _ in range(4)])
    for a, b in zip(*outs):
        assert np.array_equal(a, b)


def test_gamma_table_values():
    identity = gamma_contrast_table(1.0, 1.0, 0.0)
    assert np.array_equal(identity, np.arange(256, dtype=np.uint8))
    darker = gamma_contrast_table(2.0, 1.0, 0.0)
    assert darker[128] == round(255 * (128 / 255)**2)
    assert darker[0] == 0 and darker[255] == 255
    flatter = gamma_contrast_table(1.0, 0.5, 0.0)
    assert flatter[0] == 64 and flatter[255] == 191
    brighter = gamma_contrast_table(1.0, 1.0, 10.0)
    assert brighter[100] == 110 and brighter[250] == 255


def test_clahe_raises_local_contrast_on_grey_2d():
    transform = TRANSFORMS.build(
        dict(type='RandomCLAHE', clip_limit=(3.0, 3.0), prob=1.0))
    img = _xray(channels=0)
    out = transform(_results(img.copy()))['img']
    assert out.shape == img.shape
    left = np.s_[:, :40]
    assert out[left].std() > 1.5 * img[left].std()


def test_clahe_colour_image_keeps_shape():
    transform = TRANSFORMS.build(dict(type='RandomCLAHE', prob=1.0))
    img = _xray()
    img[..., 0] //= 2  # not grey any more
    out = transform(_results(img.copy()))['img']
    assert out.shape == img.shape and not np.array_equal(out, img)


@pytest.mark.parametrize('cfg, message', [
    (dict(type='RandomGammaContrast', gamma_range=(2.0, 1.0)), 'gamma_range'),
    (dict(type='RandomGammaContrast', gamma_range=(0.0, 1.0)), 'gamma_range'),
    (dict(type='RandomGammaContrast',
          contrast_range=(1.0, )), 'contrast_range'),
    (dict(type='RandomGammaContrast', brightness_delta=-1), 'brightness'),
    (dict(type='RandomGammaContrast', prob=1.5), 'prob'),
    (dict(type='RandomCLAHE', clip_limit=(3.0, 1.0)), 'clip_limit'),
    (dict(type='RandomCLAHE', tile_grid_size=(0, 8)), 'tile_grid_size'),
])
def test_bad_arguments(cfg, message):
    with pytest.raises(ValueError, match=message):
        TRANSFORMS.build(cfg)


@pytest.mark.parametrize('name', ['RandomGammaContrast', 'RandomCLAHE'])
def test_float_image_is_refused_with_path(name):
    transform = TRANSFORMS.build(dict(type=name, prob=1.0))
    with pytest.raises(TypeError, match='x.png'):
        transform(_results(_xray().astype(np.float32)))


def _packed_equal(fast: dict, slow: dict) -> None:
    assert fast['inputs'].shape == slow['inputs'].shape
    assert fast['inputs'].dtype == slow['inputs'].dtype
    assert torch.equal(fast['inputs'], slow['inputs'])
    assert fast['inputs'].is_contiguous()
    assert fast['data_samples'].metainfo == slow['data_samples'].metainfo
    for field in ('gt_instances', 'gt_instance_labels'):
        a, b = fast['data_samples'].get(field), slow['data_samples'].get(field)
        assert a.keys() == b.keys()
        for key in a.keys():
            np.testing.assert_array_equal(
                np.asarray(a[key]), np.asarray(b[key]))


@pytest.mark.parametrize('shape', [(5, 7, 3), (5, 7), (5, 7, 1)])
def test_pack_cephalogram_inputs_equals_pack_pose_inputs(shape):
    meta_keys = ('img_path', 'ori_shape', 'spacing')
    fast = TRANSFORMS.build(
        dict(type='PackCephalogramInputs', meta_keys=meta_keys))
    slow = TRANSFORMS.build(dict(type='PackPoseInputs', meta_keys=meta_keys))
    img = np.random.default_rng(0).integers(0, 256, shape, dtype=np.uint8)
    results = dict(
        _results(img),
        keypoints_visible=np.ones((1, 2), np.float32),
        keypoint_weights=np.ones((1, 2), np.float32),
        ori_shape=shape[:2],
        spacing=0.1)
    _packed_equal(fast(dict(results)), slow(dict(results)))
    # a view of another layout (a horizontal flip) packs the same values
    flipped = img[:, ::-1]
    _packed_equal(
        fast(dict(results, img=flipped)), slow(dict(results, img=flipped)))
    # a list of images is stacked, as MMPose stacks it
    two = dict(results, img=[img, img[::-1].copy()])
    packed = fast(dict(two))
    assert packed['inputs'].shape[0] == 2
    _packed_equal(packed, slow(dict(two)))


def test_pack_cephalogram_inputs_keeps_mmpose_defaults():
    from mmpose.datasets.transforms import PackPoseInputs, formatting

    from ceph_landmarks.datasets.transforms import PackCephalogramInputs
    assert issubclass(PackCephalogramInputs, PackPoseInputs)
    assert PackCephalogramInputs().meta_keys == PackPoseInputs().meta_keys
    # MMPose's own function is not replaced (no process-wide patch)
    assert not hasattr(formatting.image_to_tensor, '__wrapped__')
    assert TRANSFORMS.get('PackPoseInputs') is PackPoseInputs
    with pytest.raises(TypeError, match='numpy array'):
        PackCephalogramInputs()(dict(img='x.png'))
