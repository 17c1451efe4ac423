"""Heads registered in ``mmpose.registry.MODELS``."""
from .srpose_head import SRPoseHead

__all__ = ['SRPoseHead']
