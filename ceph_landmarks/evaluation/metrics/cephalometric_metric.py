"""MRE / SDR metric for cephalometric landmarks, in millimetres."""
import csv
import json
import math
import os
import os.path as osp
from typing import Dict, List, Optional, Sequence

import numpy as np
from mmengine.utils import mkdir_or_exist
from mmengine.logging import MMLogger
from mmpose.registry import METRICS

from ..functional import (mean_radial_error, per_landmark_errors,
                          radial_errors_mm, sdr_key, success_detection_rates)
from .landmark_metric import LandmarkMetric
from .landmark_records import stack_records


@METRICS.register_module()
class CephalometricMetric(LandmarkMetric):
    """Mean radial error (MRE) and success detection rates (SDR) in mm.

    Each image's own pixel spacing (``spacing`` in the data sample's
    metainfo, packed by ``PackPoseInputs(meta_keys=(..., 'spacing'))``)
    converts pixel errors to millimetres. Landmarks whose ground truth is
    missing or invisible (``keypoints_visible == 0``) are excluded. The maths
    lives in :mod:`ceph_landmarks.evaluation.functional`; see there for the
    conventions (SDR counts ``error <= threshold``; MRE pools all valid
    landmarks).

    Returned keys (with the default prefix ``ceph``): ``ceph/MRE``,
    ``ceph/MRE_std`` (mm) and ``ceph/SDR@{t}mm`` (percent) for each
    threshold. The per-landmark table is logged through ``MMLogger`` and, when
    ``out_dir`` is given or a runner log directory exists, written as
    ``per_landmark_errors.csv`` and ``.json``.

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

    Examples:
        >>> val_evaluator = dict(type='CephalometricMetric')
        >>> default_hooks = dict(
        ...     checkpoint=dict(save_best='ceph/MRE', rule='less'))
    """

    default_prefix: Optional[str] = 'ceph'

    def __init__(self,
                 thresholds: Sequence[float] = (2.0, 2.5, 3.0, 4.0),
                 per_landmark: bool = True,
                 out_dir: Optional[str] = None,
                 collect_device: str = 'cpu',
                 prefix: Optional[str] = None) -> None:
        super().__init__(collect_device=collect_device, prefix=prefix)
        thresholds = tuple(float(t) for t in thresholds)
        if not thresholds or any(t <= 0 for t in thresholds):
            raise ValueError('thresholds must be a non-empty sequence of '
                             f'positive numbers, but got {thresholds}')
        self.thresholds = thresholds
        self.per_landmark = per_landmark
        self.out_dir = out_dir

    def compute_metrics(self, results: List[dict]) -> Dict[str, float]:
        """Reduce the collected results to MRE and SDR.

        Args:
            results (list[dict]): Output of :meth:`process` over the set.

        Returns:
            dict[str, float]: ``MRE``, ``MRE_std`` and ``SDR@{t}mm``.
        """
        logger = MMLogger.get_current_instance()
        pred, gt, mask, spacing, _ = stack_records(results)
        errors = radial_errors_mm(pred, gt, spacing)
        mre, std = mean_radial_error(errors, mask)
        sdr = success_detection_rates(errors, mask, self.thresholds)
        metrics = {'MRE': mre, 'MRE_std': std}
        for t, rate in zip(self.thresholds, sdr):
            metrics[sdr_key(t)] = float(rate)
        if self.per_landmark:
            rows = self._per_landmark_rows(errors, mask)
            logger.info('Per-landmark errors on %d images:\n%s', len(results),
                        self._format_table(rows))
            out_dir = self.out_dir or self._runner_log_dir()
            if out_dir:
                self._write_tables(rows, out_dir)
                logger.info('Per-landmark errors written to %s',
                            osp.join(out_dir, 'per_landmark_errors.csv'))
        return metrics

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
    def _write_tables(rows: List[dict], out_dir: str) -> None:
        mkdir_or_exist(out_dir)
        csv_path = osp.join(out_dir, 'per_landmark_errors.csv')
        with open(csv_path + '.tmp', 'w', newline='') as f:
            writer = csv.DictWriter(f, fieldnames=list(rows[0]))
            writer.writeheader()
            writer.writerows(rows)
        os.replace(csv_path + '.tmp', csv_path)
        json_path = osp.join(out_dir, 'per_landmark_errors.json')
        # JSON has no NaN: a landmark with no valid image gets null
        clean = [{
            k: None if isinstance(v, float) and math.isnan(v) else v
            for k, v in row.items()
        } for row in rows]
        with open(json_path + '.tmp', 'w') as f:
            json.dump(clean, f, indent=2)
        os.replace(json_path + '.tmp', json_path)
