"""Training-loop extensions: hooks, EMA and checkpoint loading."""
from . import hooks  # noqa: F401
from .cascade_config import cascade_config, config_dataset_meta
from .checkpoint_loader import load_local_checkpoint
from .decay_ema import DecayEMA, ema_decay
from .hooks import *  # noqa: F401,F403
from .weights_export import export_weights

__all__ = [
    'cascade_config', 'config_dataset_meta', 'load_local_checkpoint',
    'DecayEMA', 'ema_decay', 'export_weights'
]
