"""Evaluation metrics registered in ``mmpose.registry.METRICS``."""
from .cephalometric_measurement_metric import CephalometricMeasurementMetric
from .cephalometric_metric import CephalometricMetric

__all__ = ['CephalometricMetric', 'CephalometricMeasurementMetric']
