"""Ground truth for inference outputs, from the package's COCO-style JSON.

Inference on annotated images can draw the true landmarks next to the
predicted ones and report the errors. The annotation file is the one the
dataset reads (:class:`ceph_landmarks.datasets.CephalometricDataset`):
COCO keypoints, one annotation per image, ``spacing`` per image. Images are
matched to inference inputs by file name.
"""
import json
import os.path as osp
from dataclasses import dataclass
from typing import Dict, Optional, Sequence, Tuple

import numpy as np

from ..evaluation.functional import radial_errors_mm
from ..evaluation.functional.cephalometric_angles import (
    MEASUREMENTS, cephalometric_angles, resolve_landmarks)
from .inputs import normalize_spacing
from .prediction import ImagePrediction

__all__ = ['GroundTruth', 'load_ground_truth', 'compare_with_ground_truth']


@dataclass
class GroundTruth:
    """The annotated landmarks of one image.

    Attributes:
        keypoints (np.ndarray[K, 2]): True landmarks in pixels.
        visible (np.ndarray[K]): ``True`` where the landmark is annotated.
        spacing (tuple[float, float], optional): ``(sx, sy)`` in mm/px from
            the annotation file, ``None`` when it has none.
    """
    keypoints: np.ndarray
    visible: np.ndarray
    spacing: Optional[Tuple[float, float]]


def load_ground_truth(ann_file: str,
                      num_landmarks: int) -> Dict[str, GroundTruth]:
    """Read the annotations of a COCO-style file, by image file name.

    Args:
        ann_file (str): COCO keypoint JSON (``images`` with ``file_name``
            and optionally ``spacing``, ``annotations`` with
            ``keypoints``).
        num_landmarks (int): Landmarks of the model (``K``).

    Returns:
        dict[str, GroundTruth]: By the base name of ``file_name``.

    Raises:
        FileNotFoundError: If the file does not exist.
        ValueError: If it is not such a JSON, two images share a file name,
            an image has not exactly one annotation, or an annotation has
            a number of keypoints other than ``num_landmarks``.
    """
    if not osp.isfile(ann_file):
        raise FileNotFoundError(f'{ann_file}: no such annotation file')
    try:
        with open(ann_file) as f:
            coco = json.load(f)
        images = coco['images']
        annotations = coco['annotations']
    except (ValueError, KeyError, TypeError) as err:
        raise ValueError(f'{ann_file}: not a COCO keypoint JSON with images '
                         f'and annotations ({err!r})') from err

    by_id = {}
    for ann in annotations:
        by_id.setdefault(ann.get('image_id'), []).append(ann)
    truth: Dict[str, GroundTruth] = {}
    for img in images:
        name = osp.basename(str(img.get('file_name', '')))
        where = f'{ann_file}: image {name!r} (id {img.get("id")})'
        if name in truth:
            raise ValueError(f'{where}: file name used by two images')
        anns = by_id.get(img.get('id'), [])
        if len(anns) != 1:
            raise ValueError(f'{where}: expected exactly one annotation, but '
                             f'found {len(anns)}')
        raw = np.asarray(anns[0].get('keypoints', []), dtype=np.float64)
        if raw.size != 3 * num_landmarks:
            raise ValueError(f'{where}: has {raw.size / 3:g} keypoints, but '
                             f'the model predicts {num_landmarks}')
        raw = raw.reshape(num_landmarks, 3)
        truth[name] = GroundTruth(
            keypoints=raw[:, :2].copy(),
            visible=raw[:, 2] > 0,
            spacing=normalize_spacing(
                img.get('spacing'), f'{where}: spacing'))
    return truth


def compare_with_ground_truth(prediction: ImagePrediction,
                              truth: GroundTruth) -> dict:
    """Errors of a prediction and the angles of the ground truth.

    Args:
        prediction (ImagePrediction): The prediction on the image.
        truth (GroundTruth): Its annotation.

    Returns:
        dict: JSON-ready ``landmarks`` (per landmark ``name``, ``x``, ``y``,
        ``visible``, ``error_px`` and ``error_mm``; ``None`` where not
        annotated or the spacing is unknown), ``MRE_px``, ``MRE_mm`` and
        ``measurements`` (the true angles in degrees, ``None`` where a
        landmark is missing or the angle is undefined).
    """
    pred = prediction.keypoints
    spacing = prediction.spacing or truth.spacing
    scale = np.asarray(spacing if spacing else (1.0, 1.0))
    error_px = np.linalg.norm(pred - truth.keypoints, axis=1)  # (K, )
    error_mm = radial_errors_mm(pred[None], truth.keypoints[None],
                                scale[None])[0] if spacing else None
    names: Sequence[str] = prediction.names
    angles = cephalometric_angles(
        truth.keypoints * scale, names, on_degenerate='nan')
    seen = np.asarray(truth.visible, dtype=bool)  # (K, )
    landmarks = []
    for k, name in enumerate(names):
        landmarks.append(
            dict(
                name=name,
                x=float(truth.keypoints[k, 0]),
                y=float(truth.keypoints[k, 1]),
                visible=bool(seen[k]),
                error_px=float(error_px[k]) if seen[k] else None,
                error_mm=float(error_mm[k])
                if seen[k] and error_mm is not None else None))
    found = resolve_landmarks(names)
    measurements = {}
    for key, value in angles.items():
        annotated = all(seen[found[p]] for p in MEASUREMENTS[key][1])
        measurements[key] = float(value) if annotated and np.isfinite(
            value) else None
    return dict(
        landmarks=landmarks,
        MRE_px=float(error_px[seen].mean()) if seen.any() else None,
        MRE_mm=float(error_mm[seen].mean())
        if seen.any() and error_mm is not None else None,
        measurements=measurements)
