"""Pure numpy evaluation functions."""
from .cephalometric_angles import (available_measurements, cephalometric_angles,
                                   vector_angle)
from .interobserver import interobserver_agreement
from .radial_error import (mean_radial_error, per_landmark_errors,
                           radial_errors_mm, sdr_key, success_detection_rates)

__all__ = [
    'radial_errors_mm', 'mean_radial_error', 'success_detection_rates',
    'per_landmark_errors', 'sdr_key', 'interobserver_agreement',
    'cephalometric_angles', 'available_measurements', 'vector_angle'
]
