"""Installation script of ``ceph_landmarks``.

The OpenMMLab stack has to be installed in a particular order with pinned
versions (mmcv compiles from source), so ``install_requires`` is left empty
and ``tools/install.sh`` (``make install``) does the whole set-up.

The ``runtime`` extra is the light prediction runtime
(:mod:`ceph_landmarks.runtime`: an exported ONNX model on the torch-free
core), which needs none of that stack: ``pip install '.[runtime]'``
(``make light-venv``) installs the package with the pinned list of
``requirements/light.txt`` and nothing else. The package itself declares no
requirement, so that this install brings no torch and the full install
keeps choosing its own order.
"""
import os.path as osp
from setuptools import find_packages, setup
from typing import List

LIGHT_REQUIREMENTS = osp.join(
    osp.dirname(osp.abspath(__file__)), 'requirements', 'light.txt')


def read_requirements(path: str) -> List[str]:
    """The requirement lines of ``path``, without comments and blanks."""
    with open(path, encoding='utf-8') as f:
        lines = (line.split('#', 1)[0].strip() for line in f)
        return [line for line in lines if line]


setup(
    name='ceph_landmarks',
    version='0.1.0',
    description='MMPose plugin for cephalometric landmark detection',
    packages=find_packages(include=['ceph_landmarks', 'ceph_landmarks.*']),
    package_data={'ceph_landmarks': ['core/metainfo/*.py']},
    python_requires='>=3.11',
    install_requires=[],
    extras_require={'runtime': read_requirements(LIGHT_REQUIREMENTS)},
)
