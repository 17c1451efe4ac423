"""Local checkpoint loading with ``weights_only=True`` and clear refusals.

Registered into mmengine's ``CheckpointLoader`` for plain file paths, so
``load_from``, ``--resume`` and ``tools/test.py CONFIG CHECKPOINT`` all go
through it. The numpy and mmengine objects a Runner checkpoint contains are
allow-listed by :mod:`ceph_landmarks.compat`; anything else a pickle tries to
call is refused with an error that names the file and the global.
"""
import os.path as osp
import pickle
from typing import Any, Optional

import torch
from mmengine.runner.checkpoint import CheckpointLoader

__all__ = ['load_local_checkpoint']


def load_local_checkpoint(filename: str,
                          map_location: Optional[Any] = None) -> Any:
    """Load a checkpoint file with ``torch.load(weights_only=True)``.

    Args:
        filename (str): Path of the checkpoint file.
        map_location (optional): As for :func:`torch.load`.

    Returns:
        Any: The unpickled checkpoint (a Runner checkpoint dict or a bare
        state dict).

    Raises:
        FileNotFoundError: If the file does not exist.
        RuntimeError: If the file pickles an object outside the allow-list
            (for example a call to ``os.system``) or is not a checkpoint.
    """
    filename = osp.expanduser(filename)
    if not osp.isfile(filename):
        raise FileNotFoundError(f'checkpoint {filename} can not be found.')
    try:
        return torch.load(
            filename, map_location=map_location, weights_only=True)
    except pickle.UnpicklingError as err:
        message = str(err)
        marker = 'WeightsUnpickler error:'
        if marker in message:
            message = message.split(marker, 1)[1]
        reason = ' '.join(message.split('Check the documentation')[0].split())
        raise RuntimeError(
            f'Refusing to load checkpoint {filename}: it is not a plain '
            f'weights file ({reason}). Checkpoints are loaded with '
            'weights_only=True; only tensors, numpy arrays and mmengine log '
            'buffers are accepted.') from err


CheckpointLoader.register_scheme(
    prefixes='', loader=load_local_checkpoint, force=True)
