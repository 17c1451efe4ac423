"""Downscaled copies of LabelMe datasets, small enough to carry around.

A LabelMe dataset (one folder of JSON files per annotator, the images found
through each file's ``imagePath``) is copied at a lower resolution::

    OUT/images/{image stem}.png              each image once, shrunk by
                                             ``scale`` (``cv2.INTER_AREA``),
                                             lossless PNG, same pixel type
    OUT/annotations/{annotator}/{name}.json  the LabelMe file, every point
                                             times ``scale``
    OUT/spacing_mm.txt                       ``spacing / scale`` (with a
                                             spacing given)
    OUT/README.md                            what the copy is and how to
                                             convert it

Coordinates are continuous, as LabelMe draws them and as the converters
check them (pixel ``i`` spans ``[i, i + 1)``, a point is inside when
``0 <= x <= width``): ``x' = scale * x``. ``cv2.resize`` is given the
factor itself (not a target size), so it samples the source with exactly
that factor; an odd size is rounded half to even, as OpenCV does (1671 rows
at 0.5 give 836), which leaves half a pixel of border, not a shift.

Everything else in a LabelMe file is kept as it is: labels, duplicated or
missing landmarks and all other keys, so that the converter reading the
copy reports the same annotation defects as on the original. The image
fields change: ``imagePath`` names the new PNG (an image stored under a
wrong extension, such as JPEG bytes in a ``.tif``, is decoded by content
and becomes a ``.png``: the converter's ``format_mismatch`` note is lost),
``imageWidth`` / ``imageHeight`` the new size (a file recording a size that
is not its image's gets its recorded size scaled, so that the mismatch
stays; a point just outside an odd-sized image that falls inside the copy
is listed in the notes), a recorded ``spacing`` is divided by ``scale``
and an embedded ``imageData`` (the full-size image) is dropped:
``imagePath`` names the shrunk one.
"""
import copy
import glob
import json
import logging
import os
import os.path as osp
import shutil
from dataclasses import dataclass, field
from numbers import Real
from typing import Callable, Dict, Iterable, List, Optional, Sequence, Tuple

import cv2
import numpy as np

from ..io.image_io import encode_png, read_image
from ..log import get_logger
from .output import StagedOutputDir

__all__ = [
    'check_scale', 'effective_spacing', 'downscale_image', 'downscale_labelme',
    'DownscaleResult', 'downscale_labelme_folders'
]

#: First line of the README of every copy; ``overwrite`` replaces only a
#: folder whose README starts with it.
README_TITLE = '# Downscaled LabelMe copy'

Size = Tuple[int, int]


def check_scale(scale: float) -> float:
    """Return ``scale`` if it shrinks: ``0 < scale <= 1``.

    Raises:
        ValueError: Quoting the value, otherwise.
    """
    if not isinstance(scale, Real) or not 0 < scale <= 1:
        raise ValueError(f'scale must be a number in (0, 1], but got '
                         f'{scale!r}')
    return float(scale)


def effective_spacing(spacing: float, scale: float) -> float:
    """The pixel spacing of the copy, mm/px: ``spacing / scale``.

    Examples:
        >>> effective_spacing(0.144, 0.5)
        0.288
    """
    if not isinstance(spacing, Real) or not spacing > 0:
        raise ValueError(f'spacing must be a positive number (mm/px), but '
                         f'got {spacing!r}')
    return float(spacing) / check_scale(scale)


def scaled_size(width: int, height: int, scale: float) -> Size:
    """``(width, height)`` after :func:`downscale_image`: rounded half to
    even, as OpenCV rounds."""
    return round(width * scale), round(height * scale)


def downscale_image(pixels: np.ndarray,
                    scale: float,
                    source: str = '<array>') -> np.ndarray:
    """Shrink an image by ``scale`` with area averaging.

    Args:
        pixels (np.ndarray): ``[H, W]`` or ``[H, W, C]``, uint8 or uint16.
        scale (float): Factor in (0, 1].
        source (str): The image's name in messages.

    Returns:
        np.ndarray: ``[H', W'(, C)]`` of the same dtype, with
        ``(W', H') = scaled_size(W, H, scale)``.

    Raises:
        ValueError: If a side would shrink to less than half a pixel.
    """
    scale = check_scale(scale)
    if scale == 1:
        return pixels.copy()
    if round(min(pixels.shape[:2]) * scale) < 1:
        raise ValueError(f'{source}: a {pixels.shape[1]} x '
                         f'{pixels.shape[0]} px image shrinks to nothing at '
                         f'scale {scale:g}')
    out = cv2.resize(
        pixels, (0, 0), fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
    expected = scaled_size(pixels.shape[1], pixels.shape[0], scale)
    assert out.shape[1::-1] == expected, (out.shape, expected)
    return out


def _is_number(value: object) -> bool:
    return isinstance(value, Real) and not isinstance(value, bool)


def _moved_inside(data: dict, sizes: Tuple[Size, Size],
                  scale: float) -> List[str]:
    """Labels of points outside the source image but inside the copy (an
    odd size rounded up gains half a pixel of border)."""
    (width, height), (new_width, new_height) = sizes
    return [
        str(shape.get('label')) for shape in data['shapes']
        for x, y in shape['points']
        if not (0 <= x <= width and 0 <= y <= height) and (
            0 <= x * scale <= new_width and 0 <= y * scale <= new_height)
    ]


def _scale_spacing(spacing: object, scale: float) -> object:
    """A recorded ``spacing`` (number or list) divided by ``scale``; a
    malformed one is kept for the converter to report."""
    if _is_number(spacing):
        return spacing / scale
    if isinstance(spacing, list) and spacing and all(
            _is_number(v) for v in spacing):
        return [v / scale for v in spacing]
    return spacing


def downscale_labelme(data: dict,
                      scale: float,
                      source: str,
                      image_path: Optional[str] = None,
                      sizes: Optional[Tuple[Size, Size]] = None) -> dict:
    """A LabelMe file's content for the image shrunk by ``scale``.

    Args:
        data (dict): The LabelMe JSON object (not modified).
        scale (float): Factor in (0, 1].
        source (str): The file, for messages.
        image_path (str, optional): New ``imagePath`` (``imageData`` is
            then set to ``None``); both kept if ``None``.
        sizes (tuple, optional): ``(W, H)`` of the source image and of the
            shrunk one. A file recording the source size gets the new
            size; one recording another size (or without ``sizes``) gets
            its recorded size scaled and rounded.

    Returns:
        dict: A copy with every shape's points times ``scale``, the image
        fields and a recorded ``spacing`` updated, all else unchanged.

    Raises:
        ValueError: Naming ``source`` and the shape, if the file has no
            ``shapes`` list or a shape's points are not ``[x, y]`` numbers.

    Examples:
        >>> out = downscale_labelme(
        ...     dict(shapes=[dict(label='l1', points=[[10.0, 3.0]])],
        ...          imageWidth=40, imageHeight=21), 0.5, 'a.json')
        >>> out['shapes'][0]['points'], out['imageWidth'], out['imageHeight']
        ([[5.0, 1.5]], 20, 10)
    """
    scale = check_scale(scale)
    if not isinstance(data, dict) or not isinstance(data.get('shapes'), list):
        raise ValueError(f'{source}: not a LabelMe file (expected a JSON '
                         'object with a "shapes" list)')
    out = copy.deepcopy(data)
    for i, shape in enumerate(out['shapes']):
        points = shape.get('points') if isinstance(shape, dict) else None
        if not isinstance(points, list) or not all(
                isinstance(p, list) and len(p) == 2 and all(
                    _is_number(v) for v in p) for p in points):
            label = shape.get('label') if isinstance(shape, dict) else None
            raise ValueError(
                f'{source}: shape {i} (label {label!r}) has points '
                f'{points!r}; expected a list of [x, y] numbers')
        shape['points'] = [[x * scale, y * scale] for x, y in points]
    recorded = (data.get('imageWidth'), data.get('imageHeight'))
    if sizes is not None and recorded == tuple(sizes[0]):
        out['imageWidth'], out['imageHeight'] = sizes[1]
    elif all(_is_number(v) for v in recorded):
        out['imageWidth'], out['imageHeight'] = scaled_size(*recorded, scale)
    if image_path is not None:
        out['imagePath'] = image_path
        out['imageData'] = None
    if out.get('spacing') is not None:
        out['spacing'] = _scale_spacing(out['spacing'], scale)
    return out


@dataclass
class DownscaleResult:
    """What :func:`downscale_labelme_folders` wrote.

    Attributes:
        out_dir (str): The copy.
        scale (float): The factor.
        spacing (float, optional): Its pixel spacing (mm/px), ``None``
            without a spacing given.
        annotators (list[str]): Annotator folders under
            ``out_dir/annotations``.
        num_files (int): LabelMe files written.
        num_images (int): Images written.
        notes (list[str]): Source quirks met (e.g. a wrong extension).
    """
    out_dir: str
    scale: float
    spacing: Optional[float]
    annotators: List[str]
    num_files: int
    num_images: int
    notes: List[str] = field(default_factory=list)

    def convert_command(self, out: str = 'data/<name>') -> str:
        """The ``data_converters/labelme.py`` command for the copy."""
        dirs = ' '.join(
            osp.join(self.out_dir, 'annotations', a) for a in self.annotators)
        spacing = (f' --spacing {self.spacing:.10g}'
                   if self.spacing is not None else '')
        return (f'python data_converters/labelme.py --ann-dirs {dirs}'
                f'{spacing} --skip-invalid --out {out}')

    def summary(self) -> str:
        """Closing lines, as the command-line tool prints them."""
        lines = [
            f'Wrote {self.num_images} images and {self.num_files} LabelMe '
            f'files ({", ".join(self.annotators)}) at scale '
            f'{self.scale:g} -> {self.out_dir}'
        ]
        if self.spacing is not None:
            lines.append(f'Spacing of the copy: {self.spacing:.10g} mm/px')
        lines += [f'Note: {n}' for n in self.notes]
        lines.append(f'Convert it with: {self.convert_command()}')
        return '\n'.join(lines)


@dataclass
class _LabelmeFile:
    path: str
    annotator: str
    data: dict
    image: str


def _read_labelme_files(ann_dirs: Sequence[str]) -> List[_LabelmeFile]:
    """Every LabelMe file of the folders, with its image file.

    Raises:
        ValueError: Naming the file, for a folder that does not exist,
            repeated folder names, an unreadable JSON file or one whose
            image is not found.
    """
    names = [osp.basename(osp.normpath(d)) for d in ann_dirs]
    if len(set(names)) != len(names):
        raise ValueError(f'annotator folders must have different names, '
                         f'got {names}')
    files = []
    for folder, name in zip(ann_dirs, names):
        if not osp.isdir(folder):
            raise ValueError(f'annotation folder {folder} does not exist')
        for path in sorted(glob.glob(osp.join(glob.escape(folder), '*.json'))):
            try:
                with open(path, encoding='utf-8') as f:
                    data = json.load(f)
            except (OSError, ValueError) as err:
                raise ValueError(f'{path}: not a readable JSON file '
                                 f'({type(err).__name__}: {err})') from err
            image_path = data.get('imagePath') if isinstance(data,
                                                             dict) else None
            if not isinstance(image_path, str) or not image_path:
                raise ValueError(f'{path}: no imagePath; a copy needs the '
                                 'image file')
            image = osp.normpath(
                osp.join(osp.dirname(path), image_path.replace('\\', '/')))
            if not osp.isfile(image):
                raise ValueError(f'{path}: image {image} (imagePath '
                                 f'{image_path!r}) not found')
            files.append(_LabelmeFile(path, name, data, image))
    if not files:
        raise ValueError(f'no LabelMe .json file in {list(ann_dirs)}')
    return files


def _image_names(files: Sequence[_LabelmeFile]) -> Dict[str, str]:
    """``source image -> images/{stem}.png``, refusing two sources that
    would get the same name."""
    names: Dict[str, str] = {}
    owners: Dict[str, str] = {}
    for item in files:
        real = osp.realpath(item.image)
        name = f'{osp.splitext(osp.basename(item.image))[0]}.png'
        if owners.setdefault(name, real) != real:
            raise ValueError(f'images {owners[name]} and {real} would both '
                             f'become images/{name}; rename one')
        names[real] = name
    return names


def _check_output(out_dir: str, inputs: Iterable[str],
                  overwrite: bool) -> bool:
    """Whether ``out_dir`` holds an earlier copy to replace.

    Raises:
        FileExistsError: If ``out_dir`` is or holds an input, or is a
            non-empty folder without ``overwrite``, or with ``overwrite``
            not an earlier copy, or is not a folder.
    """
    out_real = osp.realpath(out_dir)
    for path in inputs:
        real = osp.realpath(path)
        if real == out_real or real.startswith(out_real + os.sep):
            raise FileExistsError(f'--out {out_dir} holds the input {path}; '
                                  'choose another folder')
    if osp.exists(out_dir) and not osp.isdir(out_dir):
        raise FileExistsError(f'--out {out_dir} exists and is not a folder')
    if not osp.isdir(out_dir) or not os.listdir(out_dir):
        return False
    if not overwrite:
        raise FileExistsError(f'--out {out_dir} exists and is not empty; '
                              'pass --overwrite to replace an earlier copy')
    readme = osp.join(out_dir, 'README.md')
    try:
        with open(readme, encoding='utf-8') as f:
            earlier = f.readline().strip() == README_TITLE
    except OSError:
        earlier = False
    if not earlier:
        raise FileExistsError(
            f'--out {out_dir} is not a copy written by this tool (no '
            f'{readme} starting with {README_TITLE!r}); --overwrite '
            'replaces only those: remove it yourself or choose another '
            'folder')
    return True


def _readme(result: DownscaleResult, source: str, spacing: Optional[float],
            command: Optional[str]) -> str:
    """The text of ``OUT/README.md``."""
    lines = [
        README_TITLE, '',
        f'A copy of the LabelMe dataset `{source}` with every image shrunk '
        f'by {result.scale:g} (OpenCV `INTER_AREA`, lossless PNG, same '
        'pixel type) and every LabelMe point multiplied by it. Labels, '
        'duplicated or missing landmarks and all other fields are as in '
        'the source: annotation defects are left for the converter to '
        'report.', '', f'- images: {result.num_images} in `images/`',
        f'- LabelMe files: {result.num_files} in `annotations/'
        f'{{{",".join(result.annotators)}}}/`'
    ]
    if spacing is not None:
        lines.append(f'- pixel spacing: {spacing:.10g} / {result.scale:g} = '
                     f'{result.spacing:.10g} mm/px (also in '
                     '`spacing_mm.txt`)')
    else:
        lines.append('- pixel spacing: each LabelMe file\'s recorded '
                     f'`spacing`, if any, divided by {result.scale:g}')
    lines += [f'- note: {n}' for n in result.notes]
    if command:
        lines += ['', 'Made with:', '', f'    {command}']
    lines += [
        '', 'Convert it to the package\'s COCO-style data with:', '',
        f'    {result.convert_command()}', ''
    ]
    return '\n'.join(lines)


def _write_copy(root: str, files: Sequence[_LabelmeFile],
                names: Dict[str, str], scale: float, notes: List[str],
                progress: Optional[Callable]) -> int:
    """Write the images and LabelMe files into ``root``; the image count."""
    os.makedirs(osp.join(root, 'images'))
    sizes: Dict[str, Tuple[Size, Size]] = {}
    for item in (progress(files) if progress else files):
        real = osp.realpath(item.image)
        if real not in sizes:
            image = read_image(item.image)
            small = downscale_image(image.pixels, scale, item.image)
            if image.format_mismatch:
                notes.append(f'{item.image}: {image.format} data under a '
                             f'{image.expected_format} file name, written '
                             f'as images/{names[real]}')
            if image.spacing is not None and item.data.get('spacing') is None:
                notes.append(f'{item.image}: the header spacing '
                             f'{list(image.spacing)} mm/px is not kept; '
                             'give the spacing when converting')
            with open(osp.join(root, 'images', names[real]), 'wb') as f:
                f.write(encode_png(small, item.image))
            sizes[real] = ((image.width, image.height), (small.shape[1],
                                                         small.shape[0]))
        out = downscale_labelme(
            item.data,
            scale,
            item.path,
            image_path=f'../../images/{names[real]}',
            sizes=sizes[real])
        moved = _moved_inside(item.data, sizes[real], scale)
        if moved:
            notes.append(f'{item.path}: point(s) {moved} outside the source '
                         'image fall inside the copy')
        folder = osp.join(root, 'annotations', item.annotator)
        os.makedirs(folder, exist_ok=True)
        with open(
                osp.join(folder, osp.basename(item.path)), 'w',
                encoding='utf-8') as f:
            json.dump(out, f, indent=2, ensure_ascii=False)
    return len(sizes)


def downscale_labelme_folders(ann_dirs: Sequence[str],
                              out_dir: str,
                              scale: float,
                              spacing: Optional[float] = None,
                              overwrite: bool = False,
                              source: Optional[str] = None,
                              command: Optional[str] = None,
                              progress: Optional[Callable] = None
                              ) -> DownscaleResult:
    """Write a copy of LabelMe folders shrunk by ``scale`` (see the module
    docstring for the layout).

    The copy is written into a staging folder that becomes ``out_dir``
    only once complete; with ``overwrite``, an earlier copy in
    ``out_dir`` is moved aside meanwhile and removed at the end (put back
    if writing fails).

    Args:
        ann_dirs (Sequence[str]): LabelMe folders, one per annotator (the
            folder name is the annotator's name).
        out_dir (str): Output folder: new or empty, or with ``overwrite``
            an earlier copy.
        scale (float): Factor in (0, 1].
        spacing (float, optional): mm/px of the source images; the copy's
            (``spacing / scale``) goes to ``spacing_mm.txt``.
        overwrite (bool): Whether an earlier copy in ``out_dir`` may be
            replaced.
        source (str, optional): The dataset's name in the README
            (default: the folders).
        command (str, optional): The command that made the copy, for the
            README.
        progress (Callable, optional): Wraps the iterable of files, e.g.
            ``tqdm``.

    Returns:
        DownscaleResult: What was written.

    Raises:
        ValueError: Naming the file, for a bad LabelMe file, a missing or
            unreadable image (:class:`ImageReadError`) or two images that
            would get the same name; naming the value for a bad ``scale``
            or ``spacing``.
        FileExistsError: If ``out_dir`` cannot be used (see above).
    """
    scale = check_scale(scale)
    new_spacing = None if spacing is None else effective_spacing(
        spacing, scale)
    files = _read_labelme_files(ann_dirs)
    names = _image_names(files)
    replace = _check_output(out_dir, [*ann_dirs, *names], overwrite)
    aside = None
    if replace:
        aside = f'{osp.abspath(out_dir).rstrip(os.sep)}.replaced-{os.getpid()}'
        os.rename(out_dir, aside)
    annotators = list(dict.fromkeys(f.annotator for f in files))
    result = DownscaleResult(out_dir, scale, new_spacing, annotators,
                             len(files), 0)
    try:
        with StagedOutputDir(out_dir) as root:
            result.num_images = _write_copy(root, files, names, scale,
                                            result.notes, progress)
            if new_spacing is not None:
                with open(osp.join(root, 'spacing_mm.txt'), 'w') as f:
                    f.write(f'{new_spacing:.10g}\n')
            with open(osp.join(root, 'README.md'), 'w', encoding='utf-8') as f:
                f.write(
                    _readme(result, source or ', '.join(ann_dirs), spacing,
                            command))
    except BaseException:
        if aside is not None:
            os.rename(aside, out_dir)
        raise
    if aside is not None:
        shutil.rmtree(aside)
        get_logger().log(logging.INFO,
                         f'replaced the earlier copy in {out_dir}')
    for note in result.notes:
        get_logger().log(logging.WARNING, note)
    return result
