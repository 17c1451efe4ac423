"""The 'Aariz dataset (Khalid et al., Scientific Data 2025).

Layout (split folder names in any case, e.g. ``train`` or ``Train``)::

    {train,valid,test}/Cephalograms/<id>.<png|jpg|...>
    {train,valid,test}/Annotations/Cephalometric Landmarks/
        {Senior Orthodontists,Junior Orthodontists}/<id>.json
    cephalogram_machine_mappings.csv      cephalogram_id, pixel_size, ...

Each annotation file lists ``landmarks: [{landmark_id, title, symbol,
value: {x, y}}]``; a landmark is matched to the ``aariz`` landmark set by
its symbol (``N``), or else by its title (``Nasion``). Spacing comes from
the CSV's ``pixel_size`` (mm/px) of each ``cephalogram_id``.
"""
import functools
import glob
import json
import os
import os.path as osp
import re
from typing import Dict, List, Optional, Sequence, Tuple

from ..io.annotations import lookup_spacing
from ..io.image_io import EXTENSION_FORMATS, read_image
from .defects import Defect
from .landmark_points import AnnotatorPoints, collect_landmarks
from .pipeline import Sample

__all__ = [
    'AARIZ_SPLITS', 'AARIZ_ANNOTATORS', 'read_aariz_points', 'aariz_samples'
]

#: Output split of each dataset split folder.
AARIZ_SPLITS = {'train': 'train', 'valid': 'val', 'test': 'test'}
#: Annotation folder of each annotator.
AARIZ_ANNOTATORS = {
    'senior': 'Senior Orthodontists',
    'junior': 'Junior Orthodontists'
}
LANDMARK_DIR = osp.join('Annotations', 'Cephalometric Landmarks')
SPACING_CSV = 'cephalogram_machine_mappings.csv'


def _key(text: str) -> str:
    """Case-, space- and quote-insensitive form of a symbol or title."""
    text = re.sub(r"[`'\u2019\u2032]", "'", str(text))
    return re.sub(r'[\s_-]+', '_', text.strip().lower())


def read_aariz_points(path: str, source: str, annotator: str,
                      symbols: Sequence[str],
                      names: Sequence[str]) -> AnnotatorPoints:
    """Read one Aariz annotation file.

    Args:
        path (str): The JSON file.
        source (str): Its name in messages.
        annotator (str): Annotator name.
        symbols (Sequence[str]): Symbol of each landmark of the set.
        names (Sequence[str]): Name of each landmark (the snake_case title).

    Returns:
        AnnotatorPoints: Landmarks by symbol, labels being the symbols.
    """
    lookup = {_key(s): s for s in symbols}
    lookup.update({_key(n): s for n, s in zip(names, symbols)})
    label_map = {s: k for k, s in enumerate(symbols)}
    try:
        with open(path, encoding='utf-8') as f:
            landmarks = json.load(f)['landmarks']
        points = []
        for entry in landmarks:
            symbol = lookup.get(
                _key(entry.get('symbol', '')),
                lookup.get(_key(entry.get('title', ''))))
            value = entry.get('value') or {}
            points.append((symbol
                           or str(entry.get('symbol')), (value.get('x'),
                                                         value.get('y'))))
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as err:
        return AnnotatorPoints.unreadable(
            source, annotator, symbols,
            f'not an Aariz annotation file ({type(err).__name__}: {err})')
    return collect_landmarks(source, annotator, points, label_map, symbols)


def _subdir(parent: str, name: str) -> Optional[str]:
    """``parent/name`` matched case-insensitively, ``None`` if absent."""
    if not osp.isdir(parent):
        return None
    for entry in sorted(os.listdir(parent)):
        if entry.lower() == name.lower() and osp.isdir(
                osp.join(parent, entry)):
            return osp.join(parent, entry)
    return None


def aariz_samples(
    root: str,
    symbols: Sequence[str],
    names: Sequence[str],
    annotators: Sequence[str] = ('senior', 'junior'),
    spacing_table: Optional[Dict[str, Tuple[float, float]]] = None
) -> List[Sample]:
    """Samples of the Aariz dataset in its official splits.

    Args:
        root (str): Dataset folder.
        symbols (Sequence[str]): Landmark symbols of the ``aariz`` set.
        names (Sequence[str]): Landmark names of the ``aariz`` set.
        annotators (Sequence[str]): ``'senior'`` and/or ``'junior'``.
        spacing_table (dict[str, tuple[float, float]]): ``(sx, sy)`` by
            ``cephalogram_id`` (or image file name), as
            :func:`~ceph_landmarks.core.io.annotations.read_spacing_csv`
            reads the dataset's ``pixel_size`` table.

    Returns:
        list[Sample]: One sample per cephalogram, splits ``train``, ``val``
        and ``test``.

    Raises:
        ValueError: If no split folder is found or an annotator is unknown.
    """
    unknown = [a for a in annotators if a not in AARIZ_ANNOTATORS]
    if unknown or not annotators:
        raise ValueError(f'unknown Aariz annotator(s) {unknown}; expected '
                         f'some of {list(AARIZ_ANNOTATORS)}')
    spacing_table = spacing_table or {}
    samples: List[Sample] = []
    found_splits: List[Tuple[str, str]] = []
    for folder, split in AARIZ_SPLITS.items():
        split_dir = _subdir(root, folder)
        if split_dir is not None:
            found_splits.append((split_dir, split))
    if not found_splits:
        raise ValueError(f'{root}: no {list(AARIZ_SPLITS)} folder; expected '
                         'the Aariz layout <split>/Cephalograms and '
                         f'<split>/{LANDMARK_DIR}')
    for split_dir, split in found_splits:
        image_dir = _subdir(split_dir, 'Cephalograms')
        if image_dir is None:
            raise ValueError(f'{split_dir}: no Cephalograms folder')
        images = sorted(
            p for p in glob.glob(osp.join(glob.escape(image_dir), '*'))
            if osp.splitext(p)[1].lower() in EXTENSION_FORMATS)
        for image_path in images:
            stem = osp.splitext(osp.basename(image_path))[0]
            annotations, defects = [], []
            for name in annotators:
                folder = AARIZ_ANNOTATORS[name]
                path = osp.join(split_dir, LANDMARK_DIR, folder,
                                f'{stem}.json')
                source = f'{osp.basename(split_dir)}/{folder}/{stem}.json'
                if osp.isfile(path):
                    annotations.append(
                        read_aariz_points(path, source, name, symbols, names))
                else:
                    defects.append(
                        Defect(source, 'missing_annotation',
                               f'no {name} annotation file'))
            spacing = lookup_spacing(spacing_table, image_path)
            if spacing is None:
                defects.append(
                    Defect(
                        image_path, 'missing_spacing',
                        f'cephalogram_id {stem!r} has no pixel_size in '
                        f'{SPACING_CSV}'))
            samples.append(
                Sample(
                    stem=stem,
                    split=split,
                    source=image_path,
                    load=functools.partial(read_image, image_path),
                    annotations=annotations,
                    spacing=spacing,
                    defects=defects))
    return samples
