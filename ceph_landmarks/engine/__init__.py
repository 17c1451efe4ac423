"""Training-loop extensions: hooks, EMA and checkpoint loading."""
from . import hooks  # noqa: F401
from .checkpoint_loader import load_local_checkpoint
from .decay_ema import DecayEMA, ema_decay
from .hooks import *  # noqa: F401,F403

__all__ = ['load_local_checkpoint', 'DecayEMA', 'ema_decay']
