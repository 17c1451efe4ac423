"""Local checkpoint loading with ``weights_only=True`` and clear refusals.

:func:`load_local_checkpoint` reads a checkpoint file; the numpy and
mmengine objects a Runner checkpoint contains
(:func:`ceph_landmarks.compat.mmengine_checkpoint_safe_globals`) are allowed
while it loads, and anything else a pickle tries to call is refused with an
error that names the file and the global. :func:`load_model_checkpoint`
loads such a file into a model, strictly: it is what every path of the
package that loads weights itself uses (the predictor, ``tools/test.py``'s
ensembles and refinement stage, through
:func:`ceph_landmarks.models.load_pose_model`).

The Runner loads ``load_from``, ``--resume`` and
``init_cfg=dict(type='Pretrained')`` through mmengine's
``CheckpointLoader``. Importing the package does not change that loader;
:func:`package_checkpoint_loader` makes :func:`load_local_checkpoint` its
loader for plain file paths while a tool of the package runs, and restores
mmengine's own afterwards.

Three layouts are accepted: a Runner checkpoint (``state_dict`` beside
``meta``, ``message_hub``, ``optimizer``, ``param_schedulers``), a bare state
dict, and a checkpoint holding only the EMA weights (``ema_state_dict``),
which is unwrapped into ``state_dict``. A Runner checkpoint written with
mmengine's ``EMAHook`` already holds the averaged weights in ``state_dict``
(and the raw ones in ``ema_state_dict``, for ``--resume``) and is returned
as it is.

A file that is missing, empty, truncated or refused, or that does not fit
the model, raises :class:`CheckpointError` with a message naming the file;
the tools print that message as one line instead of a traceback.

A readable checkpoint is checked against the model and the stage it is
given for before any weight is copied (:func:`check_checkpoint_fits`,
:class:`CheckpointMismatchError`): its head (architecture and landmark
count, read from the state dict's head tensors), the landmark names its
``meta['dataset_meta']`` records, and what it was trained on (whole images
or crops around the landmarks, read from the training config mmengine
records as text in ``meta['cfg']``). A bare state dict records no meta:
only the tensor shapes are checked then.
"""
import ast
import contextlib
import os.path as osp
import pickle
import re
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any, Iterator, List, Optional, Sequence, Set

import torch
from mmengine.runner.checkpoint import (CheckpointLoader,
                                        _load_checkpoint_to_model)
from torch import nn

from ..compat import mmengine_checkpoint_safe_globals
from ..core.metainfo import landmark_names as set_landmark_names
from ..core.metainfo import list_landmark_sets
from .landmark_extension import find_head_layout, strip_module_prefix

__all__ = [
    'CheckpointError', 'CheckpointMismatchError', 'CheckpointNotFoundError',
    'CheckpointSummary', 'TRAINED_ON_CROPS', 'TRAINED_ON_WHOLE_IMAGES',
    'check_checkpoint_fits', 'load_local_checkpoint', 'load_model_checkpoint',
    'package_checkpoint_loader', 'strip_averaged_prefix',
    'summarize_checkpoint', 'training_config', 'unwrap_ema_checkpoint'
]

#: What a model was trained on, as :class:`CheckpointSummary` and
#: :func:`check_checkpoint_fits` say it: whole images (a first stage) or
#: windows cut around each landmark (a refinement stage, ``LandmarkCrop``).
TRAINED_ON_WHOLE_IMAGES = 'whole images'
TRAINED_ON_CROPS = 'crops'
# what in a training config's train_dataloader makes it a crop model
_CROP_TYPES = frozenset({'LandmarkCrop', 'CephalometricCropDataset'})

# torch's messages for a refused global (compat.py's getattr guard too) and
# for a damaged file (zip container or legacy format)
_REFUSED = re.compile(r'global|not allowed|blocked', re.IGNORECASE)
_DAMAGED = re.compile(r'PytorchStreamReader|zip archive|unexpected EOF|'
                      r'corrupted')


class CheckpointError(RuntimeError):
    """A checkpoint file that cannot be used; the message names the file."""


class CheckpointNotFoundError(CheckpointError, FileNotFoundError):
    """A checkpoint file that does not exist."""


class CheckpointMismatchError(CheckpointError, ValueError):
    """A readable checkpoint that does not fit the model or the stage it is
    given for (another head, landmark set or training); the message names
    the file, the stage, what the checkpoint holds and what is expected."""


def _allowed_while_loading() -> contextlib.AbstractContextManager:
    """Allow the Runner checkpoint globals for one ``torch.load``.

    Only those not allowed already are added (and removed afterwards), so
    that the process-wide allow-list of
    :func:`ceph_landmarks.compat._patch_weights_only_globals`, where it
    applies, stays as it is.
    """
    if not hasattr(torch.serialization, 'safe_globals'):  # torch < 2.5
        return contextlib.nullcontext()
    allowed = set(torch.serialization.get_safe_globals())
    missing = [
        g for g in mmengine_checkpoint_safe_globals() if g not in allowed
    ]
    if not missing:
        return contextlib.nullcontext()
    return torch.serialization.safe_globals(missing)


def load_local_checkpoint(filename: str,
                          map_location: Optional[Any] = None) -> Any:
    """Load a checkpoint file with ``torch.load(weights_only=True)``.

    Args:
        filename (str): Path of the checkpoint file.
        map_location (optional): As for :func:`torch.load`.

    Returns:
        Any: The unpickled checkpoint (a Runner checkpoint dict or a bare
        state dict), with an EMA-only checkpoint unwrapped by
        :func:`unwrap_ema_checkpoint`.

    Raises:
        CheckpointNotFoundError: If the file does not exist (also a
            ``FileNotFoundError``).
        CheckpointError: If the file is empty, truncated or not a
            checkpoint, or pickles an object outside the allow-list (for
            example a call to ``os.system``).
    """
    filename = osp.expanduser(filename)
    if not osp.isfile(filename):
        raise CheckpointNotFoundError(
            f'checkpoint {filename} can not be found.')
    if osp.getsize(filename) == 0:
        raise CheckpointError(
            f'{filename}: not a readable checkpoint (the file is empty, '
            '0 bytes)')
    try:
        with _allowed_while_loading():
            checkpoint = torch.load(
                filename, map_location=map_location, weights_only=True)
    except pickle.UnpicklingError as err:
        message = str(err)
        marker = 'WeightsUnpickler error:'
        if marker in message:
            message = message.split(marker, 1)[1]
        reason = ' '.join(message.split('Check the documentation')[0].split())
        if not _REFUSED.search(reason):  # the pickle itself is broken
            raise CheckpointError(
                f'{filename}: not a readable checkpoint (truncated or not '
                f'a torch file: {reason})') from None
        raise CheckpointError(
            f'Refusing to load checkpoint {filename}: it is not a plain '
            f'weights file ({reason}). Checkpoints are loaded with '
            'weights_only=True; only tensors, numpy arrays and mmengine log '
            'buffers are accepted.') from err
    except MemoryError:
        raise
    except Exception as err:  # EOFError, OSError... of a cut-off file
        if isinstance(err, RuntimeError) and not _DAMAGED.search(str(err)):
            raise  # not about the file (e.g. a CUDA map_location on CPU)
        reason = str(err).split('. ')[0].strip() or type(err).__name__
        raise CheckpointError(
            f'{filename}: not a readable checkpoint (truncated or damaged: '
            f'{reason})') from None
    return unwrap_ema_checkpoint(checkpoint)


@dataclass(frozen=True)
class CheckpointSummary:
    """What a checkpoint holds, read without a model.

    Attributes:
        head_type (str, optional): ``'HeatmapHead'`` or ``'SRPoseHead'``,
            from the state dict's head tensors; ``None`` for another head.
        num_landmarks (int, optional): Landmarks the head predicts.
        landmark_set (str, optional): ``meta['dataset_meta']``'s
            ``dataset_name``.
        landmark_names (list[str], optional): The landmark names
            ``meta['dataset_meta']`` records, in channel order.
        trained_on (str, optional): :data:`TRAINED_ON_CROPS` if the training
            config (``meta['cfg']``) cut windows around the landmarks
            (``LandmarkCrop`` or ``CephalometricCropDataset`` in its
            ``train_dataloader``), :data:`TRAINED_ON_WHOLE_IMAGES` if it
            did not; ``None`` without a readable training config.
        flipped (bool, optional): Whether the training pipeline had a
            ``RandomFlip``; ``None`` without a readable training config.
    """
    head_type: Optional[str] = None
    num_landmarks: Optional[int] = None
    landmark_set: Optional[str] = None
    landmark_names: Optional[List[str]] = None
    trained_on: Optional[str] = None
    flipped: Optional[bool] = None

    def landmarks(self) -> str:
        """``'21 landmarks (isbi2015_p1p2)'``, as the errors say it."""
        return _count_and_set(self.num_landmarks, self.landmark_set)


class _NotLiteral(Exception):
    """A config value that is not plain data."""


def _literal(node: ast.AST) -> Any:
    """The value of a plain-data expression of a config's text.

    Constants, tuples, lists, dicts and ``dict(key=value, ...)`` calls;
    anything else (a name, another call, an operator) raises
    :class:`_NotLiteral`. Nothing is executed.
    """
    if isinstance(node, ast.Constant):
        return node.value
    if isinstance(node, (ast.Tuple, ast.List)):
        items = [_literal(n) for n in node.elts]
        return tuple(items) if isinstance(node, ast.Tuple) else items
    if isinstance(node, ast.Dict):
        if any(k is None for k in node.keys):  # {**other}
            raise _NotLiteral
        return {
            _literal(k): _literal(v)
            for k, v in zip(node.keys, node.values)
        }
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) \
            and node.func.id == 'dict' and not node.args \
            and all(k.arg is not None for k in node.keywords):
        return {k.arg: _literal(k.value) for k in node.keywords}
    signed = isinstance(node, ast.UnaryOp) and isinstance(
        node.op, (ast.USub, ast.UAdd))
    if signed and isinstance(node.operand, ast.Constant) and isinstance(
            node.operand.value, (int, float)):
        value = node.operand.value
        return -value if isinstance(node.op, ast.USub) else value
    raise _NotLiteral


def training_config(checkpoint: Any) -> Optional[dict]:
    """The training config a Runner checkpoint records, as plain data.

    mmengine's Runner saves its config as Python text
    (``meta['cfg'] = cfg.pretty_text``). It is parsed here with :mod:`ast`
    and only plain data is read (constants, tuples, lists, dicts,
    ``dict(...)``); a variable holding anything else is left out. mmengine's
    ``Config.fromstring`` is not used: it executes the text as Python, which
    a checkpoint loaded with ``weights_only=True`` must not be able to make
    happen.

    Args:
        checkpoint (Any): A loaded checkpoint.

    Returns:
        dict | None: The config's variables, or ``None`` if the checkpoint
        records no config (a bare state dict) or one that cannot be parsed.
    """
    meta = checkpoint.get('meta') if isinstance(checkpoint, dict) else None
    text = meta.get('cfg') if isinstance(meta, dict) else None
    if isinstance(text, dict):
        return text
    if not isinstance(text, str):
        return None
    try:
        tree = ast.parse(text)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None
    cfg = {}
    for statement in tree.body:
        if isinstance(statement, ast.Assign) and len(statement.targets) == 1 \
                and isinstance(statement.targets[0], ast.Name):
            try:
                cfg[statement.targets[0].id] = _literal(statement.value)
            except (_NotLiteral, RecursionError):
                continue
    return cfg


def _types_in(value: Any) -> Set[str]:
    """Every ``type`` named in a nested config value."""
    types = set()
    if isinstance(value, dict):
        if isinstance(value.get('type'), str):
            types.add(value['type'])
        for item in value.values():
            types |= _types_in(item)
    elif isinstance(value, (list, tuple)):
        for item in value:
            types |= _types_in(item)
    return types


def _state_dict(checkpoint: dict) -> dict:
    """The model weights of a loaded checkpoint (Runner or bare)."""
    state = checkpoint.get('state_dict', checkpoint)
    return state if isinstance(state, dict) else {}


def _head(state_dict: dict) -> tuple:
    """``(head type, landmark count)`` of a state dict, or ``(None,
    None)`` for a head :func:`find_head_layout` does not know."""
    try:
        tensors = {
            k: v
            for k, v in strip_module_prefix(state_dict).items()
            if isinstance(v, torch.Tensor)
        }
        layout = find_head_layout(tensors)
    except (ValueError, KeyError, IndexError, ZeroDivisionError):
        return None, None
    return layout.head_type, layout.num_landmarks


def summarize_checkpoint(checkpoint: Any) -> CheckpointSummary:
    """What a loaded checkpoint holds: head, landmarks and training.

    Args:
        checkpoint (Any): A loaded checkpoint (Runner checkpoint or bare
            state dict).

    Returns:
        CheckpointSummary: The head from the state dict; the landmark names
        and set from ``meta['dataset_meta']`` and the training (crops or
        whole images, flipped or not) from ``meta['cfg']``, where recorded.
    """
    if not isinstance(checkpoint, dict):
        return CheckpointSummary()
    head_type, num = _head(_state_dict(checkpoint))
    meta = checkpoint.get('meta')
    dataset_meta = meta.get('dataset_meta') if isinstance(meta, dict) else None
    dataset_meta = dataset_meta if isinstance(dataset_meta, dict) else {}
    id2name = dataset_meta.get('keypoint_id2name')
    names = [id2name[k] for k in sorted(id2name)
             ] if isinstance(id2name, dict) and id2name else None
    trained_on = flipped = None
    train = (training_config(checkpoint) or {}).get('train_dataloader')
    if isinstance(train, dict):
        types = _types_in(train)
        trained_on = (
            TRAINED_ON_CROPS if types
            & _CROP_TYPES else TRAINED_ON_WHOLE_IMAGES)
        flipped = 'RandomFlip' in types
    name = dataset_meta.get('dataset_name')
    return CheckpointSummary(
        head_type=head_type,
        num_landmarks=num,
        landmark_set=name if isinstance(name, str) else None,
        landmark_names=names,
        trained_on=trained_on,
        flipped=flipped)


def _count_and_set(num: Optional[int], landmark_set: Optional[str]) -> str:
    text = f'{num} landmarks'
    return text + (f' ({landmark_set})' if landmark_set else '')


def _set_of(names: Sequence[str]) -> Optional[str]:
    """The shipped landmark set with exactly these names, if any."""
    for name in list_landmark_sets():
        if set_landmark_names(name) == list(names):
            return name
    return None


def _where(filename: str, stage: Optional[str]) -> str:
    return f'{filename} ({stage})' if stage else filename


def check_checkpoint_fits(model: nn.Module,
                          checkpoint: Any,
                          filename: str,
                          stage: Optional[str] = None,
                          landmark_names: Optional[Sequence[str]] = None,
                          trained_on: Optional[str] = None
                          ) -> CheckpointSummary:
    """Refuse a checkpoint that does not fit the model or its stage.

    Checked before any weight is copied, in this order: the head's
    architecture and landmark count (from the state dict, so a bare state
    dict is checked too), the landmark names ``meta['dataset_meta']``
    records, and what the model was trained on (``meta['cfg']``'s
    ``train_dataloader``). A checkpoint without ``meta`` (a bare state dict)
    gets only the first check; a head neither this function nor
    :func:`~ceph_landmarks.models.landmark_extension.find_head_layout`
    knows is left to the strict load.

    Args:
        model (nn.Module): The model built from the config.
        checkpoint (Any): The loaded checkpoint.
        filename (str): Its file, named in the error.
        stage (str, optional): Where it is used, named in the error, e.g.
            ``'first stage member 2 of 2'``.
        landmark_names (Sequence[str], optional): Landmarks the config
            names, in channel order.
        trained_on (str, optional): What the stage needs:
            :data:`TRAINED_ON_WHOLE_IMAGES` or :data:`TRAINED_ON_CROPS`.

    Returns:
        CheckpointSummary: What the checkpoint holds
        (:func:`summarize_checkpoint`), for a caller's further checks.

    Raises:
        CheckpointMismatchError: If the checkpoint holds another head
            architecture, another number of landmarks, other landmark names
            or was trained on the other kind of input (whole images for a
            refinement stage, crops for a first stage). The message names
            the file, the stage, what the checkpoint holds and what the
            config expects.
    """
    where = _where(filename, stage)
    held = summarize_checkpoint(checkpoint)
    model_head, model_num = _head(model.state_dict())
    expected_set = _set_of(landmark_names) if landmark_names else None
    if held.head_type and model_head and held.head_type != model_head:
        raise CheckpointMismatchError(
            f'{where}: holds a {held.head_type} of {held.landmarks()}, the '
            f'config builds a {model_head}: give it with the config it was '
            'trained with')
    if held.num_landmarks and model_num \
            and held.num_landmarks != model_num:
        raise CheckpointMismatchError(
            f'{where}: holds {held.landmarks()}, the config expects '
            f'{_count_and_set(model_num, expected_set)}')
    if held.landmark_names and landmark_names is not None \
            and held.landmark_names != list(landmark_names):
        raise CheckpointMismatchError(
            f'{where}: was trained on the landmarks of '
            f'{held.landmark_set!r} ({held.landmark_names}), but the config '
            f'names {list(landmark_names)}')
    _check_trained_on(where, held, trained_on)
    return held


def _check_trained_on(where: str, held: CheckpointSummary,
                      trained_on: Optional[str]) -> None:
    """Refuse a checkpoint trained on the other kind of input than its
    stage needs (see :func:`check_checkpoint_fits`)."""
    if trained_on and held.trained_on and held.trained_on != trained_on:
        if trained_on == TRAINED_ON_CROPS:
            raise CheckpointMismatchError(
                f'{where}: was trained as a whole-image model (its training '
                'config has no LandmarkCrop and no CephalometricCropDataset)'
                ', but the refinement stage needs a model trained on crops '
                'around the landmarks: give it as a first-stage checkpoint '
                '(--checkpoints) and the refinement stage a checkpoint of '
                'its refinement config')
        raise CheckpointMismatchError(
            f'{where}: was trained on crops around the landmarks '
            '(LandmarkCrop in its training config), but the first stage '
            'sees whole images: give it as a refinement checkpoint '
            '(--refine-checkpoints, with its config as --refine-config)')


def check_whole_image_checkpoint(filename: str) -> None:
    """Refuse a refinement-stage checkpoint given as a whole-image model.

    For ``tools/test.py CONFIG --checkpoints ONE.pth``, which the Runner
    loads (checking shapes, not what the model was trained on). The file
    is read once more for this; a checkpoint without ``meta['cfg']`` passes.

    Args:
        filename (str): The checkpoint file.

    Raises:
        CheckpointError: If the file cannot be read.
        CheckpointMismatchError: If its training config trained on crops.
    """
    held = summarize_checkpoint(load_local_checkpoint(filename))
    _check_trained_on(_where(filename, None), held, TRAINED_ON_WHOLE_IMAGES)


def load_model_checkpoint(model: nn.Module,
                          filename: str,
                          map_location: Optional[Any] = 'cpu',
                          strict: bool = True,
                          *,
                          stage: Optional[str] = None,
                          landmark_names: Optional[Sequence[str]] = None,
                          trained_on: Optional[str] = None,
                          checkpoint: Optional[dict] = None) -> dict:
    """Load a checkpoint file into a model.

    The one function every model, ensemble member and refinement stage of
    the package is loaded with. The file is read by
    :func:`load_local_checkpoint` and checked by
    :func:`check_checkpoint_fits` (head, landmarks, training; a bare state
    dict, which records no ``meta``, only by its tensor shapes); the
    weights go into the model through mmengine's
    ``_load_checkpoint_to_model`` (what mmengine's ``load_checkpoint`` and
    the Runner use: its ``revise_keys`` strips a ``module.`` prefix, and
    ``strict`` refuses missing, unexpected and differently shaped tensors).

    Args:
        model (nn.Module): The model to load into.
        filename (str): Path of the checkpoint file.
        map_location (optional): As for :func:`torch.load`. Defaults to
            ``'cpu'``.
        strict (bool): Refuse a checkpoint whose tensors differ from the
            model's (names or shapes); otherwise mmengine only logs them.
            Defaults to True.
        stage (str, optional): Where the checkpoint is used, named in the
            errors, e.g. ``'first stage member 2 of 2'`` or
            ``'refinement stage'``.
        landmark_names (Sequence[str], optional): Landmarks the config
            names; a checkpoint that records others is refused.
        trained_on (str, optional): :data:`TRAINED_ON_WHOLE_IMAGES` (a
            first stage) or :data:`TRAINED_ON_CROPS` (a refinement stage);
            a checkpoint whose training config says otherwise is refused.
        checkpoint (dict, optional): The file's content, already read and
            checked with :func:`check_checkpoint_fits` (an ensemble checks
            all its members before loading any); it is not checked again.

    Returns:
        dict: The loaded checkpoint (its ``meta`` names the landmarks a
        Runner checkpoint was trained on).

    Raises:
        CheckpointError: As :func:`load_local_checkpoint`, if the file holds
            no dict, or (``strict``) if its tensors do not fit the model;
            the message names the file, the stage and the differing
            tensors.
        CheckpointMismatchError: As :func:`check_checkpoint_fits`.
    """
    checked = checkpoint is not None
    if not checked:
        checkpoint = load_local_checkpoint(filename, map_location=map_location)
    where = _where(filename, stage)
    if not isinstance(checkpoint, dict):
        raise CheckpointError(f'{where}: no state_dict found in the '
                              'checkpoint')
    if not checked:
        check_checkpoint_fits(model, checkpoint, filename, stage,
                              landmark_names, trained_on)
    try:
        _load_checkpoint_to_model(model, checkpoint, strict=strict)
    except RuntimeError as err:
        lines = [line.strip() for line in str(err).splitlines()]
        raise CheckpointError(f'{where} does not fit the model: ' +
                              '; '.join(line
                                        for line in lines if line)) from None
    return checkpoint


@contextlib.contextmanager
def package_checkpoint_loader() -> Iterator[None]:
    """Make mmengine load plain file paths with :func:`load_local_checkpoint`.

    Inside the ``with`` block, mmengine's ``CheckpointLoader`` (the
    Runner's ``load_from`` and ``--resume``, ``load_checkpoint``,
    ``init_cfg=dict(type='Pretrained')``, MMPose's ``init_model``) reads a
    local file with the package's loader: a missing, empty, truncated or
    refused file raises :class:`CheckpointError` naming the file, and an
    EMA-only checkpoint is unwrapped. Other schemes (``http://``,
    ``open-mmlab://``...) keep mmengine's loaders. On leaving the block,
    mmengine's local loader is restored. The package's tools run their
    ``main`` inside it; a library user who wants the same refusals can use
    it too.

    Yields:
        None
    """
    previous = CheckpointLoader._schemes.get('')
    CheckpointLoader.register_scheme(
        prefixes='', loader=load_local_checkpoint, force=True)
    try:
        yield
    finally:
        if previous is None:
            CheckpointLoader._schemes.pop('', None)
        else:
            CheckpointLoader.register_scheme(
                prefixes='', loader=previous, force=True)


def unwrap_ema_checkpoint(checkpoint: Any) -> Any:
    """Give an EMA-only checkpoint the averaged weights as ``state_dict``.

    mmengine's averaged models store their weights with a ``module.``
    prefix beside a ``steps`` counter. A checkpoint that has
    ``ema_state_dict`` but no ``state_dict`` gets ``state_dict`` = those
    weights without prefix and counter; every other checkpoint is returned
    unchanged.

    Args:
        checkpoint (Any): A loaded checkpoint.

    Returns:
        Any: The checkpoint, with ``state_dict`` added where it was missing.
    """
    if not isinstance(checkpoint, dict) or 'state_dict' in checkpoint \
            or 'ema_state_dict' not in checkpoint:
        return checkpoint
    return dict(
        checkpoint,
        state_dict=strip_averaged_prefix(checkpoint['ema_state_dict']))


def strip_averaged_prefix(averaged: OrderedDict) -> OrderedDict:
    """Turn an mmengine averaged-model state dict into a model state dict.

    Drops the ``steps`` counter and the ``module.`` prefix of every key,
    keeping the module version metadata.

    Kept instead of mmengine's ``revise_keys=[(r'^module\\.', '')]``: that
    renames keys only inside ``load_checkpoint`` /
    ``_load_checkpoint_to_model``, while a model is loaded, and cannot drop
    a key, so ``steps`` would stay as an unexpected key; here a state dict
    is needed without a model (the loader returns it to the Runner, and
    ``tools/export_weights.py --raw`` writes it to a file).

    Args:
        averaged (OrderedDict): ``ema_state_dict`` of a checkpoint.

    Returns:
        OrderedDict: Keys as in the model's own ``state_dict()``.
    """
    state_dict = OrderedDict((key[len('module.'):], value)
                             for key, value in averaged.items()
                             if key.startswith('module.'))
    if hasattr(averaged, '_metadata'):  # module versions: 'module.x' -> 'x'
        state_dict._metadata = OrderedDict(
            (key[len('module.'):], value)
            for key, value in averaged._metadata.items()
            if key.startswith('module.'))
        if 'module' in averaged._metadata:
            state_dict._metadata[''] = averaged._metadata['module']
    return state_dict
