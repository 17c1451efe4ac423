"""The 19 ISBI 2015 landmarks followed by two new points, ``p1`` and ``p2``.

The target landmark set of the fine-tuning configs: a checkpoint trained on
``isbi2015`` or ``cldetection2023`` is extended to it by landmark name.
"""
from ._builder import make_dataset_info
from .isbi2015 import LANDMARKS as ISBI_LANDMARKS
from .isbi2015 import SKELETON

LANDMARKS = ISBI_LANDMARKS + [('p1', 'p1'), ('p2', 'p2')]

dataset_info = make_dataset_info('isbi2015_p1p2', LANDMARKS, SKELETON)
