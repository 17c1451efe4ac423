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

from .bit_depth import png_significant_bits, scale_to_8_bits
from .image_io import decode_image
from .loaded_image import ImageReadError

__all__ = ['load_cephalogram', 'decode_cephalogram', 'to_model_input']


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


def decode_cephalogram(data: bytes, source: str) -> np.ndarray:
    """Decode an image file's bytes as the model's ``[H, W, 3]`` uint8 BGR
    input.

    The bytes are decoded by their content (a JPEG named ``.tif`` reads,
    and so does DICOM whatever its name) and in full (a truncated file is
    an error, not a half-grey image), then scaled by
    :func:`to_model_input`, honouring a PNG ``sBIT`` chunk.

    Args:
        data (bytes): The file's content.
        source (str): Where it came from (a path), for messages.

    Returns:
        np.ndarray: ``[H, W, 3]`` uint8, BGR.

    Raises:
        ImageReadError: Naming ``source`` and what is wrong: empty, not an
            image, truncated or of an unsupported pixel type.
    """
    pixels = decode_image(data, source).pixels  # by content, in full
    return to_model_input(pixels, source, png_significant_bits(data))


def load_cephalogram(path: str) -> np.ndarray:
    """Read a local image file as the model's ``[H, W, 3]`` uint8 BGR input
    (see :func:`decode_cephalogram`).

    Args:
        path (str): Image file.

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
        with open(path, 'rb') as f:
            data = f.read()
    except OSError as err:
        raise ImageReadError(path, err.strerror or str(err)) from err
    return decode_cephalogram(data, path)
