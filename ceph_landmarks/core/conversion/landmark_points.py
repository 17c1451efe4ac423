"""One annotator's landmarks for one image, gathered from labelled points.

Source formats name their points (LabelMe ``l1``..``l19``, Aariz symbols,
CL-Detection numbers). :func:`collect_landmarks` puts each point in its
landmark slot and reports, by label, what does not fit: a label placed
twice (invalid: which point is meant is unknown), a label outside the
mapping (invalid: probably a typo), a non-finite coordinate (invalid) and a
landmark nobody placed (missing: kept with visibility 0).
"""
from collections import Counter
from dataclasses import dataclass, field
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np

from ..io.annotations import outside_image
from .defects import Defect

__all__ = ['AnnotatorPoints', 'collect_landmarks', 'points_outside_image']


@dataclass
class AnnotatorPoints:
    """The landmarks one annotator placed on one image.

    Attributes:
        source (str): The annotation file, for messages.
        annotator (str): Annotator name (e.g. ``'senior'``).
        coords (np.ndarray[K, 2]): ``(x, y)`` pixels; 0 where not present.
        present (np.ndarray[K]): ``True`` where the landmark was placed once.
        labels (list[str]): Source label of each landmark slot, for
            messages (e.g. ``'l5'``).
        defects (list[Defect]): What is wrong with this file.
    """
    source: str
    annotator: str
    coords: np.ndarray
    present: np.ndarray
    labels: List[str]
    defects: List[Defect] = field(default_factory=list)

    @property
    def valid(self) -> bool:
        """Whether no defect makes the file unusable."""
        return not any(d.severity == 'invalid' for d in self.defects)

    @classmethod
    def unreadable(cls, source: str, annotator: str,
                   slot_labels: Sequence[str],
                   detail: str) -> 'AnnotatorPoints':
        """An annotation file that could not be parsed at all."""
        num = len(slot_labels)
        return cls(source, annotator, np.zeros((num, 2)),
                   np.zeros(num, dtype=bool), list(slot_labels),
                   [Defect(source, 'unreadable_annotation', detail)])


def collect_landmarks(source: str, annotator: str,
                      points: Sequence[Tuple[str, Sequence[float]]],
                      label_to_index: Dict[str, int],
                      slot_labels: Sequence[str]) -> AnnotatorPoints:
    """Place labelled points in landmark slots and report what does not fit.

    Args:
        source (str): The annotation file, named in the defects.
        annotator (str): Annotator name.
        points (Sequence[tuple[str, Sequence[float]]]): ``(label, (x, y))``
            in file order.
        label_to_index (dict[str, int]): Landmark slot of each known label.
        slot_labels (Sequence[str]): Label of each slot, in slot order,
            used to name missing landmarks.

    Returns:
        AnnotatorPoints: Coordinates and presence of the ``K`` slots, with
        the defects found. A duplicated label leaves its slot empty.
    """
    num = len(slot_labels)
    coords = np.zeros((num, 2), dtype=np.float64)
    present = np.zeros(num, dtype=bool)
    defects: List[Defect] = []
    counts = Counter(label for label, _ in points)

    duplicated = [
        label for label in counts
        if counts[label] > 1 and label in label_to_index
    ]
    for label in duplicated:
        defects.append(
            Defect(
                source, 'duplicated_landmark',
                f'landmark label {label!r} appears {counts[label]} times '
                '(which point is meant is unknown)', (label, )))
    unknown = [label for label in counts if label not in label_to_index]
    if unknown:
        defects.append(
            Defect(
                source, 'unknown_label',
                f'label(s) {unknown} not in the label mapping (known '
                f'labels: {list(slot_labels)})', tuple(unknown)))

    bad: List[str] = []
    for label, xy in points:
        if label not in label_to_index or counts[label] > 1:
            continue
        value = _as_xy(xy)
        if value is None:
            bad.append(label)
            continue
        coords[label_to_index[label]] = value
        present[label_to_index[label]] = True
    if bad:
        defects.append(
            Defect(source, 'bad_point',
                   f'label(s) {bad} without a finite (x, y) coordinate',
                   tuple(bad)))

    placed = {
        label_to_index[label]
        for label in counts if label in label_to_index
    }
    missing = [slot_labels[k] for k in range(num) if k not in placed]
    if missing:
        defects.append(
            Defect(source, 'missing_landmark',
                   f'landmark label(s) {missing} not placed', tuple(missing)))
    return AnnotatorPoints(source, annotator, coords, present,
                           list(slot_labels), defects)


def _as_xy(value: Sequence[float]) -> Optional[Tuple[float, float]]:
    """``(x, y)`` as floats, or ``None`` if not two finite numbers."""
    try:
        xy = np.asarray(value, dtype=np.float64).reshape(-1)
    except (TypeError, ValueError):
        return None
    if xy.size != 2 or not np.all(np.isfinite(xy)):
        return None
    return float(xy[0]), float(xy[1])


def points_outside_image(points: AnnotatorPoints, width: int,
                         height: int) -> Optional[Defect]:
    """Report the placed landmarks that lie outside the image.

    A point is inside when ``0 <= x <= width`` and ``0 <= y <= height``
    (pixel edges included: annotation tools allow clicking on the border),
    the rule :func:`~ceph_landmarks.core.io.annotations.outside_image`
    applies to converted datasets too.

    Args:
        points (AnnotatorPoints): One annotator's landmarks.
        width (int): Image width in pixels.
        height (int): Image height in pixels.

    Returns:
        Defect | None: An ``outside_image`` defect naming the labels and
        their coordinates, or ``None`` when every point is inside.
    """
    x, y = points.coords[:, 0], points.coords[:, 1]
    outside = points.present & outside_image(points.coords, width, height)
    if not outside.any():
        return None
    labels = [points.labels[k] for k in np.flatnonzero(outside)]
    where = ', '.join(f'{points.labels[k]} at ({x[k]:.1f}, {y[k]:.1f})'
                      for k in np.flatnonzero(outside))
    return Defect(points.source, 'outside_image',
                  f'point(s) outside the {width} x {height} image: {where}',
                  tuple(labels))
