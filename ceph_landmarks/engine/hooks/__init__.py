"""Hooks registered in ``mmpose.registry.HOOKS``."""
from .backbone_freeze_hook import BackboneFreezeHook
from .landmark_checkpoint_hook import LandmarkCheckpointHook
from .random_state_hook import RandomStateHook

__all__ = ['BackboneFreezeHook', 'LandmarkCheckpointHook', 'RandomStateHook']
