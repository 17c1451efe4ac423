"""Mean absolute error of the cephalometric angles, in degrees."""
from typing import Dict, List, Optional, Sequence

import numpy as np
from mmengine.logging import MMLogger
from mmpose.registry import METRICS

from ..functional.cephalometric_angles import (MEASUREMENTS,
                                               available_measurements,
                                               cephalometric_angles,
                                               resolve_landmarks)
from .landmark_metric import LandmarkMetric
from .landmark_records import stack_records


@METRICS.register_module()
class CephalometricAngleMetric(LandmarkMetric):
    """Error of the angles an orthodontist reads from the landmarks.

    For each measurement of
    :mod:`ceph_landmarks.evaluation.functional.cephalometric_angles` that
    the landmark set allows (found by landmark name in ``dataset_meta``:
    SNA, SNB, ANB and FMA for the 19 ISBI landmarks, also U1-SN, IMPA and
    U1-L1 when the incisor apices are annotated), the angle is computed
    from the predicted and from the true landmarks, in millimetres (so an
    anisotropic spacing does not distort it), and the absolute difference
    is averaged over the images.

    Policy for images that cannot be measured: an image is left out of a
    measurement when one of its ground-truth landmarks is invisible, or
    when the angle is undefined because two of its landmarks (true or
    predicted) coincide. Each left-out image is counted and a warning names
    it; the mean is taken over the rest (``nan`` when none is left).

    Returned keys (with the default prefix ``ceph``): ``ceph/{name}_MAE``
    in degrees for each measurement, e.g. ``ceph/SNA_MAE``, and
    ``ceph/angle_MAE``, the mean over all measured (image, angle) pairs.

    Args:
        measurements (Sequence[str], optional): Names of the angles to
            evaluate (keys of ``MEASUREMENTS`` in
            :mod:`ceph_landmarks.evaluation.functional.cephalometric_angles`:
            ``'SNA'``, ``'SNB'``, ``'ANB'``, ``'FMA'``, ``'U1-SN'``,
            ``'IMPA'``, ``'U1-L1'``); ``None`` evaluates all that the
            landmark set allows.
        collect_device (str): Device used to collect results across ranks.
            Defaults to ``'cpu'``.
        prefix (str, optional): Metric key prefix. Defaults to ``'ceph'``.

    Examples:
        >>> test_evaluator = [
        ...     dict(type='CephalometricMetric'),
        ...     dict(type='CephalometricAngleMetric')]
    """

    default_prefix: Optional[str] = 'ceph'

    def __init__(self,
                 measurements: Optional[Sequence[str]] = None,
                 collect_device: str = 'cpu',
                 prefix: Optional[str] = None) -> None:
        super().__init__(collect_device=collect_device, prefix=prefix)
        if measurements is not None:
            unknown = [m for m in measurements if m not in MEASUREMENTS]
            if unknown or not measurements:
                raise ValueError(
                    'measurements must be a non-empty list of '
                    f'{list(MEASUREMENTS)}, but got {list(measurements)}')
            measurements = list(measurements)
        self.measurements = measurements

    def compute_metrics(self, results: List[dict]) -> Dict[str, float]:
        """Reduce the collected results to the mean absolute angle errors.

        Args:
            results (list[dict]): Output of :meth:`process` over the set.

        Returns:
            dict[str, float]: ``{name}_MAE`` per measurement and
            ``angle_MAE``, in degrees; empty when the landmark set allows
            no measurement.

        Raises:
            ValueError: If a requested measurement needs landmarks that the
                landmark set does not have.
        """
        logger = MMLogger.get_current_instance()
        id2name = (self.dataset_meta or {}).get('keypoint_id2name', {})
        pred, gt, mask, spacing, paths = stack_records(results)
        names = [id2name.get(k, str(k)) for k in range(pred.shape[1])]
        measurements = self.measurements or available_measurements(names)
        if not measurements:
            logger.warning(
                'CephalometricAngleMetric: the landmark set has none of the '
                'landmarks of the cephalometric angles; no angle error is '
                'reported.')
            return {}

        pred_mm = pred * spacing[:, None, :]  # (N, K, 2)
        gt_mm = gt * spacing[:, None, :]  # (N, K, 2)
        pred_angles = cephalometric_angles(
            pred_mm, names, measurements, on_degenerate='nan')
        gt_angles = cephalometric_angles(
            gt_mm, names, measurements, on_degenerate='nan')

        found = resolve_landmarks(names)
        metrics = {}
        all_errors = []
        for key in measurements:
            channels = [found[p] for p in MEASUREMENTS[key][1]]
            annotated = mask[:, channels].all(axis=1)  # (N, )
            errors = np.abs(pred_angles[key] - gt_angles[key])  # (N, )
            valid = annotated & np.isfinite(errors)
            self._warn_left_out(key, paths, annotated, valid, logger)
            metrics[f'{key}_MAE'] = float(errors[valid].mean()) \
                if valid.any() else float('nan')
            all_errors.append(errors[valid])
        pooled = np.concatenate(all_errors)
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
                f'of the angle is not annotated: {unannotated}')
        if undefined:
            logger.warning(
                f'{key}: {len(undefined)} image(s) left out, the angle is '
                'undefined (two landmarks of a line coincide in the '
                f'prediction or the ground truth): {undefined}')
