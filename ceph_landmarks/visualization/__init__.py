"""The evaluation report of a test run: its plots, its writer and the hook
that writes it. Overlays and the HTML page of each image are core writers
(:mod:`ceph_landmarks.core.writers`).

matplotlib is imported only when a plot is drawn.
"""
from .plots import plot_per_landmark_mre, plot_sdr_curve
from .report import write_evaluation_report
from .report_hook import EvaluationReportHook

__all__ = [
    'plot_per_landmark_mre', 'plot_sdr_curve', 'write_evaluation_report',
    'EvaluationReportHook'
]
