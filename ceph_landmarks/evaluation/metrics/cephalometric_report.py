"""A metric that writes the evaluation report instead of numbers."""
import os.path as osp
from typing import Dict, List, Optional

from mmengine.logging import MMLogger
from mmpose.registry import METRICS

from ...visualization import landmark_labels, write_evaluation_report
from .landmark_metric import LandmarkMetric
from .landmark_records import stack_records


@METRICS.register_module()
class CephalometricReport(LandmarkMetric):
    """Write the evaluation report of a test run as PNG files.

    Collects the predictions like :class:`CephalometricMetric` and, at the
    end of the run, writes a per-landmark MRE bar chart, the SDR-versus-
    threshold curve, overlays of the ``num_worst`` images with the largest
    MRE and a per-image error table (see
    :func:`ceph_landmarks.visualization.write_evaluation_report`). It
    returns no metric, like mmengine's ``DumpResults``, and is added to the
    test evaluators by ``tools/test.py --report``.

    Args:
        out_dir (str, optional): Folder of the report. ``None`` uses
            ``report/`` in the current runner's log directory
            (``work_dir/<timestamp>/report``).
        num_worst (int): Number of worst images to draw. Defaults to 5.
        collect_device (str): Device used to collect results across ranks.
            Defaults to ``'cpu'``.
        prefix (str, optional): Metric key prefix. Defaults to ``'ceph'``.

    Examples:
        >>> test_evaluator = [
        ...     dict(type='CephalometricMetric'),
        ...     dict(type='CephalometricReport', out_dir='work_dirs/report')]
    """

    default_prefix: Optional[str] = 'ceph'

    def __init__(self,
                 out_dir: Optional[str] = None,
                 num_worst: int = 5,
                 collect_device: str = 'cpu',
                 prefix: Optional[str] = None) -> None:
        super().__init__(collect_device=collect_device, prefix=prefix)
        if not isinstance(num_worst, int) or num_worst < 0:
            raise ValueError('num_worst must be a non-negative integer, but '
                             f'got {num_worst!r}')
        self.out_dir = out_dir
        self.num_worst = num_worst

    def compute_metrics(self, results: List[dict]) -> Dict[str, float]:
        """Write the report.

        Args:
            results (list[dict]): Output of :meth:`process` over the set.

        Returns:
            dict: Always empty: the report is files, not numbers.
        """
        logger = MMLogger.get_current_instance()
        out_dir = self.out_dir
        if out_dir is None:
            log_file = logger.log_file
            out_dir = osp.join(
                osp.dirname(log_file) if log_file else '.', 'report')
        arrays = stack_records(results)
        meta = dict(self.dataset_meta or {})
        num = arrays.pred.shape[1]
        meta.setdefault('keypoint_id2name', {k: str(k) for k in range(num)})
        names = [meta['keypoint_id2name'][k] for k in range(num)]
        written = write_evaluation_report(
            *arrays,
            names=names,
            out_dir=out_dir,
            labels=landmark_labels(meta),
            num_worst=self.num_worst)
        logger.info(f'Evaluation report ({len(written)} files) written to '
                    f'{out_dir}')
        return {}
