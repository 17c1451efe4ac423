"""Datasets and transforms registered in MMPose's ``DATASETS`` and
``TRANSFORMS``. They read annotations through the core's annotation
contract (:mod:`ceph_landmarks.core.io.annotations`)."""
from .cephalometric_dataset import CephalometricDataset
from .landmark_crop_dataset import CephalometricCropDataset
from .transforms import RandomCLAHE, RandomGammaContrast

__all__ = [
    'CephalometricDataset', 'CephalometricCropDataset', 'RandomCLAHE',
    'RandomGammaContrast'
]
