"""Converter inputs (images, LabelMe files) and readers of what a converter
wrote (COCO splits, ``defects.json``)."""
import hashlib
import json
import os
import os.path as osp
from typing import Dict, Iterable, Optional, Sequence, Tuple

import numpy as np
from PIL import Image


def grey_image(width: int, height: int, seed: int = 0) -> np.ndarray:
    """A reproducible uint8 grey image with no zero pixel."""
    rng = np.random.default_rng(seed)
    return rng.integers(1, 256, size=(height, width), dtype=np.uint8)


def save_image(path: str, pixels: np.ndarray, fmt: str = 'PNG') -> str:
    """Save pixels with Pillow in ``fmt``, whatever the file extension."""
    os.makedirs(osp.dirname(path), exist_ok=True)
    Image.fromarray(pixels).save(path, format=fmt)
    return path


def random_points(num: int, width: int, height: int, seed: int) -> np.ndarray:
    """``num`` points well inside a ``width x height`` image."""
    rng = np.random.default_rng(seed)
    return rng.uniform([2, 2], [width - 2, height - 2], size=(num, 2))


def write_labelme(path: str,
                  points: Iterable[Tuple[str, Sequence[float]]],
                  image_path: Optional[str],
                  width: int,
                  height: int,
                  image_data: Optional[str] = None) -> str:
    """Write a LabelMe 5 file with one point shape per ``(label, xy)``."""
    os.makedirs(osp.dirname(path), exist_ok=True)
    shapes = [
        dict(
            label=label,
            points=[list(map(float, xy))],
            group_id=None,
            shape_type='point',
            flags={}) for label, xy in points
    ]
    with open(path, 'w') as f:
        json.dump(
            dict(
                version='5.0.1',
                flags={},
                shapes=shapes,
                imagePath=image_path,
                imageData=image_data,
                imageHeight=height,
                imageWidth=width), f)
    return path


def digests(root: str) -> Dict[str, str]:
    """SHA-256 of every file under ``root`` (to prove inputs untouched)."""
    out = {}
    for folder, _, files in os.walk(root):
        for name in files:
            path = osp.join(folder, name)
            with open(path, 'rb') as f:
                out[osp.relpath(path,
                                root)] = hashlib.sha256(f.read()).hexdigest()
    return out


def load_split(out_dir: str, split: str) -> dict:
    """``annotations/<split>.json`` of a converted dataset."""
    with open(osp.join(out_dir, 'annotations', f'{split}.json')) as f:
        return json.load(f)


def load_defects(out_dir: str) -> list:
    """The ``defects`` list of a converter's ``defects.json``."""
    with open(osp.join(out_dir, 'defects.json')) as f:
        return json.load(f)['defects']


def keypoints_by_file(out_dir: str,
                      splits: Sequence[str]) -> Dict[str, np.ndarray]:
    """``file_name -> keypoints [K, 3]`` over the given splits."""
    result = {}
    for split in splits:
        coco = load_split(out_dir, split)
        names = {img['id']: img['file_name'] for img in coco['images']}
        for ann in coco['annotations']:
            result[names[ann['image_id']]] = np.array(
                ann['keypoints']).reshape(-1, 3)
    return result


def build_dataset(out_dir: str, split: str, landmark_set: str):
    """The converted split as the package's training dataset reads it."""
    from ceph_landmarks.datasets import CephalometricDataset
    return CephalometricDataset(
        landmark_set=landmark_set,
        data_root=out_dir,
        ann_file=f'annotations/{split}.json',
        data_prefix=dict(img='images/'),
        pipeline=[])
