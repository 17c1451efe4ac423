"""K-fold cross-validation splits of converted COCO-style annotations."""
import json
import os.path as osp
from typing import Dict, List, Sequence, Set, Tuple

import numpy as np

from ..writers.atomic_write import write_json

__all__ = [
    'kfold_parts', 'merge_annotations', 'subset_annotations',
    'write_kfold_annotations'
]


def kfold_parts(keys: Sequence[str], k: int, seed: int) -> List[List[str]]:
    """Split keys into ``k`` disjoint folds, reproducibly.

    The keys are sorted, shuffled with ``seed`` and cut into ``k`` parts
    whose sizes differ by at most one, so the folds depend only on the set
    of keys and the seed.

    Args:
        keys (Sequence[str]): Unique keys (e.g. image file names).
        k (int): Number of folds, at least 2 and at most ``len(keys)``.
        seed (int): Seed of the shuffle.

    Returns:
        list[list[str]]: The sorted keys of each fold.

    Raises:
        ValueError: If keys repeat or ``k`` is out of range.

    Examples:
        >>> [len(p) for p in kfold_parts([str(i) for i in range(11)], 5, 0)]
        [3, 2, 2, 2, 2]
    """
    if len(set(keys)) != len(keys):
        raise ValueError('kfold_parts: keys must be unique')
    if not 2 <= k <= len(keys):
        raise ValueError(f'k must be between 2 and the number of keys '
                         f'({len(keys)}), but got {k}')
    ordered = sorted(keys)
    order = np.random.default_rng(seed).permutation(len(ordered))
    return [
        sorted(ordered[i] for i in part) for part in np.array_split(order, k)
    ]


def merge_annotations(ann_files: Sequence[str]) -> dict:
    """Concatenate COCO files of one dataset (e.g. its train and val).

    Raises:
        ValueError: If two files share an image id or a file name.
    """
    merged: Dict[str, list] = dict(images=[], annotations=[])
    categories, ids, names = None, set(), set()
    for path in ann_files:
        with open(path) as f:
            coco = json.load(f)
        for image in coco['images']:
            if image['id'] in ids or image['file_name'] in names:
                raise ValueError(f'{path}: image {image["file_name"]} (id '
                                 f'{image["id"]}) is already in another '
                                 'annotation file')
            ids.add(image['id'])
            names.add(image['file_name'])
        merged['images'] += coco['images']
        merged['annotations'] += coco['annotations']
        categories = categories or coco.get('categories')
    merged['categories'] = categories or []
    return merged


def subset_annotations(coco: dict, file_names: Set[str]) -> dict:
    """The images of ``coco`` named in ``file_names`` with their
    annotations."""
    images = [i for i in coco['images'] if i['file_name'] in file_names]
    ids = {i['id'] for i in images}
    return dict(
        images=images,
        annotations=[a for a in coco['annotations'] if a['image_id'] in ids],
        categories=coco.get('categories', []))


def write_kfold_annotations(ann_files: Sequence[str], out_dir: str, k: int,
                            seed: int) -> List[Tuple[str, str]]:
    """Write ``fold{i}_train.json`` and ``fold{i}_val.json`` for ``k`` folds.

    The images of ``ann_files`` are pooled and split by file name with
    :func:`kfold_parts`; fold ``i`` validates on part ``i`` and trains on
    the others. Files are written atomically.

    Args:
        ann_files (Sequence[str]): COCO files of one converted dataset.
        out_dir (str): Folder for the fold files.
        k (int): Number of folds.
        seed (int): Seed of the fold assignment.

    Returns:
        list[tuple[str, str]]: ``(train_file, val_file)`` of each fold.
    """
    coco = merge_annotations(ann_files)
    names = [i['file_name'] for i in coco['images']]
    parts = kfold_parts(names, k, seed)
    paths = []
    for i, part in enumerate(parts):
        val = set(part)
        train = set(names) - val
        train_file = osp.join(out_dir, f'fold{i}_train.json')
        val_file = osp.join(out_dir, f'fold{i}_val.json')
        write_json(subset_annotations(coco, train), train_file)
        write_json(subset_annotations(coco, val), val_file)
        paths.append((train_file, val_file))
    return paths
