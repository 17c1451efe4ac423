"""Where things are: the repository, the test configs and the real data."""
import os.path as osp

import pytest

REPO_ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
CONFIG_DIR = osp.join(REPO_ROOT, 'tests', 'data', 'configs')

#: Tiny HRNet + heatmap head on 64 x 64 inputs, two epochs (19 landmarks).
TINY_CONFIG = osp.join(CONFIG_DIR, 'tiny_synthetic-64x64.py')
#: The refinement stage of the tiny model (one window per landmark).
REFINE_CONFIG = osp.join(CONFIG_DIR, 'tiny_refine-64x64.py')
#: Tiny HRNet + SRPose head for the 38 CL-Detection 2023 landmarks.
TINY_SRPOSE = osp.join(CONFIG_DIR, 'tiny_srpose_cldetection2023-64x64.py')
#: Its 21-landmark fine-tune (ISBI 2015 + p1, p2).
TINY_SRPOSE_FT = osp.join(CONFIG_DIR, 'tiny_srpose-ft_isbi2015-p1p2-64x64.py')
#: The Hamedan recipe, shrunk.
TINY_HAMEDAN = osp.join(CONFIG_DIR, 'tiny_hamedan-160x128.py')

#: The real Hamedan cephalograms (100 images, two annotators), if present.
HAMEDAN = osp.normpath(osp.join(REPO_ROOT, '..', 'shared', 'data', 'hamedan'))
needs_hamedan = pytest.mark.skipif(
    not osp.isdir(HAMEDAN), reason=f'real Hamedan data not found at {HAMEDAN}')
