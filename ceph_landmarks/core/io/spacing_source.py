"""Which pixel spacing an input image gets, and where it came from.

In order of precedence: the spacing given for every image (``--spacing``),
the image's row of a spacing table (``--spacing-csv``), the file's own
header (DICOM: Pixel Spacing, or Imager Pixel Spacing, see
:func:`ceph_landmarks.core.io.dicom.header_spacing`), the annotation file
(``--ann-file``), else none. A spacing given that differs from the header's
wins, and a log line names the image and both values. The source is
recorded in every output (``spacing_source``), so that a number in mm can
be traced back.
"""
import logging
from typing import Dict, Optional, Tuple

from ..ground_truth import GroundTruth
from ..log import get_logger
from .dicom import header_spacing
from .inputs import lookup_spacing

__all__ = ['EXPLICIT_SPACING', 'resolve_spacing', 'with_header_spacing']

#: Source text of a spacing given for every image.
EXPLICIT_SPACING = '--spacing'

SpacingXY = Tuple[float, float]


def with_header_spacing(image: str, spacing: Optional[SpacingXY],
                        source: Optional[str]
                        ) -> Tuple[Optional[SpacingXY], Optional[str]]:
    """A spacing given for an image file, else the one in its header.

    Args:
        image (str): The image file.
        spacing (tuple[float, float], optional): Checked ``(sx, sy)``
            mm/px given for it, ``None`` if none.
        source (str, optional): Where ``spacing`` came from.

    Returns:
        tuple: ``(spacing, source)``: the one given if any (logging a
        warning when the header holds a different one), else the header's
        (e.g. ``'DICOM Pixel Spacing'``), else ``(None, None)``.

    Raises:
        ImageReadError: If the file is a corrupt DICOM file or its spacing
            tags are malformed.
    """
    header, header_source = header_spacing(image)
    if spacing is None:
        return header, header_source
    if header is not None and tuple(header) != tuple(spacing):
        get_logger().log(
            logging.WARNING,
            f'{image}: the spacing from {source}, {list(spacing)} mm/px, '
            f'overrides the one in its header, {list(header)} mm/px '
            f'({header_source})')
    return spacing, source


def resolve_spacing(
    image: str,
    spacing: Optional[SpacingXY] = None,
    spacing_table: Optional[Dict[str, SpacingXY]] = None,
    table_name: Optional[str] = None,
    truth: Optional[GroundTruth] = None
) -> Tuple[Optional[SpacingXY], Optional[str]]:
    """The spacing of one image file and its source.

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
        ``'--spacing'``, ``'spacing CSV spacing.csv'``, ``'DICOM Pixel
        Spacing'`` or ``'annotation file val.json'``; ``(None, None)`` when
        the spacing is unknown.

    Raises:
        ImageReadError: If the file is a corrupt DICOM file or its spacing
            tags are malformed.
    """
    given, source = None, None
    if spacing is not None:
        given, source = spacing, EXPLICIT_SPACING
    elif spacing_table is not None:
        given = lookup_spacing(spacing_table, image)
        source = f'spacing CSV {table_name or "(table)"}' if given else None
    given, source = with_header_spacing(image, given, source)
    if given is None and truth is not None and truth.spacing is not None:
        return truth.spacing, f'annotation file {truth.source}'
    return given, source
