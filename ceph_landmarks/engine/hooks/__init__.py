"""Hooks registered in ``mmpose.registry.HOOKS``."""
from .ema_hook import DecayEMAHook

__all__ = ['DecayEMAHook']
