"""Image loading: every bit depth into 0-255, bad files fail by name, in
training (transform, dataset), testing (configs) and inference (API)."""
import glob
import os.path as osp
import shutil
import struct
import zlib

import cv2
import numpy as np
import pytest
from mmengine.config import Config
from mmengine.registry import init_default_scope
from mmpose.registry import DATASETS, TRANSFORMS

from ceph_landmarks.apis import load_image
from ceph_landmarks.core.io.bit_depth import (data_bit_depth,
                                              png_significant_bits)
from ceph_landmarks.core.io.image_io import ImageReadError
from ceph_landmarks.core.io.image_loading import to_model_input
from helpers import REPO_ROOT, TINY_CONFIG

H, W = 40, 50


def _load_with_transform(path: str) -> np.ndarray:
    transform = TRANSFORMS.build(dict(type='LoadCephalogram'))
    results = transform(dict(img_path=path))
    assert results['img_shape'] == results['ori_shape'] == (H, W)
    return results['img']


LOADERS = [
    pytest.param(_load_with_transform, id='LoadCephalogram'),
    pytest.param(load_image, id='load_image'),
]


def _ramp(values) -> np.ndarray:
    """An ``[H, W]`` uint16 image whose columns take ``values`` in turn."""
    row = np.resize(np.asarray(values, np.uint16), W)
    return np.tile(row, (H, 1))


def _with_sbit(png: bytes, bits: int) -> bytes:
    """``png`` with an ``sBIT`` chunk of ``bits`` inserted after IHDR."""
    ihdr_end = 8 + 4 + 4 + 13 + 4
    chunk = b'sBIT' + bytes([bits])
    return (png[:ihdr_end] + struct.pack('>I', 1) + chunk +
            struct.pack('>I', zlib.crc32(chunk)) + png[ihdr_end:])


def _write(path, pixels: np.ndarray, sbit: int = None) -> str:
    ext = osp.splitext(str(path))[1]
    data = cv2.imencode(ext, pixels)[1].tobytes()
    if sbit is not None:
        data = _with_sbit(data, sbit)
    with open(path, 'wb') as f:
        f.write(data)
    return str(path)


def _expected(values, bits: int) -> np.ndarray:
    """``round(v * 255 / (2**bits - 1))`` as 3 equal uint8 channels."""
    scaled = np.rint(_ramp(values) * 255.0 / (2**bits - 1))
    return np.repeat(scaled.astype(np.uint8)[..., None], 3, axis=2)


# ------------------------------------------------------------ bit depths


@pytest.mark.parametrize('load', LOADERS)
@pytest.mark.parametrize('name', ['xray12.png', 'xray12.tif'])
def test_12_bit_data_in_16_bit_file_reaches_255(tmp_path, load, name):
    values = [0, 1000, 2048, 4080]
    img = load(_write(tmp_path / name, _ramp(values)))
    assert img.dtype == np.uint8 and img.shape == (H, W, 3)
    # 12 bits hold 4080: x 255 / 4095 (the high byte would give 0, 3, 8, 15)
    np.testing.assert_array_equal(img, _expected(values, 12))
    assert img[0, :4, 0].tolist() == [0, 62, 128, 254]


@pytest.mark.parametrize('load', LOADERS)
@pytest.mark.parametrize(
    'values,bits',
    [
        ([0, 300, 1023], 10),
        ([0, 9000, 16383], 14),
        ([0, 30000, 65535], 16),
        ([0, 7, 255], 8),  # 8-bit data in a 16-bit file: unchanged
    ])
def test_16_bit_png_scaled_by_smallest_depth_holding_max(
        tmp_path, load, values, bits):
    img = load(_write(tmp_path / 'deep.png', _ramp(values)))
    np.testing.assert_array_equal(img, _expected(values, bits))


@pytest.mark.parametrize('load', LOADERS)
@pytest.mark.parametrize('alpha', [False, True])
def test_16_bit_colour_png_keeps_all_16_bits(tmp_path, load, alpha):
    values = [0, 1000, 2048, 4080]
    bgr = np.stack([_ramp(values)] * (4 if alpha else 3), axis=2)
    bgr[..., 0] //= 2  # blue differs from green and red
    img = load(_write(tmp_path / 'colour12.png', bgr))
    np.testing.assert_array_equal(img[..., 1:], _expected(values, 12)[..., 1:])
    np.testing.assert_array_equal(img[..., 0],
                                  _expected([0, 500, 1024, 2040], 12)[..., 0])


@pytest.mark.parametrize('load', LOADERS)
def test_png_sbit_gives_the_bit_depth(tmp_path, load):
    values = [0, 500, 1000]  # a dim 12-bit image; max alone says 10 bits
    path = _write(tmp_path / 'sbit12.png', _ramp(values), sbit=12)
    assert png_significant_bits(open(path, 'rb').read()) == 12
    np.testing.assert_array_equal(load(path), _expected(values, 12))
    # the PNG standard's way: 12-bit samples scaled up to 16 bits
    shifted = [0, 500 << 4, 4095 << 4]
    path = _write(tmp_path / 'sbit12_shifted.png', _ramp(shifted), sbit=12)
    np.testing.assert_array_equal(load(path), _expected(shifted, 16))


@pytest.mark.parametrize('name,colour', [
    ('grey.png', False),
    ('colour.png', True),
    ('grey.jpg', False),
    ('colour.jpg', True),
    ('grey.bmp', False),
])
def test_8_bit_files_match_mmpose_load_image(tmp_path, name, colour):
    rng = np.random.default_rng(0)
    pixels = rng.integers(
        0, 256, (H, W, 3) if colour else (H, W), dtype=np.uint8)
    path = _write(tmp_path / name, pixels)
    mmpose_img = TRANSFORMS.build(dict(type='LoadImage'))(dict(
        img_path=path))['img']
    np.testing.assert_array_equal(_load_with_transform(path), mmpose_img)
    np.testing.assert_array_equal(load_image(path), mmpose_img)


def test_arrays_get_the_same_rule():
    grey = _ramp([0, 1000, 2048, 4080])
    expected = _expected([0, 1000, 2048, 4080], 12)
    np.testing.assert_array_equal(to_model_input(grey), expected)
    np.testing.assert_array_equal(to_model_input(grey[..., None]), expected)
    np.testing.assert_array_equal(
        to_model_input(np.repeat(grey[..., None], 3, axis=2)), expected)
    np.testing.assert_array_equal(
        to_model_input(grey.astype(np.int32)), expected)
    bgr = np.zeros((H, W, 3), np.uint8)
    assert to_model_input(bgr) is bgr  # 8-bit BGR untouched, not copied
    transform = TRANSFORMS.build(dict(type='LoadCephalogram'))
    out = transform(dict(img=grey))
    np.testing.assert_array_equal(out['img'], expected)
    assert out['img_path'] is None and out['img_shape'] == (H, W)
    assert data_bit_depth(grey) == 12


@pytest.mark.parametrize('pixels,message', [
    (np.zeros((H, W), np.float32), 'float32 pixels are not accepted'),
    (np.zeros((H, W), bool), 'bool pixels are not accepted'),
    (np.full((H, W), -1, np.int16), 'int16 pixel values -1..-1 are outside'),
    (np.zeros((H, W, 4), np.uint8), r'shape \(40, 50, 4\)'),
    (np.zeros((0, 0), np.uint16), 'the image has no pixels'),
])
def test_arrays_of_unknown_range_or_shape_are_refused(pixels, message):
    with pytest.raises(
            ImageReadError, match='scan_7: cannot read image: .*' + message):
        to_model_input(pixels, 'scan_7')


# ------------------------------------------------------------- bad files


def _bad_file(tmp_path, name: str, kind: str) -> str:
    path = tmp_path / name
    if kind == 'empty':
        path.write_bytes(b'')
    else:
        data = cv2.imencode(
            osp.splitext(name)[1],
            _ramp(range(0, 250, 7)).astype(np.uint8))[1]
        path.write_bytes(data.tobytes()[:len(data) // 2])
    return str(path)


BAD_FILES = [
    ('zero.png', 'empty', 'the file is empty'),
    ('zero.jpg', 'empty', 'the file is empty'),
    ('cut.png', 'truncated', 'corrupt or truncated'),
    ('cut.jpg', 'truncated', 'corrupt or truncated'),
]


@pytest.mark.parametrize('load', LOADERS)
@pytest.mark.parametrize('name,kind,reason', BAD_FILES)
def test_empty_and_truncated_files_fail_by_name(tmp_path, load, name, kind,
                                                reason):
    path = _bad_file(tmp_path, name, kind)
    with pytest.raises(
            ValueError, match=f'{path}: cannot read image: {reason}'):
        load(path)


def test_missing_file_fails_by_name(tmp_path):
    path = str(tmp_path / 'gone.png')
    with pytest.raises(ImageReadError, match='gone.png: cannot read image'):
        _load_with_transform(path)
    with pytest.raises(FileNotFoundError, match='gone.png: no such image'):
        load_image(path)


@pytest.mark.parametrize('name,kind,reason', BAD_FILES[::2])
def test_training_dataset_names_a_bad_image(tmp_path, tiny_data, name, kind,
                                            reason):
    """A bad image in the tiny training set stops ``dataset[i]`` by name;
    it is not answered with another random sample."""
    root = str(tmp_path / 'data')
    shutil.copytree(tiny_data, root)
    cfg = Config.fromfile(TINY_CONFIG)
    init_default_scope(cfg.default_scope)
    dataset = DATASETS.build(
        dict(cfg.train_dataloader.dataset, data_root=root))
    assert not dataset.test_mode
    bad = 2
    path = dataset.get_data_info(bad)['img_path']
    shutil.copy(_bad_file(tmp_path, 'bad' + osp.splitext(name)[1], kind), path)
    assert dataset[0]['inputs'].shape[-2:] == (64, 64)
    with pytest.raises(
            ImageReadError, match=f'{path}: cannot read image: {reason}'):
        dataset[bad]


# --------------------------------------------------------------- configs

CONFIGS = sorted(
    p for pattern in ('configs/**/*.py', 'tests/data/configs/*.py')
    for p in glob.glob(osp.join(REPO_ROOT, pattern), recursive=True)
    if '_base_' not in p)


@pytest.mark.parametrize(
    'path', CONFIGS, ids=lambda p: osp.relpath(p, REPO_ROOT))
def test_every_config_loads_with_load_cephalogram(path):
    cfg = Config.fromfile(path)
    for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        if cfg[loader] is None and loader != 'train_dataloader':
            continue  # a refinement config has no validation
        pipeline = cfg[loader].dataset.pipeline
        assert pipeline[0].type == 'LoadCephalogram', (loader, pipeline[0])
        assert all(t.type != 'LoadImage' for t in pipeline), loader
