"""Evaluation metrics registered in ``mmpose.registry.METRICS``."""
from .cephalometric_metric import CephalometricMetric

__all__ = ['CephalometricMetric']
