"""LabelMe point annotations, one folder per annotator.

Each annotator folder holds one LabelMe JSON per image (same file name in
every folder), with ``shapes`` of ``shape_type: "point"`` whose ``label``
names the landmark. The image is found as LabelMe does: ``imagePath``
relative to the JSON file's folder; or, with an image folder, by the base
name of ``imagePath`` (or the JSON stem) in that folder; or, failing both,
from the base64 ``imageData`` embedded in the JSON.

The pixel spacing is the one given (one value, or a per-image table);
without either, a file's top-level ``spacing`` key (``[sx, sy]`` mm/px,
written by ``tools/infer.py --labelme`` and kept by LabelMe when it saves)
is used, else the header of a DICOM image. A spacing given that differs
from the one a file records, or from a DICOM header's, wins, and a log line
says so (the header's as :mod:`~ceph_landmarks.core.io.spacing_source`
words it for ``tools/infer.py``). A DICOM header whose spacing tags are
malformed, and an image without spacing that cannot be read (an empty
file), are ``unreadable_image`` defects naming the real cause, not
``missing_spacing``.
"""
import base64
import binascii
import functools
import glob
import json
import logging
import os.path as osp
from typing import Callable, Dict, List, Optional, Sequence, Tuple, Union

from ..io.annotations import lookup_spacing, normalize_spacing
from ..io.dicom import header_spacing
from ..io.image_io import (EXTENSION_FORMATS, ImageReadError, LoadedImage,
                           decode_image, read_image)
from ..io.spacing_source import EXPLICIT_SPACING, with_header_spacing
from ..log import get_logger
from .defects import Defect
from .landmark_points import AnnotatorPoints, collect_landmarks
from .pipeline import Sample
from .splits import seeded_split

__all__ = [
    'default_label_map', 'load_label_map', 'read_labelme', 'labelme_samples'
]

Spacing = Union[float, Tuple[float, float]]


def default_label_map(num_landmarks: int) -> Dict[str, int]:
    """``{'l1': 0, 'l2': 1, ...}``: label ``lN`` is landmark ``N``."""
    return {f'l{k + 1}': k for k in range(num_landmarks)}


def load_label_map(path: str, landmark_names: Sequence[str]) -> Dict[str, int]:
    """Read a label mapping from JSON: ``{label: landmark}``.

    The landmark is a name of the landmark set (``"sella"``) or a 1-based
    channel number (``1``).

    Args:
        path (str): JSON file.
        landmark_names (Sequence[str]): Landmark names in channel order.

    Returns:
        dict[str, int]: Channel index of each label.

    Raises:
        ValueError: If a landmark is unknown or mapped from two labels.
    """
    with open(path) as f:
        raw = json.load(f)
    if not isinstance(raw, dict):
        raise ValueError(f'{path}: expected a JSON object {{label: '
                         f'landmark}}, got {type(raw).__name__}')
    mapping: Dict[str, int] = {}
    for label, target in raw.items():
        if isinstance(target, int) and 1 <= target <= len(landmark_names):
            mapping[label] = target - 1
        elif isinstance(target, str) and target in landmark_names:
            mapping[label] = list(landmark_names).index(target)
        else:
            raise ValueError(
                f'{path}: label {label!r} maps to {target!r}, which is '
                f'neither a landmark name nor a number 1-'
                f'{len(landmark_names)}; landmarks: {list(landmark_names)}')
    targets = list(mapping.values())
    repeated = sorted(
        {landmark_names[t]
         for t in targets if targets.count(t) > 1})
    if repeated:
        raise ValueError(f'{path}: landmark(s) {repeated} mapped from '
                         'several labels')
    return mapping


def _slot_labels(label_map: Dict[str, int], num: int,
                 landmark_names: Sequence[str]) -> List[str]:
    """Source label of each channel (the landmark name if none maps)."""
    labels = list(landmark_names)[:num]
    for label, k in label_map.items():
        labels[k] = label
    return labels


def read_labelme(path: str, source: str, annotator: str, label_map: Dict[str,
                                                                         int],
                 slot_labels: Sequence[str]) -> Tuple[AnnotatorPoints, dict]:
    """Read one LabelMe file.

    Args:
        path (str): The JSON file.
        source (str): Its name in messages (``annotator/file.json``).
        annotator (str): Annotator name.
        label_map (dict[str, int]): Channel of each label.
        slot_labels (Sequence[str]): Label of each channel.

    Returns:
        tuple: The landmarks (:class:`AnnotatorPoints`, with defects) and
        the file's image fields (``imagePath``, ``imageData``,
        ``imageWidth``, ``imageHeight``) and ``spacing`` (``None`` when
        absent).
    """
    meta = dict(
        imagePath=None,
        imageData=None,
        imageWidth=None,
        imageHeight=None,
        spacing=None)
    try:
        with open(path, encoding='utf-8') as f:
            data = json.load(f)
        labelled, not_points = [], []
        for shape in data['shapes']:
            label = str(shape.get('label'))
            xy = shape.get('points') or []
            if shape.get('shape_type', 'point') != 'point' or len(xy) != 1:
                not_points.append(label)
                xy = [None]
            labelled.append((label, xy[0]))
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as err:
        return AnnotatorPoints.unreadable(
            source, annotator, slot_labels,
            f'not a LabelMe JSON file ({type(err).__name__}: {err})'), meta
    meta.update({k: data.get(k) for k in meta})
    if isinstance(meta['imagePath'], str):  # written on Windows: a\\b.png
        meta['imagePath'] = meta['imagePath'].replace('\\', '/')
    points = collect_landmarks(source, annotator, labelled, label_map,
                               slot_labels)
    if not_points:
        points.defects.append(
            Defect(
                source, 'bad_point',
                f'shape(s) {not_points} are not single points '
                '(shape_type "point")', tuple(not_points)))
    return points, meta


def _find_image(json_path: str, meta: dict, stem: str,
                img_dir: Optional[str]) -> Optional[str]:
    """Image file of a LabelMe annotation, ``None`` if not found."""
    image_path = meta.get('imagePath') or ''
    if img_dir is None:
        candidates = [osp.join(osp.dirname(json_path), image_path)
                      ] if image_path else []
    else:
        candidates = [osp.join(img_dir, osp.basename(image_path))
                      ] if image_path else []
        candidates += sorted(
            p for p in glob.glob(osp.join(glob.escape(img_dir), stem + '.*'))
            if osp.splitext(p)[1].lower() in EXTENSION_FORMATS)
    for path in candidates:
        if osp.isfile(path):
            return osp.normpath(path)
    return None


def _read_embedded(image_data: str, source: str) -> LoadedImage:
    """Decode the base64 ``imageData`` of a LabelMe file."""
    try:
        raw = base64.b64decode(image_data, validate=True)
    except (binascii.Error, TypeError, ValueError) as err:
        raise ImageReadError(source,
                             f'imageData is not valid base64 ({err})') from err
    return decode_image(raw, source)


def _locate_image(stem: str, metas: List[Tuple[str,
                                               dict]], img_dir: Optional[str]
                  ) -> Tuple[str, Optional[Callable], Optional[Defect]]:
    """Image source name, its loader and a ``missing_image`` defect.

    The image is the one named (or embedded) by the first annotation file
    that names or embeds one.
    """
    json_path, meta = next(
        ((p, m) for p, m in metas if m['imagePath'] or m['imageData']),
        metas[0])
    image_path = _find_image(json_path, meta, stem, img_dir)
    if image_path is not None:
        return image_path, functools.partial(read_image, image_path), None
    source = osp.normpath(
        osp.join(osp.dirname(json_path), meta['imagePath'] or stem))
    if meta['imageData']:
        return source, functools.partial(_read_embedded, meta['imageData'],
                                         f'{json_path} (imageData)'), None
    return source, None, Defect(source, 'missing_image',
                                f'image of {json_path} not found')


def _recorded_spacing(
    metas: List[Tuple[str, dict]]
) -> Tuple[Optional[Tuple[float, float]], Optional[str]]:
    """The spacing the LabelMe files of an image record, and an error.

    Returns:
        tuple: ``(sx, sy)`` of the first file recording one (``None`` if
        none does), and why it cannot be used (``None`` if it can): not
        one or two positive numbers, or files that disagree.
    """
    found: Dict[str, Tuple[float, float]] = {}
    for path, meta in metas:
        if meta['spacing'] is None:
            continue
        try:
            found[path] = normalize_spacing(meta['spacing'],
                                            f'{path}: spacing')
        except ValueError as err:
            return None, str(err)
    values = list(found.values())
    if len(set(values)) > 1:
        return None, ('the files record different spacings: ' +
                      ', '.join(f'{path}: {list(value)}'
                                for path, value in found.items()))
    return (values[0] if values else None), None


def _header_spacing(
    image: str, load: Optional[Callable]
) -> Tuple[Optional[Tuple[float, float]], Optional[ImageReadError]]:
    """The spacing in an image file's header (DICOM), ``None`` without
    one, and the error if the header cannot be read or its spacing tags
    are malformed."""
    if load is None or not osp.isfile(image):
        return None, None
    try:
        return header_spacing(image)[0], None
    except ImageReadError as err:
        return None, err


def _given_spacing(image: str, load: Optional[Callable], value: Spacing,
                   source: str) -> Optional[ImageReadError]:
    """Log a warning where a spacing given for an image file differs from
    its header's (:func:`with_header_spacing`); return the error if the
    header cannot be read or its spacing tags are malformed."""
    if load is None or not osp.isfile(image):
        return None
    try:
        with_header_spacing(image, normalize_spacing(value), source)
    except ImageReadError as err:
        return err
    return None


def _unreadable(load: Optional[Callable]) -> Optional[ImageReadError]:
    """Why an image cannot be read (``None`` if it can): asked only of an
    image left without a spacing, whose image would otherwise be blamed on
    the missing spacing."""
    if load is None:
        return None
    try:
        load()
    except ImageReadError as err:
        return err
    return None


def _spacing_defect(image: str, err: ImageReadError) -> Defect:
    """An ``unreadable_image`` defect from an image read error."""
    return Defect(err.source or image, 'unreadable_image', err.reason)


def labelme_samples(ann_dirs: Sequence[str],
                    landmark_names: Sequence[str],
                    label_map: Optional[Dict[str, int]] = None,
                    spacing: Optional[Spacing] = None,
                    spacing_table: Optional[Dict[str, Tuple[float,
                                                            float]]] = None,
                    img_dir: Optional[str] = None,
                    fractions: Optional[Dict[str, float]] = None,
                    seed: int = 0,
                    spacing_table_name: Optional[str] = None) -> List[Sample]:
    """Samples of a LabelMe dataset with one or several annotators.

    Images are matched across annotators by JSON file name. An image that
    one annotator did not annotate gets a ``missing_annotation`` defect and
    uses the others.

    Args:
        ann_dirs (Sequence[str]): One folder per annotator; the folder name
            is the annotator's name.
        landmark_names (Sequence[str]): Landmark names in channel order.
        label_map (dict[str, int], optional): Channel of each label.
            Defaults to ``l1``..``lK``.
        spacing (float | tuple, optional): mm/px of every image.
        spacing_table (dict[str, tuple[float, float]], optional): mm/px by
            image (``read_spacing_csv``), keyed by JSON stem or image file
            name; used when ``spacing`` is None.
            Without either, each image gets the ``spacing`` its LabelMe
            files record, else its DICOM header's (a ``missing_spacing``
            defect where there is none, an ``unreadable_image`` defect
            where the header's is malformed or the image unreadable). A
            spacing given that differs from a DICOM header's is logged.
        img_dir (str, optional): Folder holding the images.
        fractions (dict[str, float], optional): Split fractions (see
            :func:`seeded_split`). Defaults to ``{'train': 0.8, 'val':
            0.2}``.
        seed (int): Split seed.
        spacing_table_name (str, optional): The spacing table's file, named
            in the log line when its spacing differs from a header's.

    Returns:
        list[Sample]: One sample per image, sorted by stem.

    Raises:
        ValueError: If annotator names repeat or no JSON file is found.
    """
    names = [osp.basename(osp.normpath(d)) for d in ann_dirs]
    if len(set(names)) != len(names):
        raise ValueError(f'annotator folders must have different names, '
                         f'got {names}')
    for folder in ann_dirs:
        if not osp.isdir(folder):
            raise ValueError(f'annotation folder {folder} does not exist')
    label_map = label_map or default_label_map(len(landmark_names))
    slot_labels = _slot_labels(label_map, len(landmark_names), landmark_names)
    files = {
        name: {
            osp.splitext(osp.basename(p))[0]: p
            for p in glob.glob(osp.join(glob.escape(folder), '*.json'))
        }
        for name, folder in zip(names, ann_dirs)
    }
    stems = sorted(set().union(*[set(f) for f in files.values()]))
    if not stems:
        raise ValueError(f'no LabelMe .json file in {list(ann_dirs)}')
    split_of = {
        stem: split
        for split, part in seeded_split(
            stems, fractions or {
                'train': 0.8,
                'val': 0.2
            }, seed).items()
        for stem in part
    }

    samples = []
    overridden: List[str] = []
    for stem in stems:
        annotations, metas, defects = [], [], []
        for name in names:
            source = f'{name}/{stem}.json'
            if stem not in files[name]:
                defects.append(
                    Defect(source, 'missing_annotation',
                           'no annotation file by this annotator'))
                continue
            points, meta = read_labelme(files[name][stem], source, name,
                                        label_map, slot_labels)
            annotations.append(points)
            metas.append((files[name][stem], meta))
        image_source, load, defect = _locate_image(stem, metas, img_dir)
        defects += [defect] if defect else []
        recorded, problem = _recorded_spacing(metas)
        value = spacing
        given_source = EXPLICIT_SPACING
        unreadable: Optional[ImageReadError] = None
        if value is None and spacing_table is not None:
            value = spacing_table.get(stem) or lookup_spacing(
                spacing_table, image_source)
            given_source = f'spacing CSV {spacing_table_name or "(table)"}'
            if value is None:
                problem = f'no spacing for {stem!r} in the spacing table'
        elif value is None:
            value = recorded
            if value is None and problem is None:
                value, unreadable = _header_spacing(image_source, load)
            if value is None and problem is None and unreadable is None:
                unreadable = _unreadable(load)
                problem = ('no spacing: the LabelMe file records none; give '
                           'one (--spacing or --spacing-csv)')
            given_source = None
        if value is not None and given_source is not None:
            unreadable = _given_spacing(image_source, load, value,
                                        given_source)
        if unreadable is not None:
            defects.append(_spacing_defect(image_source, unreadable))
        elif value is None:
            defects.append(Defect(image_source, 'missing_spacing', problem))
        elif recorded is not None and normalize_spacing(value) != recorded:
            overridden.append(f'{stem}: {list(recorded)} -> '
                              f'{list(normalize_spacing(value))}')
        size = (metas[0][1]['imageWidth'], metas[0][1]['imageHeight'])
        samples.append(
            Sample(
                stem=stem,
                split=split_of[stem],
                source=image_source,
                load=load,
                annotations=annotations,
                spacing=value,
                defects=defects,
                expected_size=size if all(isinstance(v, int)
                                          for v in size) else None))
    if overridden:
        get_logger().log(
            logging.WARNING,
            f'The spacing given overrides the one recorded in the LabelMe '
            f'files of {len(overridden)} image(s): {"; ".join(overridden)}')
    return samples
