"""Moved to ``tests/helpers/converters.py``; kept for the converter tests
not yet importing from ``helpers`` (test_image_io.py)."""
from helpers.converters import grey_image, save_image  # noqa: F401
