"""Pictures for people: landmark overlays, evaluation plots and reports
(the evaluation report of a test run, the HTML page of each image).

matplotlib is imported only when a plot is drawn.
"""
from .html_report import write_html_report, write_report_index
from .overlay import ERROR_COLOR, GT_COLOR, PRED_COLOR, draw_landmark_overlay
from .plots import plot_per_landmark_mre, plot_sdr_curve
from .report import write_evaluation_report
from .report_hook import EvaluationReportHook

__all__ = [
    'draw_landmark_overlay', 'PRED_COLOR', 'GT_COLOR', 'ERROR_COLOR',
    'plot_per_landmark_mre', 'plot_sdr_curve', 'write_evaluation_report',
    'EvaluationReportHook', 'write_html_report', 'write_report_index'
]
