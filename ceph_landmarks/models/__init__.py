"""Model components registered in ``mmpose.registry.MODELS``, checkpoint
loading, the test-time cascade and the landmark extension of trained heads."""
from .cascade_config import cascade_config, config_dataset_meta
from .checkpoint_loader import (CheckpointError, load_local_checkpoint,
                                load_model_checkpoint,
                                package_checkpoint_loader)
from .heads import SRPoseHead
from .landmark_cascade import LandmarkCascade
from .landmark_extension import (HeadLandmarkLayout, LandmarkMapping,
                                 LandmarkTensor, extend_checkpoint,
                                 extend_state_dict, find_head_layout,
                                 map_landmarks, strip_module_prefix)
from .model_ensemble import ENSEMBLE_MODES, ModelEnsemble, load_pose_model
from .weights_export import export_weights

__all__ = [
    'SRPoseHead', 'LandmarkCascade', 'ModelEnsemble', 'ENSEMBLE_MODES',
    'load_pose_model', 'HeadLandmarkLayout', 'LandmarkMapping',
    'LandmarkTensor', 'extend_checkpoint', 'extend_state_dict',
    'find_head_layout', 'map_landmarks', 'strip_module_prefix',
    'cascade_config', 'config_dataset_meta', 'CheckpointError',
    'load_local_checkpoint', 'load_model_checkpoint',
    'package_checkpoint_loader', 'export_weights'
]
