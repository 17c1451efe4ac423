"""Ground truth for inference outputs, from the package's COCO-style JSON.

Inference on annotated images can draw the true landmarks next to the
predicted ones and report the errors. The annotation file is the one the
dataset reads (:class:`ceph_landmarks.datasets.CephalometricDataset`):
COCO keypoints, one annotation per image, ``spacing`` per image. Images are
matched to inference inputs by file name.
"""
import os.path as osp
from dataclasses import dataclass
from typing import Dict, Optional, Sequence, Tuple

import numpy as np

from .evaluation import measurement_values, radial_errors_mm
from .io.annotations import image_source, load_annotations
from .prediction import ImagePrediction

__all__ = ['GroundTruth', 'load_ground_truth', 'compare_with_ground_truth']


@dataclass
class GroundTruth:
    """The annotated landmarks of one image.

    Attributes:
        keypoints (np.ndarray[K, 2]): True landmarks in pixels.
        visible (np.ndarray[K]): ``True`` where the landmark is annotated.
        spacing (tuple[float, float], optional): ``(sx, sy)`` in mm/px from
            the annotation file; ``None`` (errors in pixels only) is left
            to a ``GroundTruth`` built by hand.
        source (str, optional): The annotation file, named as the source
            of the spacing.
    """
    keypoints: np.ndarray
    visible: np.ndarray
    spacing: Optional[Tuple[float, float]]
    source: Optional[str] = None


def load_ground_truth(ann_file: str,
                      num_landmarks: int,
                      landmark_names: Optional[Sequence[str]] = None
                      ) -> Dict[str, GroundTruth]:
    """Read the annotations of a COCO-style file, by image file name.

    The file must follow the annotation contract of the dataset
    (:func:`ceph_landmarks.core.io.annotations.load_annotations`); on top
    of it, images are matched to inference inputs by file name, so two
    images may not share one (``a/001.png`` and ``b/001.png``).

    Args:
        ann_file (str): The package's COCO keypoint JSON.
        num_landmarks (int): Landmarks of the model (``K``).
        landmark_names (Sequence[str], optional): Their names, for the
            messages.

    Returns:
        dict[str, GroundTruth]: By the base name of ``file_name``.

    Raises:
        FileNotFoundError: If the file does not exist.
        ValueError: If the file breaks the contract (naming the file and
            the image) or two images share a base name.
    """
    truth: Dict[str, GroundTruth] = {}
    owner: Dict[str, dict] = {}
    for record in load_annotations(ann_file, num_landmarks, landmark_names):
        name = osp.basename(record.image['file_name'])
        if name in owner:
            raise ValueError(
                f'{image_source(ann_file, record.image)}: file name {name!r} '
                f'is also that of image id {owner[name]["id"]} '
                f'({owner[name]["file_name"]}); images are matched to '
                'inputs by file name')
        owner[name] = record.image
        truth[name] = GroundTruth(record.keypoints, record.visible,
                                  record.spacing, ann_file)
    return truth


def compare_with_ground_truth(prediction: ImagePrediction,
                              truth: GroundTruth) -> dict:
    """Errors of a prediction, and the measurements of the ground truth.

    Args:
        prediction (ImagePrediction): The prediction on the image.
        truth (GroundTruth): Its annotation.

    Returns:
        dict: JSON-ready ``landmarks`` (per landmark ``name``, ``x``, ``y``,
        ``visible``, ``error_px`` and ``error_mm``; ``None`` where not
        annotated or the spacing is unknown), ``MRE_px``, ``MRE_mm``,
        ``measurements`` (the true value of each measurement of
        ``prediction.measurements`` by key, in its unit; ``None`` where a
        landmark it needs is not annotated, the value is undefined, or a
        mm measure lacks the spacing) and ``measurement_errors`` (predicted
        minus true value by key, ``None`` where either is missing).
    """
    pred = prediction.keypoints
    spacing = prediction.spacing or truth.spacing
    scale = np.asarray(spacing if spacing else (1.0, 1.0))
    error_px = np.linalg.norm(pred - truth.keypoints, axis=1)  # (K, )
    error_mm = radial_errors_mm(pred[None], truth.keypoints[None],
                                scale[None])[0] if spacing else None
    names: Sequence[str] = prediction.names
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
    # a landmark not annotated makes the measurements using it undefined
    annotated = np.where(seen[:, None], truth.keypoints, np.nan)  # (K, 2)
    keys = [m.key for m in prediction.measurements]
    true_values = measurement_values(annotated, names, spacing, keys)
    errors = {
        m.key:
        m.value - true_values[m.key]
        if m.value is not None and true_values[m.key] is not None else None
        for m in prediction.measurements
    }
    return dict(
        landmarks=landmarks,
        MRE_px=float(error_px[seen].mean()) if seen.any() else None,
        MRE_mm=float(error_mm[seen].mean())
        if seen.any() and error_mm is not None else None,
        measurements=true_values,
        measurement_errors=errors)
