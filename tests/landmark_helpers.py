"""Moved to ``tests/helpers`` (``helpers.data``, ``helpers.checkpoints``);
kept for test_engine/test_benchmark.py until it imports from ``helpers``."""
from helpers import (save_runner_checkpoint,  # noqa: F401
                     write_landmark_variant)
