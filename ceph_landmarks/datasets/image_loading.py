"""Loading a cephalogram of any bit depth into the model's input range.

Training, testing and inference read image files through
:func:`load_cephalogram` (the ``LoadCephalogram`` transform of every
config, and :func:`ceph_landmarks.apis.load_image`); an image array already
in a pipeline's ``results['img']`` goes through :func:`to_model_input`. So
a model sees the same pixels whichever way an image reaches it.

The model's input is what MMPose's ``LoadImage`` gives for an 8-bit file:
``[H, W, 3]`` uint8 BGR, grey images as three equal channels. Radiographs
are often 16-bit files holding 10-, 12- or 14-bit data; taking their high
byte (what OpenCV's colour decoding does) turns a 12-bit image into an
almost black one. The rule here:

* 8-bit images (grey or colour) are kept as they are, bit for bit.
* Integer images of more than 8 bits (grey or colour) are scaled by their
  data bit depth ``b``: ``round(value * 255 / (2**b - 1))``, so a 12-bit
  image with maximum 4095 reaches 255. ``b`` is the PNG ``sBIT``
  significant bits where the file has that chunk (unless the values exceed
  it: the PNG standard then means them scaled up to the full 16 bits, and
  ``b = 16``); otherwise the smallest of 8, 10, 12, 14 and 16 bits that
  holds the image's largest value. There is no per-image min-max
  stretching, which would change contrast from image to image.
* Float images are refused: their range (0-1? 0-255? Hounsfield units?)
  cannot be known. Image files never give floats.
* DICOM files are decoded to uint8 by :mod:`.dicom`, which applies their
  rescale and window and then this rule with ``b`` = ``Bits Stored``.
"""
from typing import Optional

import cv2
import numpy as np
from mmengine import fileio

from .image_io import PNG_SIGNATURE, ImageReadError, decode_image

__all__ = [
    'load_cephalogram', 'to_model_input', 'data_bit_depth',
    'png_significant_bits', 'scale_to_8_bits'
]

#: Data bit depths told apart by an image's largest value.
DATA_BIT_DEPTHS = (8, 10, 12, 14, 16)


def png_significant_bits(data: bytes) -> Optional[int]:
    """The significant bits of a PNG's ``sBIT`` chunk.

    Args:
        data (bytes): An encoded image file.

    Returns:
        int, optional: The significant bits of the first channel (grey, or
        red), ``None`` if ``data`` is not a PNG or has no ``sBIT`` chunk
        (it must come before the image data).
    """
    if not data.startswith(PNG_SIGNATURE):
        return None
    pos = len(PNG_SIGNATURE)
    while pos + 8 <= len(data):
        length = int.from_bytes(data[pos:pos + 4], 'big')
        kind = data[pos + 4:pos + 8]
        if kind == b'sBIT':
            return data[pos + 8] if length and pos + 9 <= len(data) else None
        if kind in (b'IDAT', b'IEND'):
            return None
        pos += 12 + length  # length, type, data, CRC
    return None


def data_bit_depth(pixels: np.ndarray,
                   significant_bits: Optional[int] = None) -> int:
    """Bit depth of the data in an integer image, by the module's rule.

    Args:
        pixels (np.ndarray): Integer pixels with values in [0, 65535].
        significant_bits (int, optional): The file's PNG ``sBIT`` value.

    Returns:
        int: 8 for uint8 images; else ``significant_bits`` if given and the
        values fit in it, 16 if they do not, and without it the smallest of
        :data:`DATA_BIT_DEPTHS` that holds the largest value.

    Examples:
        >>> data_bit_depth(np.array([[0, 4080]], np.uint16))
        12
        >>> data_bit_depth(np.array([[0, 1000]], np.uint16), 12)
        12
    """
    if pixels.dtype == np.uint8:
        return 8
    peak = int(pixels.max())
    if significant_bits is not None and 1 <= significant_bits <= 16:
        return significant_bits if peak < 2**significant_bits else 16
    return next(bits for bits in DATA_BIT_DEPTHS if peak < 2**bits)


def scale_to_8_bits(pixels: np.ndarray,
                    significant_bits: Optional[int] = None) -> np.ndarray:
    """Integer pixels of any bit depth as uint8, by the module's rule.

    Args:
        pixels (np.ndarray): Integer pixels with values in [0, 65535], any
            shape.
        significant_bits (int, optional): The file's data bit depth (PNG
            ``sBIT``, DICOM ``Bits Stored``), see :func:`data_bit_depth`.

    Returns:
        np.ndarray: uint8 pixels of the same shape; ``pixels`` itself if it
        is uint8.

    Examples:
        >>> scale_to_8_bits(np.array([0, 1000], np.uint16), 12)
        array([ 0, 62], dtype=uint8)
    """
    if pixels.dtype == np.uint8:
        return pixels
    top = 2**data_bit_depth(pixels, significant_bits) - 1
    # round(value * 255 / top) in exact integer arithmetic (< 2**32)
    return ((pixels.astype(np.uint32) * 510 + top) //
            (2 * top)).astype(np.uint8)


def to_model_input(pixels: np.ndarray,
                   source: str = '<array>',
                   significant_bits: Optional[int] = None) -> np.ndarray:
    """Convert image pixels to the model's ``[H, W, 3]`` uint8 BGR input.

    See the module docstring for the bit-depth rule. A uint8 ``[H, W, 3]``
    array is returned as it is (no copy).

    Args:
        pixels (np.ndarray): ``[H, W]`` or ``[H, W, 1]`` grey, or
            ``[H, W, 3]`` BGR; unsigned integers, or any integer type with
            values in [0, 65535].
        source (str): Where the pixels come from, for messages.
        significant_bits (int, optional): The file's PNG ``sBIT`` value.

    Returns:
        np.ndarray: ``[H, W, 3]`` uint8, BGR.

    Raises:
        ImageReadError: If the array is not an image of that kind: not an
            array, of another shape, empty, of float or bool type, or
            with values outside [0, 65535].

    Examples:
        >>> twelve_bit = np.array([[0, 2048, 4095]], np.uint16)
        >>> to_model_input(twelve_bit)[..., 0]
        array([[  0, 128, 255]], dtype=uint8)
    """
    if not isinstance(pixels, np.ndarray):
        raise ImageReadError(
            source, 'expected a numpy array of pixels, but got '
            f'{type(pixels).__name__}')
    if pixels.ndim == 3 and pixels.shape[2] == 1:
        pixels = pixels[..., 0]
    if pixels.ndim not in (2, 3) or (pixels.ndim == 3
                                     and pixels.shape[2] != 3):
        raise ImageReadError(
            source, 'expected [H, W] grey or [H, W, 3] BGR pixels, but got '
            f'shape {pixels.shape}')
    if pixels.size == 0:
        raise ImageReadError(
            source, f'the image has no pixels (shape {pixels.shape})')
    if not np.issubdtype(pixels.dtype, np.integer):
        raise ImageReadError(
            source, f'{pixels.dtype} pixels are not accepted (their range '
            'is unknown); give integer pixels (8 to 16 bits) or scale to '
            'uint8 0-255')
    if pixels.dtype != np.uint8:
        low, high = int(pixels.min()), int(pixels.max())
        if low < 0 or high > 65535:
            raise ImageReadError(
                source, f'{pixels.dtype} pixel values {low}..{high} are '
                'outside 0..65535 (16 bits)')
        pixels = scale_to_8_bits(pixels, significant_bits)
    if pixels.ndim == 2:
        return cv2.cvtColor(pixels, cv2.COLOR_GRAY2BGR)
    return pixels


def load_cephalogram(path: str,
                     backend_args: Optional[dict] = None) -> np.ndarray:
    """Read an image file as the model's ``[H, W, 3]`` uint8 BGR input.

    The file is decoded by its content (a JPEG named ``.tif`` reads, and so
    does DICOM whatever its name) and in full (a truncated file is an
    error, not a half-grey image), then scaled by :func:`to_model_input`,
    honouring a PNG ``sBIT`` chunk.

    Args:
        path (str): Image file (any path or URI mmengine's ``fileio``
            reads).
        backend_args (dict, optional): mmengine file backend arguments, as
            for MMPose's ``LoadImage``. Defaults to None (local files).

    Returns:
        np.ndarray: ``[H, W, 3]`` uint8, BGR.

    Raises:
        ImageReadError: Naming the file and what is wrong: missing,
            unreadable, empty, not an image, truncated or of an
            unsupported pixel type.

    Examples:
        >>> img = load_cephalogram('images/001.png')  # doctest: +SKIP
        >>> img.shape, img.dtype  # doctest: +SKIP
        ((2400, 1935, 3), dtype('uint8'))
    """
    try:
        data = fileio.get(path, backend_args=backend_args)
    except OSError as err:
        raise ImageReadError(path, err.strerror or str(err)) from err
    pixels = decode_image(data, path).pixels  # by content, in full
    return to_model_input(pixels, path, png_significant_bits(data))
