"""Landmark prediction on new cephalograms with a trained model."""
import copy
import os
import os.path as osp
from pathlib import Path
from typing import List, Optional, Sequence, Tuple, Union

import numpy as np
import torch
from mmengine.config import Config
from mmengine.dataset import Compose, pseudo_collate
from mmengine.registry import init_default_scope
from mmpose.structures import PoseDataSample

from ..core.calibration_lookup import AUTO, CalibrationChoice, find_calibration
from ..core.io.batch_inputs import ImageInput, check_batch_inputs
from ..core.io.inputs import Spacing, load_image
from ..core.metainfo import landmark_labels
from ..core.model_calibration import calibrate_prediction
from ..core.prediction import ImagePrediction, image_prediction
from ..models.cascade_config import cascade_config, config_dataset_meta
from ..models.landmark_cascade import LandmarkCascade

__all__ = ['LandmarkPredictor', 'ImageInput']


def _load_config(config: Union[str, Path, Config], name: str) -> Config:
    """A config from a file (importing ``ceph_landmarks``) or a copy."""
    if isinstance(config, (str, Path)):
        return Config.fromfile(str(config))
    if isinstance(config, Config):
        return copy.deepcopy(config)
    raise TypeError(f'{name} must be a file name or a Config, but got '
                    f'{type(config).__name__}')


def _as_list(checkpoints: Union[None, str, os.PathLike,
                                Sequence[str]]) -> list:
    """One checkpoint (or ``None``) as a list; a sequence as a list."""
    if checkpoints is None or isinstance(checkpoints, (str, os.PathLike)):
        return [checkpoints]
    return list(checkpoints)


class LandmarkPredictor:
    """Predict cephalometric landmarks with trained MMPose models.

    The model is built from the config and loaded from the checkpoint with
    :func:`ceph_landmarks.models.load_model_checkpoint`, so every format the
    package accepts (Runner checkpoint, bare state dict, EMA-only
    checkpoint; always with ``weights_only=True``, see
    :mod:`ceph_landmarks.models.checkpoint_loader`) works, strictly: a
    checkpoint of another head or landmark set, or trained for the other
    stage (a whole-image model as ``refine_checkpoints``, a refinement model
    as ``checkpoints``), is refused naming the file and its stage, and a
    missing or unexpected weight is an error. Each image
    goes through the config's test pipeline with the whole image as the
    box, as MMPose's ``inference_topdown`` does, and the predictions come
    back in pixels of the original image.

    Several checkpoints of the config (folds, seeds) predict as an ensemble;
    a refinement config and its checkpoints add the second, high-resolution
    stage; ``flip_test`` averages with the mirrored image. All three go
    through :class:`ceph_landmarks.models.LandmarkCascade`, as in
    ``tools/test.py``; the arguments are the tools' options
    (``--checkpoints``, ``--refine-config``, ``--refine-checkpoints``,
    ``--ensemble``, ``--flip-test``).

    Landmark names come from the config's test dataset (its
    ``landmark_set`` or ``metainfo``); a checkpoint saved by the Runner also
    records the names it was trained with, and they must agree.

    ``ensemble='points'`` with one checkpoint per stage, and ``flip_test``
    with checkpoints whose recorded training config has no ``RandomFlip``,
    are logged as warnings (logger ``'ceph_landmarks'``).

    Args:
        config (str | Path | Config): Model config.
        checkpoints (str | Sequence[str], optional): Checkpoint file, or
            several (an ensemble). ``None`` keeps the random initial
            weights (only useful for tests and timing).
        device (str): Torch device, e.g. ``'cpu'`` or ``'cuda:0'``.
            Defaults to ``'cpu'``.
        cfg_options (dict, optional): Config overrides, as
            ``--cfg-options`` of the tools.
        refine_config (str | Path | Config, optional): Config of the
            refinement stage (keyword only, as the rest).
        refine_checkpoints (str | Sequence[str], optional): Its
            checkpoint(s); required with ``refine_config``.
        ensemble (str): How several checkpoints combine: ``'heatmap'``
            (average the heatmaps) or ``'points'``. Defaults to
            ``'heatmap'``.
        flip_test (bool): Average with the prediction on the horizontally
            flipped image (both stages). Defaults to False.
        calibration (str | ModelCalibration, optional): Error radii and
            the quality check (:mod:`ceph_landmarks.core.model_calibration`)
            applied to every prediction: ``'auto'`` (default) uses
            ``calibration.json`` beside the first checkpoint when there is
            one, a path that file, ``None`` none. Without one the
            predictions carry no radius (``ImagePrediction.calibration`` is
            ``None``, and every output says so).

    Raises:
        CheckpointError: If a checkpoint is missing, empty, truncated or
            refused (:mod:`ceph_landmarks.models.checkpoint_loader`).
        CheckpointMismatchError: If a checkpoint holds another head or
            landmark set than its stage's config, or was trained for the
            other stage; the message names the file and the stage
            (``'first stage member 2 of 2'``). Also a ``ValueError``.
        ValueError: If the config's head predicts another number of
            landmarks than its test dataset's landmark set.

    Examples:
        >>> predictor = LandmarkPredictor(
        ...     'configs/synthetic/'
        ...     'td-hm_hrnet-w18-small_1xb8-30e_synthetic-256x256.py',
        ...     'work_dirs/synthetic/epoch_30.pth')
        >>> result = predictor.predict('data/synthetic/images/val_0000.png',
        ...                            spacing=0.1)
        >>> lm = result.landmarks[0]  # name, x, y, confidence, x_mm, y_mm
        >>> lm.name, lm.x_mm == lm.x * 0.1
        ('sella', True)
        >>> [m.key for m in result.measurements][:4]  # Steiner first
        ['SNA', 'SNB', 'ANB', 'SN-GoMe']
        >>> m = result.measurements[0]  # value, unit, norm and flag
        >>> m.unit, m.norm_mean, m.deviation in ('within', 'outside 1 SD',
        ...                                      'outside 2 SD')
        ('deg', 82.0, True)
    """

    def __init__(self,
                 config: Union[str, Path, Config],
                 checkpoints: Union[None, str, Sequence[str]],
                 device: str = 'cpu',
                 cfg_options: Optional[dict] = None,
                 *,
                 refine_config: Union[None, str, Path, Config] = None,
                 refine_checkpoints: Union[None, str, Sequence[str]] = None,
                 ensemble: str = 'heatmap',
                 flip_test: bool = False,
                 calibration: CalibrationChoice = AUTO) -> None:
        cfg = _load_config(config, 'config')
        if cfg_options:
            cfg.merge_from_dict(cfg_options)
        init_default_scope(cfg.get('default_scope', 'mmpose'))
        refine_cfg = None
        if refine_config is not None:
            refine_cfg = _load_config(refine_config, 'refine_config')
            if not refine_checkpoints:
                raise ValueError('refine_config needs refine_checkpoints')
        elif refine_checkpoints:
            raise ValueError('refine_checkpoints need refine_config')
        cfg = cascade_config(cfg, _as_list(checkpoints), refine_cfg,
                             _as_list(refine_checkpoints), ensemble, flip_test)
        self.dataset_meta = config_dataset_meta(cfg)
        # built directly: the registry would prefix every error message
        model = LandmarkCascade(**{
            k: v
            for k, v in cfg.model.items() if k != 'type'
        })
        model.dataset_meta = self.dataset_meta
        model.cfg = cfg
        self.model = model.to(device).eval()
        self.cfg = cfg
        self.pipeline = Compose(cfg.test_dataloader.dataset.pipeline)
        id2name = self.dataset_meta['keypoint_id2name']
        #: Landmark names in channel order.
        self.landmark_names: List[str] = [
            id2name[k] for k in range(self.dataset_meta['num_keypoints'])
        ]
        #: Short labels for drawing (``S``, ``N``... where known).
        self.labels: List[str] = landmark_labels(self.dataset_meta)
        first = _as_list(checkpoints)[0]
        #: The calibration applied to every prediction (error radii,
        #: quality check), ``None`` without.
        self.calibration = find_calibration(
            calibration,
            osp.dirname(os.fspath(first)) if first is not None else None,
            self.landmark_names,
            signals=('confidence',
                     *(('refine_shift_mm', ) if refine_config is not None else
                       ())))

    def predict(self,
                image: ImageInput,
                spacing: Optional[Spacing] = None) -> ImagePrediction:
        """Predict the landmarks of one image.

        Args:
            image (str | PathLike | np.ndarray): Image file, or an array
                ``[H, W]`` (grey) or ``[H, W, 3]`` (BGR), uint8 or more bits
                (see :data:`ImageInput`).
            spacing (float | tuple[float, float], optional): Pixel spacing
                in mm/px, one number or ``(sx, sy)``; gives ``x_mm``,
                ``y_mm`` and the measurements in mm. Without it, a DICOM file's
                header spacing is used (recorded in
                :attr:`ImagePrediction.spacing_source`); one given that
                differs from the header's wins, with a logged warning.

        Returns:
            ImagePrediction: Landmarks (name, x, y in pixels of the original
            image, confidence, x_mm, y_mm) and cephalometric measurements
            with their norms.

        Raises:
            FileNotFoundError: If an image file does not exist.
            ValueError: If an image cannot be read, an image array is
                empty, float or of the wrong shape, or a spacing is
                invalid.
        """
        return self.predict_batch([image], [spacing])[0]

    def predict_batch(
        self,
        images: Sequence[ImageInput],
        spacings: Optional[Sequence[Optional[Spacing]]] = None,
        sources: Optional[Sequence[str]] = None,
        batch_size: int = 8,
        spacing_sources: Optional[Sequence[Optional[str]]] = None
    ) -> List[ImagePrediction]:
        """Predict the landmarks of many images, ``batch_size`` at a time.

        Args:
            images (Sequence[str | PathLike | np.ndarray]): Image files or
                arrays, as for :meth:`predict`.
            spacings (Sequence[float | tuple | None], optional): One pixel
                spacing per image (``None`` where unknown: an image file's
                header spacing, DICOM, is then used); ``None`` for all
                unknown.
            sources (Sequence[str], optional): Names recorded as
                :attr:`ImagePrediction.image`, one per image; defaults to
                the path, or ``'<array>'`` for an array.
            batch_size (int): Images per forward pass. Defaults to 8.
            spacing_sources (Sequence[str | None], optional): Where each
                spacing came from, recorded as
                :attr:`ImagePrediction.spacing_source`; defaults to
                ``'spacing argument'`` for each spacing given.

        Returns:
            list[ImagePrediction]: One per image, in input order.

        Raises:
            FileNotFoundError: If an image file does not exist.
            TypeError: If an image is neither a path nor an array.
            ValueError: If an image cannot be read, an image array is empty
                float or of the wrong shape (the error names
                ``images[i]``), a spacing is invalid or ``spacings``,
                ``sources`` or ``spacing_sources`` do not match ``images``
                in length.
        """
        checked = check_batch_inputs(images, spacings, sources, batch_size,
                                     spacing_sources)
        images, sources = checked.images, checked.sources
        spacings, spacing_sources = checked.spacings, checked.spacing_sources
        num = len(images)
        predictions = []
        for start in range(0, num, batch_size):
            stop = min(start + batch_size, num)
            data, shapes = zip(*(self._prepare(images[i], sources[i])
                                 for i in range(start, stop)))
            with torch.no_grad():
                samples = self.model.test_step(pseudo_collate(list(data)))
            predictions.extend(
                self._to_prediction(sample, shape, sources[i], spacings[i],
                                    spacing_sources[i])
                for sample, shape, i in zip(samples, shapes, range(
                    start, stop)))
        if self.calibration is None:
            return predictions
        return [
            calibrate_prediction(p, self.calibration, None)
            for p in predictions
        ]

    def _prepare(self, image: Union[str, np.ndarray],
                 source: str) -> Tuple[dict, Tuple[int, int]]:
        """Run the test pipeline on one image (a path or pixels checked by
        :func:`~ceph_landmarks.core.io.batch_inputs.check_batch_inputs`)
        with the whole image as box; return the packed inputs and the
        image's ``(height, width)``."""
        array = image if isinstance(image, np.ndarray) else load_image(image)
        height, width = array.shape[:2]
        data_info = dict(
            img=array,
            img_path=source,
            bbox=np.array([[0, 0, width, height]], dtype=np.float32),
            bbox_score=np.ones(1, dtype=np.float32))
        data_info.update(self.dataset_meta)
        return self.pipeline(data_info), (height, width)

    def _to_prediction(self, sample: PoseDataSample, shape: Tuple[int, int],
                       source: str, spacing: Optional[tuple],
                       spacing_source: Optional[str]) -> ImagePrediction:
        """Convert MMPose's output (original-image pixels) to the result;
        the first-stage points of a cascade with a refinement stage
        (``pred_instances.coarse_keypoints``) give ``refine_shift_mm``."""
        pred = sample.pred_instances
        coarse = pred.coarse_keypoints[0] if 'coarse_keypoints' in pred \
            else None
        return image_prediction(
            pred.keypoints[0],
            pred.keypoint_scores[0],
            self.landmark_names,
            shape,
            source,
            spacing,
            spacing_source,
            coarse_keypoints=coarse)
