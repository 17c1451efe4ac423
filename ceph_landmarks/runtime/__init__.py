"""The light runtime: landmarks from an ONNX export, without the training
stack.

Imports only the package's torch-free core, numpy, OpenCV and onnxruntime
(pydicom for DICOM input), so that ``pip install '.[runtime]'`` is enough to
predict: ``python -m ceph_landmarks.runtime MODEL_DIR INPUT... --out OUT``
writes what ``tools/infer.py`` writes. Models come from ``tools/deploy.py``
(:mod:`ceph_landmarks.apis.onnx_export`).

It lives inside ``ceph_landmarks`` rather than in a package of its own: the
core it stands on is ``ceph_landmarks.core``, and importing any part of
``ceph_landmarks`` runs ``ceph_landmarks/__init__.py``, which registers the
MMPose layer where MMPose is installed and only the core where it is not
(the light environment). A separate top-level package would import the same
``__init__`` and gain nothing but a second name and version to keep in
step.
"""
from .manifest import ManifestError, load_manifest
from .predictor import OnnxLandmarkPredictor, execution_providers

__all__ = [
    'OnnxLandmarkPredictor', 'ManifestError', 'load_manifest',
    'execution_providers'
]
