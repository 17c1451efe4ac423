"""Which pixel spacing an input image gets, and where it came from.

In order of precedence: the spacing given for every image (``--spacing``),
the image's row of a spacing table (``--spacing-csv``), the annotation file
(``--ann-file``), else none. The source is recorded in every output
(``spacing_source``), so that a number in mm can be traced back.
"""
from typing import Dict, Optional, Tuple

from .ground_truth import GroundTruth
from .inputs import lookup_spacing

__all__ = ['EXPLICIT_SPACING', 'resolve_spacing']

#: Source text of a spacing given for every image.
EXPLICIT_SPACING = '--spacing'

SpacingXY = Tuple[float, float]


def resolve_spacing(
    image: str,
    spacing: Optional[SpacingXY] = None,
    spacing_table: Optional[Dict[str, SpacingXY]] = None,
    table_name: Optional[str] = None,
    truth: Optional[GroundTruth] = None
) -> Tuple[Optional[SpacingXY], Optional[str]]:
    """The spacing of one image and its source.

    Args:
        image (str): The image file.
        spacing (tuple[float, float], optional): Spacing of every image
            (checked, ``(sx, sy)`` mm/px).
        spacing_table (dict, optional): Spacings by image
            (:func:`~ceph_landmarks.apis.read_spacing_csv`).
        table_name (str, optional): The table's file, for the source text.
        truth (GroundTruth, optional): The image's annotation.

    Returns:
        tuple: ``(spacing, source)``: ``(sx, sy)`` and e.g.
        ``'--spacing'``, ``'spacing CSV spacing.csv'`` or ``'annotation
        file val.json'``; ``(None, None)`` when the spacing is unknown.
    """
    if spacing is not None:
        return spacing, EXPLICIT_SPACING
    if spacing_table is not None:
        found = lookup_spacing(spacing_table, image)
        if found is not None:
            return found, f'spacing CSV {table_name or "(table)"}'
    if truth is not None and truth.spacing is not None:
        return truth.spacing, f'annotation file {truth.source}'
    return None, None
