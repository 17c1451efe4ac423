"""Datasets registered in ``mmpose.registry.DATASETS``."""
from .cephalometric_dataset import CephalometricDataset

__all__ = ['CephalometricDataset']
