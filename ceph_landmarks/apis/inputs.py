"""Inputs of inference: image files, folders and globs, images, spacings."""
import csv
import glob
import math
import os
import os.path as osp
from numbers import Real
from typing import Dict, List, Optional, Sequence, Tuple, Union

import numpy as np

from ..datasets.image_loading import load_cephalogram

__all__ = [
    'IMAGE_EXTENSIONS', 'Spacing', 'collect_images', 'load_image',
    'normalize_spacing', 'read_spacing_csv', 'lookup_spacing'
]

#: Extensions of the files taken from a folder (case-insensitive).
IMAGE_EXTENSIONS = ('.png', '.jpg', '.jpeg', '.bmp', '.tif', '.tiff')

#: A pixel spacing in mm/px: one number (square pixels) or ``(sx, sy)``.
Spacing = Union[float, Sequence[float]]


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
            paths = sorted(p for p in glob.glob(item, recursive=True)
                           if osp.isfile(p))
            if not paths:
                raise FileNotFoundError(
                    f'{item}: no such file or folder, and no file matches '
                    'it as a glob pattern')
        found.extend(paths)
    return list(dict.fromkeys(found))


def load_image(path: str) -> np.ndarray:
    """Read an image file as the model's 8-bit BGR input.

    The same loading as in training and testing
    (:func:`~ceph_landmarks.datasets.image_loading.load_cephalogram`): the
    format is found from the file's bytes, not its extension (a JPEG saved
    as ``.tif`` reads), the file is decoded in full, images of more than 8
    bits are scaled by their data bit depth (a 12-bit image's 4095 becomes
    255) and grey images become three equal channels, as MMPose's
    ``LoadImage`` does.

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


def normalize_spacing(spacing: Optional[Spacing],
                      source: str = 'spacing'
                      ) -> Optional[Tuple[float, float]]:
    """Check a pixel spacing and return it as ``(sx, sy)``.

    Args:
        spacing (float | Sequence[float], optional): mm/px, one number or
            ``(sx, sy)``; ``None`` for unknown.
        source (str): What the value is, for the error message.

    Returns:
        tuple[float, float], optional: ``(sx, sy)``, ``None`` for ``None``.

    Raises:
        ValueError: If the spacing is not one or two finite positive
            numbers.
    """
    if spacing is None:
        return None
    if isinstance(spacing, Real):
        values = [float(spacing)]
    else:
        try:
            values = [float(v) for v in np.asarray(spacing).reshape(-1)]
        except (TypeError, ValueError):
            values = []
    if len(values) not in (1, 2) or not all(
            math.isfinite(v) and v > 0 for v in values):
        raise ValueError(f'{source} must be one positive number (mm/px) or '
                         f'(sx, sy), but got {spacing!r}')
    return (values[0], values[-1])


def read_spacing_csv(path: str) -> Dict[str, Tuple[float, float]]:
    """Read per-image pixel spacings from a CSV file.

    The header names an ``image`` column (a file name or a path) and either
    a ``spacing`` column (square pixels) or ``spacing_x`` and
    ``spacing_y``, all in mm/px::

        image,spacing
        001.png,0.1

    Args:
        path (str): The CSV file.

    Returns:
        dict[str, tuple[float, float]]: ``(sx, sy)`` by the ``image`` value.

    Raises:
        FileNotFoundError: If the file does not exist.
        ValueError: If a column is missing, an image is listed twice or a
            spacing is not a positive number (with the line number).
    """
    if not osp.isfile(path):
        raise FileNotFoundError(f'{path}: no such spacing CSV file')
    table: Dict[str, Tuple[float, float]] = {}
    with open(path, newline='') as f:
        reader = csv.DictReader(f)
        columns = set(reader.fieldnames or [])
        if 'image' not in columns or not (
                'spacing' in columns
                or {'spacing_x', 'spacing_y'} <= columns):
            raise ValueError(
                f'{path}: needs the columns image and spacing (or spacing_x '
                f'and spacing_y), but has {sorted(columns)}')
        for row in reader:
            where = f'{path}, line {reader.line_num}'
            image = (row['image'] or '').strip()
            if not image:
                raise ValueError(f'{where}: empty image name')
            if image in table:
                raise ValueError(f'{where}: image {image!r} listed twice')
            raw = [row['spacing']] if row.get('spacing') not in (None, '') \
                else [row.get('spacing_x'), row.get('spacing_y')]
            try:
                values = [float(v) for v in raw]
            except (TypeError, ValueError):
                values = [float('nan')]
            table[image] = normalize_spacing(values, f'spacing at {where}')
    return table


def lookup_spacing(table: Dict[str, Tuple[float, float]],
                   image: str) -> Optional[Tuple[float, float]]:
    """The spacing of an image in a table of :func:`read_spacing_csv`.

    Looked up by the path as given, then its absolute path, then its file
    name.

    Args:
        table (dict): Spacings by image name or path.
        image (str): Image path.

    Returns:
        tuple[float, float], optional: ``(sx, sy)``, ``None`` if absent.
    """
    for key in (image, osp.abspath(image), osp.basename(image)):
        if key in table:
            return table[key]
    return None
