"""Data transforms registered in ``mmpose.registry.TRANSFORMS``."""
from .load_cephalogram import LoadCephalogram
from .random_clahe import RandomCLAHE
from .random_gamma_contrast import RandomGammaContrast

__all__ = ['LoadCephalogram', 'RandomCLAHE', 'RandomGammaContrast']
