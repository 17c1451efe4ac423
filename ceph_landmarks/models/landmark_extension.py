"""Move a trained head from one landmark set to another, by landmark name.

A heatmap head has tensors whose size follows the number of landmarks
``K``. Between a source and a destination landmark set, every such tensor
keeps the channels of the landmarks present in both (in the destination
order), gets freshly initialised channels for new landmarks, and loses the
channels of landmarks the destination does not have. Everything else in the
state dict (backbone, the head's shared layers) is kept as it is.

Per-landmark tensors, by head (``E`` channels per landmark in
``kp_encoder``, ``r * r`` per landmark in ``converge``):

==========================  ========================  ====  =================
tensor                      shape                     axis  new landmarks
==========================  ========================  ====  =================
HeatmapHead
``final_layer.weight``      [K, C, k, k]              0     N(0, 0.001)
``final_layer.bias``        [K]                       0     0
SRPoseHead
``lr_head.0.weight/bias``   [K + A, C_0, 1, 1], [K+A] 0     PyTorch default
``lr_fuse.0.weight``        [C_0, K + A, 1, 1]        1     0
``kp_encoder.i.0.weight``   [E_i K, C_i, 1, 1]        0     PyTorch default
``kp_encoder.i.0.bias``     [E_i K]                   0     PyTorch default
``converge.i.conv.weight``  [r_i^2 K, E_i, k, k]      0     N(0, 0.001)
``converge.i.conv.bias``    [r_i^2 K]                 0     0
==========================  ========================  ====  =================

New landmarks start as the head itself initialises them (MMPose's
``HeatmapHead`` default, the SRPose head's construction), except SRPose's
``lr_fuse`` columns, which start at zero so that the new low-resolution
heatmaps do not disturb the shared features before training moves them.
The kept landmarks therefore predict exactly what the source model
predicted for them on the same input.

SRPose's low-resolution heatmaps (``lr_head``) are mixed by ``lr_fuse``
into the features of every level, so dropping a landmark's low-resolution
map would change every output. By default its ``lr_head`` row and
``lr_fuse`` column are kept as an auxiliary channel (``A`` above, the
head's ``aux_lowres_channels``), after the destination landmarks and in
source order, which keeps the kept landmarks' outputs exact;
``keep_dropped_lowres=False`` removes them instead (and with them any
auxiliary channels of the source), at the price of changed outputs.

Examples:
    >>> from ceph_landmarks.core.metainfo import landmark_names
    >>> # model: a 38-landmark (cldetection2023) model
    >>> state_dict = extend_state_dict(
    ...     model.state_dict(), landmark_names('cldetection2023'),
    ...     landmark_names('isbi2015_p1p2'))
    >>> state_dict['head.final_layer.weight'].shape[0]  # HeatmapHead
    21
"""
import math
from collections import OrderedDict
from dataclasses import dataclass
from typing import Dict, List, Mapping, Optional, Sequence, Tuple

import torch
from torch import Tensor

__all__ = [
    'LandmarkMapping', 'LandmarkTensor', 'HeadLandmarkLayout', 'map_landmarks',
    'find_head_layout', 'extend_state_dict', 'extend_checkpoint',
    'strip_module_prefix'
]


@dataclass(frozen=True)
class LandmarkMapping:
    """Where each destination landmark comes from.

    Attributes:
        sources (tuple[int | None]): For each destination landmark, the
            index of the source landmark of the same name, or ``None``.
        new (tuple[str]): Destination landmarks absent from the source.
        dropped (tuple[int]): Indices of source landmarks absent from the
            destination, in source order.
        dropped_names (tuple[str]): Their names.
    """
    sources: Tuple[Optional[int], ...]
    new: Tuple[str, ...]
    dropped: Tuple[int, ...]
    dropped_names: Tuple[str, ...]


@dataclass(frozen=True)
class LandmarkTensor:
    """A state-dict tensor with one block of channels per landmark.

    Attributes:
        key (str): Full state-dict key.
        axis (int): Axis along which the landmark blocks lie.
        block (int): Channels per landmark along ``axis``.
        init (str): Initialisation of new blocks: ``'normal'``
            (N(0, 0.001)), ``'uniform'`` (PyTorch's default for conv layers,
            U(-1/sqrt(fan_in), 1/sqrt(fan_in))) or ``'zeros'``.
        fan_in (int): Fan-in used by ``'uniform'``.
        lowres (bool): Whether the tensor also holds SRPose's auxiliary
            low-resolution channels after the ``K`` landmark channels.
    """
    key: str
    axis: int
    block: int
    init: str
    fan_in: int = 1
    lowres: bool = False


@dataclass(frozen=True)
class HeadLandmarkLayout:
    """The per-landmark tensors of a head found in a state dict.

    Attributes:
        head_type (str): ``'HeatmapHead'`` or ``'SRPoseHead'``.
        num_landmarks (int): Number of landmarks ``K``.
        num_aux (int): Auxiliary low-resolution channels ``A`` (SRPose).
        tensors (tuple[LandmarkTensor]): The per-landmark tensors.
    """
    head_type: str
    num_landmarks: int
    num_aux: int
    tensors: Tuple[LandmarkTensor, ...]


def map_landmarks(src_names: Sequence[str],
                  dst_names: Sequence[str]) -> LandmarkMapping:
    """Match destination landmarks to source landmarks by name.

    Args:
        src_names (Sequence[str]): Source landmark names in channel order.
        dst_names (Sequence[str]): Destination landmark names.

    Returns:
        LandmarkMapping: The mapping.

    Raises:
        ValueError: If a list is empty or repeats a name.

    Examples:
        >>> m = map_landmarks(['s', 'n', 'or'], ['n', 's', 'p1'])
        >>> m.sources, m.new, m.dropped
        ((1, 0, None), ('p1',), (2,))
    """
    for what, names in (('source', src_names), ('destination', dst_names)):
        if not names:
            raise ValueError(f'the {what} landmark list is empty')
        repeated = sorted({n for n in names if list(names).count(n) > 1})
        if repeated:
            raise ValueError(f'the {what} landmark list repeats {repeated}')
    index = {name: i for i, name in enumerate(src_names)}
    kept = set(dst_names)
    dropped = tuple(i for i, name in enumerate(src_names) if name not in kept)
    return LandmarkMapping(
        sources=tuple(index.get(name) for name in dst_names),
        new=tuple(name for name in dst_names if name not in index),
        dropped=dropped,
        dropped_names=tuple(src_names[i] for i in dropped))


def strip_module_prefix(state_dict: Mapping[str, Tensor]) -> 'OrderedDict':
    """Remove the ``module.`` prefix a (distributed) wrapper adds to keys.

    Kept instead of mmengine's ``revise_keys=[(r'^module\\.', '')]``: that
    renames keys only inside ``load_checkpoint`` /
    ``_load_checkpoint_to_model``, while a model is loaded, whereas the
    keys are needed before (``LandmarkCheckpointHook`` compares and extends
    the checkpoint in ``after_load_checkpoint``, which mmengine calls
    before ``revise_keys`` applies) or without any model
    (:func:`extend_checkpoint`). Keys without the prefix are kept, and so
    is the ``_metadata`` (as mmengine keeps it).
    """
    out = OrderedDict((k[7:] if k.startswith('module.') else k, v)
                      for k, v in state_dict.items())
    if hasattr(state_dict, '_metadata'):
        out._metadata = state_dict._metadata
    return out


def _shape(state_dict: Mapping[str, Tensor], key: str) -> Tuple[int, ...]:
    return tuple(state_dict[key].shape)


def _heatmap_head_layout(state_dict: Mapping[str, Tensor],
                         prefix: str) -> Optional[HeadLandmarkLayout]:
    weight = prefix + 'final_layer.weight'
    if weight not in state_dict:
        return None
    num = _shape(state_dict, weight)[0]
    tensors = [LandmarkTensor(weight, 0, 1, 'normal')]
    if prefix + 'final_layer.bias' in state_dict:
        tensors.append(
            LandmarkTensor(prefix + 'final_layer.bias', 0, 1, 'zeros'))
    return HeadLandmarkLayout('HeatmapHead', num, 0, tuple(tensors))


def _srpose_head_layout(state_dict: Mapping[str, Tensor],
                        prefix: str) -> Optional[HeadLandmarkLayout]:
    lr_weight = prefix + 'lr_head.0.weight'
    if lr_weight not in state_dict:
        return None
    levels = sorted(
        int(key[len(prefix + 'converge.'):].split('.')[0])
        for key in state_dict
        if key.startswith(prefix +
                          'converge.') and key.endswith('.conv.weight'))
    if not levels:
        raise ValueError(f'{prefix}lr_head.0.weight found but no '
                         f'{prefix}converge.<i>.conv.weight: not an SRPose '
                         'head state dict')
    tensors: List[LandmarkTensor] = []
    num = None
    for i in levels:
        conv = f'{prefix}converge.{i}.conv.'
        enc = f'{prefix}kp_encoder.{i}.0.'
        embed = _shape(state_dict, conv + 'weight')[1]  # E_i (per group)
        rows, fan_in = _shape(state_dict, enc + 'weight')[:2]
        level_num = rows // embed
        if num is not None and level_num != num:
            raise ValueError(
                f'inconsistent SRPose head: level {levels[0]} has {num} '
                f'landmarks, level {i} {level_num}')
        num = level_num
        upscale2 = _shape(state_dict, conv + 'weight')[0] // num
        tensors += [
            LandmarkTensor(enc + 'weight', 0, embed, 'uniform', fan_in),
            LandmarkTensor(enc + 'bias', 0, embed, 'uniform', fan_in),
            LandmarkTensor(conv + 'weight', 0, upscale2, 'normal'),
            LandmarkTensor(conv + 'bias', 0, upscale2, 'zeros'),
        ]
    lowres, fan_in = _shape(state_dict, lr_weight)[:2]
    if lowres < num:
        raise ValueError(f'{lr_weight} has {lowres} rows, fewer than the '
                         f'{num} landmarks of the head')
    tensors = [
        LandmarkTensor(lr_weight, 0, 1, 'uniform', fan_in, lowres=True),
        LandmarkTensor(
            prefix + 'lr_head.0.bias', 0, 1, 'uniform', fan_in, lowres=True),
        LandmarkTensor(
            prefix + 'lr_fuse.0.weight', 1, 1, 'zeros', lowres=True),
    ] + tensors
    return HeadLandmarkLayout('SRPoseHead', num, lowres - num, tuple(tensors))


def find_head_layout(state_dict: Mapping[str, Tensor],
                     prefix: str = 'head.') -> HeadLandmarkLayout:
    """Find the per-landmark tensors of the head in a state dict.

    Args:
        state_dict (Mapping[str, Tensor]): A model state dict (keys without
            ``module.``).
        prefix (str): Key prefix of the head. Defaults to ``'head.'``.

    Returns:
        HeadLandmarkLayout: Head type, landmark count and tensors.

    Raises:
        ValueError: If the state dict holds neither a ``HeatmapHead``
            (``final_layer``) nor an ``SRPoseHead`` (``lr_head``,
            ``kp_encoder``, ``converge``) under ``prefix``.
    """
    layout = (
        _srpose_head_layout(state_dict, prefix)
        or _heatmap_head_layout(state_dict, prefix))
    if layout is None:
        heads = sorted({
            '.'.join(k.split('.')[:2])
            for k in state_dict if k.startswith(prefix)
        })
        raise ValueError(
            f'no per-landmark head tensors under {prefix!r} (found '
            f'{heads or "no head keys"}); supported heads: HeatmapHead '
            f'({prefix}final_layer.*) and SRPoseHead ({prefix}lr_head.*, '
            f'{prefix}kp_encoder.*, {prefix}converge.*)')
    return layout


def _new_block(like: Tensor, spec: LandmarkTensor,
               generator: Optional[torch.Generator]) -> Tensor:
    """A freshly initialised block shaped like one landmark of ``like``."""
    shape = list(like.shape)
    shape[spec.axis] = spec.block
    block = torch.zeros(shape, dtype=like.dtype, device=like.device)
    if spec.init == 'normal':
        block.normal_(0.0, 0.001, generator=generator)
    elif spec.init == 'uniform':
        bound = 1.0 / math.sqrt(spec.fan_in)
        block.uniform_(-bound, bound, generator=generator)
    return block


def _remap(tensor: Tensor, spec: LandmarkTensor,
           units: Sequence[Optional[int]],
           generator: Optional[torch.Generator]) -> Tensor:
    """Concatenate source blocks (an index) or new blocks (``None``)."""
    pieces = [
        _new_block(tensor, spec, generator) if unit is None else tensor.narrow(
            spec.axis, unit * spec.block, spec.block) for unit in units
    ]
    return torch.cat(pieces, dim=spec.axis).contiguous()


def extend_state_dict(state_dict: Mapping[str, Tensor],
                      src_names: Sequence[str],
                      dst_names: Sequence[str],
                      prefix: str = 'head.',
                      keep_dropped_lowres: bool = True,
                      generator: Optional[torch.Generator] = None
                      ) -> 'OrderedDict[str, Tensor]':
    """Map a model state dict's head from one landmark list to another.

    Args:
        state_dict (Mapping[str, Tensor]): Model state dict (keys without
            ``module.``) whose head predicts ``src_names``.
        src_names (Sequence[str]): Landmarks of the state dict, in order.
        dst_names (Sequence[str]): Landmarks wanted, in order.
        prefix (str): Key prefix of the head. Defaults to ``'head.'``.
        keep_dropped_lowres (bool): SRPose only: keep the low-resolution
            maps of dropped landmarks (and the source's auxiliary maps) as
            auxiliary channels, so that kept landmarks predict exactly as
            before. The destination head then needs
            ``aux_lowres_channels`` = number of dropped landmarks + the
            source's auxiliary channels. Defaults to True.
        generator (torch.Generator, optional): Random generator for the
            new landmarks' initialisation.

    Returns:
        OrderedDict[str, Tensor]: A new state dict; tensors that do not
        depend on the landmarks are the same objects as in ``state_dict``.

    Raises:
        ValueError: If the head is not supported or its landmark count
            differs from ``len(src_names)``.
    """
    layout = find_head_layout(state_dict, prefix)
    if layout.num_landmarks != len(src_names):
        raise ValueError(
            f'the {layout.head_type} in the state dict predicts '
            f'{layout.num_landmarks} landmarks, but {len(src_names)} source '
            'landmark names were given')
    mapping = map_landmarks(src_names, dst_names)
    aux_units: List[Optional[int]] = []
    if keep_dropped_lowres:
        aux_units = list(mapping.dropped) + list(
            range(layout.num_landmarks, layout.num_landmarks + layout.num_aux))
    out = OrderedDict(state_dict.items())
    for spec in layout.tensors:
        units = list(mapping.sources)
        if spec.lowres:
            units += aux_units
        out[spec.key] = _remap(state_dict[spec.key], spec, units, generator)
    if hasattr(state_dict, '_metadata'):
        out._metadata = state_dict._metadata
    return out


def extend_checkpoint(checkpoint: Mapping,
                      src_landmarks: str,
                      dst_landmarks: str,
                      keep_dropped_lowres: bool = True,
                      seed: int = 0) -> Dict:
    """Extend a checkpoint between two landmark sets shipped with the package.

    Args:
        checkpoint (Mapping): A Runner checkpoint (with ``state_dict``) or
            a bare state dict.
        src_landmarks (str): Landmark set of the checkpoint, e.g.
            ``'cldetection2023'``.
        dst_landmarks (str): Landmark set wanted, e.g. ``'isbi2015_p1p2'``.
        keep_dropped_lowres (bool): See :func:`extend_state_dict`.
        seed (int): Seed of the new landmarks' initialisation.

    Returns:
        dict: ``{'meta': ..., 'state_dict': ...}``. ``meta`` holds the
        destination ``dataset_meta`` (so :func:`mmpose.apis.init_model`
        names the landmarks) and ``landmark_extension``: the two sets, the
        new and dropped landmarks and the SRPose ``aux_lowres_channels``
        the destination head needs (0 for other heads). Optimizer and
        training state are not carried over.

    Raises:
        KeyError: If a landmark set does not exist.
        ValueError: See :func:`extend_state_dict`.
    """
    from mmpose.datasets.datasets.utils import parse_pose_metainfo

    from ..core.metainfo import get_landmark_set, landmark_names

    src_names = landmark_names(src_landmarks)
    dst_names = landmark_names(dst_landmarks)
    state = checkpoint.get('state_dict', checkpoint)
    state = strip_module_prefix(state)
    generator = torch.Generator().manual_seed(seed)
    new_state = extend_state_dict(
        state,
        src_names,
        dst_names,
        keep_dropped_lowres=keep_dropped_lowres,
        generator=generator)
    layout = find_head_layout(new_state)
    mapping = map_landmarks(src_names, dst_names)
    return dict(
        meta=dict(
            dataset_meta=parse_pose_metainfo(get_landmark_set(dst_landmarks)),
            landmark_extension=dict(
                src_landmarks=src_landmarks,
                dst_landmarks=dst_landmarks,
                new=list(mapping.new),
                dropped=list(mapping.dropped_names),
                head_type=layout.head_type,
                aux_lowres_channels=layout.num_aux)),
        state_dict=new_state)
