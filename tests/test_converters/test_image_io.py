"""Images are read by content, in full, and unreadable ones are named."""
import io

import numpy as np
import pytest
from PIL import Image

from ceph_landmarks.core.io.image_io import (ImageReadError, decode_image,
                                             encode_png, read_image)
from helpers import grey_image, save_image


def test_jpeg_under_tif_name_is_decoded_and_flagged(tmp_path):
    pixels = grey_image(40, 30)
    path = save_image(str(tmp_path / '067.tif'), pixels, fmt='JPEG')
    img = read_image(path)
    assert (img.format, img.expected_format) == ('JPEG', 'TIFF')
    assert img.format_mismatch
    assert img.pixels.shape == (30, 40)
    # same pixels as a JPEG decoder gives (lossy vs the original)
    assert np.array_equal(img.pixels, np.array(Image.open(path)))


def test_png_round_trip_is_lossless_and_not_flagged(tmp_path):
    pixels = grey_image(20, 10, seed=3)
    img = read_image(save_image(str(tmp_path / 'a.png'), pixels))
    assert not img.format_mismatch
    assert np.array_equal(img.pixels, pixels)
    again = decode_image(encode_png(img.pixels), 'again.png')
    assert np.array_equal(again.pixels, pixels)


def test_colour_image_is_bgr_and_16_bit_grey_kept(tmp_path):
    rgb = np.zeros((4, 5, 3), np.uint8)
    rgb[..., 0] = 200  # red
    img = read_image(save_image(str(tmp_path / 'c.png'), rgb))
    assert img.pixels[0, 0].tolist() == [0, 0, 200]  # BGR
    deep = (np.arange(20, dtype=np.uint16) * 3000).reshape(4, 5)
    buf = io.BytesIO()
    Image.fromarray(deep).save(buf, format='PNG')
    img16 = decode_image(buf.getvalue(), 'deep.png')
    assert img16.pixels.dtype == np.uint16
    assert np.array_equal(img16.pixels, deep)


@pytest.mark.parametrize('fmt', ['JPEG', 'PNG'])
def test_truncated_image_names_the_file(tmp_path, fmt):
    path = save_image(
        str(tmp_path / f'cut.{fmt.lower()}'), grey_image(64, 64), fmt=fmt)
    data = open(path, 'rb').read()
    with open(path, 'wb') as f:
        f.write(data[:len(data) // 2])
    with pytest.raises(
            ImageReadError,
            match=r'cut\.\w+: cannot read image: '
            r'corrupt or truncated'):
        read_image(path)


def test_not_an_image_missing_and_empty_files(tmp_path):
    text = tmp_path / 'notes.png'
    text.write_text('hello')
    with pytest.raises(ImageReadError, match='notes.png.*not an image file'):
        read_image(str(text))
    with pytest.raises(ImageReadError, match='gone.png: cannot read image'):
        read_image(str(tmp_path / 'gone.png'))
    (tmp_path / 'empty.bmp').write_bytes(b'')
    with pytest.raises(ImageReadError, match='empty.bmp.*the file is empty'):
        read_image(str(tmp_path / 'empty.bmp'))


def test_16_bit_colour_png_keeps_all_16_bits(tmp_path):
    import cv2
    bgr = np.zeros((6, 5, 3), np.uint16)
    bgr[..., 0], bgr[..., 1], bgr[..., 2] = 4080, 1000, 7  # 12-bit data
    path = str(tmp_path / 'colour16.png')
    assert cv2.imwrite(path, bgr)
    img = read_image(path)
    # Pillow alone keeps the high byte: 4080 -> 15, 1000 -> 3, 7 -> 0
    assert img.pixels.dtype == np.uint16
    assert np.array_equal(img.pixels, bgr)
    # written by a converter, the 16 bits survive
    again = decode_image(encode_png(img.pixels), 'again.png')
    assert np.array_equal(again.pixels, bgr)
