"""Predictions as LabelMe files, for people to correct (pre-annotation).

``tools/infer.py --labelme`` writes ``labelme/<stem>.json`` into the output
folder: one LabelMe 5 file per image that LabelMe opens unchanged, with one
``point`` shape per landmark. The files go straight back through
``data_converters/labelme.py`` once corrected:

* ``label`` is what the LabelMe converter reads by default
  (:func:`~ceph_landmarks.core.conversion.default_label_map`: ``l1``
  is the first landmark of the set, ``l2`` the second...), so no label map
  is needed; the landmark's name is in the ``description``.
* ``description`` also holds the heatmap confidence (``'sella, confidence
  0.873'``) and, with a calibration, the error radius (``'sella,
  confidence 0.873, error radius 1.42 mm'``); a point whose confidence is
  below ``review_below`` (:data:`DEFAULT_REVIEW_BELOW`), or whose error
  radius exceeds ``review_radius`` mm (when given), has the shape flag
  ``review: true``, shown as a ticked box in LabelMe's label dialog
  (:class:`ReviewRule`).
* The image-level quality check
  (:attr:`~ceph_landmarks.core.prediction.ImagePrediction.quality`): a
  verdict ``review`` or ``refuse`` ticks the image flag
  ``quality_review`` or ``quality_refuse`` (top-level ``flags``, shown in
  LabelMe's flag list; ``{}`` for ``ok`` or without a check), and the
  top-level ``quality`` holds the check (verdict and reasons, ``null``
  without one) and ``calibration`` what the radii mean (``null``: no
  calibration, no radii). The converter ignores all three.
* ``imagePath`` is relative to the JSON file. An image LabelMe cannot show
  as the model saw it (DICOM, 16-bit, an EXIF rotation LabelMe would apply)
  gets an 8-bit PNG rendition of the model's input, ``labelme/<stem>.png``,
  and ``imagePath`` names it.
* The top-level ``spacing`` (``[sx, sy]`` mm/px or ``null``) and
  ``spacing_source`` record the pixel spacing and where it came from;
  LabelMe keeps top-level keys it does not know when it saves a file, and
  the converter reads ``spacing`` when no ``--spacing`` or
  ``--spacing-csv`` is given.
* The top-level ``written_sha256`` (:data:`WRITTEN_KEY`) records what was
  written: a SHA-256 of each part of the content a reviewer can change in
  LabelMe (:func:`labelme_digests`: the shapes' labels, types and groups,
  their points, their flags, their descriptions, and the image flags,
  among them the quality flags).
  LabelMe keeps it when it saves, so a later ``tools/infer.py
  --overwrite`` can tell a file someone changed (a point moved, a
  ``review`` box unticked, a note added) from one as written, and refuses
  to replace the former (:func:`.output_folder.labelme_changes`).

Coordinates are written as predicted (pixels of the original image, pixel
centres at integer coordinates, as the converter reads them). A point
predicted outside the image (possible where the model's square input
extends past a narrow image) is placed on the nearest image edge, flagged
for review and its ``description`` says so: the converter refuses points
outside the image.
"""
import hashlib
import json
import os
import os.path as osp
from typing import Any, Dict, List, NamedTuple, Optional, Tuple

import cv2
import numpy as np
from PIL import Image, UnidentifiedImageError

from ..conversion.labelme import default_label_map
from ..prediction import ImagePrediction, Landmark

__all__ = [
    'LABELME_FOLDER', 'DEFAULT_REVIEW_BELOW', 'LABELME_VERSION', 'WRITTEN_KEY',
    'ReviewRule', 'quality_flags', 'labelme_labels', 'point_in_image',
    'labelme_can_open', 'labelme_digests', 'labelme_record',
    'write_labelme_file'
]

#: Sub-folder of the output folder holding the LabelMe files.
LABELME_FOLDER = 'labelme'
#: Confidence below which a point is flagged for review. The confidence is
#: the heatmap peak (about 1 where a trained model is sure), a ranking
#: rather than a probability: set the threshold per model.
DEFAULT_REVIEW_BELOW = 0.5
#: LabelMe file format version written (LabelMe 5 opens it).
LABELME_VERSION = '5.5.0'
#: Top-level key of the digests of the content as written
#: (:func:`labelme_digests`).
WRITTEN_KEY = 'written_sha256'

# Formats and pixel modes LabelMe shows as they are (it decodes images
# with Pillow); anything else gets a PNG rendition.
_LABELME_FORMATS = ('PNG', 'JPEG', 'BMP', 'TIFF')
_LABELME_MODES = ('L', 'RGB')
_EXIF_ORIENTATION = 0x0112


class ReviewRule(NamedTuple):
    """Which predicted points a person should check (LabelMe, report).

    Attributes:
        below (float): Points with a lower heatmap confidence.
        radius (float, optional): Points whose calibrated error radius
            (:attr:`~ceph_landmarks.core.prediction.Landmark.radius_mm`)
            exceeds this many mm; ``None``: not used. A point without a
            radius (no calibration) is never flagged by it.
    """
    below: float = DEFAULT_REVIEW_BELOW
    radius: Optional[float] = None

    def needs_review(self, landmark: Landmark) -> bool:
        """Whether the landmark is flagged for review."""
        if landmark.confidence < self.below:
            return True
        return (self.radius is not None and landmark.radius_mm is not None
                and landmark.radius_mm > self.radius)


def quality_flags(prediction: ImagePrediction) -> Dict[str, bool]:
    """The LabelMe image flags of a prediction's quality check.

    Args:
        prediction (ImagePrediction): The prediction.

    Returns:
        dict[str, bool]: ``{'quality_review': True}`` or
        ``{'quality_refuse': True}`` for those verdicts, else ``{}``.
    """
    quality = prediction.quality
    if quality is None or quality.verdict == 'ok':
        return {}
    return {f'quality_{quality.verdict}': True}


def labelme_labels(num_landmarks: int) -> List[str]:
    """The label of each landmark channel that the LabelMe converter maps
    back to the same channel by default.

    Args:
        num_landmarks (int): Landmarks of the set (``K``).

    Returns:
        list[str]: ``K`` labels in channel order.
    """
    by_channel = {k: label for label, k in default_label_map(num_landmarks)
                  .items()}  # yapf: disable
    return [by_channel[k] for k in range(num_landmarks)]


def point_in_image(x: float, y: float, width: int,
                   height: int) -> Tuple[float, float]:
    """The point, moved onto the nearest image edge if it lies outside.

    Args:
        x (float): Column in pixels.
        y (float): Row in pixels.
        width (int): Image width; ``0 <= x <= width`` is inside, as the
            converters count it.
        height (int): Image height.

    Returns:
        tuple[float, float]: ``(x, y)`` unchanged when inside.
    """
    return min(max(x, 0.0), float(width)), min(max(y, 0.0), float(height))


def labelme_can_open(path: str) -> bool:
    """Whether LabelMe shows an image file with the pixels the model saw.

    True for 8-bit grey or colour PNG, JPEG, BMP and TIFF files (found by
    their content) without an EXIF rotation; false for DICOM, 16-bit and
    other files, and for files Pillow cannot identify.

    Args:
        path (str): Image file.

    Returns:
        bool: Whether ``imagePath`` may point at the file itself.
    """
    try:
        with Image.open(path) as img:
            rotated = img.getexif().get(_EXIF_ORIENTATION, 1) != 1
            return (img.format in _LABELME_FORMATS
                    and img.mode in _LABELME_MODES and not rotated)
    except (OSError, UnidentifiedImageError, ValueError):
        return False


def _number(value: Any) -> Any:
    """A coordinate as a float (LabelMe may save ``10.0`` as ``10``)."""
    try:
        return float(value)
    except (TypeError, ValueError):
        return value


def labelme_digests(record: dict) -> Dict[str, str]:
    """SHA-256 digests of the parts of a LabelMe file a reviewer edits.

    Each part is hashed as canonical JSON (sorted keys, no spaces), in
    shape order: ``shapes`` (label, shape type and group id of each
    shape), ``points`` (as floats), ``flags`` (each shape's, ``{}`` if
    none), ``descriptions`` (``''`` if none) and ``image_flags`` (the
    top-level ``flags``). Other keys (``imageData``, ``version``,
    ``imagePath``...) are left out: LabelMe may rewrite them on saving.

    Args:
        record (dict): LabelMe JSON content.

    Returns:
        dict[str, str]: Hex digest by part.

    Raises:
        KeyError: If there is no ``shapes``.
        TypeError: If ``shapes`` is not a list (``AttributeError`` if its
            items are not objects).
    """
    shapes = record['shapes']
    if not isinstance(shapes, list):
        raise TypeError(f'shapes is a {type(shapes).__name__}, not a list')
    parts = dict(
        shapes=[[s.get('label'),
                 s.get('shape_type'),
                 s.get('group_id')] for s in shapes],
        points=[[[_number(v)
                  for v in point] if isinstance(point, list) else point
                 for point in s.get('points') or []] for s in shapes],
        flags=[s.get('flags') or {} for s in shapes],
        descriptions=[s.get('description') or '' for s in shapes],
        image_flags=record.get('flags') or {})
    return {
        name:
        hashlib.sha256(
            json.dumps(
                value,
                sort_keys=True,
                separators=(',', ':'),
                ensure_ascii=False).encode('utf-8')).hexdigest()
        for name, value in parts.items()
    }


def labelme_record(prediction: ImagePrediction,
                   image_path: str,
                   review_below: float = DEFAULT_REVIEW_BELOW,
                   review_radius: Optional[float] = None) -> dict:
    """The LabelMe file of one prediction.

    Args:
        prediction (ImagePrediction): The landmarks, in the channel order
            of the landmark set.
        image_path (str): ``imagePath``: the image relative to the JSON
            file.
        review_below (float): Points with a lower confidence, and points
            predicted outside the image, get the shape flag
            ``review: true``.
        review_radius (float, optional): Points whose error radius exceeds
            this many mm get it too; ``None``: not used.

    Returns:
        dict: JSON-ready LabelMe 5 content (see the module docstring),
        with the digests of what it holds under :data:`WRITTEN_KEY`.
    """
    labels = labelme_labels(len(prediction.landmarks))
    rule = ReviewRule(review_below, review_radius)
    shapes = []
    for label, lm in zip(labels, prediction.landmarks):
        description = f'{lm.name}, confidence {lm.confidence:.3f}'
        if lm.radius_mm is not None:
            description += f', error radius {lm.radius_mm:.2f} mm'
        x, y = point_in_image(lm.x, lm.y, prediction.width, prediction.height)
        if (x, y) != (lm.x, lm.y):
            description += (f'; predicted outside the image at ({lm.x:.1f}, '
                            f'{lm.y:.1f}), placed on its edge')
        flags: Dict[str, bool] = {}
        if rule.needs_review(lm) or (x, y) != (lm.x, lm.y):
            flags['review'] = True
        shapes.append(
            dict(
                label=label,
                points=[[x, y]],
                group_id=None,
                description=description,
                shape_type='point',
                flags=flags,
                mask=None))
    record = dict(
        version=LABELME_VERSION,
        flags=quality_flags(prediction),
        shapes=shapes,
        imagePath=image_path,
        imageData=None,
        imageHeight=prediction.height,
        imageWidth=prediction.width,
        spacing=list(prediction.spacing) if prediction.spacing else None,
        spacing_source=prediction.spacing_source,
        quality=None
        if prediction.quality is None else prediction.quality.to_dict(),
        calibration=prediction.calibration)
    record[WRITTEN_KEY] = labelme_digests(record)
    return record


def _write_rendition(pixels: np.ndarray, path: str) -> None:
    """Write the model's 8-bit BGR input as PNG (grey if it is grey)."""
    if pixels.ndim == 3 and (pixels == pixels[..., :1]).all():
        pixels = pixels[..., 0]
    if not cv2.imwrite(path, pixels):
        raise OSError(f'cannot write {path}')


def write_labelme_file(prediction: ImagePrediction,
                       pixels: np.ndarray,
                       out_dir: str,
                       stem: str,
                       review_below: float = DEFAULT_REVIEW_BELOW,
                       review_radius: Optional[float] = None) -> List[str]:
    """Write ``<out_dir>/labelme/<stem>.json`` (and a PNG rendition).

    Args:
        prediction (ImagePrediction): Prediction on an image file
            (:attr:`ImagePrediction.image` is its path).
        pixels (np.ndarray): The model's input, ``[H, W, 3]`` uint8 BGR,
            written as ``labelme/<stem>.png`` when LabelMe cannot open the
            file itself (:func:`labelme_can_open`).
        out_dir (str): The output folder (``labelme/`` is created).
        stem (str): Output name of the image.
        review_below (float): See :func:`labelme_record`.
        review_radius (float, optional): See :func:`labelme_record`.

    Returns:
        list[str]: The files written.
    """
    folder = osp.join(out_dir, LABELME_FOLDER)
    os.makedirs(folder, exist_ok=True)
    written = []
    if labelme_can_open(prediction.image):
        image_path = osp.relpath(
            osp.abspath(prediction.image), osp.abspath(folder))
    else:
        image_path = f'{stem}.png'
        _write_rendition(pixels, osp.join(folder, image_path))
        written.append(osp.join(folder, image_path))
    json_file = osp.join(folder, f'{stem}.json')
    with open(json_file, 'w', encoding='utf-8') as f:
        json.dump(
            labelme_record(prediction, image_path.replace(osp.sep, '/'),
                           review_below, review_radius),
            f,
            indent=2)
    return [json_file] + written
