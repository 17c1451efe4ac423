"""Model components registered in ``mmpose.registry.MODELS``, and the
landmark extension of trained heads."""
from .heads import SRPoseHead
from .landmark_extension import (HeadLandmarkLayout, LandmarkMapping,
                                 LandmarkTensor, extend_checkpoint,
                                 extend_state_dict, find_head_layout,
                                 map_landmarks, strip_module_prefix)

__all__ = [
    'SRPoseHead', 'HeadLandmarkLayout', 'LandmarkMapping', 'LandmarkTensor',
    'extend_checkpoint', 'extend_state_dict', 'find_head_layout',
    'map_landmarks', 'strip_module_prefix'
]
