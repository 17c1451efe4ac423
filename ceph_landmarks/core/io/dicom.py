"""Decoding a DICOM radiograph: the displayed grey image and the spacing in
its header.

A DICOM file is recognised by its bytes (``'DICM'`` at byte 128 after the
preamble, PS3.10 7.1), never by its extension. Only grey single-frame
images are read; pydicom (imported only when a DICOM file is met) parses
the file, with the ``pylibjpeg`` plugins for JPEG, JPEG-LS and JPEG 2000
transfer syntaxes.

Pixels, in the order of the DICOM grey pipeline (PS3.4 N.2.1.1):

1. the stored values (``Bits Stored`` of them significant);
2. the Modality LUT: ``Rescale Slope`` / ``Rescale Intercept`` or a Modality
   LUT Sequence (pydicom's ``apply_modality_lut``);
3. the VOI LUT: a VOI LUT Sequence, else ``Window Center`` / ``Window
   Width`` (the first window; pydicom's ``apply_voi_lut``); none if absent;
4. the output range of steps 2-3 (the whole range the header allows, never
   the image's own minimum and maximum) mapped linearly onto
   ``0 .. 2**b - 1`` with ``b = max(Bits Stored, 8)``, rounded half up, and
   MONOCHROME1 inverted (``2**b - 1 - v``) so that bone is bright;
5. those ``b``-bit values brought to 0-255 by the rule of 16-bit PNG/TIFF
   files with ``b`` significant bits (:func:`.image_loading.scale_to_8_bits`,
   ``round(v * 255 / (2**b - 1))``).

So :attr:`LoadedImage.pixels <.image_io.LoadedImage>` of a DICOM file is
``[H, W]`` uint8 grey, the image as the header says to display it and
already in the model's input range; converters that store it write an
8-bit PNG that loads to the same model input. A 12-bit file without
windowing (``Bits Stored`` 12, slope 1, intercept 0) gives exactly what a
16-bit PNG with the same values and an ``sBIT`` of 12 gives (4095 -> 255).

Spacing, in mm/px as ``(x, y)``; ``Pixel Spacing`` and ``Imager Pixel
Spacing`` are ``row spacing \\ column spacing``, i.e. ``(y, x)``:

* ``Pixel Spacing`` (0028,0030), the spacing in the patient;
* else ``Imager Pixel Spacing`` (0018,1164) divided by the ``Estimated
  Radiographic Magnification Factor`` (0018,1114), the spacing at the
  mid-sagittal plane of a projection radiograph;
* else ``Imager Pixel Spacing`` itself, measured at the detector (larger
  than the patient by the magnification, about 10 % in a cephalostat),
  with a warning;
* else none.

A malformed value of any of these tags (not two positive numbers, or not
one for the factor) is an :class:`~.image_io.ImageReadError`.
"""
import io
import logging
import math
import os.path as osp
import warnings
from collections.abc import Iterable
from functools import lru_cache
from typing import Any, BinaryIO, List, Optional, Tuple, Union

import numpy as np
from PIL import Image

from ..log import get_logger
from .bit_depth import scale_to_8_bits
from .loaded_image import EXTENSION_FORMATS, ImageReadError, LoadedImage

__all__ = ['is_dicom', 'decode_dicom', 'header_spacing']

#: Where the DICOM prefix sits, after the 128-byte preamble.
DICOM_MAGIC_OFFSET = 128
DICOM_MAGIC = b'DICM'

Spacing = Tuple[float, float]


def is_dicom(data: bytes) -> bool:
    """Whether bytes are a DICOM file (``'DICM'`` at byte 128).

    Args:
        data (bytes): The file, or at least its first 132 bytes.

    Returns:
        bool: True for a DICOM Part 10 file.
    """
    end = DICOM_MAGIC_OFFSET + len(DICOM_MAGIC)
    return data[DICOM_MAGIC_OFFSET:end] == DICOM_MAGIC


def decode_dicom(data: bytes, source: str) -> LoadedImage:
    """Decode a grey single-frame DICOM image and its header's spacing.

    Args:
        data (bytes): The whole file.
        source (str): Name used in messages and for the expected format
            (its extension).

    Returns:
        LoadedImage: ``[H, W]`` uint8 pixels as the module docstring
        describes, ``format='DICOM'``, and the spacing with its source.

    Raises:
        ImageReadError: If the bytes are not DICOM, are corrupt, hold no
            pixel data, a colour or multi-frame image, a transfer syntax
            that no installed codec decodes, or malformed spacing or
            rescale values.
    """
    if not is_dicom(data):
        raise ImageReadError(
            source, f'not a DICOM file (no {DICOM_MAGIC!r} at byte '
            f'{DICOM_MAGIC_OFFSET})')
    ds = _read_dataset(io.BytesIO(data), source, header_only=False)
    spacing, spacing_source = _spacing(ds, source)
    pixels = _display_pixels(ds, source)
    expected = EXTENSION_FORMATS.get(osp.splitext(source)[1].lower())
    return LoadedImage(pixels, source, 'DICOM', expected, spacing,
                       spacing_source)


def header_spacing(path: str) -> Tuple[Optional[Spacing], Optional[str]]:
    """The spacing in a file's DICOM header, without decoding its pixels.

    Args:
        path (str): Any image file.

    Returns:
        tuple: ``((x, y), source)``: mm/px and where it came from (see
        :class:`~.image_io.LoadedImage`), or ``(None, None)`` if the file
        is not DICOM or its header has no spacing.

    Raises:
        ImageReadError: If the file cannot be opened, or is a corrupt
            DICOM file, or its spacing tags are malformed.

    Examples:
        >>> header_spacing('scans/001.dcm')  # doctest: +SKIP
        ((0.144, 0.144), 'DICOM Imager Pixel Spacing / magnification 1.1')
    """
    try:
        with open(path, 'rb') as f:
            head = f.read(DICOM_MAGIC_OFFSET + len(DICOM_MAGIC))
    except OSError as err:
        raise ImageReadError(path, err.strerror or str(err)) from err
    if not is_dicom(head):
        return None, None
    return _spacing(_read_dataset(path, path, header_only=True), path)


# ------------------------------------------------------------------ header


def _read_dataset(file: Union[str, BinaryIO], source: str,
                  header_only: bool) -> Any:
    """Parse a DICOM file with pydicom; its errors become ImageReadError."""
    import pydicom
    try:
        with warnings.catch_warnings():  # our own errors say it better
            warnings.simplefilter('ignore')
            return pydicom.dcmread(file, stop_before_pixels=header_only)
    except Exception as err:  # pydicom raises many kinds on corrupt files
        raise ImageReadError(
            source, f'corrupt DICOM file ({_one_line(err)})') \
            from None


def _one_line(err: Exception) -> str:
    """A pydicom or codec error as one line, e.g. for a CLI's message."""
    return f'{type(err).__name__}: ' + ' '.join(str(err).split())


def _numbers(ds: Any,
             keyword: str,
             count: int,
             source: str,
             positive: bool = True) -> Optional[List[float]]:
    """``count`` numbers of a header tag, None if it is absent or empty.

    Raises:
        ImageReadError: If the tag holds another number of values, or
            values that are not finite numbers (greater than 0 if
            ``positive``).
    """
    if keyword not in ds or ds[keyword].is_empty:
        return None
    with warnings.catch_warnings():  # pydicom warns about invalid DS text
        warnings.simplefilter('ignore')
        value = ds[keyword].value
    values = value if isinstance(
        value, Iterable) and not isinstance(value, (str, bytes)) else [value]
    try:
        numbers = [float(str(v)) for v in values]
    except ValueError:
        numbers = []
    if len(numbers) != count or not all(
            math.isfinite(n) and (n > 0 or not positive) for n in numbers):
        expected = 'two numbers (row spacing \\ column spacing, mm)' \
            if count == 2 else 'one number'
        text = '\\'.join(  # as in the file
            str(getattr(v, 'original_string', None) or v) for v in values)
        raise ImageReadError(
            source, f"malformed {ds[keyword].name} '{text}' in the DICOM "
            f'header: expected {expected}' +
            (' greater than 0' if positive else ''))
    return numbers


@lru_cache(maxsize=None)
def _warn_once(source: str, message: str) -> None:
    """Log a warning about a file once, not at each epoch's read."""
    get_logger().log(logging.WARNING, f'{source}: {message}')


def _spacing(ds: Any, source: str) -> Tuple[Optional[Spacing], Optional[str]]:
    """The ``(x, y)`` mm/px spacing of a header and where it came from."""
    pixel = _numbers(ds, 'PixelSpacing', 2, source)
    imager = _numbers(ds, 'ImagerPixelSpacing', 2, source)
    factor = _numbers(ds, 'EstimatedRadiographicMagnificationFactor', 1,
                      source)
    at_patient = None  # Imager Pixel Spacing / magnification
    if imager is not None and factor is not None:
        at_patient = [_round(s / factor[0]) for s in imager]
    if pixel is not None:
        if at_patient is not None and not np.allclose(
                pixel, at_patient, rtol=1e-3, atol=0):
            _warn_once(
                source, f'DICOM Pixel Spacing {pixel} is not Imager Pixel '
                f'Spacing {imager} / magnification {factor[0]:g}; using '
                'Pixel Spacing')
        return (pixel[1], pixel[0]), 'DICOM Pixel Spacing'
    if imager is None:
        return None, None
    if at_patient is not None:
        return ((at_patient[1], at_patient[0]),
                f'DICOM Imager Pixel Spacing / magnification {factor[0]:g}')
    _warn_once(
        source, f'spacing from DICOM Imager Pixel Spacing {imager}, '
        'measured at the detector: distances come out larger than in the '
        'patient by the radiographic magnification (about 1.1 for a '
        'cephalostat); give the mid-sagittal plane\'s spacing explicitly')
    return (imager[1], imager[0]), \
        'DICOM Imager Pixel Spacing (at the detector)'


def _round(value: float) -> float:
    """``value`` to 10 significant digits (0.1584 / 1.1 gives 0.144)."""
    return float(f'{value:.10g}')


# ------------------------------------------------------------------ pixels


def _check_grey_single_frame(ds: Any, source: str) -> int:
    """Refuse what is not one grey image; return its ``Bits Stored``."""
    if 'PixelData' not in ds:
        other = [
            k for k in ('FloatPixelData', 'DoubleFloatPixelData') if k in ds
        ]
        raise ImageReadError(
            source, f'the DICOM file has {other[0]} (floating-point pixels '
            'of unknown range), which is not read' if other else
            'the DICOM file has no pixel data (or ends before it)')
    photometric = str(ds.get('PhotometricInterpretation', ''))
    samples = ds.get('SamplesPerPixel', 1)
    if photometric not in ('MONOCHROME1', 'MONOCHROME2') or samples != 1:
        raise ImageReadError(
            source, f'a colour DICOM image (Photometric Interpretation '
            f'{photometric!r}, {samples} samples per pixel); only grey '
            'radiographs (MONOCHROME1 or MONOCHROME2) are read')
    frames = ds.get('NumberOfFrames', 1)
    if str(frames).strip() not in ('', '1'):
        raise ImageReadError(
            source, f'a multi-frame DICOM image ({frames} frames); only '
            'single-frame radiographs are read')
    bits = ds.get('BitsStored')
    if not isinstance(bits, int) or not 1 <= bits <= 16:
        raise ImageReadError(
            source, f'DICOM Bits Stored {bits!r} is not supported; '
            'expected 1 to 16')
    rows, columns = ds.get('Rows', 0), ds.get('Columns', 0)
    limit = Image.MAX_IMAGE_PIXELS
    if limit is not None and rows * columns > limit:
        raise ImageReadError(
            source, f'too many pixels to decode safely ({rows} x {columns} '
            f'> {limit}, PIL.Image.MAX_IMAGE_PIXELS)')
    return bits


def _stored_values(ds: Any, source: str) -> np.ndarray:
    """The stored pixel values, decoded by the transfer syntax's codec."""
    from pydicom.pixels import get_decoder
    syntax = ds.file_meta.get('TransferSyntaxUID')
    if syntax is None:
        raise ImageReadError(
            source, 'the DICOM file meta information has no Transfer Syntax '
            'UID')
    try:
        decoder = get_decoder(syntax)
    except NotImplementedError:
        raise ImageReadError(
            source, f'unsupported DICOM transfer syntax {syntax.name} '
            f'({syntax}): no codec decodes it') from None
    if not decoder.is_available:
        missing = '; '.join(decoder.missing_dependencies)
        raise ImageReadError(
            source, f'DICOM transfer syntax {syntax.name} ({syntax}) needs '
            f'a codec that is not installed ({missing}); see '
            'requirements/runtime.txt')
    try:
        with warnings.catch_warnings():
            warnings.simplefilter('ignore')
            return ds.pixel_array
    except Exception as err:  # the codecs raise many kinds on bad data
        raise ImageReadError(
            source, f'cannot decode the {syntax.name} pixel data '
            f'({_one_line(err)})') from None


def _lut_bits(sequence: Any) -> Optional[int]:
    """Bits per entry of a LUT sequence's first item, None if absent."""
    if not sequence or 'LUTDescriptor' not in sequence[0] \
            or 'LUTData' not in sequence[0]:
        return None
    return int(sequence[0].LUTDescriptor[2])


def _output_range(ds: Any, bits: int) -> Tuple[float, float]:
    """The range of values the Modality and VOI LUTs can give.

    Windowing maps onto the Modality LUT's output range (as pydicom does),
    and without a VOI LUT that range is what is displayed.
    """
    voi_bits = _lut_bits(ds.get('VOILUTSequence'))
    if voi_bits is not None:  # pydicom prefers the LUT to a window
        return 0, 2**voi_bits - 1
    modality_bits = _lut_bits(ds.get('ModalityLUTSequence'))
    if modality_bits is not None:
        return 0, 2**modality_bits - 1
    if ds.get('PixelRepresentation', 0) == 1:  # signed
        low, high = -2**(bits - 1), 2**(bits - 1) - 1
    else:
        low, high = 0, 2**bits - 1
    if 'RescaleSlope' in ds and 'RescaleIntercept' in ds:
        slope = float(ds.RescaleSlope)
        intercept = float(ds.RescaleIntercept)
        low, high = low * slope + intercept, high * slope + intercept
    return low, high


def _display_pixels(ds: Any, source: str) -> np.ndarray:
    """Steps 1-5 of the module docstring: ``[H, W]`` uint8 grey."""
    from pydicom.pixels import apply_modality_lut, apply_voi_lut
    bits = _check_grey_single_frame(ds, source)
    stored = _stored_values(ds, source)
    if stored.ndim != 2:  # e.g. Number of Frames missing but two frames
        raise ImageReadError(
            source, f'expected one grey DICOM image, but the pixel data '
            f'has shape {stored.shape}')
    _numbers(ds, 'RescaleSlope', 1, source)  # > 0: no flat or inverted LUT
    _numbers(ds, 'RescaleIntercept', 1, source, positive=False)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter('ignore')
            values = apply_voi_lut(apply_modality_lut(stored, ds), ds)
            low, high = _output_range(ds, bits)
    except Exception as err:  # e.g. a Window Width of 0
        raise ImageReadError(
            source, 'cannot apply the DICOM Modality / VOI LUT '
            f'({_one_line(err)})') from None
    depth = max(bits, 8)
    top = 2**depth - 1
    # rounded half up, as scale_to_8_bits rounds
    scaled = np.clip(
        np.floor((values.astype(np.float64) - low) * (top / (high - low)) +
                 0.5), 0, top)
    if ds.PhotometricInterpretation == 'MONOCHROME1':  # 0 is white
        scaled = top - scaled
    return scale_to_8_bits(
        scaled.astype(np.uint8 if depth == 8 else np.uint16), depth)
