"""Helpers shared by the tests (fixtures stay in ``tests/conftest.py``).

Importable as ``helpers``: ``setup.cfg`` puts ``tests/`` on ``sys.path``
through pytest's ``pythonpath`` option.

- :mod:`.paths`: the repository, the test configs, the real data.
- :mod:`.tools`: ``tools/*.py`` in a subprocess, and what a run wrote.
- :mod:`.checkpoints`: tiny models and Runner-style checkpoints, in process.
- :mod:`.data`: synthetic datasets with more landmarks.
- :mod:`.converters`: converter inputs and outputs.
- :mod:`.dicom`: small DICOM radiographs written with pydicom.
- :mod:`.browser`: a headless Chromium (found, installed or skipped).
- :mod:`.html_page`: a written HTML page read back (tables, images, links).
"""
from .browser import chromium_or_skip, find_chromium, screenshot
from .checkpoints import build_tiny_model, save_runner_checkpoint
from .converters import (build_dataset, digests, grey_image, keypoints_by_file,
                         load_defects, load_split, random_points, save_image,
                         write_labelme)
from .data import write_landmark_variant
from .dicom import make_dicom, save_dicom, write_dicom
from .html_page import HtmlPage, read_html_page
from .paths import (CONFIG_DIR, HAMEDAN, REFINE_CONFIG, REPO_ROOT, TINY_CONFIG,
                    TINY_HAMEDAN, TINY_SRPOSE, TINY_SRPOSE_FT, needs_hamedan)
from .tools import (assert_one_error_line, data_options, last_run_scalars,
                    load_tool, run_tool)

__all__ = [
    'build_tiny_model', 'save_runner_checkpoint', 'build_dataset', 'digests',
    'grey_image', 'keypoints_by_file', 'load_defects', 'load_split',
    'random_points', 'save_image', 'write_labelme', 'write_landmark_variant',
    'CONFIG_DIR', 'HAMEDAN', 'REFINE_CONFIG', 'REPO_ROOT', 'TINY_CONFIG',
    'TINY_HAMEDAN', 'TINY_SRPOSE', 'TINY_SRPOSE_FT', 'needs_hamedan',
    'assert_one_error_line', 'data_options', 'last_run_scalars', 'load_tool',
    'run_tool'
]
__all__ += [
    'chromium_or_skip', 'find_chromium', 'screenshot', 'HtmlPage',
    'read_html_page'
]
__all__ += ['make_dicom', 'save_dicom', 'write_dicom']
