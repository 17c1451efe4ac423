"""The CL-Detection 2023 challenge dataset (MICCAI 2023).

The images come as one stacked ``.mha`` volume (about 400 x 2400 x 2880 x 3,
8 GB): image ``i`` is slice ``i``, zero-padded at the bottom and right to
the common size. The volume is read one slice at a time with SimpleITK's
streaming reader (never whole), and the padding removed: every all-zero
row at the bottom and all-zero column at the right is cut. Streaming needs
an uncompressed volume, as the challenge distributes it: ITK reads a
compressed ``.mha`` whole before extracting a slice. A truncated download
is found from the header before any slice is read: the images whose bytes
are complete are read, the others fail with a message saying so.

The labels are one JSON file::

    {"points": [{"name": "1", "point": [x, y, z], "scale": "0.1"}, ...]}

``name`` is the landmark number (1-38), ``z`` the 1-based image index and
``scale`` the image's pixel spacing in mm, as a string.
"""
import functools
import json
import math
import os.path as osp
import re
from collections import defaultdict
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np

from ..io.image_io import ImageReadError, LoadedImage
from .defects import Defect
from .landmark_points import collect_landmarks
from .pipeline import Sample
from .splits import seeded_split

__all__ = [
    'MhaStack', 'remove_zero_padding', 'read_cldetection_labels',
    'cldetection2023_samples'
]


def _simpleitk(path: str):
    """SimpleITK, imported when a volume is read: the rest of the core (and
    the light runtime, which does not install it) does without.

    Raises:
        ImageReadError: If SimpleITK is not installed (names the file).
    """
    try:
        import SimpleITK
    except ModuleNotFoundError:
        raise ImageReadError(
            path, 'reading an ITK volume (.mha) needs SimpleITK, which is '
            'not installed: pip install simpleitk==2.5.3 (pinned in '
            'requirements/runtime.txt)') from None
    return SimpleITK


class MhaStack:
    """Reads the images of a stacked volume one slice at a time.

    Args:
        path (str): The ``.mha`` (or other ITK) volume, ``W x H x N`` with
            grey or vector (RGB) pixels.

    Attributes:
        size (tuple[int, int, int]): ``(W, H, N)``.
        num_complete (int): Images whose pixel data the file holds in full:
            ``N`` unless the file is truncated (checked for uncompressed
            ``.mha`` files, the challenge's format; others are trusted).

    Raises:
        ImageReadError: If the file cannot be read or is not 3-D.
    """

    def __init__(self, path: str) -> None:
        self.path = path
        self._sitk = sitk = _simpleitk(path)
        self._reader = sitk.ImageFileReader()
        self._reader.SetFileName(path)
        try:
            self._reader.ReadImageInformation()  # header only
        except RuntimeError as err:
            raise ImageReadError(path, _itk_reason(err)) from None
        self.size = tuple(self._reader.GetSize())
        if len(self.size) != 3:
            raise ImageReadError(
                path, f'expected a 3-D stack of images, got size {self.size}')
        # bytes of one image: W x H x components x bytes per component
        one_pixel = sitk.Image([1, 1], self._reader.GetPixelID(),
                               self._reader.GetNumberOfComponents())
        self._image_bytes = (
            self.size[0] * self.size[1] *
            sitk.GetArrayViewFromImage(one_pixel).nbytes)
        self._data_bytes = _local_data_bytes(path)
        self.num_complete = len(self) if self._data_bytes is None else min(
            len(self), self._data_bytes // self._image_bytes)

    def __len__(self) -> int:
        return self.size[2]

    def read(self, index: int) -> np.ndarray:
        """Pixels of image ``index`` (0-based), padding included.

        Returns:
            np.ndarray: ``[H, W]`` or ``[H, W, C]`` as stored.
        """
        width, height, num = self.size
        if not 0 <= index < num:
            raise IndexError(f'{self.path} has {num} images, no index '
                             f'{index}')
        source = self._source(index)
        if index >= self.num_complete:
            raise ImageReadError(
                source, f'the file is truncated: it holds '
                f'{self._data_bytes} of the {self._image_bytes * num} bytes '
                f'of pixel data its {width} x {height} x {num} header '
                f'announces: images {self.num_complete + 1} to {num} are '
                'cut short or missing (incomplete download?)')
        self._reader.SetExtractIndex([0, 0, index])
        self._reader.SetExtractSize([width, height, 0])  # 0: drop z
        try:
            image = self._reader.Execute()
        except RuntimeError as err:
            raise ImageReadError(source, _itk_reason(err)) from None
        return self._sitk.GetArrayFromImage(image)

    def _source(self, index: int) -> str:
        """Name of image ``index`` (0-based) in messages."""
        return f'{osp.basename(self.path)}[image {index + 1}]'

    def load(self, index: int) -> LoadedImage:
        """Image ``index`` (0-based) without its padding, as grey or BGR.

        Colour slices whose three channels are equal (X-rays stored as RGB)
        become single-channel grey.
        """
        source = self._source(index)
        pixels = remove_zero_padding(self.read(index), source)
        if pixels.ndim == 3:
            if pixels.shape[2] == 3 and (pixels == pixels[..., :1]).all():
                pixels = np.ascontiguousarray(pixels[..., 0])
            elif pixels.shape[2] == 3:
                pixels = np.ascontiguousarray(pixels[..., ::-1])  # RGB->BGR
            else:
                raise ImageReadError(
                    source, f'{pixels.shape[2]} channels; '
                    'expected grey or RGB')
        return LoadedImage(pixels, source, 'array')


def _itk_reason(err: RuntimeError) -> str:
    """ITK's own words from its exception, for a message.

    Drops the C++ source location, the object address and the ``Reason:``
    line (a stale system error: ITK says "No such file or directory" for a
    file that exists but is cut short).
    """
    lines = [
        line for line in str(err).strip().splitlines()
        if not line.startswith('Reason:')
    ]
    text = (lines or [str(err)])[-1].split('ERROR: ', 1)[-1]
    return re.sub(r'^\w+\(0x[0-9a-fA-F]+\): ', '', text)


def _local_data_bytes(path: str) -> Optional[int]:
    """Bytes of pixel data after the header of an uncompressed ``.mha``.

    MetaImage ends its text header with ``ElementDataFile = LOCAL``; the
    pixel data follow up to the end of the file.

    Returns:
        int, optional: The file size minus the header size; ``None`` for a
        compressed file, data in another file (``.mhd``) or another format.
    """
    with open(path, 'rb') as f:
        head = f.read(1 << 16)
    end = re.search(rb'^ElementDataFile *= *LOCAL *\r?\n', head, re.M)
    if end is None or re.search(rb'^CompressedData *= *True',
                                head[:end.start()], re.M):
        return None
    return osp.getsize(path) - end.end()


def remove_zero_padding(pixels: np.ndarray, source: str = '') -> np.ndarray:
    """Cut the all-zero rows at the bottom and columns at the right.

    Args:
        pixels (np.ndarray): ``[H, W]`` or ``[H, W, C]``.
        source (str): Name used in the error message.

    Returns:
        np.ndarray: ``pixels[:last_nonzero_row + 1, :last_nonzero_col + 1]``.

    Raises:
        ImageReadError: If the image is entirely zero.
    """
    nonzero = pixels != 0
    if nonzero.ndim == 3:
        nonzero = nonzero.any(axis=2)
    rows = np.flatnonzero(nonzero.any(axis=1))
    cols = np.flatnonzero(nonzero.any(axis=0))
    if rows.size == 0:
        raise ImageReadError(source or '<array>', 'the image is all zero')
    return pixels[:rows[-1] + 1, :cols[-1] + 1]


def read_cldetection_labels(
        path: str
) -> Dict[int, List[Tuple[str, Sequence[float], Optional[str]]]]:
    """Group the points of the challenge JSON by image.

    Args:
        path (str): The labels JSON.

    Returns:
        dict[int, list]: For each 1-based image index, its points as
        ``(name, (x, y), scale)``.

    Raises:
        ValueError: If the file is not JSON or not in the challenge format
            (naming the file and the first bad entry).
    """
    try:
        with open(path, encoding='utf-8') as f:
            data = json.load(f)
    except ValueError as err:  # JSONDecodeError, UnicodeDecodeError
        raise ValueError(f'{path}: not a JSON file ({err})') from None
    if not isinstance(data, dict) or not isinstance(data.get('points'), list):
        raise ValueError(f'{path}: expected a JSON object with a "points" '
                         'list')
    by_image: Dict[int, list] = defaultdict(list)
    for i, entry in enumerate(data['points']):
        index = _image_index(entry)
        if index is None:
            raise ValueError(f'{path}: points[{i}] = {entry!r}: expected '
                             '{"name", "point": [x, y, z], "scale"} with '
                             'a positive integer image index z')
        scale = entry.get('scale')
        by_image[index].append((str(entry.get('name')), entry['point'][:2],
                                None if scale is None else str(scale)))
    return dict(by_image)


def _image_index(entry: object) -> Optional[int]:
    """The 1-based image index ``z`` of a label entry, ``None`` if bad."""
    point = entry.get('point') if isinstance(entry, dict) else None
    if not isinstance(point, list) or len(point) != 3:
        return None
    try:
        z = float(point[2])
    except (TypeError, ValueError):
        return None
    return int(z) if z.is_integer() and z >= 1 else None


def _spacing(scales: List[Optional[str]],
             source: str) -> Tuple[Optional[float], Optional[Defect]]:
    """The one spacing of an image's points, or a defect."""
    values = set()
    for scale in scales:
        try:
            values.add(float(scale))
        except (TypeError, ValueError):
            values.add(math.nan)
    if len(values) == 1:
        value = values.pop()
        if math.isfinite(value) and value > 0:
            return value, None
    return None, Defect(
        source, 'missing_spacing',
        f'expected one positive "scale" for all points, got '
        f'{sorted(set(map(str, scales)))}')


def cldetection2023_samples(stack_path: str,
                            labels_path: str,
                            landmark_names: Sequence[str],
                            fractions: Optional[Dict[str, float]] = None,
                            seed: int = 0) -> List[Sample]:
    """Samples of the CL-Detection 2023 stack with a seeded split.

    Args:
        stack_path (str): The stacked ``.mha`` volume.
        labels_path (str): The challenge labels JSON.
        landmark_names (Sequence[str]): The 38 landmark names; point name
            ``"k"`` is landmark ``k`` (1-based).
        fractions (dict[str, float], optional): Split fractions. Defaults
            to ``{'train': 0.75, 'val': 0.125, 'test': 0.125}`` (300 / 50
            / 50 of 400 images).
        seed (int): Split seed.

    Returns:
        list[Sample]: One sample per image of the stack, stem ``NNN`` (the
        1-based index).
    """
    stack = MhaStack(stack_path)
    labels = read_cldetection_labels(labels_path)
    num = len(stack)
    extra = sorted(set(labels) - set(range(1, num + 1)))
    if extra:
        raise ValueError(f'{labels_path}: points on image(s) {extra}, but '
                         f'{stack_path} holds {num} images')
    slot_labels = [str(k + 1) for k in range(len(landmark_names))]
    label_map = {label: k for k, label in enumerate(slot_labels)}
    json_name = osp.basename(labels_path)
    width = max(3, len(str(num)))
    stems = [f'{i:0{width}d}' for i in range(1, num + 1)]
    split_of = {
        stem: split
        for split, part in seeded_split(
            stems, fractions or {
                'train': 0.75,
                'val': 0.125,
                'test': 0.125
            }, seed).items()
        for stem in part
    }
    samples = []
    for index, stem in enumerate(stems, start=1):
        source = f'{json_name}[image {index}]'
        points = labels.get(index, [])
        annotations, defects, spacing = [], [], None
        if points:
            annotations.append(
                collect_landmarks(source, 'challenge',
                                  [(n, xy) for n, xy, _ in points], label_map,
                                  slot_labels))
            spacing, defect = _spacing([s for _, _, s in points], source)
            if defect is not None:
                defects.append(defect)
        samples.append(
            Sample(
                stem=stem,
                split=split_of[stem],
                source=f'{osp.basename(stack_path)}[image {index}]',
                load=functools.partial(stack.load, index - 1),
                annotations=annotations,
                spacing=spacing,
                defects=defects))
    return samples
