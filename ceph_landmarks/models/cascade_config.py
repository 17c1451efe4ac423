"""The test config of a cascade: ensembles, flip test and refinement."""
import copy
import inspect
from typing import List, Optional, Sequence

from mmengine.config import Config
from mmpose.datasets.transforms import PackPoseInputs
from mmpose.registry import DATASETS

from .model_ensemble import ENSEMBLE_MODES

__all__ = ['cascade_config', 'config_dataset_meta']

_LOADERS = ('LoadCephalogram', 'LoadImage')
_PACK_DEFAULT_KEYS = inspect.signature(
    PackPoseInputs.__init__).parameters['meta_keys'].default


def config_dataset_meta(cfg: Config) -> dict:
    """The parsed metainfo of a config's test dataset (nothing is loaded).

    Args:
        cfg (Config): A config with a ``test_dataloader``.

    Returns:
        dict: MMPose metainfo (``keypoint_id2name``, ``num_keypoints``,
        ``flip_indices``...).
    """
    dataset_cfg = copy.deepcopy(cfg.test_dataloader.dataset)
    dataset_cfg.update(lazy_init=True, pipeline=[])
    return DATASETS.build(dataset_cfg).metainfo


def cascade_config(cfg: Config,
                   checkpoints: Sequence[Optional[str]],
                   refine_cfg: Optional[Config] = None,
                   refine_checkpoints: Sequence[Optional[str]] = (),
                   ensemble: str = 'heatmap',
                   flip_test: bool = False) -> Config:
    """Turn a model config into the test config of a ``LandmarkCascade``.

    The model becomes a :class:`ceph_landmarks.models.LandmarkCascade` of
    ``checkpoints`` (several: an ensemble) and, with ``refine_cfg``, a
    refinement stage of ``refine_checkpoints``; the checkpoints are loaded
    by the model (``load_from`` is cleared). EMA hooks are dropped: the
    checkpoints already hold the averaged weights. With refinement, the
    val and test pipelines keep the original image for stage 2
    (``KeepOriginalImage`` after the loading transform, ``ori_img`` in the
    meta keys); with flip test they pack ``flip_indices``.

    Args:
        cfg (Config): The stage-1 config (with its data and evaluators).
        checkpoints (Sequence[str | None]): Stage-1 checkpoints.
        refine_cfg (Config, optional): The refinement config, with its
            ``model`` and crop ``test_pipeline``.
        refine_checkpoints (Sequence[str | None]): Its checkpoints.
        ensemble (str): ``'heatmap'`` or ``'points'``.
        flip_test (bool): Flip test in both stages.

    Returns:
        Config: A new config; ``cfg`` is unchanged.

    Raises:
        ValueError: If a checkpoint list is empty, the ensemble mode is
            unknown, a head predicts another number of landmarks than the
            test dataset's set, or the refinement config has no
            ``test_pipeline``.
    """
    if not checkpoints:
        raise ValueError('a cascade needs at least one checkpoint')
    if ensemble not in ENSEMBLE_MODES:
        raise ValueError(f'ensemble must be one of {ENSEMBLE_MODES}, but '
                         f'got {ensemble!r}')
    cfg = copy.deepcopy(cfg)
    meta = config_dataset_meta(cfg)
    names = [meta['keypoint_id2name'][k] for k in range(meta['num_keypoints'])]
    _check_head(cfg, meta)
    model = dict(
        type='LandmarkCascade',
        coarse=dict(model=cfg.model.to_dict(), checkpoints=list(checkpoints)),
        landmark_names=names,
        ensemble=ensemble,
        flip_test=flip_test)
    if refine_cfg is not None:
        if not refine_checkpoints:
            raise ValueError('the refinement stage needs at least one '
                             'checkpoint')
        if 'test_pipeline' not in refine_cfg:
            raise ValueError(
                f'the refinement config {refine_cfg.filename} has no '
                'test_pipeline (the crop pipeline of stage 2)')
        _check_head(refine_cfg, meta)
        model['refine'] = dict(
            model=refine_cfg.model.to_dict(),
            checkpoints=list(refine_checkpoints),
            pipeline=copy.deepcopy(refine_cfg.test_pipeline))
    cfg.model = model
    cfg.load_from = None
    cfg.custom_hooks = [
        h for h in cfg.get('custom_hooks', []) if 'EMA' not in h['type']
    ]
    for loader in ('val_dataloader', 'test_dataloader'):
        if cfg.get(loader):
            cfg[loader].dataset.pipeline = _test_pipeline(
                cfg[loader].dataset.pipeline, refine_cfg is not None)
    return cfg


def _check_head(cfg: Config, meta: dict) -> None:
    """The head must predict one heatmap per landmark of the set."""
    out_channels = cfg.model.get('head', {}).get('out_channels')
    if out_channels is not None and out_channels != meta['num_keypoints']:
        raise ValueError(
            f'the model head predicts {out_channels} landmarks '
            f'({cfg.filename}), but the test dataset\'s landmark set '
            f'{meta.get("dataset_name")!r} has {meta["num_keypoints"]}')


def _test_pipeline(pipeline: List[dict], keep_original: bool) -> List[dict]:
    """Pack ``flip_indices`` (and keep the original image if asked)."""
    pipeline = [copy.deepcopy(t) for t in pipeline]
    if keep_original:
        load = next(
            (i for i, t in enumerate(pipeline) if t['type'] in _LOADERS), None)
        if load is None:
            raise ValueError('the refinement stage needs the loaded image, '
                             f'but the test pipeline has no {_LOADERS}: '
                             f'{pipeline}')
        pipeline.insert(load + 1, dict(type='KeepOriginalImage'))
    for transform in pipeline:
        if transform['type'] in ('PackPoseInputs', 'PackCephalogramInputs'):
            keys = list(transform.get('meta_keys', _PACK_DEFAULT_KEYS))
            extra = ['flip_indices'] + (['ori_img'] if keep_original else [])
            transform['meta_keys'] = tuple(keys +
                                           [k for k in extra if k not in keys])
    return pipeline
