"""Cephalometric landmark detection as an MMPose plugin.

Importing the package (``custom_imports = dict(imports=['ceph_landmarks'])``
in a config) applies the compatibility patches of :mod:`.compat` and
registers the MMPose layer (datasets, transforms, metrics, hooks, models)
into MMPose's own registries. It imports neither matplotlib (the report's
plots import it when drawn) nor the dataset converters; :mod:`.apis` is
imported on demand.

Where MMPose is not installed (the light runtime's environment), only the
torch-free core (:mod:`.core`) is there: the import registers nothing.
A broken installation (MMPose present, one of its dependencies missing)
still fails with its own error.
"""
from .version import __version__

try:
    import mmpose  # noqa: F401
except ModuleNotFoundError as err:
    if err.name != 'mmpose':
        raise
    __all__ = ['__version__']
else:
    from .compat import apply_patches
    apply_patches()

    from . import datasets, engine, evaluation, models, visualization
    from .engine.core_log_handler import forward_core_logs
    forward_core_logs()

    __all__ = [
        'datasets', 'engine', 'evaluation', 'models', 'visualization',
        '__version__'
    ]
