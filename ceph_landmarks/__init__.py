"""Cephalometric landmark detection as an MMPose plugin.

Importing the package (``custom_imports = dict(imports=['ceph_landmarks'])``
in a config) applies the compatibility patches of :mod:`.compat` and
registers the package's datasets, metrics, hooks (the evaluation report's
among them) and models into MMPose's own registries. It imports neither
matplotlib (the report's plots import it when drawn) nor the dataset
converters; :mod:`.apis` is imported on demand.
"""
from .compat import apply_patches

apply_patches()

from . import visualization  # noqa: E402,F401
from . import datasets, engine, evaluation, models  # noqa: E402,F401
from .version import __version__  # noqa: E402,F401

__all__ = [
    'datasets', 'engine', 'evaluation', 'models', 'visualization',
    '__version__'
]
