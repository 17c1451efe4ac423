"""Ground truth for inference outputs, from the package's COCO-style JSON.

Inference on annotated images can draw the true landmarks next to the
predicted ones and report the errors. The annotation file is the one the
dataset reads (:class:`ceph_landmarks.datasets.CephalometricDataset`):
COCO keypoints, one annotation per image, ``spacing`` per image.

Images are matched to inference inputs by path (:func:`match_ground_truth`):
an input is the image of an entry whose ``file_name``, resolved as the
dataset resolves it (next to the annotation file or in the data root, with
or without ``images/``), is that very file; failing that, the entry whose
``file_name`` shares the longest path suffix with the input (at least the
file name). Two inputs that match one entry equally well (``a/001.png`` and
``b/001.png`` for ``001.png``) are refused: the annotation cannot say which
of the two it is.
"""
import os.path as osp
from dataclasses import dataclass
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np

from .evaluation import measurement_values, radial_errors_mm
from .io.annotations import image_source, load_annotations
from .prediction import ImagePrediction

__all__ = [
    'GroundTruth', 'load_ground_truth', 'match_ground_truth',
    'compare_with_ground_truth'
]


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
            of the spacing; image files are resolved relative to it.
        image_id (int, optional): The image's id in that file, for the
            messages.
    """
    keypoints: np.ndarray
    visible: np.ndarray
    spacing: Optional[Tuple[float, float]]
    source: Optional[str] = None
    image_id: Optional[int] = None


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
        dict[str, GroundTruth]: By ``file_name`` (``/``-separated, as in
        the file; the base name when it names no folder).

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
        truth[_key(record.image['file_name'])] = GroundTruth(
            record.keypoints, record.visible, record.spacing, ann_file,
            record.image.get('id'))
    return truth


def _key(file_name: str) -> str:
    """A ``file_name`` with ``/`` separators and no leading ``./``."""
    return osp.normpath(file_name.replace('\\', '/')).replace(osp.sep, '/')


def _parts(path: str) -> List[str]:
    """The components of a path, from its root to its file name."""
    return [p for p in _key(path).split('/') if p not in ('', '.')]


def _shared_suffix(a: Sequence[str], b: Sequence[str]) -> int:
    """How many trailing path components two paths share."""
    n = 0
    while n < min(len(a), len(b)) and a[-1 - n] == b[-1 - n]:
        n += 1
    return n


def _is_file_of(image: str, key: str, truth: GroundTruth) -> bool:
    """Whether an entry's ``file_name``, resolved next to its annotation
    file or in its data root (with or without ``images/``), is ``image``."""
    if truth.source is None:
        return False
    ann_dir = osp.dirname(osp.abspath(truth.source))
    for root in (ann_dir, osp.dirname(ann_dir)):
        for folder in (root, osp.join(root, 'images')):
            candidate = osp.join(folder, key)
            try:
                if osp.isfile(candidate) and osp.samefile(candidate, image):
                    return True
            except OSError:
                continue
    return False


def _describe_entry(key: str, truth: GroundTruth) -> str:
    """``'image id 3 (a/001.png) of ann.json'``, for the messages."""
    where = f' of {truth.source}' if truth.source else ''
    image_id = f'image id {truth.image_id} ' if truth.image_id is not None \
        else ''
    return f'{image_id}({key}){where}'


def match_ground_truth(images: Sequence[str], truth: Dict[str, GroundTruth]
                       ) -> List[Optional[GroundTruth]]:
    """The annotation of each input image, matched by path.

    An entry is an image's when its ``file_name`` resolves to that file
    (next to the annotation file, or in the data root above it, with or
    without ``images/``); otherwise the entry sharing the longest path
    suffix with the image (at least the file name) is its, provided no
    other entry shares one as long. An entry claimed by several inputs
    goes to the one it resolves to, else to the one sharing the longest
    suffix; the others get none.

    Args:
        images (Sequence[str]): Input image paths.
        truth (dict[str, GroundTruth]): Annotations by ``file_name``
            (:func:`load_ground_truth`; a hand-made dict may use base
            names).

    Returns:
        list[GroundTruth | None]: One per image, ``None`` where no entry
        matches.

    Raises:
        ValueError: If an image matches two entries equally well, or two
            images match one entry equally well (naming the images, the
            entry and the annotation file).

    Examples:
        >>> truth = {'001.png': GroundTruth(np.zeros((1, 2)),
        ...                                 np.ones(1, bool), None)}
        >>> [t is not None for t in match_ground_truth(
        ...     ['x/001.png', 'x/002.png'], truth)]
        [True, False]
    """
    entries = [(key, _parts(key), value) for key, value in truth.items()]
    by_name: Dict[str, list] = {}
    for entry in entries:
        by_name.setdefault(entry[1][-1] if entry[1] else '', []).append(entry)
    claims: Dict[str, List[Tuple[float, int]]] = {}
    for i, image in enumerate(images):
        parts = _parts(osp.abspath(image))
        scored = sorted(
            ((float('inf') if _is_file_of(image, key, value) else
              _shared_suffix(parts, key_parts), key)
             for key, key_parts, value in by_name.get(parts[-1], [])),
            reverse=True)
        if len(scored) > 1 and scored[0][0] == scored[1][0]:
            one, other = (_describe_entry(k, truth[k]) for _, k in scored[:2])
            raise ValueError(
                f'{image} matches {one} and {other} equally well; give '
                'file names that tell them apart')
        if scored:
            claims.setdefault(scored[0][1], []).append((scored[0][0], i))
    matched: List[Optional[GroundTruth]] = [None] * len(images)
    for key, claimants in claims.items():
        claimants.sort(reverse=True)
        if len(claimants) > 1 and claimants[0][0] == claimants[1][0]:
            first, second = (
                images[i] for i in sorted(i for _, i in claimants[:2]))
            raise ValueError(
                f'{first} and {second} both match '
                f'{_describe_entry(key, truth[key])} by their path, so '
                'which one it annotates is unknown; leave out the one it '
                'does not annotate (or predict it in another run)')
        matched[claimants[0][1]] = truth[key]
    return matched


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
