"""Export a trained recipe (stages, ensembles, flip test) to ONNX.

The model is built and its checkpoints checked exactly as for testing and
inference (:class:`~ceph_landmarks.apis.LandmarkPredictor`); each stage
becomes an ONNX graph (or one graph per ensemble member) that takes the
normalised input ``[N, 3, h, w]`` and gives every member's heatmaps
``[N, M, K, h', w']``, the flip test inside the graph. The rest (loading,
boxes, warps, normalisation, decoding, combining the members, the
refinement windows) is numpy in :mod:`ceph_landmarks.runtime`, driven by the
manifest written here (:mod:`ceph_landmarks.runtime.manifest`).

The exporter is torch's ``torch.export``-based one (``dynamo=True``, opset
:data:`OPSET`); every file is checked with ``onnx.checker`` and run once by
onnxruntime against the PyTorch stage on the same input (the largest
difference of the heatmaps is logged and recorded in the manifest).
"""
import os
import os.path as osp
from typing import Dict, List, Optional, Sequence

import numpy as np
import torch
from torch import Tensor, nn

from ..core.calibration_lookup import AUTO, CalibrationChoice
from ..core.log import get_logger
from ..core.model_calibration import CALIBRATION_FILE, save_calibration
from ..core.writers.atomic_write import (atomic_write, check_writable_dir,
                                         write_json)
from ..models.model_ensemble import ModelEnsemble
from ..runtime.manifest import (FORMAT, FORMAT_VERSION, MANIFEST_NAME,
                                file_sha256, load_manifest)
from ..version import __version__
from .predictor import LandmarkPredictor

__all__ = ['OPSET', 'ExportError', 'export_onnx']

#: The ONNX opset of every export.
OPSET = 18
_LOADERS = ('LoadCephalogram', 'LoadImage')
_PACKERS = ('PackCephalogramInputs', 'PackPoseInputs')
#: What each stage's test pipeline may hold, in this order, for the runtime
#: to reproduce it (``KeepOriginalImage`` is added by the cascade).
_PIPELINES = {
    'first_stage': (_LOADERS, ('KeepOriginalImage', ),
                    ('GetBBoxCenterScale', ), ('TopdownAffine', ), _PACKERS),
    'refinement':
    (_LOADERS, ('LandmarkCrop', ), ('TopdownAffine', ), _PACKERS),
}


class ExportError(ValueError):
    """A model the runtime could not reproduce, or an export that failed
    its check (names the config or file)."""


class _StageGraph(nn.Module):
    """A stage's members as one graph: normalised inputs to every member's
    heatmaps ``[N, M, K, h, w]``, flip-averaged as MMPose's heads do."""

    def __init__(self, members: Sequence[nn.Module], flip_test: bool,
                 flip_indices: Sequence[int], shift_heatmap: bool) -> None:
        super().__init__()
        self.members = nn.ModuleList(members)
        self.flip_test = flip_test
        self.flip_indices = list(flip_indices)
        self.shift_heatmap = shift_heatmap

    def _heatmaps(self, member: nn.Module, inputs: Tensor) -> Tensor:
        heatmaps = member.head.forward(member.extract_feat(inputs))
        if not self.flip_test:
            return heatmaps
        flipped = member.head.forward(member.extract_feat(inputs.flip(-1)))
        flipped = flipped.flip(-1)[:, self.flip_indices]
        if self.shift_heatmap:  # MMPose's one-pixel shift of flipped maps
            flipped = torch.cat([flipped[..., :1], flipped[..., :-1]], -1)
        return (heatmaps + flipped) * 0.5

    def forward(self, inputs: Tensor) -> Tensor:
        """Heatmaps ``[N, M, K, h, w]`` of the members."""
        return torch.stack([self._heatmaps(m, inputs) for m in self.members],
                           dim=1)


def _check_pipeline(pipeline: List[dict], stage: str, source: str,
                    input_size: List[int]) -> dict:
    """The stage's test pipeline must be one the runtime reproduces;
    return its box settings."""
    allowed = _PIPELINES[stage]
    types = [t['type'] for t in pipeline]
    position = 0
    for kind in types:
        while position < len(allowed) and kind not in allowed[position]:
            position += 1
        if position == len(allowed):
            raise ExportError(
                f'{source}: the {stage} test pipeline {types} holds '
                f'{kind!r} (or has it out of order), which the ONNX runtime '
                'does not reproduce; it reproduces '
                f'{[list(a) for a in allowed]} in this order')
    by_type = {t['type']: t for t in pipeline}
    affine = by_type.get('TopdownAffine')
    if affine is None or affine.get('use_udp', False) or \
            list(affine['input_size']) != input_size:
        raise ExportError(
            f'{source}: the {stage} test pipeline needs a TopdownAffine '
            f'without UDP at the codec\'s input size {input_size}, but has '
            f'{affine}')
    if stage == 'first_stage':
        box = by_type.get('GetBBoxCenterScale')
        if box is None:
            raise ExportError(f'{source}: the first stage test pipeline has '
                              'no GetBBoxCenterScale (the whole-image box)')
        return dict(
            type='whole_image', padding=float(box.get('padding', 1.25)))
    crop = by_type['LandmarkCrop']
    return dict(
        type='landmark_window',
        crop_size=float(crop.get('crop_size', 0.1)),
        outside_window='keep_first_stage')


def _codec(member: nn.Module, source: str) -> dict:
    """The member's decoder as the manifest's codec."""
    codec = member.head.decoder
    name = type(codec).__name__
    if name != 'MSRAHeatmap':
        raise ExportError(f'{source}: the head decodes with {name}; the ONNX '
                          'runtime decodes MSRAHeatmap only')
    return dict(
        type=name,
        input_size=[int(v) for v in codec.input_size],
        heatmap_size=[int(v) for v in codec.heatmap_size],
        sigma=float(codec.sigma),
        unbiased=bool(codec.unbiased),
        blur_kernel_size=int(codec.blur_kernel_size))


def _normalize(member: nn.Module) -> dict:
    """The config's data preprocessor as mean, std and channel order."""
    pre = member.data_preprocessor
    if not pre._enable_normalize:
        return dict(
            mean=[0.0] * 3,
            std=[1.0] * 3,
            bgr_to_rgb=bool(pre._channel_conversion))
    return dict(
        mean=[float(v) for v in pre.mean.flatten()],
        std=[float(v) for v in pre.std.flatten()],
        bgr_to_rgb=bool(pre._channel_conversion))


def _flip(member: nn.Module, flip_test: bool, flip_indices: Sequence[int],
          source: str) -> Optional[dict]:
    """The flip test the graph holds (``None`` without)."""
    if not flip_test:
        return None
    test_cfg = member.test_cfg or {}
    mode = test_cfg.get('flip_mode', 'heatmap')
    if mode != 'heatmap':
        raise ExportError(f'{source}: flip_mode {mode!r}; the export flips '
                          "heatmaps only ('heatmap')")
    return dict(
        mode=mode,
        shift_heatmap=bool(test_cfg.get('shift_heatmap', False)),
        flip_indices=[int(i) for i in flip_indices])


def _export_graph(graph: nn.Module, inputs: Tensor, path: str) -> float:
    """Export, check with ``onnx.checker``, and compare onnxruntime's
    output with torch's on ``inputs``; return the largest difference."""
    import onnx
    import onnxruntime
    batch = torch.export.Dim('batch', min=1, max=4096)
    with atomic_write(path) as tmp:
        torch.onnx.export(
            graph, (inputs, ),
            tmp,
            dynamo=True,
            opset_version=OPSET,
            input_names=['input'],
            output_names=['heatmaps'],
            dynamic_shapes=({
                0: batch
            }, ),
            external_data=False,
            verbose=False)
        onnx.checker.check_model(tmp, full_check=True)
    session = onnxruntime.InferenceSession(
        path, providers=['CPUExecutionProvider'])
    got = session.run(None, {'input': inputs.numpy()})[0]
    with torch.no_grad():
        want = graph(inputs).numpy()
    return float(np.max(np.abs(got - want)))


def _stage_plan(ensemble: ModelEnsemble, stage: str, source: str,
                pipeline: List[dict], checkpoints: Sequence[Optional[str]],
                flip_test: bool, flip_indices: Sequence[int]) -> dict:
    """Check that the runtime reproduces the stage; return its manifest
    entry without the networks."""
    first = ensemble.members[0]
    codec = _codec(first, source)
    return dict(
        input_size=codec['input_size'],
        normalize=_normalize(first),
        codec=codec,
        box=_check_pipeline(pipeline, stage, source, codec['input_size']),
        flip=_flip(first, flip_test, flip_indices, source),
        checkpoints=[osp.basename(c) if c else None for c in checkpoints])


def _export_stage(ensemble: ModelEnsemble, stage: str, plan: dict,
                  out_dir: str, split_members: bool) -> dict:
    """Export one stage's networks; return its complete manifest entry."""
    members = list(ensemble.members)
    flip = plan['flip']
    groups = [[m] for m in members] if split_members else [members]
    width, height = plan['input_size']
    inputs = torch.randn(
        2, 3, height, width, generator=torch.Generator().manual_seed(0))
    networks, worst = [], 0.0
    for i, group in enumerate(groups):
        name = f'{stage}.onnx' if len(groups) == 1 else \
            f'{stage}_member{i + 1}.onnx'
        path = osp.join(out_dir, name)
        graph = _StageGraph(group, flip is not None,
                            flip['flip_indices'] if flip else [],
                            bool(flip and flip['shift_heatmap'])).eval()
        worst = max(worst, _export_graph(graph, inputs, path))
        networks.append(
            dict(file=name, sha256=file_sha256(path), members=len(group)))
    get_logger().info(
        f'{stage}: {len(members)} member(s) in {len(networks)} ONNX '
        f'file(s); onnxruntime against torch on a random input: largest '
        f'heatmap difference {worst:.3g}')
    return dict(networks=networks, **plan, onnx_max_abs_diff=worst)


def _outputs(out_dir: str, overwrite: bool) -> None:
    """Refuse a folder that holds an export already, unless overwrite."""
    check_writable_dir(out_dir, '--out')
    if not osp.isdir(out_dir):
        os.makedirs(out_dir)
        return
    earlier = sorted(
        f for f in os.listdir(out_dir)
        if f in (MANIFEST_NAME, CALIBRATION_FILE) or f.endswith('.onnx'))
    if earlier and not overwrite:
        raise FileExistsError(
            f'{out_dir} already holds an export ({", ".join(earlier)}); '
            'choose another --out or pass --overwrite to replace it')
    for name in earlier:
        os.remove(osp.join(out_dir, name))


def export_onnx(config: str,
                checkpoints: Sequence[str],
                out_dir: str,
                *,
                refine_config: Optional[str] = None,
                refine_checkpoints: Sequence[str] = (),
                ensemble: str = 'heatmap',
                flip_test: bool = False,
                cfg_options: Optional[dict] = None,
                split_members: bool = False,
                overwrite: bool = False,
                calibration: CalibrationChoice = AUTO) -> Dict:
    """Export a recipe to ``out_dir``: ONNX files and ``model.json``.

    Args:
        config (str): The first stage's config.
        checkpoints (Sequence[str]): Its checkpoint(s) (several: an
            ensemble).
        out_dir (str): The export folder (created).
        refine_config (str, optional): The refinement stage's config.
        refine_checkpoints (Sequence[str]): Its checkpoint(s).
        ensemble (str): ``'heatmap'`` or ``'points'``.
        flip_test (bool): Put the flip test into the graphs.
        cfg_options (dict, optional): Overrides of ``config``.
        split_members (bool): One ONNX file per ensemble member instead of
            one per stage.
        overwrite (bool): Replace an export already in ``out_dir``.
        calibration (str | ModelCalibration, optional): The model's error
            radii and quality check, copied into the export
            (``calibration.json``): ``'auto'`` (default) the file beside
            the first checkpoint when there is one, a path that file,
            ``None`` none.

    Returns:
        dict: The manifest written.

    Raises:
        ExportError: If a stage's pipeline, codec or flip mode is one the
            runtime does not reproduce.
        CheckpointError: As :class:`LandmarkPredictor`.
        FileExistsError: If ``out_dir`` holds an export and not
            ``overwrite``.
    """
    predictor = LandmarkPredictor(
        config,
        checkpoints,
        'cpu',
        cfg_options,
        refine_config=refine_config,
        refine_checkpoints=refine_checkpoints,
        ensemble=ensemble,
        flip_test=flip_test,
        calibration=calibration)
    cascade = predictor.model
    meta = predictor.dataset_meta
    flip_indices = meta.get('flip_indices') or list(
        range(meta['num_keypoints']))
    model_cfg = predictor.cfg.model
    stages = dict(
        first_stage=(
            cascade.coarse,
            _stage_plan(cascade.coarse, 'first_stage', str(config), predictor.
                        cfg.test_dataloader.dataset.pipeline, model_cfg.coarse.
                        checkpoints, flip_test, flip_indices)))
    if cascade.refine is not None:
        stages['refinement'] = (cascade.refine,
                                _stage_plan(cascade.refine, 'refinement',
                                            str(refine_config),
                                            model_cfg.refine.pipeline,
                                            model_cfg.refine.checkpoints,
                                            flip_test, flip_indices))
    _outputs(out_dir, overwrite)  # after every check
    manifest = dict(
        format=FORMAT,
        format_version=FORMAT_VERSION,
        package_version=__version__,
        landmark_set=meta.get('dataset_name', ''),
        landmark_names=predictor.landmark_names,
        labels=predictor.labels,
        ensemble=ensemble,
        flip_test=flip_test,
        onnx=dict(
            opset=OPSET,
            exporter='torch.onnx.export(dynamo=True)',
            torch=torch.__version__),
        first_stage=None,
        refinement=None)
    for stage, (members, plan) in stages.items():
        manifest[stage] = _export_stage(members, stage, plan, out_dir,
                                        split_members)
    manifest['calibration'] = None
    if predictor.calibration is not None:
        path = osp.join(out_dir, CALIBRATION_FILE)
        save_calibration(predictor.calibration, path)
        manifest['calibration'] = dict(
            file=CALIBRATION_FILE, sha256=file_sha256(path))
    write_json(manifest, osp.join(out_dir, MANIFEST_NAME), indent=2)
    load_manifest(out_dir)  # what the runtime will check
    return manifest
