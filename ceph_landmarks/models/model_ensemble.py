"""Several trained checkpoints of one config, predicting as one model."""
import copy
from typing import List, Optional, Sequence

import numpy as np
import torch
from mmengine.model.utils import revert_sync_batchnorm
from mmengine.registry import init_default_scope
from mmpose.models.builder import build_pose_estimator
from mmpose.models.pose_estimators import TopdownPoseEstimator
from mmpose.structures import PoseDataSample
from torch import Tensor, nn

from ..core.log import get_logger
from .checkpoint_loader import (check_checkpoint_fits, load_local_checkpoint,
                                load_model_checkpoint)

__all__ = [
    'ModelEnsemble', 'build_pose_model', 'load_pose_model', 'ENSEMBLE_MODES'
]

#: How an ensemble combines its members: average the heatmaps and decode
#: once, or decode each member and average the points.
ENSEMBLE_MODES = ('heatmap', 'points')


def build_pose_model(model_cfg: dict,
                     flip_test: bool = False) -> TopdownPoseEstimator:
    """Build a pose model for testing, without weights.

    Built as MMPose's ``init_model`` builds (``init_default_scope``,
    ``build_pose_estimator``, ``revert_sync_batchnorm``, no ``train_cfg``,
    no backbone ``init_cfg``; see :func:`load_pose_model` for why
    ``init_model`` itself is not used).

    Args:
        model_cfg (dict): The ``model`` of a config.
        flip_test (bool): Average with the prediction on the horizontally
            flipped input (MMPose's ``test_cfg.flip_test``).

    Returns:
        TopdownPoseEstimator: The model, on the CPU, randomly initialised.
    """
    model_cfg = copy.deepcopy(model_cfg)
    model_cfg['train_cfg'] = None
    model_cfg['test_cfg'] = dict(
        model_cfg.get('test_cfg') or {}, flip_test=flip_test)
    if 'init_cfg' in model_cfg.get('backbone', {}):
        model_cfg['backbone']['init_cfg'] = None  # weights come from ckpt
    init_default_scope('mmpose')  # as MMPose's init_model does
    return revert_sync_batchnorm(build_pose_estimator(model_cfg))


def load_pose_model(model_cfg: dict,
                    checkpoint: Optional[str],
                    landmark_names: Sequence[str],
                    flip_test: bool = False,
                    *,
                    stage: Optional[str] = None,
                    trained_on: Optional[str] = None) -> TopdownPoseEstimator:
    """Build a pose model for testing and load its checkpoint strictly.

    Every checkpoint format the package accepts works (Runner checkpoint,
    bare state dict, EMA-only checkpoint; see
    :func:`ceph_landmarks.models.checkpoint_loader.load_model_checkpoint`,
    the one function every model, ensemble member and refinement stage is
    loaded with); a checkpoint of another head, landmark set or training,
    and a missing, unexpected or differently shaped weight, are errors
    naming the file and the stage.

    Built by :func:`build_pose_model`, as MMPose's ``init_model`` builds.
    ``init_model`` itself is not used: in mmpose 1.3.2
    (``mmpose/apis/inference.py``) it takes a whole config, not the
    ``model`` dict a cascade stage holds; it loads with
    ``load_checkpoint(model, checkpoint, map_location='cpu')``, i.e.
    ``strict=False`` (missing, unexpected or differently shaped tensors are
    only logged) and without the package's named errors; without a
    checkpoint it sets ``dataset_meta`` from the train dataset's class or
    COCO's, with a warning; and with ``cfg_options`` it keeps the
    backbone's ``init_cfg`` (an ``elif``), loading pretrained weights.

    Args:
        model_cfg (dict): The ``model`` of a config.
        checkpoint (str, optional): Checkpoint file; ``None`` keeps the
            random initial weights (tests and timing only).
        landmark_names (Sequence[str]): Landmarks the model must predict,
            in channel order.
        flip_test (bool): Average with the prediction on the horizontally
            flipped input (MMPose's ``test_cfg.flip_test``).
        stage (str, optional): Where the checkpoint is used, named in the
            errors (e.g. ``'refinement stage'``).
        trained_on (str, optional): What the stage needs the checkpoint to
            be trained on (``'whole images'`` or ``'crops'``, see
            :func:`~ceph_landmarks.models.checkpoint_loader.check_checkpoint_fits`).

    Returns:
        TopdownPoseEstimator: The model, in eval mode, on the CPU.

    Raises:
        CheckpointError: If the checkpoint is missing, empty, truncated or
            refused, or its tensors do not fit the model.
        CheckpointMismatchError: If it holds another head, another landmark
            set (also a ``ValueError``) or was trained for the other stage.
    """
    model = build_pose_model(model_cfg, flip_test)
    if checkpoint is not None:
        load_model_checkpoint(
            model,
            checkpoint,
            stage=stage,
            landmark_names=landmark_names,
            trained_on=trained_on)
    return model.eval()


def _member_stage(stage: str, index: int, num: int) -> str:
    """``'first stage'``, or ``'first stage member 2 of 3'`` in an
    ensemble."""
    return stage if num == 1 else f'{stage} member {index + 1} of {num}'


def _warn_unflipped(unflipped: Sequence[str], stage: str) -> None:
    """Log that the flip test mirrors images these models never saw."""
    if unflipped:
        get_logger().warning(
            f'flip_test (--flip-test): {", ".join(unflipped)} ({stage}) '
            f'{"was" if len(unflipped) == 1 else "were"} trained without '
            'RandomFlip (the training config recorded in the checkpoint '
            'flips no image), so the mirrored images the flip test adds '
            'are unlike any seen in training and the average may be worse '
            'than the prediction without --flip-test')


class ModelEnsemble(nn.Module):
    """Checkpoints of one config (folds, seeds) predicting as one model.

    All members share the config, so they take the same input and give
    heatmaps of the same shape. ``'heatmap'`` averages the members'
    heatmaps and decodes the mean once (the peak of the mean heatmap);
    ``'points'`` decodes each member and averages the points and scores.
    One member predicts exactly as the single model. Each member runs its
    own flip test when ``flip_test`` is set.

    Every member's checkpoint is read and checked against the config
    (:func:`~ceph_landmarks.models.checkpoint_loader.check_checkpoint_fits`:
    head, landmarks, training) before any weight is loaded, so a member of
    another landmark set is refused by name and stage (``'first stage
    member 2 of 2'``) whatever its place. With ``flip_test``, the members
    whose training config (``meta['cfg']``) has no ``RandomFlip`` are named
    in one logged warning: they never saw mirrored images (a checkpoint
    without ``meta`` says nothing, and is not named).

    Args:
        model_cfg (dict): The ``model`` of the members' config.
        checkpoints (Sequence[str | None]): One checkpoint per member.
        landmark_names (Sequence[str]): Landmark names in channel order.
        mode (str): ``'heatmap'`` or ``'points'``. Defaults to
            ``'heatmap'``.
        flip_test (bool): Flip test in each member. Defaults to False.
        stage (str): How errors name the stage. Defaults to
            ``'first stage'``.
        trained_on (str, optional): What the members must have been trained
            on: ``'whole images'`` (a first stage) or ``'crops'`` (a
            refinement stage); ``None`` checks nothing.

    Raises:
        ValueError: If there is no checkpoint or the mode is unknown.
        CheckpointError: If a member's checkpoint is missing, unreadable or
            refused, or (a ``CheckpointMismatchError``) holds another head
            or landmark set or was trained for the other stage; raised
            before any member is loaded, naming the file and the member.
    """

    def __init__(self,
                 model_cfg: dict,
                 checkpoints: Sequence[Optional[str]],
                 landmark_names: Sequence[str],
                 mode: str = 'heatmap',
                 flip_test: bool = False,
                 *,
                 stage: str = 'first stage',
                 trained_on: Optional[str] = None) -> None:
        super().__init__()
        if mode not in ENSEMBLE_MODES:
            raise ValueError(f'ensemble mode must be one of {ENSEMBLE_MODES}'
                             f', but got {mode!r}')
        if len(checkpoints) == 0:
            raise ValueError('an ensemble needs at least one checkpoint')
        self.mode = mode
        num = len(checkpoints)
        members = [build_pose_model(model_cfg, flip_test) for _ in checkpoints]
        loaded, unflipped = [], []
        for i, (member, ckpt) in enumerate(zip(members, checkpoints)):
            if ckpt is None:
                loaded.append(None)
                continue
            content = load_local_checkpoint(ckpt, map_location='cpu')
            if isinstance(content, dict):  # only the weights are kept
                content = {
                    k: v
                    for k, v in content.items() if k in ('state_dict', 'meta')
                } if 'state_dict' in content else content
                held = check_checkpoint_fits(member, content, ckpt,
                                             _member_stage(stage, i, num),
                                             landmark_names, trained_on)
                if held.flipped is False:
                    unflipped.append(ckpt)
            loaded.append(content)
        if flip_test:
            _warn_unflipped(unflipped, stage)
        for i, (member, ckpt,
                content) in enumerate(zip(members, checkpoints, loaded)):
            if ckpt is not None:
                load_model_checkpoint(
                    member,
                    ckpt,
                    stage=_member_stage(stage, i, num),
                    checkpoint=content)  # checked above
            member.eval()
        self.members = nn.ModuleList(members)

    @property
    def data_preprocessor(self) -> nn.Module:
        """The members' (shared) data preprocessor."""
        return self.members[0].data_preprocessor

    @torch.no_grad()
    def predict(self, inputs: Tensor,
                data_samples: List[PoseDataSample]) -> List[PoseDataSample]:
        """Predict landmarks in pixels of the original images.

        Args:
            inputs (Tensor): Preprocessed inputs ``[N, C, H, W]``.
            data_samples (list[PoseDataSample]): Their data samples.

        Returns:
            list[PoseDataSample]: ``data_samples`` with ``pred_instances``.
        """
        if len(self.members) == 1:
            return self.members[0].predict(inputs, data_samples)
        if self.mode == 'heatmap':
            return self._predict_heatmaps(inputs, data_samples)
        return self._predict_points(inputs, data_samples)

    def _predict_heatmaps(self, inputs: Tensor,
                          data_samples: List[PoseDataSample]
                          ) -> List[PoseDataSample]:
        stacked = torch.stack([
            self._member_heatmaps(member, inputs, data_samples)
            for member in self.members
        ])
        # averaged in float64: members with equal heatmaps give exactly
        # their heatmap (a float32 mean can round apart two maxima that
        # differ in the last bit and move the decoded peak)
        heatmaps = stacked.mean(dim=0, dtype=torch.float64).to(stacked.dtype)
        first = self.members[0]
        return first.add_pred_to_datasample(
            first.head.decode(heatmaps), None, data_samples)

    @staticmethod
    def _member_heatmaps(member: TopdownPoseEstimator, inputs: Tensor,
                         data_samples: List[PoseDataSample]) -> Tensor:
        """The member's heatmaps ``[N, K, h, w]`` (flip-averaged if set)."""
        test_cfg = dict(member.test_cfg, output_heatmaps=True)
        feats = member.extract_feat(inputs)
        if test_cfg.get('flip_test', False):
            feats = [feats, member.extract_feat(inputs.flip(-1))]
        _, fields = member.head.predict(feats, data_samples, test_cfg)
        return torch.stack([field.heatmaps for field in fields])

    def _predict_points(self, inputs: Tensor,
                        data_samples: List[PoseDataSample]
                        ) -> List[PoseDataSample]:
        runs = [
            member.predict(inputs, copy.deepcopy(data_samples))
            for member in self.members
        ]
        for i, sample in enumerate(data_samples):
            preds = [run[i].pred_instances for run in runs]
            merged = preds[0]
            merged.keypoints = np.mean([p.keypoints for p in preds], axis=0)
            merged.keypoint_scores = np.mean(
                [p.keypoint_scores for p in preds], axis=0)
            merged.keypoints_visible = merged.keypoint_scores
            sample.pred_instances = merged
        return data_samples
