"""The evaluation maths, pure numpy: radial errors, MRE and SDR, the
cephalometric measurements with their norms and their uncertainty, the
units of the metric keys, the calibrated error radii (split-conformal) and
the plausibility check of a landmark configuration."""
from .cephalometric_analysis import MeasurementResult, cephalometric_analysis
from .cephalometric_geometry import vector_angle
from .cephalometric_measurements import (measurement_values,
                                         supported_measurements)
from .cephalometric_norms import NORMS, classify_deviation
from .collapse import (PAIR_RECORD_KEYS, TOUCH_MM, collapsed_pairs,
                       landmark_pair_distances)
from .conformal import (DIFFICULTY_SIGNALS, DifficultySignal,
                        RadiusCalibration, compare_radius_models,
                        conformal_quantile, coverage, difficulty_signal,
                        difficulty_transform, fit_radius_calibration)
from .crop_offsets import relative_error_spread
from .interobserver import interobserver_agreement
from .measurement_uncertainty import measurement_uncertainty, rayleigh_sigma
from .metric_units import UNIT_SUFFIX, metric_unit
from .radial_error import (mean_radial_error, mre_standard_error,
                           per_image_mre, per_landmark_errors,
                           radial_errors_mm, sdr_key, success_detection_rates)
from .shape_plausibility import (MAX_ROTATION_DEG, REFUSE_FACTOR,
                                 REVIEW_PERCENTILE, VARIANCE_KEPT, ShapeModel,
                                 ShapeVerdict, assess_shape, procrustes_align)

__all__ = [
    'radial_errors_mm', 'mean_radial_error', 'success_detection_rates',
    'per_landmark_errors', 'sdr_key', 'per_image_mre', 'mre_standard_error',
    'interobserver_agreement', 'vector_angle', 'landmark_pair_distances',
    'collapsed_pairs', 'TOUCH_MM', 'PAIR_RECORD_KEYS', 'relative_error_spread',
    'cephalometric_analysis', 'MeasurementResult', 'supported_measurements',
    'measurement_values', 'NORMS', 'classify_deviation', 'UNIT_SUFFIX',
    'metric_unit', 'DifficultySignal', 'DIFFICULTY_SIGNALS',
    'difficulty_signal', 'difficulty_transform', 'conformal_quantile',
    'coverage', 'RadiusCalibration', 'fit_radius_calibration',
    'compare_radius_models', 'procrustes_align', 'ShapeModel', 'ShapeVerdict',
    'assess_shape', 'VARIANCE_KEPT', 'REVIEW_PERCENTILE', 'REFUSE_FACTOR',
    'MAX_ROTATION_DEG', 'measurement_uncertainty', 'rayleigh_sigma'
]
