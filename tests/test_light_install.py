"""requirements/light.txt, the light runtime's install (``pip install
'.[runtime]'``, ``make light-venv``), against setup.py and the full stack.

Nothing is installed and the network is not reached: the dependencies of
each pinned package are read from the metadata of the test's environment,
the full stack, which holds the same versions.
"""
import os.path as osp
import re
import runpy
from importlib.metadata import PackageNotFoundError, distribution
from typing import Dict, List
from unittest import mock

import pytest
from packaging.requirements import Requirement

from helpers import REPO_ROOT

REQUIREMENTS = osp.join(REPO_ROOT, 'requirements')
LIGHT = osp.join(REQUIREMENTS, 'light.txt')
#: What the light runtime exists to leave out.
TRAINING_STACK = {
    'torch', 'torchvision', 'mmcv', 'mmengine', 'mmpose', 'mmdet', 'scipy',
    'matplotlib', 'tensorboard', 'xtcocotools', 'simpleitk', 'onnx',
    'onnxscript'
}
PIN = re.compile(r'^([A-Za-z0-9][A-Za-z0-9._-]*)==([A-Za-z0-9.+!-]+)$')


def canonical(name: str) -> str:
    """A distribution name as pip compares it."""
    return re.sub(r'[-_.]+', '-', name).lower()


def requirement_lines(path: str) -> List[str]:
    """The lines of ``path`` that are neither comments nor blank."""
    with open(path, encoding='utf-8') as f:
        lines = (line.split('#', 1)[0].strip() for line in f)
        return [line for line in lines if line]


def pins(*files: str) -> Dict[str, str]:
    """``{canonical name: version}`` of the ``==`` lines of ``files``."""
    found = {}
    for file in files:
        for line in requirement_lines(osp.join(REQUIREMENTS, file)):
            match = PIN.match(line)
            if match:
                found[canonical(match.group(1))] = match.group(2)
    return found


def test_every_line_is_pinned():
    lines = requirement_lines(LIGHT)
    assert lines
    assert [line for line in lines if not PIN.match(line)] == []


def test_no_training_stack():
    assert not set(pins('light.txt')) & TRAINING_STACK


def test_setup_py_extra_is_the_file():
    """setup.py's ``runtime`` extra is light.txt, line for line, and the
    package itself requires nothing (a plain install brings no torch)."""
    with mock.patch('setuptools.setup') as setup:
        runpy.run_path(osp.join(REPO_ROOT, 'setup.py'))
    kwargs = setup.call_args.kwargs
    assert kwargs['install_requires'] == []
    assert kwargs['extras_require'] == {'runtime': requirement_lines(LIGHT)}


def test_versions_are_the_full_stacks():
    """A model exported in the full stack runs in the light runtime with
    the same onnxruntime, numpy, OpenCV... as in the full stack."""
    full = pins('openmmlab.txt', 'runtime.txt', 'constraints.txt')
    light = pins('light.txt')
    assert {name: full.get(name) for name in light} == light


def test_the_list_is_closed():
    """Every dependency of a pinned package (for this platform, without
    extras) is pinned too: pip installs nothing unpinned."""
    light = pins('light.txt')
    unpinned = {}
    for name, pinned in light.items():
        try:
            dist = distribution(name)
        except PackageNotFoundError:
            pytest.fail(f'{name} is not installed in the full stack')
        assert dist.version == pinned, name
        for text in dist.requires or []:
            requirement = Requirement(text)
            marker = requirement.marker
            if marker and not marker.evaluate({'extra': ''}):
                continue
            if canonical(requirement.name) not in light:
                unpinned.setdefault(name, []).append(requirement.name)
    assert unpinned == {}
