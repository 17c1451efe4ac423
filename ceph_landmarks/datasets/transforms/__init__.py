"""Data transforms registered in ``mmpose.registry.TRANSFORMS``."""
from .random_clahe import RandomCLAHE
from .random_gamma_contrast import RandomGammaContrast

__all__ = ['RandomCLAHE', 'RandomGammaContrast']
