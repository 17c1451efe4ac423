"""Evaluation metrics registered in ``mmpose.registry.METRICS``."""
from .cephalometric_angle_metric import CephalometricAngleMetric
from .cephalometric_metric import CephalometricMetric

__all__ = ['CephalometricMetric', 'CephalometricAngleMetric']
