"""Standard cephalometric analyses of one image, with reference norms.

:func:`cephalometric_analysis` is what a report shows: every measurement
the landmark set supports (Steiner, Downs, Tweed, McNamara, Jarabak,
Ricketts; :mod:`.cephalometric_measurements`), its value, its reference
norm (:mod:`.cephalometric_norms`) and whether the value lies outside the
reference range. The wording never diagnoses.

Examples:
    >>> from ceph_landmarks.core.metainfo import landmark_names
    >>> names = landmark_names('isbi2015')
    >>> kpts = np.random.default_rng(0).uniform(0, 1000, (19, 2))
    >>> results = cephalometric_analysis(kpts, names, spacing=(0.1, 0.1))
    >>> results[0].key, results[0].analysis, results[0].unit
    ('SNA', 'Steiner', 'deg')
"""
import math
from dataclasses import asdict, dataclass
from typing import List, Optional, Sequence

import numpy as np

from .cephalometric_measurements import (Spacing, measurement_spec,
                                         measurement_values)
from .cephalometric_norms import NORMS, classify_deviation, deviation_flag

__all__ = ['MeasurementResult', 'cephalometric_analysis']


@dataclass
class MeasurementResult:
    """One measurement of one image, compared with its reference norm.

    Attributes:
        key (str): Short identifier, e.g. ``'SNA'``, ``'N-perp-A'``.
        analysis (str): ``'Steiner'``, ``'Downs'``, ``'Tweed'``,
            ``'McNamara'``, ``'Jarabak'`` or ``'Ricketts'``.
        name (str): Human-readable name.
        value (float, optional): The measured value in ``unit``; ``None``
            when undefined (coinciding landmarks) or when a mm measure
            needs the unknown pixel spacing.
        unit (str): ``'deg'``, ``'mm'`` or ``'%'``.
        norm_mean (float): Reference mean (``nan`` when none is
            published, e.g. the Ar-based substitutes).
        norm_sd (float): Reference standard deviation (``nan`` when none).
        norm_source (str): Where the norm comes from.
        deviation (str, optional): ``'within'``, ``'outside 1 SD'`` or
            ``'outside 2 SD'``; ``None`` without a value or a norm.
        flag (str): Readable wording of ``deviation``, e.g.
            ``'outside the reference range (mean +- 2 SD)'``; ``''`` when
            within the range; why there is no value or no comparison
            otherwise.
        uncertainty (float, optional): The standard deviation of
            ``value`` in ``unit``, propagated from the landmarks' error
            radii by Monte Carlo sampling
            (:func:`~.measurement_uncertainty.measurement_uncertainty`);
            ``None`` without radii or without a value.
    """
    key: str
    analysis: str
    name: str
    value: Optional[float]
    unit: str
    norm_mean: float
    norm_sd: float
    norm_source: str
    deviation: Optional[str]
    flag: str
    uncertainty: Optional[float] = None

    def to_dict(self) -> dict:
        """The fields as a JSON-safe dict (``nan`` becomes ``None``)."""
        return {
            k: None if isinstance(v, float) and not math.isfinite(v) else v
            for k, v in asdict(self).items()
        }


def _flag(value: Optional[float], unit: str, deviation: Optional[str],
          spacing_known: bool) -> str:
    """The wording of a result, including why it was not compared."""
    if value is None:
        if unit == 'mm' and not spacing_known:
            return 'not measured: needs the pixel spacing'
        return 'not measured: undefined for these landmark positions'
    if deviation is None:
        return 'no reference norm'
    return deviation_flag(deviation)


def cephalometric_analysis(keypoints: np.ndarray,
                           names: Sequence[str],
                           spacing: Optional[Spacing] = None
                           ) -> List[MeasurementResult]:
    """Every measurement a landmark set supports, with norms and flags.

    Args:
        keypoints (np.ndarray[K, 2]): Landmarks of one image in pixels, in
            the channel order of ``names``.
        names (Sequence[str]): The ``K`` landmark names (found by name:
            :data:`~.cephalometric_landmarks.LANDMARK_ALIASES`).
        spacing (tuple[float, float], optional): Pixel spacing ``(sx, sy)``
            in mm/px (one number for square pixels). Coordinates are scaled
            to mm per axis, so anisotropic pixels are handled. ``None``:
            angles and ratios are measured in pixels (square pixels
            assumed) and mm measures are ``None``.

    Returns:
        list[MeasurementResult]: One per supported measurement
        (:func:`~.cephalometric_measurements.supported_measurements`), in
        a stable order grouped by analysis. An undefined measurement has
        ``value=None``; nothing raises for degenerate geometry.

    Raises:
        ValueError: If ``keypoints`` does not match ``names`` or the
            spacing is not one or two positive numbers.
    """
    values = measurement_values(keypoints, names, spacing)
    results = []
    for key, value in values.items():
        spec = measurement_spec(key)
        norm = NORMS[key]
        deviation = classify_deviation(value, norm.mean, norm.sd)
        results.append(
            MeasurementResult(
                key=key,
                analysis=spec.analysis,
                name=spec.name,
                value=value,
                unit=spec.unit,
                norm_mean=norm.mean,
                norm_sd=norm.sd,
                norm_source=norm.source,
                deviation=deviation,
                flag=_flag(value, spec.unit, deviation, spacing is not None)))
    return results
