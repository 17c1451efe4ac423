"""``DecayEMAHook``: the deprecated name of mmengine's ``EMAHook`` with
:class:`~ceph_landmarks.engine.DecayEMA`, kept so that configs written
before the change (and the configs dumped into their work dirs) still build
and resume."""
import logging

from mmengine.hooks import EMAHook
from mmengine.logging import print_log
from mmpose.registry import HOOKS


@HOOKS.register_module(name='DecayEMAHook')
def decay_ema_hook(decay: float = 0.9999,
                   warmup: bool = True,
                   update_buffers: bool = True,
                   **kwargs) -> EMAHook:
    """Build what ``dict(type='DecayEMAHook', ...)`` meant.

    The hook was mmengine's ``EMAHook`` averaging with ``DecayEMA``; its
    checkpoints hold the same ``ema_state_dict``, so they resume with
    either name.

    Args:
        decay (float): EMA decay in (0, 1). Defaults to 0.9999.
        warmup (bool): Ramp the decay up. Defaults to True.
        update_buffers (bool): Average BatchNorm statistics too.
            Defaults to True.
        **kwargs: ``EMAHook``'s own arguments (``begin_iter``,
            ``begin_epoch``, ``strict_load``).

    Returns:
        EMAHook: ``EMAHook(ema_type='DecayEMA', ...)``.
    """
    print_log(
        "DecayEMAHook is deprecated: use dict(type='EMAHook', "
        f"ema_type='DecayEMA', decay={decay}, update_buffers="
        f'{update_buffers}) (the same hook and checkpoints)',
        logger='current',
        level=logging.WARNING)
    return EMAHook(
        ema_type='DecayEMA',
        decay=decay,
        warmup=warmup,
        update_buffers=update_buffers,
        **kwargs)
