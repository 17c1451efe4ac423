"""A hook that writes the evaluation report of a test run."""
import os.path as osp
from typing import List, Optional, Sequence

from mmengine.dist import collect_results, is_main_process
from mmengine.hooks import Hook
from mmengine.structures import BaseDataElement
from mmpose.registry import HOOKS

from ..core.metainfo import landmark_labels
from ..evaluation.metrics.landmark_records import (landmark_record,
                                                   stack_records)
from .report import write_evaluation_report

__all__ = ['EvaluationReportHook']


@HOOKS.register_module()
class EvaluationReportHook(Hook):
    """Write the evaluation report of a test run as PNG files and a table.

    Keeps the predicted and true landmarks of every test image (as the
    cephalometric metrics do) and, after the test epoch, writes a
    per-landmark MRE bar chart, the SDR-versus-threshold curve, overlays of
    the ``num_worst`` images with the largest MRE and a per-image error
    table (see :func:`~ceph_landmarks.visualization.write_evaluation_report`).
    Like MMPose's ``BadCaseAnalysisHook``, it gives files, not metrics;
    ``tools/test.py --report`` adds it to ``custom_hooks``.

    Args:
        out_dir (str, optional): Folder of the report. ``None`` uses
            ``report/`` in the runner's log directory
            (``work_dir/<timestamp>/report``).
        num_worst (int): Number of worst images to draw. Defaults to 5.

    Examples:
        >>> custom_hooks = [
        ...     dict(type='EvaluationReportHook', out_dir='work_dirs/report')
        ... ]
    """

    def __init__(self,
                 out_dir: Optional[str] = None,
                 num_worst: int = 5) -> None:
        if not isinstance(num_worst, int) or num_worst < 0:
            raise ValueError('num_worst must be a non-negative integer, but '
                             f'got {num_worst!r}')
        self.out_dir = out_dir
        self.num_worst = num_worst
        self._records: List[dict] = []

    def before_test_epoch(self, runner) -> None:
        """Start with no records."""
        self._records = []

    def after_test_iter(self,
                        runner,
                        batch_idx: int,
                        data_batch: Optional[dict] = None,
                        outputs: Optional[Sequence] = None) -> None:
        """Keep the landmarks, spacing and image path of each output.

        Args:
            runner (Runner): The runner of the test.
            batch_idx (int): Index of the batch in the test loop.
            data_batch (dict, optional): The batch (unused).
            outputs (Sequence[PoseDataSample], optional): The model's
                outputs, with ``pred_instances``, ``gt_instances`` and the
                metainfo ``spacing`` and ``img_path``.
        """
        for sample in outputs or ():
            if isinstance(sample, BaseDataElement):
                sample = sample.to_dict()
            self._records.append(landmark_record(sample, type(self).__name__))

    def after_test_epoch(self, runner, metrics: Optional[dict] = None) -> None:
        """Gather the records of all ranks and write the report on rank 0.

        Args:
            runner (Runner): The runner of the test.
            metrics (dict, optional): The test metrics (unused).
        """
        dataset = runner.test_dataloader.dataset
        records = collect_results(self._records, len(dataset))
        self._records = []
        if not is_main_process():
            return
        if not records:
            runner.logger.warning('evaluation report: no test outputs, '
                                  'nothing written')
            return
        arrays = stack_records(records)
        meta = dict(dataset.metainfo)
        num = arrays.pred.shape[1]
        meta.setdefault('keypoint_id2name', {k: str(k) for k in range(num)})
        out_dir = self.out_dir or osp.join(runner.log_dir, 'report')
        written = write_evaluation_report(
            *arrays,
            names=[meta['keypoint_id2name'][k] for k in range(num)],
            out_dir=out_dir,
            labels=landmark_labels(meta),
            num_worst=self.num_worst)
        runner.logger.info(f'Evaluation report ({len(written)} files) '
                           f'written to {out_dir}')
