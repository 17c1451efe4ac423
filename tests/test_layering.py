"""The package's layers: what imports what, and what the plugin import costs.

Three layers, told apart by what they import:

* the core (``ceph_landmarks.core``) imports neither torch nor OpenMMLab,
  and nothing of the package outside itself;
* the MMPose layer (``compat``, ``datasets``, ``models``, ``engine``,
  ``evaluation``, ``visualization``) stands on the core;
* beside it, the light runtime (``runtime``: ONNX models with
  onnxruntime) stands on the core alone, without torch or OpenMMLab;
* ``apis``, ``cli`` and ``benchmarking`` (and the tools) stand on both.

Checked at module level, every import counted (a function-level import
too): no module of a layer imports one of a higher layer, no two modules
import each other through any chain, and the core imports in a fresh
interpreter in which torch and OpenMMLab cannot be imported, and so does
the runtime. The plugin
import (``import ceph_landmarks``, what every config's ``custom_imports``
does) imports neither the converters and SimpleITK, nor pydicom, nor, of
the package's own accord, matplotlib.
"""
import ast
import json
import subprocess
import sys
from graphlib import CycleError, TopologicalSorter
from pathlib import Path
from typing import Dict, Set

import pytest

import ceph_landmarks

PACKAGE = Path(ceph_landmarks.__file__).parent
BLOCKED = ('torch', 'torchvision', 'mmengine', 'mmcv', 'mmpose', 'mmdet')
MMPOSE_LAYER = ('compat', 'datasets', 'models', 'engine', 'evaluation',
                'visualization')
RUNTIME = 'runtime'
TOP_LAYER = ('apis', 'cli', 'benchmarking')


def _module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix('').parts
    return '.'.join(parts[:-1] if parts[-1] == '__init__' else parts)


MODULES = {_module_name(p): p for p in PACKAGE.rglob('*.py')}


def _imports(path: Path) -> Set[str]:
    """Every top-level name a file imports (``numpy``, ``ceph_landmarks``
    modules by their full name), at any depth of the file."""
    name = _module_name(path)
    package = name if path.name == '__init__.py' else name.rsplit('.', 1)[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            module = node.module or ''
            if node.level:
                parts = package.split('.')
                parts = parts[:len(parts) - node.level + 1]
                module = '.'.join(parts + ([module] if module else []))
            for alias in node.names:
                # a name may be a module: ``from . import benchmark``
                candidate = f'{module}.{alias.name}'
                found.add(candidate if candidate in MODULES else module)
    return found


def _package_imports(path: Path) -> Set[str]:
    """The ``ceph_landmarks`` modules a file imports, by full name."""
    found = set()
    for name in _imports(path):
        while name and name not in MODULES:
            name = name.rpartition('.')[0]
        if name.startswith('ceph_landmarks'):
            found.add(name)
    return found - {_module_name(path)}


def _part(module: str) -> str:
    """``'core'`` of ``ceph_landmarks.core.io``; ``''`` for the package."""
    return module.split('.')[1] if '.' in module else ''


def _layer(module: str) -> int:
    """0 for the core, 1 for the MMPose layer and the runtime, 2 above."""
    part = _part(module)
    if part in ('core', 'version'):
        return 0
    if part in MMPOSE_LAYER or part == RUNTIME:
        return 1
    assert part in TOP_LAYER or module == 'ceph_landmarks', module
    return 2


def _graph() -> Dict[str, Set[str]]:
    return {name: _package_imports(p) for name, p in MODULES.items()}


def test_every_module_belongs_to_a_layer():
    assert {_layer(name) for name in MODULES} == {0, 1, 2}


def test_no_module_imports_a_higher_layer():
    upward = sorted(
        (source, target) for source, targets in _graph().items()
        for target in targets
        if _layer(target) > _layer(source) and source != 'ceph_landmarks')
    assert upward == []


def test_no_import_cycle_between_modules():
    try:
        TopologicalSorter(_graph()).prepare()
    except CycleError as err:  # names the modules of the cycle
        pytest.fail(f'import cycle: {" -> ".join(err.args[1])}')


def test_runtime_and_mmpose_layer_do_not_import_each_other():
    crossing = sorted(
        (source, target) for source, targets in _graph().items()
        for target in targets if _layer(source) == _layer(target) == 1 and (
            _part(source) == RUNTIME) != (_part(target) == RUNTIME))
    assert crossing == []


def test_core_and_runtime_import_no_training_stack_in_their_source():
    offenders = sorted((name, imported) for name, path in MODULES.items()
                       if _layer(name) == 0 or _part(name) == RUNTIME
                       for imported in _imports(path)
                       if imported.split('.')[0] in BLOCKED)
    assert offenders == []


def test_cycle_and_layer_checks_can_fail():
    """The checks see a cycle and an upward import where there is one."""
    graph = _graph()
    graph['ceph_landmarks.core.prediction'] = {'ceph_landmarks.apis'}
    graph['ceph_landmarks.apis'] = graph['ceph_landmarks.apis'] | {
        'ceph_landmarks.core.prediction'
    }
    with pytest.raises(CycleError):
        TopologicalSorter(graph).prepare()
    assert _layer('ceph_landmarks.apis') > _layer(
        'ceph_landmarks.core.prediction')


_BLOCKING_IMPORTER = '''
import importlib, json, sys

BLOCKED = {blocked!r}


class Block:
    """Makes the training stack look uninstalled."""

    def find_spec(self, name, path=None, target=None):
        if name.split('.')[0] in BLOCKED:
            raise ModuleNotFoundError(f'{{name}} is blocked', name=name)


sys.meta_path.insert(0, Block())
failed = {{}}
for module in {modules!r}:
    try:
        importlib.import_module(module)
    except Exception as err:
        failed[module] = f'{{type(err).__name__}}: {{err}}'
print(json.dumps(dict(failed=failed, modules=sorted(sys.modules))))
'''


def _import_blocked(modules, blocked=BLOCKED) -> dict:
    code = _BLOCKING_IMPORTER.format(blocked=blocked, modules=list(modules))
    out = subprocess.run([sys.executable, '-c', code],
                         capture_output=True,
                         text=True,
                         check=True,
                         cwd=PACKAGE.parent).stdout
    return json.loads(out.splitlines()[-1])


def test_core_imports_without_torch_and_openmmlab():
    core = sorted(name for name in MODULES if _layer(name) == 0)
    found = _import_blocked(core)
    assert found['failed'] == {}
    loaded = {
        name
        for name in found['modules'] if name.startswith('ceph_landmarks.')
    }
    assert loaded == {name for name in core if name != 'ceph_landmarks'}
    assert not [m for m in found['modules'] if m.split('.')[0] in BLOCKED]


def test_runtime_imports_without_torch_and_openmmlab():
    runtime = sorted(name for name in MODULES if _part(name) == RUNTIME)
    found = _import_blocked(runtime)
    assert found['failed'] == {}
    assert not [m for m in found['modules'] if m.split('.')[0] in BLOCKED]
    assert 'onnxruntime' not in found['modules']  # imported when used


def test_blocked_import_fails_for_the_mmpose_layer():
    """The fresh interpreter really blocks: the MMPose layer cannot load."""
    found = _import_blocked(['ceph_landmarks.models'])
    assert 'torch' in found['failed']['ceph_landmarks.models'] or (
        'mm' in found['failed']['ceph_landmarks.models'])


def test_plugin_import_without_mmpose_registers_nothing():
    """The light runtime's environment: only the core is there."""
    found = _import_blocked(['ceph_landmarks', 'ceph_landmarks.core.io'])
    assert found['failed'] == {}
    assert not [
        name for name in found['modules']
        if name.startswith('ceph_landmarks.') and _layer(name) > 0
    ]


def test_plugin_import_with_a_broken_mmpose_fails_with_its_error():
    """MMPose installed but one of its dependencies missing is not taken
    for "no MMPose": the import fails, naming what is missing."""
    found = _import_blocked(['ceph_landmarks'], blocked=('mmcv', ))
    assert "mmcv" in found['failed']['ceph_landmarks']


@pytest.mark.slow  # a fresh interpreter imports the whole stack (~9 s)
def test_plugin_import_leaves_out_converters_and_matplotlib():
    # the importers of matplotlib are recorded, as MMPose's COCO dataset
    # base imports it through xtcocotools whatever this package does
    code = '''
import json, sys

class Spy:
    importers = []

    def find_spec(self, name, path=None, target=None):
        if name == 'matplotlib':
            frame = sys._getframe(1)
            while frame.f_globals.get('__name__', '').startswith(
                    'importlib'):
                frame = frame.f_back
            self.importers.append(frame.f_globals['__name__'])


sys.meta_path.insert(0, Spy())
import ceph_landmarks
print(json.dumps(dict(modules=sorted(sys.modules),
                      matplotlib_importers=Spy.importers)))
'''
    out = subprocess.run([sys.executable, '-c', code],
                         capture_output=True,
                         text=True,
                         check=True).stdout
    found = json.loads(out.splitlines()[-1])
    modules = set(found['modules'])
    assert 'ceph_landmarks.visualization.report_hook' in modules
    assert not {
        'SimpleITK', 'pydicom', 'ceph_landmarks.core.conversion',
        'ceph_landmarks.apis', 'ceph_landmarks.benchmarking'
    } & modules
    assert all(not name.startswith('ceph_landmarks')
               for name in found['matplotlib_importers'])
