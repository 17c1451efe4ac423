"""Datasets and transforms registered in MMPose's ``DATASETS`` and
``TRANSFORMS``."""
from .cephalometric_dataset import CephalometricDataset
from .transforms import RandomCLAHE, RandomGammaContrast

__all__ = ['CephalometricDataset', 'RandomCLAHE', 'RandomGammaContrast']
