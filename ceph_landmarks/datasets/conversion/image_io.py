"""Old place of :mod:`ceph_landmarks.datasets.image_io`.

The image decoder moved up to :mod:`ceph_landmarks.datasets` so that the
plugin's image loader does not import the converters. This module is kept
only until ``tests/test_datasets/test_image_loading.py`` imports
``ImageReadError`` from the new place; delete it then.
"""
from ..image_io import ImageReadError

__all__ = ['ImageReadError']
