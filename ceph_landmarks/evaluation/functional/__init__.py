"""Pure numpy evaluation functions."""
from .radial_error import (mean_radial_error, per_landmark_errors,
                           radial_errors_mm, sdr_key, success_detection_rates)

__all__ = [
    'radial_errors_mm', 'mean_radial_error', 'success_detection_rates',
    'per_landmark_errors', 'sdr_key'
]
