"""MRE / SDR metric for cephalometric landmarks, in millimetres."""
import csv
import json
import math
import os
import os.path as osp
from typing import Dict, List, Optional, Sequence

import numpy as np
from mmengine.logging import MMLogger
from mmengine.utils import mkdir_or_exist
from mmpose.registry import METRICS

from ...core.evaluation import (PAIR_RECORD_KEYS, landmark_pair_distances,
                                mean_radial_error, mre_standard_error,
                                per_landmark_errors, radial_errors_mm, sdr_key,
                                success_detection_rates)
from ...core.evaluation.radius_coverage import (calibrated_radii,
                                                radius_coverage)
from ...core.model_calibration import load_calibration
from .landmark_metric import LandmarkMetric
from .landmark_records import (LandmarkArrays, signal_record, stack_records,
                               stack_signals)


@METRICS.register_module()
class CephalometricMetric(LandmarkMetric):
    """Mean radial error (MRE) and success detection rates (SDR) in mm.

    Each image's own pixel spacing (``spacing`` in the data sample's
    metainfo, packed by ``PackPoseInputs(meta_keys=(..., 'spacing'))``)
    converts pixel errors to millimetres. Landmarks whose ground truth is
    missing or invisible (``keypoints_visible == 0``) are excluded. The maths
    lives in :mod:`ceph_landmarks.core.evaluation`; see there for the
    conventions (SDR counts ``error <= threshold``; MRE pools all valid
    landmarks).

    Returned keys (with the default prefix ``ceph``):

    * ``ceph/MRE``, ``ceph/MRE_std`` (mm): mean and population SD of all
      valid radial errors.
    * ``ceph/SDR@{t}mm`` (percent) for each threshold.
    * ``ceph/MRE_image_se`` (mm): standard error of the MRE with the image
      as the unit, SD of the per-image MREs over the square root of the
      number of images
      (:func:`~ceph_landmarks.core.evaluation.mre_standard_error`);
      ``nan`` with fewer than two images. Two models whose MREs differ by
      less than about twice it cannot be told apart on this set.
    * ``ceph/collapsed_pairs`` (int): number of landmark pairs whose
      predictions collapse onto one point
      (:func:`~ceph_landmarks.core.evaluation.collapsed_pairs`): true
      median distance at least ``collapse_min_true_mm``, predicted median
      distance below ``collapse_ratio`` times it. A model hedging between
      two look-alike structures (the upper and lower incisal tips) puts
      both at their midpoint; each collapsed pair is logged as a warning.

    With ``calibration`` (a model's ``calibration.json``, see
    :mod:`ceph_landmarks.core.model_calibration`; ``tools/test.py`` sets
    it), how well its error radii hold on this set
    (:mod:`ceph_landmarks.core.evaluation.radius_coverage`), each point's
    radius from the calibration's radius model (constant, or scaled by the
    predicted ``keypoint_scores`` for ``'confidence'``, or by the distance
    in mm between ``pred_instances.coarse_keypoints`` and the final points
    for ``'refine_shift_mm'``):

    * ``ceph/coverage``: the fraction of annotated points within their
      radius (compare with the calibration's nominal coverage, e.g. 0.9);
    * ``ceph/min_landmark_coverage``: the smallest coverage of a landmark;
    * ``ceph/mean_radius_mm`` (mm): the mean radius of the annotated
      points.

    The per-landmark table then gains the columns ``coverage`` and
    ``mean_radius_mm``. Without ``calibration`` none of this is computed.

    The per-landmark table is logged through ``MMLogger`` and, when
    ``per_landmark`` is set and ``out_dir`` is given or a runner log
    directory exists, written as ``per_landmark_errors.csv`` and ``.json``,
    next to ``collapsed_pairs.csv`` and ``.json``: one row per collapsed
    pair and, collapsed or not, per pair predicted less than
    :attr:`NEAR_COLLAPSE_MM` apart (median), so a near-collapse shows
    (columns: :data:`PAIR_RECORD_KEYS`; header only when there is none).

    Args:
        thresholds (Sequence[float]): SDR thresholds in mm.
            Defaults to ``(2.0, 2.5, 3.0, 4.0)``.
        per_landmark (bool): Log and write the per-landmark table.
            Defaults to ``True``.
        out_dir (str, optional): Directory for the per-landmark CSV and
            JSON. ``None`` uses the directory of the current runner's log
            file when there is one (``work_dir/<timestamp>/``).
        collect_device (str): Device used to collect results across ranks,
            ``'cpu'`` or ``'gpu'``. Defaults to ``'cpu'``.
        prefix (str, optional): Metric key prefix. Defaults to ``'ceph'``.
        collapse_ratio (float): A landmark pair is collapsed when its median
            predicted distance is below this fraction of its median true
            distance. Defaults to 0.25.
        collapse_min_true_mm (float): Pairs truly closer than this (median,
            mm) are never collapsed. Defaults to 1.0.
        calibration (str, optional): A calibration file (or the folder
            holding ``calibration.json``) whose error radii are checked on
            this set. It must be of the dataset's landmarks, and its radius
            model's difficulty signal must be one the predictions give.
            Defaults to ``None``: no coverage.

    Examples:
        >>> val_evaluator = dict(type='CephalometricMetric')
        >>> default_hooks = dict(
        ...     checkpoint=dict(save_best='ceph/MRE', rule='less'))
    """

    default_prefix: Optional[str] = 'ceph'
    #: Pairs predicted closer than this (median, mm) always get a row in
    #: ``collapsed_pairs.csv``, collapsed or not.
    NEAR_COLLAPSE_MM: float = 1.0

    def __init__(self,
                 thresholds: Sequence[float] = (2.0, 2.5, 3.0, 4.0),
                 per_landmark: bool = True,
                 out_dir: Optional[str] = None,
                 collect_device: str = 'cpu',
                 prefix: Optional[str] = None,
                 collapse_ratio: float = 0.25,
                 collapse_min_true_mm: float = 1.0,
                 calibration: Optional[str] = None) -> None:
        super().__init__(collect_device=collect_device, prefix=prefix)
        thresholds = tuple(float(t) for t in thresholds)
        if not thresholds or any(t <= 0 for t in thresholds):
            raise ValueError('thresholds must be a non-empty sequence of '
                             f'positive numbers, but got {thresholds}')
        if not (isinstance(collapse_ratio,
                           (int, float)) and 0 < collapse_ratio < 1):
            raise ValueError('collapse_ratio must be a number in (0, 1), '
                             f'but got {collapse_ratio!r}')
        if not (isinstance(collapse_min_true_mm,
                           (int, float)) and collapse_min_true_mm >= 0):
            raise ValueError('collapse_min_true_mm must be a non-negative '
                             f'number of mm, but got {collapse_min_true_mm!r}')
        self.thresholds = thresholds
        self.collapse_ratio = float(collapse_ratio)
        self.collapse_min_true_mm = float(collapse_min_true_mm)
        self.per_landmark = per_landmark
        self.out_dir = out_dir
        #: The calibration file, and its content (``None`` without).
        self.calibration_file = calibration
        self.calibration = None if calibration is None else \
            load_calibration(calibration)

    def process(self, data_batch: Sequence[dict],
                data_samples: Sequence[dict]) -> None:
        """Collect the landmark records and, with a calibration, the
        difficulty signals of the predictions.

        Args:
            data_batch (Sequence[dict]): A batch from the dataloader (unused).
            data_samples (Sequence[dict]): The model's outputs as dicts.
        """
        start = len(self.results)
        super().process(data_batch, data_samples)
        if self.calibration is not None:
            for record, sample in zip(self.results[start:], data_samples):
                record['signals'] = signal_record(sample)

    def compute_metrics(self, results: List[dict]) -> Dict[str, float]:
        """Reduce the collected results to MRE and SDR.

        Args:
            results (list[dict]): Output of :meth:`process` over the set.

        Returns:
            dict[str, float]: ``MRE``, ``MRE_std``, ``SDR@{t}mm``,
            ``MRE_image_se`` and ``collapsed_pairs`` (an int); with a
            calibration also ``coverage``, ``min_landmark_coverage`` and
            ``mean_radius_mm``.
        """
        logger = MMLogger.get_current_instance()
        arrays = stack_records(results)
        pred, gt, mask, spacing, _ = arrays
        errors = radial_errors_mm(pred, gt, spacing)
        mre, std = mean_radial_error(errors, mask)
        sdr = success_detection_rates(errors, mask, self.thresholds)
        metrics = {'MRE': mre, 'MRE_std': std}
        for t, rate in zip(self.thresholds, sdr):
            metrics[sdr_key(t)] = float(rate)
        metrics['MRE_image_se'] = mre_standard_error(errors, mask)

        pairs = landmark_pair_distances(pred, gt, mask, spacing,
                                        self._landmark_names(mask.shape[1]),
                                        self.collapse_ratio,
                                        self.collapse_min_true_mm)
        collapsed = [r for r in pairs if r['collapsed']]
        metrics['collapsed_pairs'] = len(collapsed)
        for r in collapsed:
            logger.warning(
                f'Collapsed landmark pair: {r["landmark_a"]} and '
                f'{r["landmark_b"]} are predicted a median '
                f'{r["pred_median_mm"]:.2f} mm apart but are truly '
                f'{r["true_median_mm"]:.2f} mm apart (under 0.5 mm on '
                f'{100 * r["frac_pred_below_0.5mm"]:.0f}% of '
                f'{r["num_images"]} images): the model puts both at one '
                'point instead of telling the two structures apart.')

        table = None
        if self.calibration is not None:
            table = self._radius_coverage(results, arrays, errors)
            overall = table['overall']
            metrics['coverage'] = overall['coverage']
            metrics['min_landmark_coverage'] = overall['min_landmark_coverage']
            metrics['mean_radius_mm'] = overall['mean_radius_mm']
            logger.info(
                'Error radii of %s (nominal coverage %.3g): coverage %.3f '
                'of %d annotated points, smallest landmark coverage %.3f, '
                'mean radius %.2f mm', self.calibration_file,
                self.calibration.nominal_coverage, overall['coverage'],
                overall['num_points'], overall['min_landmark_coverage'],
                overall['mean_radius_mm'])

        if self.per_landmark:
            rows = self._per_landmark_rows(errors, mask)
            if table is not None:
                for row, cov in zip(rows, table['per_landmark']):
                    for key in ('coverage', 'mean_radius_mm'):
                        row[key] = math.nan if cov[key] is None else cov[key]
            logger.info('Per-landmark errors on %d images:\n%s', len(results),
                        self._format_table(rows))
            out_dir = self.out_dir or self._runner_log_dir()
            if out_dir:
                self._write_table(rows, out_dir, 'per_landmark_errors')
                logger.info('Per-landmark errors written to %s',
                            osp.join(out_dir, 'per_landmark_errors.csv'))
                near = [
                    r for r in pairs if r['collapsed']
                    or r['pred_median_mm'] < self.NEAR_COLLAPSE_MM
                ]
                self._write_table(near, out_dir, 'collapsed_pairs',
                                  PAIR_RECORD_KEYS)
                logger.info(
                    '%d collapsed landmark pairs (%d pairs predicted '
                    'under %g mm apart) written to %s', len(collapsed),
                    len(near), self.NEAR_COLLAPSE_MM,
                    osp.join(out_dir, 'collapsed_pairs.csv'))
        return metrics

    def _radius_coverage(self, results: List[dict], arrays: LandmarkArrays,
                         errors: np.ndarray) -> dict:
        """:func:`radius_coverage` of the calibration's radii on the set."""
        num_images, num_landmarks = errors.shape
        names = self.calibration.landmark_names
        id2name = (self.dataset_meta or {}).get('keypoint_id2name')
        if len(names) != num_landmarks or (
                id2name and names != self._landmark_names(num_landmarks)):
            theirs = self._landmark_names(num_landmarks)
            raise ValueError(
                f'{self.calibration_file}: a calibration of other landmarks '
                f'({len(names)}: {", ".join(names[:3])}...) than the test '
                f'set\'s ({num_landmarks}: {", ".join(theirs[:3])}...); '
                'calibrate this model (tools/calibrate.py)')
        signals = stack_signals([r.get('signals', {}) for r in results],
                                arrays)
        radii = calibrated_radii(self.calibration.radius, signals, num_images,
                                 self.calibration_file)
        return radius_coverage(names, errors, arrays.mask, radii)

    def _landmark_names(self, num_landmarks: int) -> List[str]:
        id2name = (self.dataset_meta or {}).get('keypoint_id2name', {})
        return [id2name.get(k, str(k)) for k in range(num_landmarks)]

    def _per_landmark_rows(self, errors: np.ndarray,
                           mask: np.ndarray) -> List[dict]:
        stats = per_landmark_errors(errors, mask, self.thresholds)
        rows = []
        for k, name in enumerate(self._landmark_names(errors.shape[1])):
            row = dict(
                landmark=name,
                count=int(stats['count'][k]),
                MRE=float(stats['mre'][k]),
                MRE_std=float(stats['std'][k]))
            for t, rate in zip(self.thresholds, stats['sdr'][k]):
                row[sdr_key(t)] = float(rate)
            rows.append(row)
        return rows

    @staticmethod
    def _format_table(rows: List[dict]) -> str:
        keys = list(rows[0])
        cells = [keys] + [[
            f'{r[k]:.3f}' if isinstance(r[k], float) else str(r[k])
            for k in keys
        ] for r in rows]
        widths = [max(len(c[i]) for c in cells) for i in range(len(keys))]
        return '\n'.join('  '.join(c.rjust(w) for c, w in zip(line, widths))
                         for line in cells)

    @staticmethod
    def _runner_log_dir() -> Optional[str]:
        log_file = MMLogger.get_current_instance().log_file
        return osp.dirname(log_file) if log_file else None

    @staticmethod
    def _write_table(rows: List[dict],
                     out_dir: str,
                     stem: str,
                     fieldnames: Optional[Sequence[str]] = None) -> None:
        """Write ``rows`` as ``{stem}.csv`` and ``{stem}.json``.

        ``fieldnames`` defaults to the keys of the first row; give it when
        ``rows`` may be empty, so the CSV still has its header.
        """
        mkdir_or_exist(out_dir)
        fieldnames = list(fieldnames or rows[0])
        csv_path = osp.join(out_dir, f'{stem}.csv')
        with open(csv_path + '.tmp', 'w', newline='') as f:
            writer = csv.DictWriter(f, fieldnames=fieldnames)
            writer.writeheader()
            writer.writerows(rows)
        os.replace(csv_path + '.tmp', csv_path)
        json_path = osp.join(out_dir, f'{stem}.json')
        # JSON has no NaN: a landmark with no valid image, or the ratio of
        # two coincident true landmarks, gets null
        clean = [{
            k: None if isinstance(v, float) and math.isnan(v) else v
            for k, v in row.items()
        } for row in rows]
        with open(json_path + '.tmp', 'w') as f:
            json.dump(clean, f, indent=2)
        os.replace(json_path + '.tmp', json_path)
