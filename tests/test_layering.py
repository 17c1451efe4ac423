"""The package's layers: what imports what, and what the plugin import costs.

The subpackages import each other without cycles, and evaluation never
imports visualization (the report is a hook in visualization that uses
evaluation). ``import ceph_landmarks`` (the plugin import of every config)
imports neither the converters and SimpleITK, nor pydicom, nor, of the
package's own accord, matplotlib.
"""
import ast
import json
import subprocess
import sys
from collections import defaultdict
from graphlib import TopologicalSorter
from pathlib import Path
from typing import Dict, Set

import pytest

import ceph_landmarks

PACKAGE = Path(ceph_landmarks.__file__).parent


def _module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix('').parts
    return '.'.join(parts[:-1] if parts[-1] == '__init__' else parts)


def _imported(path: Path) -> Set[str]:
    """Names of the ``ceph_landmarks`` modules a file imports."""
    package = _module_name(path)
    if path.name != '__init__.py':
        package = package.rsplit('.', 1)[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            module = node.module or ''
            if node.level:
                parts = package.split('.')
                parts = parts[:len(parts) - node.level + 1] + [module]
                module = '.'.join(parts).rstrip('.')
            # a name may be a module: ``from .. import visualization``
            found.update(f'{module}.{alias.name}' for alias in node.names)
    return {name for name in found if name.startswith('ceph_landmarks.')}


def _layer(module: str) -> str:
    """The subpackage of a module; the converters count as their own.

    ``datasets.conversion`` is an offline tool that uses the evaluation
    maths (inter-observer agreement), while the datasets the plugin
    registers are below evaluation.
    """
    parts = module.split('.')[1:3]
    if parts == ['datasets', 'conversion']:
        return 'datasets.conversion'
    return parts[0]


def _layer_graph() -> Dict[str, Set[str]]:
    graph = defaultdict(set)
    for path in PACKAGE.rglob('*.py'):
        source = _module_name(path)
        if source == 'ceph_landmarks':
            continue
        for target in _imported(path):
            if _layer(target) != _layer(source):
                graph[_layer(source)].add(_layer(target))
    return graph


def test_subpackages_import_each_other_without_cycles():
    graph = _layer_graph()
    assert 'visualization' not in graph['evaluation']
    TopologicalSorter(graph).prepare()  # CycleError names a cycle


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
        'SimpleITK', 'pydicom', 'ceph_landmarks.datasets.conversion',
        'ceph_landmarks.apis'
    } & modules
    assert all(not name.startswith('ceph_landmarks')
               for name in found['matplotlib_importers'])
