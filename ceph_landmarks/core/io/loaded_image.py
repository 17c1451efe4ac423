"""What a decoded image is, and the error for one that cannot be read.

Shared by every decoder (:mod:`.image_io` for image files, :mod:`.dicom`
for DICOM) and every reader above them.
"""
from dataclasses import dataclass
from typing import Optional, Tuple

import numpy as np

__all__ = [
    'EXTENSION_FORMATS', 'PNG_SIGNATURE', 'ImageReadError', 'LoadedImage'
]

#: Image format that each file extension promises (Pillow format names).
EXTENSION_FORMATS = {
    '.png': 'PNG',
    '.jpg': 'JPEG',
    '.jpeg': 'JPEG',
    '.tif': 'TIFF',
    '.tiff': 'TIFF',
    '.bmp': 'BMP',
    '.dcm': 'DICOM',
}

#: The first bytes of every PNG file.
PNG_SIGNATURE = b'\x89PNG\r\n\x1a\n'


class ImageReadError(ValueError):
    """An image file that cannot be read completely.

    Args:
        source (str): The file (or other source) that failed.
        reason (str): What is wrong with it.
    """

    def __init__(self, source: str, reason: str) -> None:
        super().__init__(f'{source}: cannot read image: {reason}')
        self.source = source
        self.reason = reason


@dataclass
class LoadedImage:
    """A decoded image and what its bytes turned out to be.

    Attributes:
        pixels (np.ndarray): ``[H, W]`` grey (uint8 or uint16) or
            ``[H, W, 3]`` colour in OpenCV's BGR order (uint8, or uint16
            for a 16-bit colour PNG). For DICOM, ``[H, W]`` uint8: the
            image as its header says to display it, in the model's input
            range (see :mod:`.dicom`).
        source (str): Where the image came from (a path), for messages.
        format (str): Format found in the bytes, e.g. ``'JPEG'`` or
            ``'DICOM'``, or ``'array'`` for images that never were a file.
        expected_format (str, optional): Format promised by the file
            extension, ``None`` when the extension promises nothing known.
        spacing (tuple[float, float], optional): ``(x, y)`` mm/px from
            the file's header (DICOM only), ``None`` if it has none.
        spacing_source (str, optional): Where ``spacing`` came from, e.g.
            ``'DICOM Pixel Spacing'``, ``'DICOM Imager Pixel Spacing /
            magnification 1.1'`` or ``'DICOM Imager Pixel Spacing (at the
            detector)'``; ``None`` without spacing.
    """
    pixels: np.ndarray
    source: str
    format: str
    expected_format: Optional[str] = None
    spacing: Optional[Tuple[float, float]] = None
    spacing_source: Optional[str] = None

    @property
    def width(self) -> int:
        return int(self.pixels.shape[1])

    @property
    def height(self) -> int:
        return int(self.pixels.shape[0])

    @property
    def format_mismatch(self) -> bool:
        """Whether the content is not the format the extension promises."""
        return (self.expected_format is not None
                and self.format != self.expected_format)
