"""Local checkpoint loading with ``weights_only=True`` and clear refusals.

Registered into mmengine's ``CheckpointLoader`` for plain file paths, so
``load_from``, ``--resume`` and ``tools/test.py CONFIG CHECKPOINT`` all go
through it. The numpy and mmengine objects a Runner checkpoint contains are
allow-listed by :mod:`ceph_landmarks.compat`; anything else a pickle tries to
call is refused with an error that names the file and the global.

Three layouts are accepted: a Runner checkpoint (``state_dict`` beside
``meta``, ``message_hub``, ``optimizer``, ``param_schedulers``), a bare state
dict, and a checkpoint holding only the EMA weights (``ema_state_dict``),
which is unwrapped into ``state_dict``. A Runner checkpoint written with
mmengine's ``EMAHook`` already holds the averaged weights in ``state_dict``
(and the raw ones in ``ema_state_dict``, for ``--resume``) and is returned
as it is.

A file that is missing, empty, truncated or refused raises
:class:`CheckpointError` with a message naming the file; the tools print
that message as one line instead of a traceback.
"""
import os.path as osp
import pickle
import re
from collections import OrderedDict
from typing import Any, Optional

import torch
from mmengine.runner.checkpoint import CheckpointLoader

__all__ = [
    'CheckpointError', 'CheckpointNotFoundError', 'load_local_checkpoint',
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


CheckpointLoader.register_scheme(
    prefixes='', loader=load_local_checkpoint, force=True)
