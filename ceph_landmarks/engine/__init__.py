"""Training-loop extensions: hooks and the EMA model they average with."""
from .decay_ema import DecayEMA, ema_decay
from .hooks import *  # noqa: F401,F403

__all__ = ['DecayEMA', 'ema_decay']
