"""Data transforms registered in ``mmpose.registry.TRANSFORMS``."""
from .keep_original_image import KeepOriginalImage
from .landmark_crop import LandmarkCrop
from .load_cephalogram import LoadCephalogram, read_cephalogram
from .pack_cephalogram_inputs import PackCephalogramInputs
from .random_clahe import RandomCLAHE
from .random_gamma_contrast import RandomGammaContrast

__all__ = [
    'KeepOriginalImage', 'LandmarkCrop', 'LoadCephalogram',
    'PackCephalogramInputs', 'RandomCLAHE', 'RandomGammaContrast',
    'read_cephalogram'
]
