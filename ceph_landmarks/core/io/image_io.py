"""Reading source images by their content, and writing them as PNG.

Public datasets are not always what their file names say: the Hamedan set
publishes a JPEG under a ``.tif`` name, and downloads get truncated. Images
are therefore decoded by their bytes (Pillow identifies the format from the
file's signature, never from its extension) and decoded in full, so that a
truncated file raises an error instead of giving a half-grey image. DICOM
files, found by their ``'DICM'`` prefix, are decoded by :mod:`.dicom`.

An image with more pixels than Pillow's decompression-bomb limit
(``PIL.Image.MAX_IMAGE_PIXELS``, about 89 million; a cephalogram has a few
million) is refused with an :class:`ImageReadError` rather than decoded,
where Pillow itself would only warn up to twice the limit.
"""
import io
import os.path as osp
import warnings
from typing import Optional

import cv2
import numpy as np
from PIL import Image, UnidentifiedImageError

from .dicom import decode_dicom, is_dicom
from .loaded_image import (EXTENSION_FORMATS, PNG_SIGNATURE, ImageReadError,
                           LoadedImage)

__all__ = [
    'ImageReadError', 'LoadedImage', 'decode_image', 'read_image', 'encode_png'
]

# Pillow modes converted to one that PNG stores losslessly: 8-bit grey,
# 16-bit grey or 8-bit colour.
_MODE_CONVERSIONS = {
    '1': 'L',
    'LA': 'L',
    'P': 'RGB',
    'PA': 'RGB',
    'RGBA': 'RGB',
    'CMYK': 'RGB',
    'YCbCr': 'RGB',
}


def _to_array(img: Image.Image, source: str) -> np.ndarray:
    """Pixels of a decoded Pillow image as 8/16-bit grey or 8-bit RGB."""
    if img.mode in _MODE_CONVERSIONS:
        img = img.convert(_MODE_CONVERSIONS[img.mode])
    if img.mode in ('L', 'RGB'):
        return np.array(img)
    if img.mode.startswith('I;16'):  # 16-bit grey, any byte order
        return np.array(img).astype(np.uint16)
    raise ImageReadError(
        source, f'unsupported pixel mode {img.mode!r} ({img.format}); '
        'expected 8- or 16-bit grey or 8-bit colour')


def _png_bit_depth(data: bytes) -> Optional[int]:
    """The sample bit depth in a PNG's header, ``None`` if not a PNG."""
    if data.startswith(PNG_SIGNATURE) and data[12:16] == b'IHDR' \
            and len(data) > 24:
        return data[24]
    return None


def decode_image(data: bytes, source: str) -> LoadedImage:
    """Decode image bytes, identifying the format by content.

    Args:
        data (bytes): The whole encoded file.
        source (str): Name used in messages and for the expected format
            (its extension).

    Returns:
        LoadedImage: The decoded pixels (and for DICOM the header's
        spacing).

    Raises:
        ImageReadError: If the bytes are empty, not an image, truncated, of
            a pixel type that cannot be stored as PNG, or over Pillow's
            decompression-bomb limit; for DICOM, see
            :func:`.dicom.decode_dicom`.
    """
    if not data:
        raise ImageReadError(source, 'the file is empty')
    if is_dicom(data):
        return decode_dicom(data, source)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter('error', Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as img:
                img.load()  # full decode: raises on truncated data
                found = img.format or 'unknown'
                pixels = _to_array(img, source)
    except (Image.DecompressionBombError,
            Image.DecompressionBombWarning) as err:
        raise ImageReadError(
            source, f'too many pixels to decode safely ({err}); a '
            'cephalogram has a few million, so the file is probably '
            'corrupt. If you trust it, raise PIL.Image.MAX_IMAGE_PIXELS '
            'before converting') from None
    except UnidentifiedImageError:
        raise ImageReadError(
            source, f'not an image file of a known format (starts with '
            f'{data[:8]!r})') from None
    except (OSError, SyntaxError) as err:  # Pillow: truncated / corrupt
        raise ImageReadError(source, f'corrupt or truncated ({err})') from err
    if pixels.ndim == 3 and _png_bit_depth(data) == 16:
        # Pillow keeps the high byte of 16-bit colour; OpenCV keeps 16 bits
        # (BGR, any alpha channel dropped)
        pixels = cv2.imdecode(
            np.frombuffer(data, np.uint8), cv2.IMREAD_UNCHANGED)[..., :3]
    elif pixels.ndim == 3:
        pixels = cv2.cvtColor(pixels, cv2.COLOR_RGB2BGR)
    expected = EXTENSION_FORMATS.get(osp.splitext(source)[1].lower())
    return LoadedImage(pixels, source, found, expected)


def read_image(path: str) -> LoadedImage:
    """Read an image file by its content, whatever its extension.

    Args:
        path (str): Image file.

    Returns:
        LoadedImage: The decoded pixels; ``format_mismatch`` tells whether
        the extension lied (e.g. JPEG bytes in ``067.tif``).

    Raises:
        ImageReadError: If the file is missing, unreadable or truncated.

    Examples:
        >>> img = read_image('images/067.tif')  # doctest: +SKIP
        >>> img.format, img.expected_format, img.pixels.shape
        ('JPEG', 'TIFF', (1671, 1340))
    """
    try:
        with open(path, 'rb') as f:
            data = f.read()
    except OSError as err:
        raise ImageReadError(path, err.strerror or str(err)) from err
    return decode_image(data, path)


def encode_png(pixels: np.ndarray, source: str = '<array>') -> bytes:
    """Encode grey or BGR pixels as PNG bytes (lossless).

    Args:
        pixels (np.ndarray): ``[H, W]`` uint8/uint16 or ``[H, W, 3]`` uint8.
        source (str): Name used in the error message.

    Returns:
        bytes: The PNG file.

    Raises:
        ImageReadError: If OpenCV cannot encode the array.
    """
    ok, buf = cv2.imencode('.png', pixels)
    if not ok:
        raise ImageReadError(
            source, f'cannot encode {pixels.dtype} array of shape '
            f'{pixels.shape} as PNG')
    return buf.tobytes()
