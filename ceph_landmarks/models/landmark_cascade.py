"""Coarse-to-fine landmark detection: a whole-image model, then crops."""
import copy
from typing import List, Optional, Sequence

import numpy as np
import torch
from mmengine.dataset import Compose, pseudo_collate
from mmengine.model import BaseModel
from mmpose.registry import MODELS
from mmpose.structures import PoseDataSample
from torch import Tensor

from ..core.log import get_logger
from .checkpoint_loader import TRAINED_ON_CROPS, TRAINED_ON_WHOLE_IMAGES
from .model_ensemble import ModelEnsemble

__all__ = ['LandmarkCascade']


def _warn_single_member_ensemble(ensemble: str,
                                 coarse: Sequence[Optional[str]],
                                 refine: Sequence[Optional[str]]) -> None:
    """Log that ``ensemble='points'`` combines nothing with one checkpoint
    per stage (the default, ``'heatmap'``, is not worth a word)."""
    if ensemble == 'points' and len(coarse) < 2 and len(refine) < 2:
        get_logger().warning(
            "ensemble='points' (--ensemble points) has no effect: it "
            'chooses how several checkpoints of a stage are combined, but '
            f'the first stage has one ({coarse[0] if coarse else None})' +
            (f' and the refinement stage one ({refine[0]})' if refine else ''))


@MODELS.register_module()
class LandmarkCascade(BaseModel):
    """Trained models combined for testing: ensemble, flip and refinement.

    **Stage 1** (``coarse``) is an ordinary top-down model of the package
    that sees the whole image (at CPU sizes about 0.5 mm per input pixel
    and 2 mm per heatmap pixel). **Stage 2** (``refine``, optional) looks
    at each landmark again: a window of the original image around the
    stage-1 estimate (``LandmarkCrop``, a fraction of the image's longer
    side), at (near) full resolution, re-locates the landmark there, and
    the point is mapped back to image pixels. A point stage 2 places
    outside its window (a flat heatmap: the landmark is not in the window)
    keeps stage 1's estimate.

    Why one refinement model with a heatmap channel per landmark (and not
    one model per landmark, or a single channel conditioned on which
    landmark is wanted): the window around one landmark usually holds its
    neighbours (the two incisal tips are 4 to 5 mm apart), and every
    landmark inside the window is supervised in its own channel in the
    same sample. The model therefore learns to tell look-alike neighbours
    apart, which a single conditioned channel would have to learn from the
    conditioning alone; at test time the channel of the window's own
    landmark is read. It is MMPose's ordinary ``TopdownPoseEstimator`` with
    a ``HeatmapHead``, trained with MMPose's pipeline on
    :class:`~ceph_landmarks.datasets.CephalometricCropDataset`, so the same
    design applies to any landmark set (ISBI, CL-Detection, Aariz): only
    ``out_channels`` differs.

    Each stage is a :class:`ModelEnsemble`: several checkpoints of its
    config (folds, seeds), averaged by heatmap or by point; ``flip_test``
    averages every member with its prediction on the mirrored input (for
    landmark sets without left/right pairs the flip indices are the
    identity).

    The cascade only predicts (``mode='predict'``); each stage is trained
    with its own config. Build its config with
    :func:`ceph_landmarks.models.cascade_config`, which also makes the test
    pipeline keep the original image (``KeepOriginalImage``) for stage 2.
    The refined points replace ``pred_instances.keypoints``; stage 1's
    points stay in ``pred_instances.coarse_keypoints``.

    Each checkpoint is checked before its weights are loaded (see
    :func:`ceph_landmarks.models.checkpoint_loader.check_checkpoint_fits`):
    one of another head or landmark set is refused naming the file and its
    stage (``'first stage member 2 of 2'``, ``'refinement stage'``), and so
    is, where the checkpoint records its training config, a whole-image
    model given as the refinement stage or a crop model given as the first
    stage. Options that do nothing are logged as warnings:
    ``ensemble='points'`` with one checkpoint per stage, and ``flip_test``
    with models whose training config has no ``RandomFlip``.

    Args:
        coarse (dict): Stage 1: ``model`` (the model config) and
            ``checkpoints`` (list of files).
        landmark_names (Sequence[str]): Landmark names in channel order.
        refine (dict, optional): Stage 2: ``model``, ``checkpoints`` and
            ``pipeline``, the crop pipeline (with ``LandmarkCrop``).
        ensemble (str): ``'heatmap'`` or ``'points'``, for both stages.
            Defaults to ``'heatmap'``.
        flip_test (bool): Flip test in both stages. Defaults to False.
        refine_batch_size (int): Crops per forward pass of stage 2.
            Defaults to 64.
        init_cfg (dict, optional): Unused; the weights come from the
            checkpoints.

    Raises:
        ValueError: If the refinement pipeline has no ``LandmarkCrop``
            (and as :class:`ModelEnsemble`).
        CheckpointError: If a checkpoint cannot be read or does not fit its
            stage (as :class:`ModelEnsemble`).
    """

    def __init__(self,
                 coarse: dict,
                 landmark_names: Sequence[str],
                 refine: Optional[dict] = None,
                 ensemble: str = 'heatmap',
                 flip_test: bool = False,
                 refine_batch_size: int = 64,
                 init_cfg: Optional[dict] = None) -> None:
        _warn_single_member_ensemble(ensemble, coarse['checkpoints'],
                                     (refine or {}).get('checkpoints', ()))
        first = ModelEnsemble(
            coarse['model'],
            coarse['checkpoints'],
            landmark_names,
            ensemble,
            flip_test,
            stage='first stage',
            trained_on=TRAINED_ON_WHOLE_IMAGES)
        super().__init__(
            data_preprocessor=first.data_preprocessor, init_cfg=init_cfg)
        self.coarse = first
        self.landmark_names = list(landmark_names)
        self.refine_batch_size = refine_batch_size
        self.refine = None
        if refine is not None:
            if not any(
                    t.get('type') == 'LandmarkCrop'
                    for t in refine['pipeline']):
                raise ValueError(
                    'the refinement pipeline needs a LandmarkCrop transform '
                    f'to cut the window, but got {refine["pipeline"]}')
            self.refine = ModelEnsemble(
                refine['model'],
                refine['checkpoints'],
                landmark_names,
                ensemble,
                flip_test,
                stage='refinement stage',
                trained_on=TRAINED_ON_CROPS)
            self.crop_pipeline = Compose(refine['pipeline'])

    def forward(self,
                inputs: Tensor,
                data_samples: Optional[List[PoseDataSample]] = None,
                mode: str = 'predict') -> List[PoseDataSample]:
        """Predict the landmarks (the only mode).

        Args:
            inputs (Tensor): Preprocessed stage-1 inputs ``[N, C, H, W]``.
            data_samples (list[PoseDataSample]): Their data samples; with a
                refinement stage their metainfo holds ``ori_img``.
            mode (str): Must be ``'predict'``.

        Returns:
            list[PoseDataSample]: The data samples with ``pred_instances``
            in pixels of the original images.

        Raises:
            ValueError: If ``mode`` is not ``'predict'``, or the refinement
                stage finds no original image in a data sample.
        """
        if mode != 'predict':
            raise ValueError(
                f'LandmarkCascade only predicts, but mode {mode!r} was '
                'asked: train each stage with its own config')
        samples = self.coarse.predict(inputs, data_samples)
        if self.refine is not None:
            self.refine_predictions(samples)
        for sample in samples:
            if 'ori_img' in sample:
                sample.pop('ori_img')  # not dumped with the predictions
        return samples

    @torch.no_grad()
    def refine_predictions(self, samples: List[PoseDataSample]) -> None:
        """Replace each sample's points by stage 2's, in place.

        Args:
            samples (list[PoseDataSample]): Samples with stage-1 points in
                ``pred_instances.keypoints`` (``[1, K, 2]``, image pixels)
                and the image as ``ori_img`` in their metainfo.

        Raises:
            ValueError: If a sample has no ``ori_img``.
        """
        crops, where = [], []
        for i, sample in enumerate(samples):
            if 'ori_img' not in sample:
                raise ValueError(
                    'the refinement stage needs the original image in the '
                    f'data sample of {sample.get("img_path", "an image")}: '
                    'build the config with ceph_landmarks.models.'
                    'cascade_config, which keeps it in the test pipeline')
            points = np.asarray(sample.pred_instances.keypoints[0])
            for k, center in enumerate(points):
                crops.append(
                    dict(
                        img=sample.ori_img,
                        img_path=sample.get('img_path'),
                        crop_landmark=k,
                        crop_center=center,
                        flip_indices=sample.get('flip_indices',
                                                list(range(len(points))))))
                where.append((i, k))
        refined = [
            np.array(s.pred_instances.keypoints, copy=True) for s in samples
        ]
        scores = [
            np.array(s.pred_instances.keypoint_scores, copy=True)
            for s in samples
        ]
        for start in range(0, len(crops), self.refine_batch_size):
            stop = start + self.refine_batch_size
            batch = pseudo_collate(
                [self.crop_pipeline(dict(c)) for c in crops[start:stop]])
            batch = self.refine.data_preprocessor(batch, False)
            outputs = self.refine.predict(batch['inputs'],
                                          batch['data_samples'])
            for j, out in enumerate(outputs, start):
                i, k = where[j]
                point = out.pred_instances.keypoints[0, k]
                half = np.asarray(out.metainfo['input_scale']) / 2
                # a flat heatmap (the landmark is not in the window) can
                # decode far outside it: stage 1's estimate is kept then
                if np.all(np.abs(point - crops[j]['crop_center']) <= half):
                    refined[i][0, k] = point
                    scores[i][0, k] = out.pred_instances.keypoint_scores[0, k]
        for sample, points, score in zip(samples, refined, scores):
            pred = sample.pred_instances
            pred.coarse_keypoints = copy.deepcopy(pred.keypoints)
            pred.keypoints = points
            pred.keypoint_scores = score
            pred.keypoints_visible = score
