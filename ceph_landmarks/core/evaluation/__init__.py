"""The evaluation maths, pure numpy: radial errors, MRE and SDR, the
cephalometric measurements with their norms, and the units of the metric
keys."""
from .cephalometric_analysis import MeasurementResult, cephalometric_analysis
from .cephalometric_geometry import vector_angle
from .cephalometric_measurements import (measurement_values,
                                         supported_measurements)
from .cephalometric_norms import NORMS, classify_deviation
from .collapse import (PAIR_RECORD_KEYS, TOUCH_MM, collapsed_pairs,
                       landmark_pair_distances)
from .crop_offsets import relative_error_spread
from .interobserver import interobserver_agreement
from .metric_units import UNIT_SUFFIX, metric_unit
from .radial_error import (mean_radial_error, mre_standard_error,
                           per_image_mre, per_landmark_errors,
                           radial_errors_mm, sdr_key, success_detection_rates)

__all__ = [
    'radial_errors_mm', 'mean_radial_error', 'success_detection_rates',
    'per_landmark_errors', 'sdr_key', 'per_image_mre', 'mre_standard_error',
    'interobserver_agreement', 'vector_angle', 'landmark_pair_distances',
    'collapsed_pairs', 'TOUCH_MM', 'PAIR_RECORD_KEYS', 'relative_error_spread',
    'cephalometric_analysis', 'MeasurementResult', 'supported_measurements',
    'measurement_values', 'NORMS', 'classify_deviation', 'UNIT_SUFFIX',
    'metric_unit'
]
