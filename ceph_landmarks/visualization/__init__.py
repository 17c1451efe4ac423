"""Pictures for people: landmark overlays and evaluation plots."""
from .overlay import (ERROR_COLOR, GT_COLOR, PRED_COLOR, draw_landmark_overlay,
                      landmark_labels)
from .plots import plot_per_landmark_mre, plot_sdr_curve
from .report import write_evaluation_report

__all__ = [
    'draw_landmark_overlay', 'landmark_labels', 'PRED_COLOR', 'GT_COLOR',
    'ERROR_COLOR', 'plot_per_landmark_mre', 'plot_sdr_curve',
    'write_evaluation_report'
]
