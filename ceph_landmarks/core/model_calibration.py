"""A model's calibration file: error radii and the plausibility check.

A trained model can carry a calibration, a file :data:`CALIBRATION_FILE`
beside its checkpoints that holds

* the error radius of each landmark (a
  :class:`~ceph_landmarks.core.evaluation.conformal.RadiusCalibration`,
  split-conformal on out-of-fold predictions): the true point lies within
  the radius with the nominal probability, e.g. 90 %;
* optionally the statistical shape model of the training configurations
  (:class:`~ceph_landmarks.core.evaluation.shape_plausibility.ShapeModel`)
  that flags implausible or wrongly oriented predictions;
* optionally a review radius: an image whose largest radius exceeds it is
  flagged for review.

:func:`calibrate_prediction` applies it to one
:class:`~ceph_landmarks.core.prediction.ImagePrediction`: radii in mm and
pixels, the quality check, and the measurements' uncertainties (sampled
from the radii: ``measurement_uncertainty`` of
:mod:`ceph_landmarks.core.evaluation.measurement_uncertainty`).

The file is strict JSON::

    {"format": "ceph_landmarks-calibration", "version": 1,
     "description": "...", "review_radius_mm": 3.0 or null,
     "radius": RadiusCalibration.to_dict(),
     "shape": ShapeModel.to_dict() or null}

The radii hold for images like the calibration images: another scanner or
another population needs a new calibration on its own annotated images.
"""
import dataclasses
import json
import math
import os.path as osp
from dataclasses import dataclass
from typing import Any, Dict, List, Mapping, Optional, Sequence

import numpy as np

from .evaluation.conformal import RadiusCalibration
from .evaluation.measurement_uncertainty import measurement_uncertainty
from .evaluation.record_keys import check_keys
from .evaluation.shape_plausibility import ShapeModel, assess_shape
from .prediction import ImagePrediction, QualityCheck
from .writers.atomic_write import write_json

__all__ = [
    'CALIBRATION_FILE', 'CALIBRATION_FORMAT', 'ModelCalibration',
    'calibration_description', 'load_calibration', 'save_calibration',
    'calibrate_prediction', 'quality_check'
]

#: Name of the calibration file beside a model's checkpoints.
CALIBRATION_FILE = 'calibration.json'
#: Value of the file's ``format`` key.
CALIBRATION_FORMAT = 'ceph_landmarks-calibration'
#: The difficulty signal the landmarks of a two-stage prediction carry:
#: :attr:`~ceph_landmarks.core.prediction.Landmark.refine_shift_mm`.
REFINE_SHIFT = 'refine_shift_mm'
#: Version of the file layout this package writes and reads.
MODEL_CALIBRATION_VERSION = 1

_KEYS = {
    'format', 'version', 'description', 'review_radius_mm', 'radius', 'shape'
}


def calibration_description(radius: RadiusCalibration) -> str:
    """A one-line description of what a radius calibration's radii mean.

    Args:
        radius (RadiusCalibration): The radius calibration.

    Returns:
        str: E.g. ``'90 % error radii, split-conformal, fitted on 100
        out-of-fold images: hamedan 5-fold'``, with ``'scaled by
        <signal>'`` for an adaptive radius.

    Examples:
        >>> cal = RadiusCalibration(0.1, ['a', 'b'], [1.0, 2.0],
        ...                         fitted_on='hamedan 5-fold',
        ...                         num_calibration=100)
        >>> calibration_description(cal)
        '90 % error radii, split-conformal, fitted on 100 out-of-fold \
images: hamedan 5-fold'
    """
    percent = f'{100 * radius.nominal_coverage:.4g}'
    scaled = f' scaled by {radius.difficulty}' if radius.adaptive else ''
    text = (f'{percent} % error radii{scaled}, split-conformal, fitted on '
            f'{radius.num_calibration} out-of-fold images')
    return f'{text}: {radius.fitted_on}' if radius.fitted_on else text


@dataclass(eq=False)
class ModelCalibration:
    """Everything a model needs to state how far its points may be off.

    Attributes:
        radius (RadiusCalibration): The error radius of each landmark.
        shape (ShapeModel, optional): The shape model of the plausibility
            check; ``None``: the landmark configuration is not checked.
        description (str): One line saying what the radii mean, copied to
            :attr:`ImagePrediction.calibration` (see
            :func:`calibration_description`).
        review_radius_mm (float, optional): An image whose largest radius
            exceeds this many mm is flagged for review; ``None``: no such
            check.
    """
    radius: RadiusCalibration
    shape: Optional[ShapeModel]
    description: str
    review_radius_mm: Optional[float] = None

    def __post_init__(self) -> None:
        self.review_radius_mm = _check_fields(self.radius, self.shape,
                                              self.description,
                                              self.review_radius_mm,
                                              'ModelCalibration')

    @property
    def landmark_names(self) -> List[str]:
        """list[str]: The ``K`` landmarks, in channel order."""
        return list(self.radius.landmark_names)

    @property
    def nominal_coverage(self) -> float:
        """float: The probability that a radius holds, e.g. 0.9."""
        return self.radius.nominal_coverage

    def to_dict(self) -> Dict[str, Any]:
        """The file's JSON-ready dictionary, read back by :meth:`from_dict`.

        Returns:
            dict: ``format``, ``version``, ``description``,
            ``review_radius_mm``, ``radius`` and ``shape``.
        """
        return dict(
            format=CALIBRATION_FORMAT,
            version=MODEL_CALIBRATION_VERSION,
            description=self.description,
            review_radius_mm=None
            if self.review_radius_mm is None else float(self.review_radius_mm),
            radius=self.radius.to_dict(),
            shape=None if self.shape is None else self.shape.to_dict())

    @classmethod
    def from_dict(cls,
                  d: Mapping[str, Any],
                  source: str = '<dict>') -> 'ModelCalibration':
        """Read a calibration written by :meth:`to_dict`.

        Args:
            d (Mapping): The dictionary, e.g. loaded from the file.
            source (str): Where it came from, named in the errors.

        Returns:
            ModelCalibration: The calibration.

        Raises:
            ValueError: If the dictionary is not a calibration of this
                version, or a key is missing, unknown or invalid; the
                message names ``source`` and the key.
        """
        if not isinstance(d, Mapping):
            raise ValueError(f'{source}: a calibration must be a JSON object, '
                             f'but got {type(d).__name__}')
        if d.get('format') != CALIBRATION_FORMAT:
            raise ValueError(
                f'{source}: not a ceph_landmarks calibration file (key '
                f"'format' is {d.get('format')!r}, expected "
                f'{CALIBRATION_FORMAT!r})')
        if d.get('version') != MODEL_CALIBRATION_VERSION:
            raise ValueError(
                f"{source}: calibration key 'version' is "
                f"{d.get('version')!r}, but this package reads version "
                f'{MODEL_CALIBRATION_VERSION}')
        check_keys(d, 'calibration', _KEYS, set(), source)
        radius = RadiusCalibration.from_dict(d['radius'], source)
        shape = None if d['shape'] is None else ShapeModel.from_dict(
            d['shape'], source)
        review = _check_fields(radius, shape, d['description'],
                               d['review_radius_mm'], source)
        return cls(radius, shape, d['description'], review)


def _check_fields(radius: Any, shape: Any, description: Any, review: Any,
                  source: str) -> Optional[float]:
    """Check the fields of a :class:`ModelCalibration`.

    Returns the review radius as a float (or None); raises ValueError
    naming ``source`` and the key on the first malformed field.
    """
    if not isinstance(radius, RadiusCalibration):
        raise ValueError(f"{source}: calibration key 'radius' must be a "
                         f'RadiusCalibration, but got {type(radius).__name__}')
    if shape is not None:
        if not isinstance(shape, ShapeModel):
            raise ValueError(f"{source}: calibration key 'shape' must be a "
                             f'ShapeModel or None, but got '
                             f'{type(shape).__name__}')
        if shape.landmark_names != radius.landmark_names:
            difference = _name_difference(shape.landmark_names, 'shape',
                                          radius.landmark_names, 'radius')
            raise ValueError(f"{source}: calibration keys 'shape' and "
                             f"'radius' name different landmarks: "
                             f'{difference}')
    if not isinstance(description, str):
        raise ValueError(f"{source}: calibration key 'description' must be a "
                         f'string, but got {type(description).__name__}')
    if review is None:
        return None
    number = isinstance(review, (int, float, np.integer, np.floating))
    positive = number and math.isfinite(review) and review > 0
    if isinstance(review, bool) or not positive:
        raise ValueError(f"{source}: calibration key 'review_radius_mm' must "
                         f'be a positive number or null, but got {review!r}')
    return float(review)


def _name_difference(first: Sequence[str], first_what: str,
                     second: Sequence[str], second_what: str) -> str:
    """Which names one list has and the other lacks, or their order."""
    only_first = [n for n in first if n not in second]
    only_second = [n for n in second if n not in first]
    parts = []
    if only_first:
        parts.append(f'{first_what} only: {only_first}')
    if only_second:
        parts.append(f'{second_what} only: {only_second}')
    if not parts:
        parts.append(f'same names in another order ({first_what}: '
                     f'{list(first)}; {second_what}: {list(second)})')
    return '; '.join(parts)


def _refuse_constant(value: str) -> None:
    raise ValueError(f'not valid JSON: {value}')


def load_calibration(path: str) -> ModelCalibration:
    """Read a calibration file.

    Args:
        path (str): The file, or a folder holding :data:`CALIBRATION_FILE`
            (a model's work folder).

    Returns:
        ModelCalibration: The calibration.

    Raises:
        OSError: If the file cannot be read (``FileNotFoundError`` if it
            does not exist); the message names the path.
        ValueError: If it is not strict JSON (NaN and Infinity are
            refused), not a calibration of this version, or malformed; the
            message names the path and the key.
    """
    if osp.isdir(path):
        path = osp.join(path, CALIBRATION_FILE)
    try:
        with open(path, encoding='utf-8') as f:
            text = f.read()
    except OSError as err:
        raise type(err)(f'{path}: cannot read the calibration file '
                        f'({err.strerror or err})') from None
    try:
        data = json.loads(text, parse_constant=_refuse_constant)
    except ValueError as err:  # json.JSONDecodeError is a ValueError
        raise ValueError(f'{path}: not a calibration file: {err}') from None
    return ModelCalibration.from_dict(data, path)


def save_calibration(calibration: ModelCalibration,
                     path: str,
                     overwrite: bool = False) -> str:
    """Write a calibration file (strict JSON, written atomically).

    Args:
        calibration (ModelCalibration): The calibration.
        path (str): The file, or a folder in which :data:`CALIBRATION_FILE`
            is written (missing folders are created).
        overwrite (bool): Replace an existing file; otherwise an existing
            file is refused.

    Returns:
        str: The file written.

    Raises:
        FileExistsError: If the file exists and ``overwrite`` is False.
        OSError: If it cannot be written; the message names the path.
    """
    if osp.isdir(path):
        path = osp.join(path, CALIBRATION_FILE)
    if osp.lexists(path) and not overwrite:
        raise FileExistsError(f'{path}: a calibration file exists already; '
                              f'pass overwrite=True to replace it')
    write_json(calibration.to_dict(), path, indent=1)
    return path


def _pixel_radii(radii_mm: np.ndarray,
                 spacing: Optional[Sequence[float]]) -> Optional[np.ndarray]:
    """Radii in pixels: mm over the mean of the two spacings."""
    if not spacing:
        return None
    mean = float(np.mean(np.asarray(spacing, dtype=np.float64)))
    if not (math.isfinite(mean) and mean > 0):
        raise ValueError(f'the prediction has an invalid pixel spacing '
                         f'{spacing!r}')
    return radii_mm / mean


def quality_check(calibration: ModelCalibration, keypoints: np.ndarray,
                  radii_mm: np.ndarray) -> Optional[QualityCheck]:
    """The image check of a calibration: the shape model's verdict on the
    predicted points, raised to ``'review'`` (with a reason) where a radius
    exceeds the review radius.

    Args:
        calibration (ModelCalibration): The calibration.
        keypoints (np.ndarray): Predicted points ``[K, 2]`` in pixels.
        radii_mm (np.ndarray): Their radii ``[K]`` in mm.

    Returns:
        QualityCheck, optional: ``None`` when the calibration has neither a
        shape model nor a review radius (nothing is checked).
    """
    if calibration.shape is None and calibration.review_radius_mm is None:
        return None
    check = QualityCheck('ok', [])
    if calibration.shape is not None:
        if not np.isfinite(keypoints).all():
            check = QualityCheck('refuse', [
                'some predicted landmarks have no position: the landmark '
                'configuration cannot be checked'
            ])
        else:
            verdict = assess_shape(calibration.shape, keypoints)
            check = QualityCheck(
                verdict.verdict, list(verdict.reasons),
                verdict.distance if math.isfinite(verdict.distance) else None,
                verdict.rotation_deg
                if math.isfinite(verdict.rotation_deg) else None)
    limit = calibration.review_radius_mm
    if limit is not None:
        large = [(name, r)
                 for name, r in zip(calibration.landmark_names, radii_mm)
                 if r > limit]
        if large:
            listed = ', '.join(f'{n} ({r:.1f} mm)' for n, r in large)
            check.reasons.append(
                f'error radius above {limit:g} mm at {listed}: check these '
                f'points')
            if check.verdict == 'ok':
                check.verdict = 'review'
    return check


def _no_refine_shift(prediction: ImagePrediction) -> str:
    """Why a prediction has no ``refine_shift_mm`` for a calibration that
    scales with it."""
    if not prediction.spacing:
        why = 'the image has no pixel spacing'
    elif all(lm.refine_shift_mm is None for lm in prediction.landmarks):
        why = 'the prediction has no refinement stage'
    else:
        why = 'some landmarks have no position'
    return (f'{prediction.image}: the calibration scales the radii with '
            f"{REFINE_SHIFT!r}, the distance between the first-stage and the "
            f'refined point, which this prediction lacks ({why}): predict '
            'with the model and its refinement stage (as calibrated) and '
            'give the pixel spacing')


def calibrate_prediction(prediction: ImagePrediction,
                         calibration: ModelCalibration,
                         difficulties: Optional[Mapping[str, np.ndarray]]
                         ) -> ImagePrediction:
    """Add a calibration's radii, quality check and uncertainties.

    * Radii: :meth:`RadiusCalibration.radius_mm` of the calibration's
      difficulty signal (its values from ``difficulties``); in pixels
      divided by the mean of the two pixel spacings (``None`` without the
      spacing).
    * Quality: ``assess_shape`` (of
      :mod:`ceph_landmarks.core.evaluation.shape_plausibility`) of the
      predicted points when the calibration has a shape model;
      ``'review'`` (at least) with a reason when a radius exceeds
      ``review_radius_mm``. ``None`` when the calibration has neither, so
      that nothing pretends the image was checked; without a shape model
      but with a review radius, only the radii are checked
      (``shape_distance`` and ``rotation_deg`` stay ``None``).
    * Measurement uncertainties: ``measurement_uncertainty`` (of
      :mod:`ceph_landmarks.core.evaluation.measurement_uncertainty`) with
      the radii in pixels at the calibration's nominal coverage, 500
      seeded draws. They need the pixel spacing (the radii are in mm, the
      points in pixels): without it every uncertainty stays ``None``,
      angles included.
    * :attr:`ImagePrediction.calibration` is the calibration's
      description.

    Args:
        prediction (ImagePrediction): The prediction; not changed.
        calibration (ModelCalibration): The model's calibration.
        difficulties (Mapping[str, np.ndarray], optional): Difficulty
            signal name to its ``[K]`` values on this image.
            ``'confidence'`` defaults to the landmarks' confidences, and
            ``'refine_shift_mm'`` to the landmarks' ``refine_shift_mm``
            when every landmark has one (a model with a refinement stage,
            an image with a pixel spacing).

    Returns:
        ImagePrediction: A new prediction with ``radius_mm`` and
        ``radius_px`` on every landmark, ``quality``, each measurement's
        ``uncertainty`` and ``calibration``.

    Raises:
        ValueError: If the prediction's landmarks differ from the
            calibration's (the message names the difference), or the
            calibration's difficulty signal is missing (e.g. a
            calibration scaled by ``refine_shift_mm`` applied to a
            prediction without a refinement stage or without the pixel
            spacing) or not ``[K]``.
    """
    names = prediction.names
    if names != calibration.landmark_names:
        difference = _name_difference(names, 'prediction',
                                      calibration.landmark_names,
                                      'calibration')
        raise ValueError(
            f'{prediction.image}: the prediction and the calibration name '
            f'different landmarks: {difference}')
    signals = dict(difficulties or {})
    signals.setdefault('confidence', prediction.confidences)
    shifts = prediction.refine_shifts_mm
    if shifts is not None:
        signals.setdefault(REFINE_SHIFT, shifts)
    signal = calibration.radius.difficulty
    values = None
    if signal is not None:
        if signal == REFINE_SHIFT and signal not in signals:
            raise ValueError(_no_refine_shift(prediction))
        if signal not in signals:
            raise ValueError(
                f'{prediction.image}: the calibration scales the radii with '
                f'the difficulty signal {signal!r}, which was not given '
                f'(given: {sorted(signals)})')
        values = np.asarray(signals[signal], dtype=np.float64)
        if values.shape != (len(names), ):
            raise ValueError(
                f'{prediction.image}: difficulty signal {signal!r} must '
                f'hold {len(names)} values, one per landmark, but has shape '
                f'{values.shape}')
    radii_mm = np.asarray(calibration.radius.radius_mm(values), np.float64)
    radii_px = _pixel_radii(radii_mm, prediction.spacing)
    landmarks = [
        dataclasses.replace(
            lm,
            radius_mm=float(radii_mm[k]),
            radius_px=None if radii_px is None else float(radii_px[k]))
        for k, lm in enumerate(prediction.landmarks)
    ]
    measurements = [dataclasses.replace(m) for m in prediction.measurements]
    if radii_px is not None and measurements:
        spread = measurement_uncertainty(
            prediction.keypoints,
            radii_px,
            names,
            prediction.spacing,
            keys=[m.key for m in measurements],
            coverage=calibration.nominal_coverage)
        measurements = [
            dataclasses.replace(m, uncertainty=spread[m.key])
            for m in measurements
        ]
    return dataclasses.replace(
        prediction,
        landmarks=landmarks,
        measurements=measurements,
        quality=quality_check(calibration, prediction.keypoints, radii_mm),
        calibration=calibration.description)
