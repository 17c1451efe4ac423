"""Hooks registered in ``mmpose.registry.HOOKS``."""

__all__ = []
