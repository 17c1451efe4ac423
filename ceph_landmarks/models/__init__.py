"""Model components registered in ``mmpose.registry.MODELS``, and the
landmark extension of trained heads."""
from .heads import SRPoseHead
from .landmark_cascade import LandmarkCascade
from .landmark_extension import (HeadLandmarkLayout, LandmarkMapping,
                                 LandmarkTensor, extend_checkpoint,
                                 extend_state_dict, find_head_layout,
                                 map_landmarks, strip_module_prefix)
from .model_ensemble import ENSEMBLE_MODES, ModelEnsemble, load_pose_model

__all__ = [
    'SRPoseHead', 'LandmarkCascade', 'ModelEnsemble', 'ENSEMBLE_MODES',
    'load_pose_model', 'HeadLandmarkLayout', 'LandmarkMapping',
    'LandmarkTensor', 'extend_checkpoint', 'extend_state_dict',
    'find_head_layout', 'map_landmarks', 'strip_module_prefix'
]
