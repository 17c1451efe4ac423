"""The data bit depth of an integer image, and its scaling to 8 bits.

The rule (see :mod:`.image_loading`): an image of more than 8 bits is
scaled by its data bit depth ``b``, ``round(value * 255 / (2**b - 1))``,
where ``b`` is the PNG ``sBIT`` or DICOM ``Bits Stored`` value where the
file has one, else the smallest of 8, 10, 12, 14 and 16 bits that holds the
largest value.
"""
from typing import Optional

import numpy as np

from .loaded_image import PNG_SIGNATURE

__all__ = ['data_bit_depth', 'png_significant_bits', 'scale_to_8_bits']

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
