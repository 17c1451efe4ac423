"""Slim weights files from Runner checkpoints, with or without EMA."""
from typing import Any, Dict

from .checkpoint_loader import strip_averaged_prefix

__all__ = ['export_weights']


def export_weights(checkpoint: Dict[str, Any],
                   raw: bool = False,
                   source: str = 'checkpoint') -> Dict[str, Any]:
    """Keep only ``meta`` and one set of model weights.

    A Runner checkpoint written with an EMA hook (``--ema``) holds the
    averaged weights in ``state_dict`` and the raw, last-step weights in
    ``ema_state_dict`` (so that ``--resume`` can go on). ``raw=False`` keeps
    the weights the checkpoint evaluates with (``state_dict``); ``raw=True``
    keeps the raw weights instead, to measure what the EMA changed.

    Args:
        checkpoint (dict): A loaded Runner checkpoint.
        raw (bool): Export the raw (non-averaged) weights.
        source (str): The checkpoint's file name, for error messages.

    Returns:
        dict: ``{'meta': ..., 'state_dict': ...}``; ``meta['weights']`` says
        which weights were kept.

    Raises:
        KeyError: If the checkpoint has no ``state_dict``, or ``raw`` is
            asked of a checkpoint trained without EMA.
    """
    if not isinstance(checkpoint, dict) or 'state_dict' not in checkpoint:
        raise KeyError(f'{source} has no state_dict; it is not a Runner '
                       'checkpoint')
    meta = dict(checkpoint.get('meta') or {})
    if not raw:
        meta['weights'] = ('ema'
                           if 'ema_state_dict' in checkpoint else 'trained')
        return dict(meta=meta, state_dict=checkpoint['state_dict'])
    if 'ema_state_dict' not in checkpoint:
        raise KeyError(f'{source} has no ema_state_dict: it was trained '
                       'without EMA, so its state_dict already holds the '
                       'raw weights')
    meta['weights'] = 'raw'
    return dict(
        meta=meta,
        state_dict=strip_averaged_prefix(checkpoint['ema_state_dict']))
