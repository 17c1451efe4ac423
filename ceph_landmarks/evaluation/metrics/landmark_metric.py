"""Base of the package's metrics: one landmark record per data sample."""
from typing import Sequence

from mmengine.evaluator import BaseMetric

from .landmark_records import landmark_record

__all__ = ['LandmarkMetric']


class LandmarkMetric(BaseMetric):
    """A metric that keeps :func:`landmark_record` of every data sample.

    Subclasses implement ``compute_metrics`` over the collected records
    (see :func:`stack_records`); errors about a sample name the subclass.
    """

    def process(self, data_batch: Sequence[dict],
                data_samples: Sequence[dict]) -> None:
        """Collect predictions, ground truth, visibility, spacing and path.

        Args:
            data_batch (Sequence[dict]): A batch from the dataloader (unused).
            data_samples (Sequence[dict]): The model's outputs as dicts with
                ``pred_instances``, ``gt_instances`` and the metainfo
                ``spacing`` and ``img_path``.
        """
        name = type(self).__name__
        for sample in data_samples:
            self.results.append(landmark_record(sample, name))
