"""Refuse checkpoints that do not fit the model; extend them by landmark name
when the config asks for it."""
from typing import List, Mapping, Optional, Sequence, Tuple

import torch
from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper
from mmpose.registry import HOOKS

from ...core.metainfo import landmark_names, list_landmark_sets
from ...models.landmark_extension import (HeadLandmarkLayout,
                                          extend_state_dict, find_head_layout,
                                          map_landmarks, strip_module_prefix)

__all__ = ['LandmarkCheckpointHook']

_SHOWN = 8  # differing keys listed in an error message


def _landmark_sets_of_size(num: int) -> List[str]:
    return [s for s in list_landmark_sets() if len(landmark_names(s)) == num]


def _layout_or_none(state_dict: Mapping[str, torch.Tensor]
                    ) -> Optional[HeadLandmarkLayout]:
    try:
        return find_head_layout(state_dict)
    except ValueError:
        return None


def _listed(items: Sequence[str]) -> str:
    shown = '; '.join(items[:_SHOWN])
    more = len(items) - _SHOWN
    return shown + (f' and {more} more' if more > 0 else '')


@HOOKS.register_module()
class LandmarkCheckpointHook(Hook):
    """Check (and optionally extend) every checkpoint the Runner loads.

    mmengine loads ``load_from``, ``--resume`` and ``tools/test.py``
    checkpoints with ``strict=False``, which only *warns* about tensors of
    another shape and leaves them randomly initialised. This hook runs on
    ``after_load_checkpoint``, before the weights reach the model, and
    raises ``ValueError`` when a tensor's shape differs from the model's or
    when the checkpoint's head has other keys than the model's head (another
    head type). The message names the differing keys, the landmark counts
    and the landmark sets of those sizes, and points to
    ``tools/extend_checkpoint.py``. Keys missing or unexpected outside the
    head (for example a backbone-only checkpoint) keep mmengine's warning.

    With ``src_landmarks`` and ``dst_landmarks`` set, a checkpoint whose
    head predicts the source landmark set is first extended to the
    destination set by landmark name (see
    :mod:`ceph_landmarks.models.landmark_extension`); a checkpoint that
    already has the model's shapes (``--resume``, testing the fine-tuned
    model) is loaded as it is. The two sets must differ in size, since the
    hook tells them apart by the number of landmarks.

    It is a default hook of every config (``default_hooks.landmarks`` in
    ``configs/_base_/default_runtime.py``); its priority is ``VERY_HIGH``
    so that other hooks (EMA) see the extended weights.

    Args:
        src_landmarks (str, optional): Landmark set of the checkpoints to
            extend, e.g. ``'cldetection2023'``.
        dst_landmarks (str, optional): Landmark set of the model, e.g.
            ``'isbi2015_p1p2'``.
        keep_dropped_lowres (bool): SRPose heads: keep the low-resolution
            maps of dropped landmarks as auxiliary channels (the model needs
            ``head.aux_lowres_channels`` equal to their number). Defaults to
            True.
        seed (int): Seed of the new landmarks' initialisation.
            Defaults to 0.

    Examples:
        >>> default_hooks = dict(
        ...     landmarks=dict(src_landmarks='cldetection2023',
        ...                    dst_landmarks='isbi2015_p1p2'))
    """

    priority = 'VERY_HIGH'

    def __init__(self,
                 src_landmarks: Optional[str] = None,
                 dst_landmarks: Optional[str] = None,
                 keep_dropped_lowres: bool = True,
                 seed: int = 0) -> None:
        if (src_landmarks is None) != (dst_landmarks is None):
            raise ValueError(
                'src_landmarks and dst_landmarks go together, but got '
                f'src_landmarks={src_landmarks!r}, '
                f'dst_landmarks={dst_landmarks!r}')
        self.src_landmarks = src_landmarks
        self.dst_landmarks = dst_landmarks
        self.src_names: List[str] = []
        self.dst_names: List[str] = []
        if src_landmarks is not None:
            self.src_names = landmark_names(src_landmarks)
            self.dst_names = landmark_names(dst_landmarks)
            if len(self.src_names) == len(self.dst_names):
                raise ValueError(
                    f'src_landmarks {src_landmarks!r} and dst_landmarks '
                    f'{dst_landmarks!r} both have {len(self.src_names)} '
                    'landmarks, so a checkpoint of one cannot be told from '
                    'one of the other; convert it once with '
                    'tools/extend_checkpoint.py instead')
        self.keep_dropped_lowres = keep_dropped_lowres
        self.seed = seed

    def after_load_checkpoint(self, runner, checkpoint: dict) -> None:
        """Extend the checkpoint if configured, then check that it fits.

        Args:
            runner (Runner): The runner; its ``model`` gives the expected
                shapes and ``cfg.load_from`` names the file in errors.
            checkpoint (dict): The loaded checkpoint, modified in place.

        Raises:
            ValueError: If the checkpoint does not fit the model.
        """
        model = runner.model.module if is_model_wrapper(
            runner.model) else runner.model
        model_state = model.state_dict()
        source = runner.cfg.get('load_from') or 'the checkpoint'
        state = checkpoint.get('state_dict', checkpoint)
        state = strip_module_prefix(state)
        layout = _layout_or_none(state)
        if (self.src_landmarks is not None and layout is not None
                and layout.num_landmarks == len(self.src_names)):
            state = self._extend(runner, state, model_state, source)
            if 'state_dict' in checkpoint:
                checkpoint['state_dict'] = state
            else:  # a bare state dict: replace its content
                checkpoint.clear()
                checkpoint.update(state)
        self._check(state, model_state, source)

    def _extend(self, runner, state: Mapping[str, torch.Tensor],
                model_state: Mapping[str, torch.Tensor],
                source: str) -> Mapping[str, torch.Tensor]:
        """Extend ``state`` from the source to the destination set."""
        generator = torch.Generator().manual_seed(self.seed)
        extended = extend_state_dict(
            state,
            self.src_names,
            self.dst_names,
            keep_dropped_lowres=self.keep_dropped_lowres,
            generator=generator)
        new_layout = find_head_layout(extended)
        model_layout = _layout_or_none(model_state)
        mapping = map_landmarks(self.src_names, self.dst_names)
        if (model_layout is not None
                and model_layout.head_type == new_layout.head_type
                and model_layout.num_aux != new_layout.num_aux):
            hint = (f'set model.head.aux_lowres_channels='
                    f'{new_layout.num_aux}')
            if self.keep_dropped_lowres:
                hint += (' (exact), or default_hooks.landmarks.'
                         'keep_dropped_lowres=False (drops them; the kept '
                         "landmarks' outputs then change)")
            raise ValueError(
                f'Extending {source} from {self.src_landmarks} to '
                f'{self.dst_landmarks} gives an SRPose head with '
                f'{new_layout.num_aux} auxiliary low-resolution channels '
                f'(the maps of the {len(mapping.dropped)} dropped landmarks '
                'and any the checkpoint had), but the model has '
                f'{model_layout.num_aux}: {hint}')
        runner.logger.info(
            f'Extended {source} by landmark name from '
            f'{self.src_landmarks} ({len(self.src_names)}) to '
            f'{self.dst_landmarks} ({len(self.dst_names)}): kept '
            f'{len(self.dst_names) - len(mapping.new)}, new '
            f'{list(mapping.new)} (initialised as the head initialises '
            f'them), dropped {list(mapping.dropped_names)}' +
            (f'; {new_layout.num_aux} low-resolution maps kept as auxiliary '
             'channels' if new_layout.num_aux else ''))
        return extended

    def _check(self, state: Mapping[str, torch.Tensor],
               model_state: Mapping[str, torch.Tensor], source: str) -> None:
        """Raise if a tensor's shape or the head's keys differ."""
        mismatched = [
            f'{key}: checkpoint {tuple(value.shape)}, model '
            f'{tuple(model_state[key].shape)}' for key, value in state.items()
            if key in model_state
            and tuple(value.shape) != tuple(model_state[key].shape)
        ]
        missing, unexpected = [], []
        if any(key.startswith('head.') for key in state):
            missing = [
                k for k in model_state if k.startswith('head.')
                and k not in state and not k.endswith('num_batches_tracked')
            ]
            unexpected = [
                k for k in state
                if k.startswith('head.') and k not in model_state
            ]
        if not (mismatched or missing or unexpected):
            return
        lines = [f'Checkpoint {source} does not fit the model.']
        lines += self._landmark_hint(state, model_state)
        if mismatched:
            lines.append(f'Tensors of another shape ({len(mismatched)}): ' +
                         _listed(mismatched))
        if missing or unexpected:
            lines.append('The head has other keys (another head type?): '
                         f'missing {_listed(missing) or "none"}; unexpected '
                         f'{_listed(unexpected) or "none"}')
        raise ValueError('\n'.join(lines))

    def _landmark_hint(self, state: Mapping[str, torch.Tensor],
                       model_state: Mapping[str, torch.Tensor]) -> List[str]:
        """Say which landmarks differ and how to extend the checkpoint."""
        ckpt_layout = _layout_or_none(state)
        model_layout = _layout_or_none(model_state)
        if ckpt_layout is None or model_layout is None or (
                ckpt_layout.num_landmarks == model_layout.num_landmarks):
            return []
        sizes: Tuple[int, int] = (ckpt_layout.num_landmarks,
                                  model_layout.num_landmarks)
        sets = [_landmark_sets_of_size(n) for n in sizes]
        lines = [
            f'Its {ckpt_layout.head_type} predicts {sizes[0]} landmarks '
            f'(landmark sets of that size: {sets[0] or "none"}), the '
            f"model's {model_layout.head_type} {sizes[1]} (landmark sets: "
            f'{sets[1] or "none"}).'
        ]
        if self.src_landmarks is not None:
            lines.append(
                f'This config extends checkpoints of {self.src_landmarks} '
                f'({len(self.src_names)} landmarks) on load.')
        src = sets[0][0] if len(sets[0]) == 1 else 'SRC_SET'
        dst = sets[1][0] if len(sets[1]) == 1 else 'DST_SET'
        aux_note = ''
        if len(sets[0]) == 1 and len(sets[1]) == 1:
            mapping = map_landmarks(landmark_names(src), landmark_names(dst))
            lines.append(
                f'Landmarks only in {dst}: {list(mapping.new) or "none"}; '
                f'only in {src}: {list(mapping.dropped_names) or "none"}.')
            aux = len(mapping.dropped) + ckpt_layout.num_aux
            if (model_layout.head_type == 'SRPoseHead'
                    and model_layout.num_aux != aux):
                aux_note = (' (SRPoseHead: with model.head.'
                            f'aux_lowres_channels={aux})')
        lines.append(
            'Map the checkpoint to the model\'s landmarks by name with '
            f'"python tools/extend_checkpoint.py CHECKPOINT --src-landmarks '
            f'{src} --dst-landmarks {dst} --out EXTENDED.pth", or extend it '
            f"on load with default_hooks = dict(landmarks=dict("
            f"src_landmarks='{src}', dst_landmarks='{dst}')) in the "
            f'config{aux_note}.')
        return lines
