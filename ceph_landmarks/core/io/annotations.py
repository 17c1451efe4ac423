"""The annotation contract: the package's COCO-style JSON and spacing CSV.

Every entry point reads annotations through this module, so the training
and test datasets, ``tools/infer.py --ann-file``, the converters and the
metrics accept and refuse the same files:

* an **annotation file** is a COCO keypoint JSON object with non-empty
  ``images`` and ``annotations`` lists; image ids, file names and
  annotation ids are unique; each image has exactly one annotation (one
  skull); each image entry has positive integer ``width`` and ``height``
  and a ``spacing`` in mm/px; each annotation has one ``[x, y, v]`` per
  landmark with finite numbers, ``v`` in 0, 1, 2, at least one ``v > 0``,
  and every landmark with ``v > 0`` inside the image (:func:`outside_image`,
  the rule the converters apply);
* a **spacing** is one finite positive number (square pixels) or
  ``(sx, sy)`` (:func:`normalize_spacing`);
* a **spacing CSV** has a header naming an image column (``image``; the
  'Aariz table's ``cephalogram_id`` also works) and a spacing column
  (``spacing`` or the 'Aariz ``pixel_size``) or ``spacing_x`` and
  ``spacing_y`` (:func:`read_spacing_csv`).

Errors are ``ValueError`` (``FileNotFoundError`` for a missing file) whose
message starts with the file and names the image id and file name, or the
CSV line.
"""
import csv
import json
import os.path as osp
from collections import Counter, defaultdict
from numbers import Real
from typing import Dict, List, NamedTuple, Optional, Sequence, Tuple, Union

import numpy as np

__all__ = [
    'Spacing', 'normalize_spacing', 'spacing_value', 'read_spacing_csv',
    'lookup_spacing', 'outside_image', 'AnnotatedImage', 'CocoFile',
    'image_source', 'read_coco_file', 'check_annotated_image',
    'load_annotations'
]

#: A pixel spacing in mm/px: one number (square pixels) or ``(sx, sy)``.
Spacing = Union[float, Sequence[float]]

#: Accepted names of the image column of a spacing CSV, in order of use.
IMAGE_COLUMNS = ('image', 'cephalogram_id')
#: Accepted names of its isotropic spacing column, in order of use.
SPACING_COLUMNS = ('spacing', 'pixel_size')


def _is_number(value: object) -> bool:
    """A real number that is not a bool (JSON ``true`` is no coordinate)."""
    return isinstance(value, Real) and not isinstance(value, (bool, np.bool_))


def _spacing_numbers(spacing: object, source: str) -> List[float]:
    """The one or two finite positive numbers of a spacing.

    Raises:
        ValueError: Quoting ``source`` and the value, if it is anything
            else (``None``, a string, three numbers, zero...).
    """
    items = np.asarray(spacing, dtype=object).reshape(-1)
    if not (len(items) in (1, 2) and all(_is_number(v) for v in items)
            and all(np.isfinite(v) and v > 0 for v in items)):
        raise ValueError(f'{source} must be one positive number (mm/px) or '
                         f'(sx, sy), but got {spacing!r}')
    return [float(v) for v in items]


def normalize_spacing(spacing: Optional[Spacing],
                      source: str = 'spacing'
                      ) -> Optional[Tuple[float, float]]:
    """Check a pixel spacing and return it as ``(sx, sy)``.

    Args:
        spacing (float | Sequence[float], optional): mm/px, one number or
            ``(sx, sy)``; ``None`` for unknown.
        source (str): What the value is, for the error message (e.g.
            ``'ann.json: image id 3 (003.png): spacing'``).

    Returns:
        tuple[float, float], optional: ``(sx, sy)``; ``None`` for ``None``.

    Raises:
        ValueError: If the spacing is not one or two finite positive
            numbers.

    Examples:
        >>> normalize_spacing(0.1)
        (0.1, 0.1)
    """
    if spacing is None:
        return None
    values = _spacing_numbers(spacing, source)
    return values[0], values[-1]


def spacing_value(spacing: Spacing,
                  source: str = 'spacing') -> Union[float, List[float]]:
    """A checked spacing as the annotation JSON stores it.

    Args:
        spacing (float | Sequence[float]): mm/px, one number or ``(sx, sy)``.
        source (str): What the value is, for the error message.

    Returns:
        float | list[float]: One number for square pixels, else
        ``[sx, sy]``.

    Raises:
        ValueError: If the spacing is ``None`` or not one or two finite
            positive numbers.

    Examples:
        >>> spacing_value((0.1, 0.1)), spacing_value([0.1, 0.2])
        (0.1, [0.1, 0.2])
    """
    values = _spacing_numbers(spacing, source)
    return values[0] if values[0] == values[-1] else values


def _first_present(names: Sequence[str],
                   columns: Sequence[str]) -> Optional[str]:
    return next((name for name in names if name in columns), None)


def read_spacing_csv(path: str) -> Dict[str, Tuple[float, float]]:
    """Read per-image pixel spacings from a CSV file with a header.

    The header names the image column, ``image`` (a file name such as
    ``001.png``, its stem ``001`` or a path; the 'Aariz table's
    ``cephalogram_id`` is accepted too), and either a ``spacing`` column
    (square pixels; or the 'Aariz ``pixel_size``) or ``spacing_x`` and
    ``spacing_y``, in mm/px. Other columns are ignored. An image listed
    again with the same spacing is kept once::

        image,spacing
        001.png,0.1

    Args:
        path (str): The CSV file.

    Returns:
        dict[str, tuple[float, float]]: ``(sx, sy)`` by the image column's
        value (see :func:`lookup_spacing`).

    Raises:
        FileNotFoundError: If the file does not exist.
        ValueError: If a column is missing, the file has no row, an image
            name is empty, an image is listed twice with different
            spacings or a spacing is not positive (naming the line).

    Examples:
        >>> read_spacing_csv('spacing.csv')  # doctest: +SKIP
        {'001.png': (0.1, 0.1), '002.png': (0.1, 0.12)}
    """
    if not osp.isfile(path):
        raise FileNotFoundError(f'{path}: no such spacing CSV file')
    table: Dict[str, Tuple[float, float]] = {}
    with open(path, newline='', encoding='utf-8-sig') as f:
        reader = csv.DictReader(f)
        columns = [c.strip() for c in reader.fieldnames or []]
        reader.fieldnames = columns
        key = _first_present(IMAGE_COLUMNS, columns)
        value = _first_present(SPACING_COLUMNS, columns)
        per_axis = {'spacing_x', 'spacing_y'} <= set(columns)
        if key is None or (value is None and not per_axis):
            raise ValueError(
                f'{path}: needs the columns image and spacing (or spacing_x '
                f'and spacing_y), but has {columns}')
        for row in reader:
            where = f'{path}, line {reader.line_num}'
            image = (row[key] or '').strip()
            if not image:
                raise ValueError(f'{where}: empty {key} value')
            raw = [row[value]] if value and (row[value] or '').strip() \
                else [row.get('spacing_x'), row.get('spacing_y')]
            try:
                raw = [float(v) for v in raw]
            except (TypeError, ValueError):
                pass  # quoted as read by the error below
            spacing = normalize_spacing(raw[0] if len(raw) == 1 else raw,
                                        f'{where}: spacing of {image!r}')
            if table.get(image, spacing) != spacing:
                raise ValueError(f'{where}: image {image!r} listed twice, '
                                 f'with spacing {table[image]} and {spacing}')
            table[image] = spacing
    if not table:
        raise ValueError(f'{path}: no spacing rows under the header')
    return table


def lookup_spacing(table: Dict[str, Tuple[float, float]],
                   image: str) -> Optional[Tuple[float, float]]:
    """The spacing of an image in a table of :func:`read_spacing_csv`.

    Looked up by the path as given, its absolute path, its file name, then
    its file name without extension.

    Args:
        table (dict[str, tuple[float, float]]): Spacings by image.
        image (str): Image path or name.

    Returns:
        tuple[float, float], optional: ``(sx, sy)``, ``None`` if absent.
    """
    name = osp.basename(image)
    for key in (image, osp.abspath(image), name, osp.splitext(name)[0]):
        if key in table:
            return table[key]
    return None


def outside_image(coords: np.ndarray, width: float,
                  height: float) -> np.ndarray:
    """Which points lie outside an image, pixel edges counting as inside.

    A point is inside when ``0 <= x <= width`` and ``0 <= y <= height``:
    annotation tools allow clicking on the border. Converters and the
    annotation contract both use this rule.

    Args:
        coords (np.ndarray[..., 2]): ``(x, y)`` in pixels.
        width (float): Image width in pixels.
        height (float): Image height in pixels.

    Returns:
        np.ndarray[...]: ``True`` where the point is outside (``False`` for
        non-finite points, which are reported separately).
    """
    coords = np.asarray(coords, dtype=np.float64)
    x, y = coords[..., 0], coords[..., 1]
    return (x < 0) | (y < 0) | (x > width) | (y > height)


class AnnotatedImage(NamedTuple):
    """One image of an annotation file, checked.

    Attributes:
        image (dict): The COCO image entry (``id``, ``file_name``,
            ``width``, ``height``, ``spacing``...).
        annotation (dict): Its one COCO annotation.
        keypoints (np.ndarray[K, 2]): Landmarks ``(x, y)`` in pixels.
        visible (np.ndarray[K]): ``True`` where ``v > 0``.
        spacing (tuple[float, float]): ``(sx, sy)`` in mm/px.
    """
    image: dict
    annotation: dict
    keypoints: np.ndarray
    visible: np.ndarray
    spacing: Tuple[float, float]


class CocoFile(NamedTuple):
    """An annotation file whose structure is checked.

    Attributes:
        path (str): The file.
        pairs (list[tuple[dict, dict]]): Each image entry with its one
            annotation, in the order of ``images``.
        categories (list[dict]): The ``categories`` list (may be empty).
    """
    path: str
    pairs: List[Tuple[dict, dict]]
    categories: List[dict]


def image_source(path: str, image: dict) -> str:
    """``'PATH: image id ID (FILE_NAME)'``, the start of a record's errors."""
    return f'{path}: image id {image.get("id")} ({image.get("file_name")})'


def _entries(path: str, coco: dict, key: str, required: Sequence[str],
             types: Sequence[type]) -> List[dict]:
    """``coco[key]`` as a list of objects with the required typed fields."""
    entries = coco[key]
    for i, entry in enumerate(entries):
        ok = isinstance(entry, dict) and all(
            isinstance(entry.get(f), t) and not isinstance(entry.get(f), bool)
            for f, t in zip(required, types))
        if not ok:
            fields = ', '.join(f'{f!r} ({t.__name__})'
                               for f, t in zip(required, types))
            raise ValueError(f'{path}: {key}[{i}] must be an object with '
                             f'{fields}, but got {entry!r:.200}')
    return entries


def _unique(path: str, what: str, values: Sequence,
            owners: Sequence[str]) -> None:
    """Raise if a value of ``values`` repeats, naming who uses it."""
    counts = Counter(values)
    repeated = next((v for v, n in counts.items() if n > 1), None)
    if repeated is not None:
        users = [o for v, o in zip(values, owners) if v == repeated]
        raise ValueError(f'{path}: {what} {repeated!r} is used {len(users)} '
                         f'times, by {", ".join(users)}; each must be '
                         'unique')


def read_coco_file(path: str) -> CocoFile:
    """Read an annotation file and check its structure.

    Checks that the file is a JSON object with non-empty ``images`` and
    ``annotations`` lists, that image ids, image file names and annotation
    ids are unique, that every annotation refers to an image and that every
    image has exactly one annotation. The records themselves are checked by
    :func:`check_annotated_image`.

    Args:
        path (str): The annotation file.

    Returns:
        CocoFile: Each image entry with its annotation.

    Raises:
        FileNotFoundError: If the file does not exist.
        ValueError: If the file breaks one of the rules above; the message
            starts with ``path`` and names the image id and file name.
    """
    if not osp.isfile(path):
        raise FileNotFoundError(f'{path}: no such annotation file')
    try:
        with open(path, encoding='utf-8') as f:
            coco = json.load(f)
    except ValueError as err:  # JSONDecodeError, UnicodeDecodeError
        raise ValueError(f'{path}: not a JSON file ({err})') from err
    if not isinstance(coco, dict) or not all(
            isinstance(coco.get(k), list) for k in ('images', 'annotations')):
        found = sorted(coco) if isinstance(coco, dict) else type(coco).__name__
        raise ValueError(f'{path}: expected a COCO keypoint JSON object with '
                         f'"images" and "annotations" lists, but got {found}')
    images = _entries(path, coco, 'images', ('id', 'file_name'), (int, str))
    annotations = _entries(path, coco, 'annotations', ('id', 'image_id'),
                           (int, int))
    if not images:
        raise ValueError(f'{path}: no images; an annotation file needs at '
                         'least one annotated image')
    unnamed = next((i for i in images if not i['file_name'].strip()), None)
    if unnamed is not None:
        raise ValueError(f'{path}: image id {unnamed["id"]} has an empty '
                         'file_name')
    _unique(path, 'image id', [i['id'] for i in images],
            [repr(i['file_name']) for i in images])
    _unique(path, 'file name', [i['file_name'] for i in images],
            [f'image id {i["id"]}' for i in images])
    _unique(
        path, 'annotation id', [a['id'] for a in annotations],
        [f'an annotation of image id {a["image_id"]}' for a in annotations])

    by_image = defaultdict(list)
    for ann in annotations:
        by_image[ann['image_id']].append(ann)
    known = {i['id'] for i in images}
    stray = [a for a in annotations if a['image_id'] not in known]
    if stray:
        raise ValueError(f'{path}: annotation id {stray[0]["id"]} refers to '
                         f'image id {stray[0]["image_id"]}, which is not in '
                         '"images"')
    for img in images:
        found = len(by_image[img['id']])
        if found != 1:
            raise ValueError(f'{image_source(path, img)}: expected exactly '
                             f'one annotation, but found {found}')
    categories = coco.get('categories') or []
    return CocoFile(path, [(i, by_image[i['id']][0]) for i in images],
                    categories)


def _check_image_entry(where: str, image: dict) -> Tuple[float, float]:
    """Check ``width``, ``height`` and ``spacing``; return ``(sx, sy)``."""
    size = image.get('width'), image.get('height')
    if not all(
            isinstance(v, int) and not isinstance(v, bool) and v > 0
            for v in size):
        raise ValueError(f'{where}: width and height must be positive '
                         f'integers (pixels), but got {size[0]!r} x '
                         f'{size[1]!r}')
    if 'spacing' not in image:
        raise ValueError(f"{where}: has no 'spacing' (mm per pixel)")
    return normalize_spacing(image['spacing'], f'{where}: spacing')


def _check_box(where: str, annotation: dict) -> None:
    """A ``bbox``, if any, is ``[x, y, w, h]`` with ``w, h > 0``."""
    if 'bbox' not in annotation:
        return
    box = annotation['bbox']
    if not (isinstance(box, list) and len(box) == 4
            and all(_is_number(v) and np.isfinite(v)
                    for v in box) and box[2] > 0 and box[3] > 0):
        raise ValueError(f'{where}: bbox must be [x, y, w, h] with w > 0 '
                         f'and h > 0, but got {box!r}')


def check_annotated_image(image: dict,
                          annotation: dict,
                          num_landmarks: int,
                          landmark_names: Optional[Sequence[str]] = None,
                          path: str = '<annotations>') -> AnnotatedImage:
    """Check one image entry and its annotation.

    Args:
        image (dict): The COCO image entry.
        annotation (dict): Its annotation.
        num_landmarks (int): Landmarks expected (``K``).
        landmark_names (Sequence[str], optional): Their names, for the
            messages; ``landmark 1``.. ``landmark K`` by default.
        path (str): The annotation file, for the messages.

    Returns:
        AnnotatedImage: The record with its keypoints and spacing.

    Raises:
        ValueError: Naming the file, the image id and file name, and the
            landmarks at fault, if the size or spacing is invalid, the
            keypoint count is not ``K``, a coordinate is not finite, a
            visibility is not 0, 1 or 2, a visible landmark lies outside
            the image, or the box is empty.
    """
    where = image_source(path, image)
    names = list(landmark_names
                 or [f'landmark {k + 1}' for k in range(num_landmarks)])
    spacing = _check_image_entry(where, image)
    _check_box(where, annotation)

    raw = annotation.get('keypoints')
    if not isinstance(raw, list) or not all(_is_number(v) for v in raw):
        raise ValueError(f'{where}: keypoints must be a list of numbers '
                         f'[x1, y1, v1, x2, ...], but got {raw!r:.200}')
    if len(raw) != 3 * num_landmarks:
        raise ValueError(f'{where}: has {len(raw) / 3:g} keypoints, but '
                         f'expected {num_landmarks} ([x, y, v] each)')
    raw = np.asarray(raw, dtype=np.float64).reshape(num_landmarks, 3)

    def named(mask: np.ndarray) -> List[str]:
        return [names[k] for k in np.flatnonzero(mask)]

    finite = np.isfinite(raw).all(axis=1)  # (K, )
    if not finite.all():
        raise ValueError(f'{where}: non-finite coordinates for '
                         f'{named(~finite)}')
    flag = raw[:, 2]
    if not np.isin(flag, (0, 1, 2)).all():
        bad = ~np.isin(flag, (0, 1, 2))
        raise ValueError(f'{where}: visibility must be 0, 1 or 2, but got '
                         f'{flag[bad].tolist()} for {named(bad)}')
    visible = flag > 0
    width, height = image['width'], image['height']
    outside = visible & outside_image(raw[:, :2], width, height)
    if outside.any():
        points = ', '.join(f'{names[k]} at ({raw[k, 0]:g}, {raw[k, 1]:g})'
                           for k in np.flatnonzero(outside))
        raise ValueError(f'{where}: landmark(s) outside the {width} x '
                         f'{height} image: {points}')
    return AnnotatedImage(image, annotation, raw[:, :2].copy(), visible,
                          spacing)


def load_annotations(path: str,
                     num_landmarks: int,
                     landmark_names: Optional[Sequence[str]] = None
                     ) -> List[AnnotatedImage]:
    """Read an annotation file and check all of it.

    Args:
        path (str): The annotation file (the package's COCO-style JSON).
        num_landmarks (int): Landmarks expected (``K``).
        landmark_names (Sequence[str], optional): Their names, for the
            messages.

    Returns:
        list[AnnotatedImage]: One record per image, in file order.

    Raises:
        FileNotFoundError: If the file does not exist.
        ValueError: As :func:`read_coco_file` and
            :func:`check_annotated_image`.

    Examples:
        >>> records = load_annotations('val.json', 19)  # doctest: +SKIP
        >>> records[0].keypoints.shape, records[0].spacing  # doctest: +SKIP
        ((19, 2), (0.1, 0.1))
    """
    coco = read_coco_file(path)
    return [
        check_annotated_image(image, ann, num_landmarks, landmark_names, path)
        for image, ann in coco.pairs
    ]
