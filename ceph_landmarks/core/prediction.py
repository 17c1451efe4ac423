"""What a prediction on one cephalogram is: landmarks, confidences,
cephalometric measurements."""
import math
from dataclasses import dataclass, field
from typing import List, Optional, Sequence, Tuple

import numpy as np

from .evaluation import (MeasurementResult, cephalometric_analysis,
                         radial_errors_mm)

__all__ = [
    'Landmark', 'QualityCheck', 'QUALITY_VERDICTS', 'ImagePrediction',
    'image_prediction'
]

#: The verdicts of :class:`QualityCheck`, from best to worst.
QUALITY_VERDICTS = ('ok', 'review', 'refuse')


def _finite_or_none(value: Optional[float]) -> Optional[float]:
    """JSON has no NaN: an undefined number becomes ``None``."""
    if value is None or not math.isfinite(value):
        return None
    return float(value)


@dataclass
class Landmark:
    """One predicted landmark.

    Attributes:
        name (str): Landmark name of the landmark set, e.g. ``'sella'``.
        x (float): Column in pixels of the original image, with pixel
            centres at integer coordinates (MMPose's convention).
        y (float): Row in pixels of the original image.
        confidence (float): Peak value of the landmark's heatmap. About 1
            where a well-trained heatmap model is sure, near 0 where it
            sees nothing; a ranking of reliability, not a calibrated
            probability.
        x_mm (float, optional): ``x`` times the horizontal pixel spacing,
            ``None`` when the spacing is unknown.
        y_mm (float, optional): ``y`` times the vertical pixel spacing.
        radius_mm (float, optional): The calibrated error radius in mm: the
            true point lies within this distance of ``(x, y)`` with the
            calibration's nominal probability (e.g. 90 %, see
            :attr:`ImagePrediction.calibration`), for images like the
            calibration images. ``None`` without a calibration.
        radius_px (float, optional): ``radius_mm`` in pixels (divided by
            the mean of the two pixel spacings); ``None`` without a
            calibration or without the pixel spacing.
        refine_shift_mm (float, optional): How far the refinement stage
            moved the point: the distance in mm between the first-stage
            (coarse) point and ``(x, y)``, ``sqrt((dx * sx)^2 + (dy *
            sy)^2)`` with the pixel spacing ``(sx, sy)``; 0 where the
            refinement kept the first-stage point. A difficulty signal of
            the error radii (higher = harder). ``None`` for a model without
            a refinement stage, without the pixel spacing, or for a point
            without a position.
    """
    name: str
    x: float
    y: float
    confidence: float
    x_mm: Optional[float] = None
    y_mm: Optional[float] = None
    radius_mm: Optional[float] = None
    radius_px: Optional[float] = None
    refine_shift_mm: Optional[float] = None


@dataclass
class QualityCheck:
    """The image-level quality check of a prediction (never a diagnosis).

    Attributes:
        verdict (str): ``'ok'`` (nothing found), ``'review'`` (check the
            points: the landmark configuration is unlike the training
            shapes or the error radii are large) or ``'refuse'`` (the image
            does not look like a lateral cephalogram in the expected
            orientation: do not use the points).
        reasons (list[str]): Why the verdict is not ``'ok'``, one sentence
            per check that fired, worded as a quality check of the
            prediction; empty for ``'ok'``.
        shape_distance (float, optional): Distance of the landmark
            configuration to the training shapes (``ShapeModel.distance``
            of :mod:`ceph_landmarks.core.evaluation.shape_plausibility`),
            ``None`` when not measured.
        rotation_deg (float, optional): Rotation of the configuration from
            the training orientation, degrees; ``None`` when not measured.
    """
    verdict: str
    reasons: List[str] = field(default_factory=list)
    shape_distance: Optional[float] = None
    rotation_deg: Optional[float] = None

    def to_dict(self) -> dict:
        """A JSON-ready dict; undefined numbers become ``None``.

        Returns:
            dict: ``verdict``, ``reasons``, ``shape_distance``,
            ``rotation_deg``.
        """
        return dict(
            verdict=self.verdict,
            reasons=list(self.reasons),
            shape_distance=_finite_or_none(self.shape_distance),
            rotation_deg=_finite_or_none(self.rotation_deg))


@dataclass
class ImagePrediction:
    """The landmarks and cephalometric measurements predicted on one image.

    Attributes:
        image (str): The image's path, or ``'<array>'`` for an array input.
        width (int): Width of the original image in pixels.
        height (int): Height of the original image in pixels.
        spacing (tuple[float, float], optional): Pixel spacing ``(sx, sy)``
            in mm/px, ``None`` when unknown.
        landmarks (list[Landmark]): One entry per landmark, in the channel
            order of the landmark set.
        measurements (list[MeasurementResult]): Every measurement of the
            standard analyses that the landmark set supports, with its
            value, unit, reference norm and flag (``cephalometric_analysis``
            of :mod:`ceph_landmarks.core.evaluation`), computed in mm
            when the spacing is known; a mm measure has no value without
            the spacing.
        spacing_source (str, optional): Where ``spacing`` came from, e.g.
            ``'--spacing'``, ``'spacing CSV spacing.csv'`` or ``'annotation
            file val.json'``; ``None`` when the spacing is unknown.
        quality (QualityCheck, optional): The image-level quality check;
            ``None`` when it was not run (no calibration, or a calibration
            with neither a shape model nor a review radius).
        calibration (str, optional): One line saying what the landmarks'
            error radii mean, e.g. ``'90 % error radii, split-conformal,
            fitted on 100 out-of-fold images: hamedan 5-fold'``. ``None``
            means no calibration was given: there are no error radii, and
            every writer says so instead of printing a radius.
    """
    image: str
    width: int
    height: int
    spacing: Optional[Tuple[float, float]]
    landmarks: List[Landmark]
    measurements: List[MeasurementResult] = field(default_factory=list)
    spacing_source: Optional[str] = None
    quality: Optional[QualityCheck] = None
    calibration: Optional[str] = None

    @property
    def names(self) -> List[str]:
        """Landmark names in channel order."""
        return [lm.name for lm in self.landmarks]

    @property
    def keypoints(self) -> np.ndarray:
        """np.ndarray[K, 2]: ``(x, y)`` in pixels of the original image."""
        return np.array([[lm.x, lm.y] for lm in self.landmarks],
                        dtype=np.float64).reshape(-1, 2)

    @property
    def confidences(self) -> np.ndarray:
        """np.ndarray[K]: Heatmap confidence of each landmark."""
        return np.array([lm.confidence for lm in self.landmarks],
                        dtype=np.float64)

    @property
    def refine_shifts_mm(self) -> Optional[np.ndarray]:
        """np.ndarray[K], optional: :attr:`Landmark.refine_shift_mm` of
        each landmark; ``None`` unless every landmark has one."""
        shifts = [lm.refine_shift_mm for lm in self.landmarks]
        if not shifts or any(s is None for s in shifts):
            return None
        return np.array(shifts, dtype=np.float64)

    def to_dict(self) -> dict:
        """A JSON-ready dict; undefined numbers become ``None``.

        Returns:
            dict: ``image``, ``width``, ``height``, ``spacing``,
            ``spacing_source``, ``calibration``, ``quality``
            (:meth:`QualityCheck.to_dict` or ``None``), ``landmarks``
            (list of dicts with ``name``, ``x``, ``y``, ``x_mm``, ``y_mm``,
            ``confidence``, ``refine_shift_mm``, ``radius_mm``,
            ``radius_px``) and
            ``measurements`` (list of
            :meth:`MeasurementResult.to_dict`: ``key``, ``analysis``,
            ``name``, ``value``, ``unit``, ``norm_mean``, ``norm_sd``,
            ``norm_source``, ``deviation``, ``flag``, ``uncertainty``).
        """
        return dict(
            image=self.image,
            width=self.width,
            height=self.height,
            spacing=list(self.spacing) if self.spacing else None,
            spacing_source=self.spacing_source,
            calibration=self.calibration,
            quality=None if self.quality is None else self.quality.to_dict(),
            landmarks=[
                dict(
                    name=lm.name,
                    x=lm.x,
                    y=lm.y,
                    x_mm=_finite_or_none(lm.x_mm),
                    y_mm=_finite_or_none(lm.y_mm),
                    confidence=lm.confidence,
                    refine_shift_mm=_finite_or_none(lm.refine_shift_mm),
                    radius_mm=_finite_or_none(lm.radius_mm),
                    radius_px=_finite_or_none(lm.radius_px))
                for lm in self.landmarks
            ],
            measurements=[m.to_dict() for m in self.measurements])


def _refine_shifts(keypoints: np.ndarray,
                   coarse_keypoints: Optional[np.ndarray],
                   spacing: Optional[Tuple[float, float]],
                   source: str) -> List[Optional[float]]:
    """:attr:`Landmark.refine_shift_mm` of each point (``None`` without the
    first-stage points, without the spacing, or where a point has no
    position)."""
    count = len(keypoints)
    if coarse_keypoints is None:
        return [None] * count
    coarse = np.asarray(coarse_keypoints, dtype=np.float64)
    if coarse.shape != keypoints.shape:
        raise ValueError(
            f'{source}: expected first-stage keypoints of shape '
            f'{keypoints.shape} like the keypoints, but got {coarse.shape}')
    if not spacing:
        return [None] * count
    shifts = radial_errors_mm(keypoints[None], coarse[None],
                              np.asarray([spacing], dtype=np.float64))[0]
    return [float(d) if math.isfinite(d) else None for d in shifts]


def image_prediction(keypoints: np.ndarray,
                     scores: np.ndarray,
                     landmark_names: Sequence[str],
                     shape: Tuple[int, int],
                     source: str,
                     spacing: Optional[Tuple[float, float]],
                     spacing_source: Optional[str],
                     coarse_keypoints: Optional[np.ndarray] = None
                     ) -> ImagePrediction:
    """The prediction of one image from a model's decoded points.

    What every predictor (the MMPose one, the light runtime) makes of its
    model's output: one :class:`Landmark` per name (``x_mm``, ``y_mm`` with
    the spacing; ``refine_shift_mm`` with the spacing and the first-stage
    points of a model with a refinement stage) and the cephalometric
    measurements of the standard analyses (``cephalometric_analysis`` of
    :mod:`ceph_landmarks.core.evaluation`), in mm with the spacing.

    Args:
        keypoints (np.ndarray): ``[K, 2]`` ``(x, y)`` in pixels of the
            original image (computed in float64).
        scores (np.ndarray): ``[K]`` heatmap confidences.
        landmark_names (Sequence[str]): The ``K`` names, in channel order.
        shape (tuple[int, int]): The original image's ``(height, width)``.
        source (str): The name recorded as :attr:`ImagePrediction.image`.
        spacing (tuple[float, float], optional): Checked ``(sx, sy)`` in
            mm/px, ``None`` when unknown.
        spacing_source (str, optional): Where the spacing came from.
        coarse_keypoints (np.ndarray, optional): ``[K, 2]`` the first-stage
            points of a model with a refinement stage, in pixels of the
            original image (``keypoints`` are the refined ones); they give
            each landmark's ``refine_shift_mm`` when the spacing is known.
            ``None`` (default) for a model without a refinement stage.

    Returns:
        ImagePrediction: Landmarks and measurements of the image.

    Raises:
        ValueError: If ``keypoints`` is not ``[K, 2]`` or ``scores`` not
            ``[K]`` for the ``K`` names, or ``coarse_keypoints`` is given
            and not ``[K, 2]``.

    Examples:
        >>> result = image_prediction(
        ...     np.array([[10.0, 20.0]]), np.array([0.9]), ['sella'],
        ...     (64, 48), 'a.png', (0.1, 0.2), '--spacing')
        >>> lm = result.landmarks[0]
        >>> lm.name, lm.x_mm, lm.y_mm, result.width, result.height
        ('sella', 1.0, 4.0, 48, 64)
        >>> refined = image_prediction(
        ...     np.array([[13.0, 24.0]]), np.array([0.9]), ['sella'],
        ...     (64, 48), 'a.png', (0.1, 0.1), '--spacing',
        ...     coarse_keypoints=np.array([[10.0, 20.0]]))
        >>> round(refined.landmarks[0].refine_shift_mm, 6)
        0.5
    """
    keypoints = np.asarray(keypoints, dtype=np.float64)
    scores = np.asarray(scores, dtype=np.float64)
    count = len(landmark_names)
    if keypoints.shape != (count, 2) or scores.shape != (count, ):
        raise ValueError(
            f'{source}: expected keypoints of shape ({count}, 2) and scores '
            f'of shape ({count},) for {count} landmarks, but got '
            f'{keypoints.shape} and {scores.shape}')
    height, width = shape
    scale = np.asarray(spacing if spacing else (1.0, 1.0))
    shifts = _refine_shifts(keypoints, coarse_keypoints, spacing, source)
    landmarks = [
        Landmark(
            name=name,
            x=float(keypoints[k, 0]),
            y=float(keypoints[k, 1]),
            confidence=float(scores[k]),
            x_mm=float(keypoints[k, 0] * scale[0]) if spacing else None,
            y_mm=float(keypoints[k, 1] * scale[1]) if spacing else None,
            refine_shift_mm=shifts[k]) for k, name in enumerate(landmark_names)
    ]
    return ImagePrediction(
        image=source,
        width=int(width),
        height=int(height),
        spacing=spacing,
        spacing_source=spacing_source,
        landmarks=landmarks,
        measurements=cephalometric_analysis(keypoints, landmark_names,
                                            spacing))
