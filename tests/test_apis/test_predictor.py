"""LandmarkPredictor: the documented result structure on a trained model,
inputs and checkpoints on random weights, and the mapping back to original
pixels with a stubbed heatmap."""
import json
import math
import os.path as osp

import cv2
import numpy as np
import pytest
import torch

from ceph_landmarks.apis import ImagePrediction, Landmark, LandmarkPredictor
from ceph_landmarks.core.evaluation import supported_measurements
from ceph_landmarks.core.metainfo import landmark_names
from helpers import REFINE_CONFIG, TINY_CONFIG

ISBI = landmark_names('isbi2015')


@pytest.fixture(scope='module')
def trained(tiny_checkpoint):
    """Peaked heatmaps: points inside the image, no ties between batches."""
    return LandmarkPredictor(TINY_CONFIG, tiny_checkpoint, device='cpu')


@pytest.fixture(scope='module')
def predictor(untrained_checkpoint):
    return LandmarkPredictor(TINY_CONFIG, untrained_checkpoint, device='cpu')


def _val_image(tiny_data, i=0):
    return osp.join(tiny_data, 'images', f'val_{i:04d}.png')


def test_predict_returns_the_documented_structure(trained, tiny_data):
    path = _val_image(tiny_data)
    height, width = cv2.imread(path).shape[:2]
    result = trained.predict(path, spacing=0.1)
    assert isinstance(result, ImagePrediction)
    assert (result.image, result.width, result.height) == (path, width, height)
    assert result.spacing == (0.1, 0.1)
    assert result.names == ISBI == trained.landmark_names
    for lm in result.landmarks:
        assert isinstance(lm, Landmark)
        assert -0.5 <= lm.x <= width and -0.5 <= lm.y <= height
        assert lm.x_mm == pytest.approx(lm.x * 0.1)
        assert lm.y_mm == pytest.approx(lm.y * 0.1)
        assert math.isfinite(lm.confidence)
    assert result.keypoints.shape == (19, 2)
    assert result.confidences.shape == (19, )
    assert [m.key for m in result.measurements] == supported_measurements(ISBI)

    record = json.loads(json.dumps(result.to_dict(), allow_nan=False))
    assert set(record) == {
        'image', 'width', 'height', 'spacing', 'spacing_source', 'landmarks',
        'measurements', 'quality', 'calibration'
    }
    assert record['spacing_source'] == 'spacing argument'
    assert set(record['measurements'][0]) == {
        'key', 'analysis', 'name', 'value', 'unit', 'norm_mean', 'norm_sd',
        'norm_source', 'deviation', 'flag', 'uncertainty'
    }
    assert set(record['landmarks'][0]) == {
        'name', 'x', 'y', 'x_mm', 'y_mm', 'confidence', 'refine_shift_mm',
        'radius_mm', 'radius_px'
    }
    # a one-stage model: no refinement shift
    assert {lm['refine_shift_mm'] for lm in record['landmarks']} == {None}
    assert record['landmarks'][0]['name'] == 'sella'


def test_spacing_per_axis_and_unknown(predictor, tiny_data):
    path = _val_image(tiny_data)
    result = predictor.predict(path, spacing=(0.1, 0.2))
    lm = result.landmarks[3]
    assert (lm.x_mm, lm.y_mm) == (pytest.approx(lm.x * 0.1),
                                  pytest.approx(lm.y * 0.2))
    unknown = predictor.predict(path)
    assert unknown.spacing is None
    assert all(lm.x_mm is None and lm.y_mm is None for lm in unknown.landmarks)
    assert unknown.to_dict()['landmarks'][0]['x_mm'] is None
    # mm measures need the spacing; angles do not
    by_key = {m.key: m for m in unknown.measurements}
    assert by_key['ANS-Me'].value is None and by_key['ANS-Me'].unit == 'mm'
    assert by_key['ANS-Me'].flag == 'not measured: needs the pixel spacing'
    assert {m.key: m.value for m in result.measurements}['ANS-Me'] is not None


def test_batch_equals_single_and_accepts_arrays(trained, tiny_data):
    paths = [_val_image(tiny_data, i) for i in range(3)]
    grey = cv2.imread(paths[2], cv2.IMREAD_GRAYSCALE)
    batch = trained.predict_batch(
        paths[:2] + [grey], spacings=[0.1, None, 0.1], batch_size=2)
    assert [r.image for r in batch] == paths[:2] + ['<array>']
    for path, result in zip(paths, batch):
        single = trained.predict(path)
        np.testing.assert_allclose(
            result.keypoints, single.keypoints, atol=1e-3)
        np.testing.assert_allclose(
            result.confidences, single.confidences, atol=1e-4)


def test_bad_inputs_are_clear_errors(predictor, tiny_data, tmp_path):
    with pytest.raises(FileNotFoundError, match='nope.png: no such image'):
        predictor.predict(str(tmp_path / 'nope.png'))
    broken = tmp_path / 'broken.png'
    broken.write_bytes(b'not a png')
    with pytest.raises(ValueError, match='broken.png: cannot read image'):
        predictor.predict(str(broken))
    with pytest.raises(ValueError, match='image: .*float'):
        predictor.predict(np.zeros((50, 60), np.float32))
    with pytest.raises(
            ValueError, match=r'spacing of .* must be one '
            r'positive number'):
        predictor.predict(_val_image(tiny_data), spacing=-1)
    with pytest.raises(ValueError, match='got 1 spacings for 2 images'):
        predictor.predict_batch([_val_image(tiny_data)] * 2, spacings=[0.1])


def test_12_bit_array_is_scaled_like_a_file(predictor, tiny_data):
    grey = cv2.imread(_val_image(tiny_data), cv2.IMREAD_GRAYSCALE)
    # the same picture held as 12-bit data: 0..255 -> 0..4095
    twelve_bit = np.round(grey.astype(np.float64) * 4095 /
                          255).astype(np.uint16)
    expected = predictor.predict(grey).keypoints
    np.testing.assert_allclose(
        predictor.predict(twelve_bit).keypoints, expected, atol=1e-3)
    # read as the high byte (the old behaviour) the image is nearly black
    dark = predictor.predict((twelve_bit >> 8).astype(np.uint8)).keypoints
    assert np.abs(dark - expected).max() > 1


def test_bare_state_dict_checkpoint_loads(predictor, tiny_data, tmp_path):
    bare = tmp_path / 'bare.pth'
    torch.save(predictor.model.coarse.members[0].state_dict(), bare)
    other = LandmarkPredictor(TINY_CONFIG, str(bare))
    path = _val_image(tiny_data)
    np.testing.assert_allclose(
        other.predict(path).keypoints,
        predictor.predict(path).keypoints)
    # strict: a checkpoint missing weights is refused
    model = predictor.model.coarse.members[0]
    partial = {
        k: v
        for k, v in model.state_dict().items() if not k.startswith('head.')
    }
    torch.save(partial, bare)
    with pytest.raises(RuntimeError, match='missing keys.*head'):
        LandmarkPredictor(TINY_CONFIG, str(bare))


def test_checkpoint_of_other_landmarks_is_refused(untrained_checkpoint):
    renamed = {
        'test_dataloader.dataset.metainfo':
        dict(
            dataset_name='renamed',
            keypoint_info={
                k:
                dict(
                    name=f'point_{k}',
                    id=k,
                    color=[0, 0, 255],
                    type='',
                    swap='')
                for k in range(19)
            },
            skeleton_info={},
            joint_weights=[1.0] * 19,
            sigmas=[0.025] * 19)
    }
    with pytest.raises(
            ValueError,
            match="trained on the landmarks of "
            "'isbi2015'.*but the config names.*'point_0'"):
        LandmarkPredictor(
            TINY_CONFIG, untrained_checkpoint, cfg_options=renamed)


def test_refinement_arguments_go_together():
    """The keywords are the tools' options: a refinement config needs its
    checkpoints and the reverse; they are keyword-only."""
    with pytest.raises(
            ValueError, match='refine_config needs '
            'refine_checkpoints'):
        LandmarkPredictor(TINY_CONFIG, None, refine_config=REFINE_CONFIG)
    with pytest.raises(
            ValueError, match='refine_checkpoints need '
            'refine_config'):
        LandmarkPredictor(TINY_CONFIG, None, refine_checkpoints=['r.pth'])
    with pytest.raises(TypeError):
        LandmarkPredictor(TINY_CONFIG, None, 'cpu', None, REFINE_CONFIG)


def test_head_and_landmark_set_must_agree():
    with pytest.raises(
            ValueError,
            match="head predicts 19 landmarks.*'cldetection2023'"
            ' has 38'):
        LandmarkPredictor(
            TINY_CONFIG,
            None,
            cfg_options={
                'test_dataloader.dataset.landmark_set': 'cldetection2023'
            })


# --- coordinate mapping, with the head's heatmaps replaced by known peaks --
# Tiny config: input 64 x 64, heatmaps 16 x 16 (stride 4), box padding 1.0.
# The whole image is the box; its aspect ratio is padded to the input's
# (square), so a W x H image is seen as an s x s square, s = max(W, H),
# centred on the image: a heatmap cell (cx, cy) is at
#   x = 4 cx / 64 * s + W / 2 - s / 2,   y = 4 cy / 64 * s + H / 2 - s / 2
# in pixels of the original image.


def _peaked_heatmaps(cells, amplitude, size=16, sigma=1.0):
    """Heatmaps [K, size, size] with a Gaussian peak at each (cx, cy)."""
    ys, xs = np.mgrid[0:size, 0:size]
    maps = [
        amplitude * np.exp(-((xs - cx)**2 + (ys - cy)**2) / (2 * sigma**2))
        for cx, cy in cells
    ]
    return torch.tensor(np.stack(maps), dtype=torch.float32)


@pytest.mark.parametrize('width,height', [(120, 80), (80, 120), (150, 90)])
def test_heatmap_peaks_map_back_to_original_pixels(predictor, width, height,
                                                   monkeypatch):
    cells = [(3 + k % 10, 3 + (k * 7) % 10) for k in range(19)]
    heatmaps = _peaked_heatmaps(cells, amplitude=0.8)
    monkeypatch.setattr(
        predictor.model.coarse.members[0].head, 'forward',
        lambda feats: heatmaps[None].repeat(feats[0].shape[0], 1, 1, 1))

    image = np.random.default_rng(0).integers(
        0, 255, (height, width), dtype=np.uint8)
    result = predictor.predict(image, spacing=0.1)
    assert (result.width, result.height) == (width, height)
    s = max(width, height)
    expected = np.array([[
        4 * cx / 64 * s + width / 2 - s / 2,
        4 * cy / 64 * s + height / 2 - s / 2
    ] for cx, cy in cells])
    # exact up to the DARK sub-pixel refinement near the heatmap border
    # (< 0.01 px; one heatmap cell is s / 16 >= 5 px)
    np.testing.assert_allclose(result.keypoints, expected, atol=0.01)
    np.testing.assert_allclose(result.confidences, 0.8, atol=1e-6)
    np.testing.assert_allclose([lm.x_mm for lm in result.landmarks],
                               expected[:, 0] * 0.1,
                               atol=0.001)
