"""Training-loop extensions: hooks and checkpoint loading."""
from . import hooks  # noqa: F401
from .checkpoint_loader import load_local_checkpoint

__all__ = ['load_local_checkpoint']
