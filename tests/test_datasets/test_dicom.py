"""DICOM input: pixels as the header says to display them, spacing from the
header in (x, y) order, and a clear error naming the file for what is not
read. Every DICOM file is written here with pydicom."""
import glob
import json
import logging
import os.path as osp
import shutil

import cv2
import numpy as np
import pytest
from mmengine.config import Config
from mmengine.registry import init_default_scope
from mmpose.registry import DATASETS
from pydicom import dcmread
from pydicom.encaps import encapsulate
from pydicom.pixels.decoders.base import Decoder
from pydicom.uid import (MPEG2MPML, JPEG2000Lossless, JPEGBaseline8Bit,
                         RLELossless)

from ceph_landmarks.core.io import dicom
from ceph_landmarks.core.io.dicom import decode_dicom, header_spacing, is_dicom
from ceph_landmarks.core.io.image_io import (ImageReadError, decode_image,
                                             read_image)
from ceph_landmarks.core.io.image_loading import (load_cephalogram,
                                                  to_model_input)
from ceph_landmarks.core.log import get_logger
from helpers import TINY_CONFIG, make_dicom, save_dicom, write_dicom

H, W = 6, 8


def _ramp(values, dtype=np.uint16) -> np.ndarray:
    """An ``[H, W]`` image whose columns take ``values`` in turn."""
    return np.tile(np.resize(np.asarray(values, dtype), W), (H, 1))


def _scaled(values, bits: int) -> np.ndarray:
    """``round(v * 255 / (2**bits - 1))`` of :func:`_ramp`, uint8."""
    return np.rint(_ramp(values) * 255.0 / (2**bits - 1)).astype(np.uint8)


def read_dicom_syntax(path: str) -> str:
    return dcmread(path, stop_before_pixels=True).file_meta.TransferSyntaxUID


@pytest.fixture
def warnings_logged():
    """The warnings the DICOM reader logs, as ``'source: message'``."""
    logged = []

    class Collect(logging.Handler):

        def emit(self, record: logging.LogRecord) -> None:
            logged.append(record.getMessage())

    handler = Collect(logging.WARNING)
    get_logger().addHandler(handler)
    dicom._warn_once.cache_clear()
    yield logged
    get_logger().removeHandler(handler)
    dicom._warn_once.cache_clear()


# ------------------------------------------------------------------ pixels


@pytest.mark.parametrize('bits,values,dtype', [
    (8, [0, 7, 128, 255], np.uint8),
    (12, [0, 1000, 2048, 4095], np.uint16),
    (16, [0, 1000, 30000, 65535], np.uint16),
])
def test_bit_depths_are_scaled_by_bits_stored(tmp_path, bits, values, dtype):
    path = write_dicom(
        str(tmp_path / 'scan.dcm'), _ramp(values, dtype), bits_stored=bits)
    img = read_image(path)
    assert (img.format, img.expected_format) == ('DICOM', 'DICOM')
    assert img.pixels.dtype == np.uint8 and img.pixels.shape == (H, W)
    np.testing.assert_array_equal(img.pixels, _scaled(values, bits))
    assert img.spacing is None and img.spacing_source is None
    assert header_spacing(path) == (None, None)


def test_dim_12_bit_dicom_is_scaled_like_a_png_with_sbit_12(tmp_path):
    """Bits Stored is the DICOM ``sBIT``: a dim 12-bit image (max 1000,
    which alone says 10 bits) is scaled by 4095, as a PNG with sBIT 12."""
    values = [0, 500, 1000, 37]
    dcm = write_dicom(
        str(tmp_path / 'scan.dcm'), _ramp(values), bits_stored=12)
    img = load_cephalogram(dcm)
    np.testing.assert_array_equal(
        img, to_model_input(_ramp(values), significant_bits=12))
    assert img[0, :4, 0].tolist() == [0, 31, 62, 2]


def test_12_bit_dicom_loads_like_the_same_12_bit_png(tmp_path):
    values = [0, 1000, 2048, 4095, 4080]
    png = str(tmp_path / 'scan.png')
    cv2.imwrite(png, _ramp(values))
    dcm = write_dicom(
        str(tmp_path / 'scan.dcm'), _ramp(values), bits_stored=12)
    img = load_cephalogram(dcm)
    assert img.dtype == np.uint8 and img.shape == (H, W, 3)
    np.testing.assert_array_equal(img, load_cephalogram(png))
    assert img[0, :5, 0].tolist() == [0, 62, 128, 255, 254]


def test_monochrome1_is_the_inverted_monochrome2(tmp_path):
    stored = _ramp([0, 1000, 2048, 4095, 3])
    m2 = read_image(
        write_dicom(str(tmp_path / 'm2.dcm'), stored, bits_stored=12)).pixels
    m1 = read_image(
        write_dicom(
            str(tmp_path / 'm1.dcm'),
            stored,
            bits_stored=12,
            photometric='MONOCHROME1')).pixels
    np.testing.assert_array_equal(m1, 255 - m2)
    assert m1[0, :5].tolist() == [255, 193, 127, 0, 255]


def test_rescale_then_window_in_modality_units(tmp_path):
    """Slope 2, intercept -100 make stored 550..650 the values 1000..1200,
    which a window of centre 1100.5 and width 201 spreads over the whole
    output (PS3.3 C.11.2.1.2: centre - 0.5 and width - 1)."""
    stored = [0, 550, 600, 625, 650, 4095]
    path = write_dicom(
        str(tmp_path / 'windowed.dcm'),
        _ramp(stored),
        bits_stored=12,
        rescale=(2, -100),
        window=(1100.5, 201))
    # 1100 is mid-window: 4095 / 2 -> 2048 -> 128; 1150: 3071 -> 191
    assert read_image(path).pixels[0, :6].tolist() == [
        0, 0, 128, 191, 255, 255
    ]
    # a window on the stored values would put them elsewhere
    plain = read_image(
        write_dicom(
            str(tmp_path / 'stored.dcm'),
            _ramp(stored),
            bits_stored=12,
            window=(1100.5, 201))).pixels
    assert plain[0, :6].tolist() == [0, 0, 0, 0, 0, 255]


def test_rescale_alone_keeps_the_image(tmp_path):
    """Without a window the whole rescaled range is shown: a linear rescale
    does not change the image."""
    stored = _ramp([0, 1000, 2048, 4095])
    rescaled = read_image(
        write_dicom(
            str(tmp_path / 'r.dcm'),
            stored,
            bits_stored=12,
            rescale=(0.5, 1024))).pixels
    np.testing.assert_array_equal(rescaled, _scaled([0, 1000, 2048, 4095], 12))


@pytest.mark.parametrize(
    'syntax', [RLELossless, JPEG2000Lossless], ids=lambda uid: uid.name)
def test_lossless_compression_decodes_to_the_uncompressed_pixels(
        tmp_path, syntax):
    """RLE with pydicom's own codec; JPEG 2000 with pylibjpeg-openjpeg (which
    needs at least 32 x 32 pixels)."""
    stored = np.random.default_rng(0).integers(0, 4096, (40, 48), np.uint16)
    packed = write_dicom(
        str(tmp_path / 'packed.dcm'), stored, bits_stored=12, compress=syntax)
    plain = write_dicom(str(tmp_path / 'plain.dcm'), stored, bits_stored=12)
    assert read_dicom_syntax(packed) == syntax
    np.testing.assert_array_equal(
        read_image(packed).pixels,
        read_image(plain).pixels)


def test_dicom_is_found_by_its_bytes_not_its_name(tmp_path):
    path = write_dicom(str(tmp_path / 'scan.png'), _ramp([0, 255], np.uint8))
    data = open(path, 'rb').read()
    assert is_dicom(data) and data[128:132] == b'DICM'
    img = decode_image(data, path)
    assert img.format == 'DICOM' and img.format_mismatch
    assert not is_dicom(cv2.imencode('.png', _ramp([0, 1]))[1].tobytes())
    png_named_dcm = str(tmp_path / 'fake.dcm')
    cv2.imwrite(png_named_dcm + '.png', _ramp([0, 1]))
    shutil.move(png_named_dcm + '.png', png_named_dcm)
    assert read_image(png_named_dcm).format == 'PNG'
    assert header_spacing(png_named_dcm) == (None, None)


# ----------------------------------------------------------------- spacing

SPACINGS = [
    pytest.param(
        dict(pixel_spacing=[0.2, 0.1]), (0.1, 0.2),
        'DICOM Pixel Spacing',
        id='pixel-spacing-is-row-then-column'),
    pytest.param(
        dict(imager_pixel_spacing=[0.1584, 0.1584], magnification=1.1),
        (0.144, 0.144),
        'DICOM Imager Pixel Spacing / magnification 1.1',
        id='imager-over-magnification'),
    pytest.param(
        dict(imager_pixel_spacing=[0.3, 0.2], magnification=2), (0.1, 0.15),
        'DICOM Imager Pixel Spacing / magnification 2',
        id='imager-over-magnification-non-square'),
    pytest.param(
        dict(
            pixel_spacing=[0.144, 0.144],
            imager_pixel_spacing=[0.1584, 0.1584],
            magnification=1.1), (0.144, 0.144),
        'DICOM Pixel Spacing',
        id='pixel-spacing-first'),
]


@pytest.mark.parametrize('tags,spacing,source', SPACINGS)
def test_spacing_from_the_header_in_x_y_order(tmp_path, warnings_logged, tags,
                                              spacing, source):
    path = write_dicom(
        str(tmp_path / 'scan.dcm'), _ramp([0, 4095]), bits_stored=12, **tags)
    img = read_image(path)
    assert img.spacing == spacing  # 10 digits: 0.1584 / 1.1 is 0.144
    assert img.spacing_source == source
    assert header_spacing(path) == (spacing, source)
    assert warnings_logged == []


def test_imager_pixel_spacing_alone_is_at_the_detector(tmp_path,
                                                       warnings_logged):
    path = write_dicom(
        str(tmp_path / 'detector.dcm'),
        _ramp([0, 4095]),
        bits_stored=12,
        imager_pixel_spacing=[0.2, 0.1])
    img = read_image(path)
    assert img.spacing == (0.1, 0.2)
    assert img.spacing_source == 'DICOM Imager Pixel Spacing (at the detector)'
    read_image(path)  # a file is noted once, not at each read
    assert header_spacing(path) == (img.spacing, img.spacing_source)
    assert len(warnings_logged) == 1
    assert warnings_logged[0].startswith(f'{path}: ')
    assert 'measured at the detector' in warnings_logged[0]


def test_pixel_spacing_wins_over_a_different_imager_spacing(
        tmp_path, warnings_logged):
    path = write_dicom(
        str(tmp_path / 'both.dcm'),
        _ramp([0, 4095]),
        bits_stored=12,
        pixel_spacing=[0.1584, 0.1584],
        imager_pixel_spacing=[0.1584, 0.1584],
        magnification=1.1)
    assert header_spacing(path) == ((0.1584, 0.1584), 'DICOM Pixel Spacing')
    assert len(warnings_logged) == 1
    assert 'using Pixel Spacing' in warnings_logged[0]


# ------------------------------------------------------------------ errors


def _edited(ds, **tags):
    for keyword, value in tags.items():
        if value is None:
            delattr(ds, keyword)
        else:
            setattr(ds, keyword, value)
    return ds


def _unknown_codec(ds):
    ds.file_meta.TransferSyntaxUID = MPEG2MPML
    ds.PixelData = encapsulate([ds.PixelData])
    return ds


def _bad_jpeg(ds):
    ds.file_meta.TransferSyntaxUID = JPEGBaseline8Bit
    ds.PixelData = encapsulate([b'\xff\xd8\xff\xe0 not a JPEG'])
    return ds


GREY = _ramp([0, 1000, 4095])
BAD_PIXELS = [
    pytest.param(
        lambda ds: _edited(ds, PixelData=None),
        'the DICOM file has no pixel data',
        id='no-pixel-data'),
    pytest.param(
        lambda ds: _edited(
            ds,
            PhotometricInterpretation='RGB',
            SamplesPerPixel=3,
            PixelData=np.repeat(GREY[..., None], 3, 2).tobytes()),
        "a colour DICOM image \\(Photometric Interpretation 'RGB', 3 "
        'samples per pixel\\)',
        id='colour'),
    pytest.param(
        lambda ds: _edited(
            ds, NumberOfFrames=2, PixelData=np.stack([GREY] * 2).tobytes()),
        'a multi-frame DICOM image \\(2 frames\\)',
        id='multi-frame'),
    pytest.param(
        _unknown_codec,
        'unsupported DICOM transfer syntax MPEG2 Main Profile / Main Level',
        id='unsupported-transfer-syntax'),
    pytest.param(
        _bad_jpeg,
        'cannot decode the JPEG Baseline \\(Process 1\\) pixel data',
        id='undecodable-jpeg'),
    pytest.param(
        lambda ds: _edited(ds, WindowCenter=100, WindowWidth=0),
        'cannot apply the DICOM Modality / VOI LUT .*Window Width',
        id='window-width-0'),
    pytest.param(
        lambda ds: _edited(ds, RescaleSlope=0, RescaleIntercept=0),
        "malformed Rescale Slope '0.0'.*greater than 0",
        id='rescale-slope-0'),
]
BAD_SPACINGS = [
    pytest.param(
        dict(PixelSpacing=[0.1]),
        "malformed Pixel Spacing '0.1' in the DICOM header: expected two "
        'numbers',
        id='pixel-spacing-one-value'),
    pytest.param(
        dict(PixelSpacing=[0, 0.1]),
        "malformed Pixel Spacing '0.0\\\\0.1'.*greater than 0",
        id='pixel-spacing-zero'),
    pytest.param(
        dict(ImagerPixelSpacing=[0.1, -0.1]),
        "malformed Imager Pixel Spacing '0.1\\\\-0.1'",
        id='imager-pixel-spacing-negative'),
    pytest.param(
        dict(
            ImagerPixelSpacing=[0.1, 0.1],
            EstimatedRadiographicMagnificationFactor=0),
        "malformed Estimated Radiographic Magnification Factor '0.0'.*one "
        'number greater than 0',
        id='magnification-zero'),
]


@pytest.mark.parametrize('edit,reason', BAD_PIXELS)
def test_what_is_not_one_grey_image_fails_by_name(tmp_path, edit, reason):
    path = save_dicom(
        str(tmp_path / 'bad.dcm'), edit(make_dicom(GREY, bits_stored=12)))
    with pytest.raises(
            ImageReadError, match=f'{path}: cannot read image: {reason}'):
        read_image(path)
    with pytest.raises(ImageReadError, match=f'{path}: cannot read image'):
        load_cephalogram(path)


@pytest.mark.parametrize('tags,reason', BAD_SPACINGS)
def test_malformed_spacing_fails_by_name(tmp_path, tags, reason):
    path = save_dicom(
        str(tmp_path / 'bad.dcm'),
        _edited(make_dicom(GREY, bits_stored=12), **tags))
    for read in (read_image, header_spacing):
        with pytest.raises(
                ImageReadError, match=f'{path}: cannot read image: {reason}'):
            read(path)


def test_non_numeric_spacing_fails_by_name(tmp_path):
    path = write_dicom(
        str(tmp_path / 'text.dcm'), GREY, pixel_spacing=[0.1, 0.2])
    data = open(path, 'rb').read()
    with open(path, 'wb') as f:
        f.write(data.replace(b'0.1\\0.2', b'abc\\0.2'))
    for read in (read_image, header_spacing):
        with pytest.raises(
                ImageReadError,
                match=f"{path}: cannot read image: malformed Pixel Spacing "
                "'abc.*0.2'"):
            read(path)


def test_missing_codec_is_named(tmp_path, monkeypatch):
    path = save_dicom(
        str(tmp_path / 'jpeg.dcm'),
        _bad_jpeg(make_dicom(GREY.astype(np.uint8))))
    monkeypatch.setattr(Decoder, 'is_available', property(lambda _: False))
    with pytest.raises(
            ImageReadError,
            match=f'{path}: cannot read image: DICOM transfer syntax JPEG '
            'Baseline .* needs a codec that is not installed'):
        read_image(path)


def test_not_dicom_and_truncated_files_fail_by_name(tmp_path):
    with pytest.raises(
            ImageReadError,
            match="scan.dcm: cannot read image: not a DICOM file \\(no "
            "b'DICM' at byte 128\\)"):
        decode_dicom(b'\x89PNG\r\n\x1a\n' + bytes(200), 'scan.dcm')
    path = write_dicom(str(tmp_path / 'cut.dcm'), GREY, bits_stored=12)
    data = open(path, 'rb').read()
    with open(path, 'wb') as f:
        f.write(data[:len(data) - 20])
    with pytest.raises(
            ImageReadError,
            match=f'{path}: cannot read image: (corrupt DICOM file|cannot '
            'decode)'):
        read_image(path)


# ---------------------------------------------------------------- training


def _as_dicom(root: str) -> None:
    """Rewrite a synthetic dataset's PNGs as 12-bit MONOCHROME1 DICOMs that
    display the same 8-bit values (``v * 4095 / 255`` rounds back to ``v``),
    and point its COCO JSON files at them."""
    for png in glob.glob(osp.join(root, 'images', '*.png')):
        value = np.rint(cv2.imread(png, cv2.IMREAD_GRAYSCALE) * (4095 / 255))
        write_dicom(
            png[:-4] + '.dcm', (4095 - value).astype(np.uint16),
            bits_stored=12,
            photometric='MONOCHROME1',
            imager_pixel_spacing=[0.1584, 0.1584],
            magnification=1.1)
    for ann in glob.glob(osp.join(root, 'annotations', '*.json')):
        with open(ann) as f:
            coco = json.load(f)
        for image in coco['images']:
            image['file_name'] = image['file_name'][:-4] + '.dcm'
        with open(ann, 'w') as f:
            json.dump(coco, f)


def test_datasets_read_a_coco_json_of_dicom_files(tmp_path, tiny_data):
    root = str(tmp_path / 'dicom_data')
    shutil.copytree(tiny_data, root)
    _as_dicom(root)
    cfg = Config.fromfile(TINY_CONFIG)
    init_default_scope(cfg.default_scope)

    def build(loader: str, data_root: str):
        return DATASETS.build(dict(cfg[loader].dataset, data_root=data_root))

    val_png = build('val_dataloader', tiny_data)
    val_dcm = build('val_dataloader', root)
    assert val_dcm.get_data_info(0)['img_path'].endswith('.dcm')
    for i in range(len(val_dcm)):
        np.testing.assert_array_equal(val_dcm[i]['inputs'],
                                      val_png[i]['inputs'])
    train = build('train_dataloader', root)
    assert train.get_data_info(0)['img_path'].endswith('.dcm')
    assert train[0]['inputs'].shape[-2:] == (64, 64)
