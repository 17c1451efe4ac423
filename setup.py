"""Installation script of ``ceph_landmarks``.

The OpenMMLab stack has to be installed in a particular order with pinned
versions (mmcv compiles from source), so ``install_requires`` is left empty
and ``tools/install.sh`` (``make install``) does the whole set-up.
"""
from setuptools import find_packages, setup

setup(
    name='ceph_landmarks',
    version='0.1.0',
    description='MMPose plugin for cephalometric landmark detection',
    packages=find_packages(include=['ceph_landmarks', 'ceph_landmarks.*']),
    package_data={'ceph_landmarks': ['core/metainfo/*.py']},
    python_requires='>=3.9',
    install_requires=[],
)
