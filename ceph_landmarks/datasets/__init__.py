"""Datasets and transforms registered in MMPose's ``DATASETS`` and
``TRANSFORMS``, and the annotation contract every entry point reads through
(:mod:`.annotations`)."""
from .annotations import (AnnotatedImage, load_annotations, lookup_spacing,
                          normalize_spacing, read_spacing_csv)
from .cephalometric_dataset import CephalometricDataset
from .landmark_crop_dataset import CephalometricCropDataset
from .transforms import RandomCLAHE, RandomGammaContrast

__all__ = [
    'CephalometricDataset', 'CephalometricCropDataset', 'RandomCLAHE',
    'RandomGammaContrast', 'AnnotatedImage', 'load_annotations',
    'lookup_spacing', 'normalize_spacing', 'read_spacing_csv'
]
