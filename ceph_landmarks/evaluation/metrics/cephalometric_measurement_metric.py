"""Mean absolute error of the cephalometric measurements, per measurement.

Degrees for the angles, millimetres for the linear measures, percent for
the facial height ratio.
"""
from typing import Dict, List, Optional, Sequence

import numpy as np
from mmengine.logging import MMLogger
from mmpose.registry import METRICS

from ...core.evaluation.cephalometric_landmarks import resolve_landmarks
from ...core.evaluation.cephalometric_measurements import (
    MEASUREMENT_SPECS, measurement_spec, measurement_values,
    supported_measurements)
from ...core.evaluation.metric_units import UNIT_SUFFIX
from .landmark_metric import LandmarkMetric
from .landmark_records import stack_records


@METRICS.register_module()
class CephalometricMeasurementMetric(LandmarkMetric):
    """Error of the measurements an orthodontist reads from the landmarks.

    For each measurement of the standard analyses that the landmark set
    supports (found by landmark name in ``dataset_meta``; see
    :func:`~ceph_landmarks.core.evaluation.supported_measurements`:
    Steiner, Downs, Tweed, McNamara, Jarabak and Ricketts' E-line), the
    value is computed from the predicted and from the true landmarks with
    the image's pixel spacing (coordinates in millimetres, so an
    anisotropic spacing distorts nothing), and the absolute difference is
    averaged over the images.

    Policy for images that cannot be measured: an image is left out of a
    measurement when one of its ground-truth landmarks is invisible, or
    when the measurement is undefined because two of its landmarks (true
    or predicted) coincide. Each left-out image is counted and a warning
    names it; the mean is taken over the rest (``nan`` when none is left).

    Returned keys (with the default prefix ``ceph``), the unit in the
    suffix:

    * ``ceph/{key}_MAE`` in **degrees** for each angle, e.g.
      ``ceph/SNA_MAE``, ``ceph/FMIA_MAE``;
    * ``ceph/{key}_MAE_mm`` in **millimetres** for each linear measure,
      e.g. ``ceph/N-perp-A_MAE_mm``, ``ceph/ANS-Me_MAE_mm``;
    * ``ceph/{key}_MAE_pct`` in **percentage points** for the ratio
      ``ceph/Jarabak-ratio_MAE_pct``;
    * ``ceph/angle_MAE``, degrees: the mean over all measured
      (image, angle) pairs.

    Args:
        measurements (Sequence[str], optional): Keys of the measurements
            to evaluate (``'SNA'``, ``'N-perp-A'``...; the keys of
            ``MEASUREMENT_SPECS`` in
            :mod:`ceph_landmarks.core.evaluation.cephalometric_measurements`);
            ``None`` evaluates all that the landmark set supports.
        collect_device (str): Device used to collect results across ranks.
            Defaults to ``'cpu'``.
        prefix (str, optional): Metric key prefix. Defaults to ``'ceph'``.

    Examples:
        >>> test_evaluator = [
        ...     dict(type='CephalometricMetric'),
        ...     dict(type='CephalometricMeasurementMetric')]
    """

    default_prefix: Optional[str] = 'ceph'

    def __init__(self,
                 measurements: Optional[Sequence[str]] = None,
                 collect_device: str = 'cpu',
                 prefix: Optional[str] = None) -> None:
        super().__init__(collect_device=collect_device, prefix=prefix)
        if measurements is not None:
            known = [spec.key for spec in MEASUREMENT_SPECS]
            unknown = [m for m in measurements if m not in known]
            if unknown or not measurements:
                raise ValueError('measurements must be a non-empty list of '
                                 f'{known}, but got {list(measurements)}')
            measurements = list(measurements)
        self.measurements = measurements

    def compute_metrics(self, results: List[dict]) -> Dict[str, float]:
        """Reduce the collected results to the mean absolute errors.

        Args:
            results (list[dict]): Output of :meth:`process` over the set.

        Returns:
            dict[str, float]: ``{key}_MAE`` (degrees), ``{key}_MAE_mm`` or
            ``{key}_MAE_pct`` per measurement and ``angle_MAE``; empty when
            the landmark set supports no measurement.

        Raises:
            ValueError: If a requested measurement needs landmarks that the
                landmark set does not have.
        """
        logger = MMLogger.get_current_instance()
        id2name = (self.dataset_meta or {}).get('keypoint_id2name', {})
        pred, gt, mask, spacing, paths = stack_records(results)
        names = [id2name.get(k, str(k)) for k in range(pred.shape[1])]
        keys = self.measurements or supported_measurements(names)
        if not keys:
            logger.warning(
                'CephalometricMeasurementMetric: the landmark set has none '
                'of the landmarks of the cephalometric measurements; no '
                'measurement error is reported.')
            return {}

        def values(keypoints: np.ndarray) -> Dict[str, np.ndarray]:
            """Each measurement over the images, ``nan`` where undefined."""
            per_image = [
                measurement_values(kpts, names, sp, keys)
                for kpts, sp in zip(keypoints, spacing)
            ]
            return {
                k:
                np.array([np.nan if v[k] is None else v[k] for v in per_image])
                for k in keys
            }  # each (N, )

        pred_values, gt_values = values(pred), values(gt)
        found = resolve_landmarks(names)
        metrics = {}
        angle_errors = []
        for key in keys:
            spec = measurement_spec(key)
            channels = [found[p] for p in spec.points]
            annotated = mask[:, channels].all(axis=1)  # (N, )
            errors = np.abs(pred_values[key] - gt_values[key])  # (N, )
            valid = annotated & np.isfinite(errors)
            self._warn_left_out(key, paths, annotated, valid, logger)
            metrics[f'{key}_MAE{UNIT_SUFFIX[spec.unit]}'] = float(
                errors[valid].mean()) if valid.any() else float('nan')
            if spec.unit == 'deg':
                angle_errors.append(errors[valid])
        if angle_errors:
            pooled = np.concatenate(angle_errors)
            metrics['angle_MAE'] = float(pooled.mean()) if pooled.size else \
                float('nan')
        return metrics

    @staticmethod
    def _warn_left_out(key: str, paths: List[str], annotated: np.ndarray,
                       valid: np.ndarray, logger: MMLogger) -> None:
        """Name the images left out of one measurement, and why."""
        unannotated = [p for p, a in zip(paths, annotated) if not a]
        undefined = [
            p for p, a, v in zip(paths, annotated, valid) if a and not v
        ]
        if unannotated:
            logger.warning(
                f'{key}: {len(unannotated)} image(s) left out, a landmark '
                f'of the measurement is not annotated: {unannotated}')
        if undefined:
            logger.warning(f'{key}: {len(undefined)} image(s) left out, the '
                           'measurement is undefined (two landmarks of a line '
                           'coincide in the prediction or the ground truth): '
                           f'{undefined}')
