"""Inputs of inference: image files, folders and globs, images, spacings.

The spacing functions are those of the annotation contract
(:mod:`ceph_landmarks.core.io.annotations`), re-exported here.
"""
import glob
import os
import os.path as osp
from typing import List, Sequence

import numpy as np

from .annotations import (Spacing, lookup_spacing, normalize_spacing,
                          read_spacing_csv)
from .image_loading import load_cephalogram

__all__ = [
    'IMAGE_EXTENSIONS', 'Spacing', 'collect_images', 'load_image',
    'normalize_spacing', 'read_spacing_csv', 'lookup_spacing'
]

#: Extensions of the files taken from a folder (case-insensitive).
IMAGE_EXTENSIONS = ('.png', '.jpg', '.jpeg', '.bmp', '.tif', '.tiff', '.dcm',
                    '.dicom')


def collect_images(inputs: Sequence[str]) -> List[str]:
    """Expand files, folders and glob patterns into a list of image files.

    A file is taken as it is, whatever its extension (a file that is not an
    image fails later, by name, when it is read). A folder gives its files
    with an extension of :data:`IMAGE_EXTENSIONS`, sorted, not recursing
    into sub-folders. Anything else is a glob pattern (``**`` recurses);
    the files it matches are taken, sorted. Duplicates are kept once, in
    first-seen order.

    Args:
        inputs (Sequence[str]): Paths, folders or glob patterns.

    Returns:
        list[str]: Image file paths.

    Raises:
        FileNotFoundError: If an input is neither a file nor a folder and
            matches no file as a pattern, or a folder holds no image file.
    """
    found: List[str] = []
    for item in inputs:
        if osp.isfile(item):
            paths = [item]
        elif osp.isdir(item):
            paths = sorted(
                osp.join(item, name) for name in os.listdir(item)
                if name.lower().endswith(IMAGE_EXTENSIONS)
                and osp.isfile(osp.join(item, name)))
            if not paths:
                raise FileNotFoundError(
                    f'{item}: folder holds no image file (extensions '
                    f'{", ".join(IMAGE_EXTENSIONS)})')
        else:
            paths = sorted(
                p for p in glob.glob(item, recursive=True) if osp.isfile(p))
            if not paths:
                raise FileNotFoundError(
                    f'{item}: no such file or folder, and no file matches '
                    'it as a glob pattern')
        found.extend(paths)
    return list(dict.fromkeys(found))


def load_image(path: str) -> np.ndarray:
    """Read an image file as the model's 8-bit BGR input.

    The same loading as in training and testing
    (:func:`~ceph_landmarks.core.io.image_loading.load_cephalogram`): the
    format is found from the file's bytes, not its extension (a JPEG saved
    as ``.tif`` reads; DICOM files are found by their ``DICM`` prefix), the
    file is decoded in full, images of more than 8 bits are scaled by their
    data bit depth (a 12-bit image's 4095 becomes 255; DICOM after its
    rescale, window and MONOCHROME1 inversion, see
    :mod:`ceph_landmarks.core.io.dicom`) and grey images become three
    equal channels, as MMPose's ``LoadImage`` does.

    Args:
        path (str): Image file.

    Returns:
        np.ndarray: ``[H, W, 3]`` uint8, BGR.

    Raises:
        FileNotFoundError: If the file does not exist.
        ValueError: If the file is empty, truncated or not a readable
            image (``ImageReadError``: ``'<path>: cannot read image:
            <reason>'``).
    """
    if not osp.isfile(path):
        raise FileNotFoundError(f'{path}: no such image file')
    return load_cephalogram(path)
