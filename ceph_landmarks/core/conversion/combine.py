"""Ground truth from several annotators: the mean of those who placed it.

Policy for a landmark that some annotators did not place: it takes the mean
of the annotators who did (so one annotator's gap does not lose the
landmark); it is invisible (visibility 0, coordinates 0) only when no
annotator placed it. Annotation files judged invalid are left out before
combining, so the mean never includes an ambiguous point. The gaps are
reported by the conversion either way.
"""
from typing import Sequence, Tuple

import numpy as np

from .landmark_points import AnnotatorPoints

__all__ = ['combine_annotators']


def combine_annotators(annotations: Sequence[AnnotatorPoints]
                       ) -> Tuple[np.ndarray, np.ndarray]:
    """Mean landmark positions over the annotators who placed each one.

    Args:
        annotations (Sequence[AnnotatorPoints]): One entry per annotator of
            the same image, all with the same ``K`` landmarks.

    Returns:
        tuple: ``coords`` (np.ndarray[K, 2], mean ``(x, y)`` of the
        annotators who placed the landmark, 0 where none did) and
        ``visible`` (np.ndarray[K], bool, ``True`` where at least one did).

    Raises:
        ValueError: If ``annotations`` is empty or their shapes differ.

    Examples:
        >>> a = AnnotatorPoints('a.json', 'a', np.array([[0., 0.], [4., 4.]]),
        ...                     np.array([True, True]), ['l1', 'l2'])
        >>> b = AnnotatorPoints('b.json', 'b', np.array([[2., 2.], [0., 0.]]),
        ...                     np.array([True, False]), ['l1', 'l2'])
        >>> coords, visible = combine_annotators([a, b])
        >>> coords.tolist(), visible.tolist()
        ([[1.0, 1.0], [4.0, 4.0]], [True, True])
    """
    if not annotations:
        raise ValueError('combine_annotators needs at least one annotation')
    shapes = {a.coords.shape for a in annotations}
    if len(shapes) != 1:
        raise ValueError(f'annotations of {[a.source for a in annotations]} '
                         f'have different landmark counts: {sorted(shapes)}')
    coords = np.stack([a.coords for a in annotations])  # (A, K, 2)
    present = np.stack([a.present for a in annotations])  # (A, K)
    count = present.sum(axis=0)  # (K,)
    total = (coords * present[..., None]).sum(axis=0)  # (K, 2)
    visible = count > 0
    mean = np.zeros_like(total)
    mean[visible] = total[visible] / count[visible, None]
    return mean, visible
