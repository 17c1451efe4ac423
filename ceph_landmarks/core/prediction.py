"""What a prediction on one cephalogram is: landmarks, confidences,
cephalometric measurements."""
import math
from dataclasses import dataclass, field
from typing import List, Optional, Tuple

import numpy as np

from .evaluation import MeasurementResult

__all__ = ['Landmark', 'ImagePrediction']


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
    """
    name: str
    x: float
    y: float
    confidence: float
    x_mm: Optional[float] = None
    y_mm: Optional[float] = None


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
    """
    image: str
    width: int
    height: int
    spacing: Optional[Tuple[float, float]]
    landmarks: List[Landmark]
    measurements: List[MeasurementResult] = field(default_factory=list)
    spacing_source: Optional[str] = None

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

    def to_dict(self) -> dict:
        """A JSON-ready dict; undefined numbers become ``None``.

        Returns:
            dict: ``image``, ``width``, ``height``, ``spacing``,
            ``spacing_source``, ``landmarks`` (list of dicts with
            ``name``, ``x``, ``y``, ``x_mm``, ``y_mm``, ``confidence``) and
            ``measurements`` (list of
            :meth:`MeasurementResult.to_dict`: ``key``, ``analysis``,
            ``name``, ``value``, ``unit``, ``norm_mean``, ``norm_sd``,
            ``norm_source``, ``deviation``, ``flag``).
        """
        return dict(
            image=self.image,
            width=self.width,
            height=self.height,
            spacing=list(self.spacing) if self.spacing else None,
            spacing_source=self.spacing_source,
            landmarks=[
                dict(
                    name=lm.name,
                    x=lm.x,
                    y=lm.y,
                    x_mm=_finite_or_none(lm.x_mm),
                    y_mm=_finite_or_none(lm.y_mm),
                    confidence=lm.confidence) for lm in self.landmarks
            ],
            measurements=[m.to_dict() for m in self.measurements])
