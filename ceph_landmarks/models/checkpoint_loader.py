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
"""
import contextlib
import os.path as osp
import pickle
import re
from collections import OrderedDict
from typing import Any, Iterator, Optional

import torch
from mmengine.runner.checkpoint import (CheckpointLoader,
                                        _load_checkpoint_to_model)
from torch import nn

from ..compat import mmengine_checkpoint_safe_globals

__all__ = [
    'CheckpointError', 'CheckpointNotFoundError', 'load_local_checkpoint',
    'load_model_checkpoint', 'package_checkpoint_loader',
    'strip_averaged_prefix', 'unwrap_ema_checkpoint'
]

# torch's messages for a refused global (compat.py's getattr guard too) and
# for a damaged file (zip container or legacy format)
_REFUSED = re.compile(r'global|not allowed|blocked', re.IGNORECASE)
_DAMAGED = re.compile(r'PytorchStreamReader|zip archive|unexpected EOF|'
                      r'corrupted')


class CheckpointError(RuntimeError):
    """A checkpoint file that cannot be used; the message names the file."""


class CheckpointNotFoundError(CheckpointError, FileNotFoundError):
    """A checkpoint file that does not exist."""


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


def load_model_checkpoint(model: nn.Module,
                          filename: str,
                          map_location: Optional[Any] = 'cpu',
                          strict: bool = True) -> dict:
    """Load a checkpoint file into a model.

    The file is read by :func:`load_local_checkpoint`; the weights go into
    the model through mmengine's ``_load_checkpoint_to_model`` (what
    mmengine's ``load_checkpoint`` and the Runner use: its ``revise_keys``
    strips a ``module.`` prefix, and ``strict`` refuses missing, unexpected
    and differently shaped tensors).

    Args:
        model (nn.Module): The model to load into.
        filename (str): Path of the checkpoint file.
        map_location (optional): As for :func:`torch.load`. Defaults to
            ``'cpu'``.
        strict (bool): Refuse a checkpoint whose tensors differ from the
            model's (names or shapes); otherwise mmengine only logs them.
            Defaults to True.

    Returns:
        dict: The loaded checkpoint (its ``meta`` names the landmarks a
        Runner checkpoint was trained on).

    Raises:
        CheckpointError: As :func:`load_local_checkpoint`, if the file holds
            no dict, or (``strict``) if its tensors do not fit the model;
            the message names the file and the differing tensors.
    """
    checkpoint = load_local_checkpoint(filename, map_location=map_location)
    if not isinstance(checkpoint, dict):
        raise CheckpointError(f'{filename}: no state_dict found in the '
                              'checkpoint')
    try:
        _load_checkpoint_to_model(model, checkpoint, strict=strict)
    except RuntimeError as err:
        lines = [line.strip() for line in str(err).splitlines()]
        raise CheckpointError(f'{filename} does not fit the model: ' +
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
