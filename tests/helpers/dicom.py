"""Small DICOM radiographs written with pydicom, for the DICOM input tests."""
import os
import os.path as osp
from typing import Optional, Sequence, Tuple

import numpy as np
import pydicom
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.uid import (DigitalXRayImageStorageForPresentation,
                         ExplicitVRLittleEndian, generate_uid)


def make_dicom(pixels: np.ndarray,
               bits_stored: Optional[int] = None,
               photometric: str = 'MONOCHROME2',
               rescale: Optional[Tuple[float, float]] = None,
               window: Optional[Tuple[float, float]] = None,
               pixel_spacing: Optional[Sequence[float]] = None,
               imager_pixel_spacing: Optional[Sequence[float]] = None,
               magnification: Optional[float] = None,
               compress: Optional[str] = None) -> Dataset:
    """A single-frame grey DX image as a pydicom dataset.

    Args:
        pixels (np.ndarray): ``[H, W]`` uint8 or uint16 stored values.
        bits_stored (int, optional): Bits Stored; 8 for uint8 and 16 for
            uint16 pixels if not given.
        photometric (str): ``'MONOCHROME1'`` or ``'MONOCHROME2'``.
        rescale (tuple, optional): Rescale Slope and Intercept.
        window (tuple, optional): Window Center and Width.
        pixel_spacing (sequence, optional): Pixel Spacing, ``(row,
            column)`` mm as DICOM orders it.
        imager_pixel_spacing (sequence, optional): Imager Pixel Spacing,
            ``(row, column)`` mm.
        magnification (float, optional): Estimated Radiographic
            Magnification Factor.
        compress (str, optional): Transfer syntax UID to compress the pixel
            data to, e.g. ``RLELossless`` (pydicom's own encoder) or
            ``JPEG2000Lossless`` (pylibjpeg-openjpeg, at least 32 x 32
            pixels).

    Returns:
        Dataset: With file meta information, ready for ``save_as``.
    """
    meta = FileMetaDataset()
    meta.TransferSyntaxUID = ExplicitVRLittleEndian
    meta.MediaStorageSOPClassUID = DigitalXRayImageStorageForPresentation
    meta.MediaStorageSOPInstanceUID = generate_uid()
    ds = Dataset()
    ds.file_meta = meta
    ds.SOPClassUID = meta.MediaStorageSOPClassUID
    ds.SOPInstanceUID = meta.MediaStorageSOPInstanceUID
    ds.Modality = 'DX'
    ds.Rows, ds.Columns = pixels.shape
    ds.SamplesPerPixel = 1
    ds.PhotometricInterpretation = photometric
    ds.BitsAllocated = pixels.dtype.itemsize * 8
    ds.BitsStored = bits_stored or ds.BitsAllocated
    ds.HighBit = ds.BitsStored - 1
    ds.PixelRepresentation = 0
    ds.PixelData = pixels.tobytes()
    if rescale is not None:
        ds.RescaleSlope, ds.RescaleIntercept = rescale
    if window is not None:
        ds.WindowCenter, ds.WindowWidth = window
    if pixel_spacing is not None:
        ds.PixelSpacing = list(pixel_spacing)
    if imager_pixel_spacing is not None:
        ds.ImagerPixelSpacing = list(imager_pixel_spacing)
    if magnification is not None:
        ds.EstimatedRadiographicMagnificationFactor = magnification
    if compress is not None:
        ds.compress(compress, pixels)
    return ds


def write_dicom(path: str, pixels: np.ndarray, **options) -> str:
    """Write :func:`make_dicom`'s dataset as a DICOM Part 10 file.

    Args:
        path (str): Output file; its folder is created.
        pixels (np.ndarray): ``[H, W]`` uint8 or uint16 stored values.
        **options: :func:`make_dicom`'s options.

    Returns:
        str: ``path``.
    """
    save_dicom(path, make_dicom(pixels, **options))
    return path


def save_dicom(path: str, ds: Dataset) -> str:
    """Save a (possibly edited) dataset with its 128-byte preamble."""
    os.makedirs(osp.dirname(path) or '.', exist_ok=True)
    pydicom.dcmwrite(path, ds, enforce_file_format=True)
    return path
