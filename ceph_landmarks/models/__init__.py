"""Model components registered in ``mmpose.registry.MODELS``."""

__all__ = []
