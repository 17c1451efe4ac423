"""tools/install.sh and tools/make_bundle.sh: their checks and helpers.

No test here installs anything or reaches the network. install.sh finds the
repository from its own path, so the tests run a copy of it in a temporary
folder, where it can only create ``<tmp>/.venv``.
"""
import os
import os.path as osp
import shutil
import subprocess
import sys
from importlib.metadata import version
from typing import Dict, Optional

import pytest

from helpers import REPO_ROOT

INSTALL = osp.join(REPO_ROOT, 'tools', 'install.sh')
MAKE_BUNDLE = osp.join(REPO_ROOT, 'tools', 'make_bundle.sh')
PY_VERSION = '%d.%d' % sys.version_info[:2]


def bash(*args: str,
         env: Optional[Dict[str, str]] = None,
         cwd: Optional[str] = None) -> subprocess.CompletedProcess:
    """``bash ARGS`` with the environment updated by ``env``."""
    return subprocess.run(['bash', *args],
                          env={
                              **os.environ,
                              **(env or {})
                          },
                          cwd=cwd,
                          capture_output=True,
                          text=True,
                          timeout=120)


@pytest.fixture
def repo_copy(tmp_path) -> str:
    """A folder with tools/install.sh, setup.py and requirements/: the
    script's root."""
    os.makedirs(tmp_path / 'tools')
    shutil.copy(INSTALL, tmp_path / 'tools' / 'install.sh')
    shutil.copy(osp.join(REPO_ROOT, 'setup.py'), tmp_path / 'setup.py')
    shutil.copytree(
        osp.join(REPO_ROOT, 'requirements'), tmp_path / 'requirements')
    return str(tmp_path)


def fake_bundle(folder, python_version: Optional[str] = None) -> str:
    """A bundle folder with empty files under the names make_bundle.sh
    writes (enough for install.sh's checks, not for pip), for any Python
    unless ``python_version`` is given."""
    os.makedirs(folder)
    for name in ('setuptools-80.9.0-py3-none-any.whl', 'mmcv-2.1.0.tar.gz',
                 'xtcocotools-1.14.3.tar.gz'):
        open(osp.join(folder, name), 'w').close()
    with open(osp.join(folder, 'requirements.txt'), 'w') as f:
        f.write('setuptools==80.9.0\nmmcv==2.1.0\nxtcocotools==1.14.3\n')
    if python_version:
        with open(osp.join(folder, 'README'), 'w') as f:
            f.write(f'python_version={python_version}\n')
    return str(folder)


def install(repo: str, *args: str, **env: str) -> subprocess.CompletedProcess:
    return bash(osp.join(repo, 'tools', 'install.sh'), *args, env=env)


@pytest.mark.parametrize('script', [INSTALL, MAKE_BUNDLE])
def test_scripts_parse(script):
    proc = bash('-n', script)
    assert proc.returncode == 0, proc.stderr


def test_offline_without_the_folder_names_it(repo_copy):
    proc = install(repo_copy, '--offline', '/nonexistent/bundle')
    assert proc.returncode == 1
    assert 'bundle folder /nonexistent/bundle does not exist' in proc.stderr
    assert not osp.exists(osp.join(repo_copy, '.venv'))


@pytest.mark.parametrize('args, message', [
    (['--offline'], '--offline needs the bundle folder'),
    (['--offline', 'b', '--fast'], 'unknown option: --fast'),
    (['--online'], 'unknown option: --online')
])
def test_bad_options_fail_clearly(repo_copy, args, message):
    proc = install(repo_copy, *args)
    assert proc.returncode == 1
    assert f'[install] error: {message}' in proc.stderr
    assert not osp.exists(osp.join(repo_copy, '.venv'))


def test_a_folder_without_manifest_is_no_bundle(repo_copy, tmp_path):
    os.makedirs(tmp_path / 'wheels')
    proc = install(repo_copy, '--offline', str(tmp_path / 'wheels'))
    assert proc.returncode == 1
    assert f'{tmp_path}/wheels/requirements.txt is missing' in proc.stderr


def test_bundle_for_another_python_is_refused(repo_copy, tmp_path):
    bundle = fake_bundle(tmp_path / 'b', python_version='2.7')
    proc = install(repo_copy, '--offline', bundle, PYTHON=sys.executable)
    assert proc.returncode == 1
    assert f'wheels for Python 2.7 but {sys.executable} is Python ' \
        f'{PY_VERSION}' in proc.stderr
    assert not osp.exists(osp.join(repo_copy, '.venv'))


def test_bundle_without_mmcv_sdist_is_refused(repo_copy, tmp_path):
    bundle = fake_bundle(tmp_path / 'b')
    os.remove(osp.join(bundle, 'mmcv-2.1.0.tar.gz'))
    proc = install(repo_copy, '--offline', bundle, PYTHON=sys.executable)
    assert proc.returncode == 1
    assert f'{bundle} has no mmcv-*.tar.gz' in proc.stderr


def test_no_compiler_fails_before_any_work(repo_copy, tmp_path):
    """A PATH with the tools the script needs, but no c++ / g++."""
    bin_dir = tmp_path / 'bin'
    os.makedirs(bin_dir)
    for tool in ('bash', 'dirname', 'cat', 'sha256sum', 'cut', 'date'):
        os.symlink(shutil.which(tool), bin_dir / tool)
    proc = install(
        repo_copy, '--offline', fake_bundle(tmp_path / 'b'), PATH=str(bin_dir))
    assert proc.returncode == 1
    assert 'no C++ compiler (c++ or g++) on PATH' in proc.stderr
    assert not osp.exists(osp.join(repo_copy, '.venv'))


@pytest.mark.slow
def test_venv_inside_a_venv_sees_its_packages(repo_copy, tmp_path):
    """$PYTHON runs in a virtual environment (the test's, which has torch):
    the new .venv sees that environment's packages through a .pth file,
    onnxruntime among them. The install then stops at the empty setuptools
    wheel."""
    assert sys.prefix != sys.base_prefix, 'the tests run in a venv'
    proc = install(
        repo_copy,
        '--offline',
        fake_bundle(tmp_path / 'b'),
        PYTHON=sys.executable)
    assert proc.returncode != 0
    assert f'sees the packages of {sys.prefix}' in proc.stdout
    assert f'onnxruntime {version("onnxruntime")}' in proc.stdout
    new_py = osp.join(repo_copy, '.venv', 'bin', 'python')
    check = subprocess.run([
        new_py, '-c', 'import sys; from importlib.util import find_spec; '
        'print(sys.prefix, find_spec("torch").origin)'
    ],
                           capture_output=True,
                           text=True)
    assert check.returncode == 0, check.stderr
    prefix, torch_file = check.stdout.split()
    assert prefix == osp.join(repo_copy, '.venv')
    assert torch_file.startswith(sys.prefix)


@pytest.mark.slow
def test_an_environment_without_torch_is_named(repo_copy, tmp_path):
    """A Python outside any virtual environment, without torch: .venv gets
    its site-packages, and the install stops naming what is missing."""
    python = shutil.which('python3', path=f'/usr/bin:{os.environ["PATH"]}')
    probe = subprocess.run(
        [python, '-c', 'import sys; sys.exit(sys.prefix != sys.base_prefix)'])
    if probe.returncode != 0 or subprocess.run([python, '-c', 'import torch'
                                                ]).returncode == 0:
        pytest.skip(f'{python} is a venv or has torch')
    proc = install(
        repo_copy, '--offline', fake_bundle(tmp_path / 'b'), PYTHON=python)
    assert proc.returncode == 1
    assert 'cannot import them: torch torchvision' in proc.stderr


def install_function(call: str, **env: str) -> subprocess.CompletedProcess:
    """Source install.sh (which then runs nothing) and run ``call``."""
    return bash('-c', f'source {INSTALL} && {call}', env=env)


def env_check(requirements, *modules: str) -> subprocess.CompletedProcess:
    """install.sh's check_env_modules on this Python, for ``modules``
    (``module:name``) and the pins of the folder ``requirements``."""
    return install_function(f'REQ={requirements} PY={sys.executable} '
                            f'ENV_MODULES=({" ".join(modules)}) '
                            '&& check_env_modules')


@pytest.fixture
def pins(tmp_path) -> str:
    """A requirements folder that pins onnx to a version nobody has."""
    folder = tmp_path / 'requirements'
    os.makedirs(folder)
    (folder / 'openmmlab.txt').write_text('mmcv==2.1.0\n')
    (folder / 'runtime.txt').write_text('# the ONNX model\nonnx==0.0.1\n')
    (folder / 'constraints.txt').write_text(f'numpy=={version("numpy")}\n')
    return str(folder)


def test_offline_takes_the_environment_versions(pins):
    """An offline install takes onnx as the environment has it (the GPU
    machine's image: onnx 1.23.1 where 1.23.2 is pinned), naming the
    difference; a version equal to the pin goes without a note."""
    proc = env_check(pins, 'numpy:numpy', 'onnx:onnx', 'onnx_ir:onnx-ir')
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == (
        f'[install] from the environment: numpy {version("numpy")}, '
        f'onnx {version("onnx")} (pinned 0.0.1), '
        f'onnx-ir {version("onnx-ir")}')


def test_offline_names_what_the_environment_lacks(pins):
    proc = env_check(pins, 'numpy:numpy', 'no_such_module:no-such-dist',
                     'onnx:onnx')
    assert proc.returncode == 1
    assert 'cannot import them: no-such-dist (install them' in proc.stderr


def test_onnx_comes_from_the_environment_not_the_bundle():
    """onnxruntime's wheel alone is 27 MB: the offline install takes the
    ONNX packages from the environment, and the bundle leaves them out."""
    from_env = install_function('echo "${ENV_MODULES[@]}"')
    assert from_env.returncode == 0, from_env.stderr
    names = {entry.split(':')[1] for entry in from_env.stdout.split()}
    assert {'onnx', 'onnx-ir', 'onnxscript', 'onnxruntime'} <= names
    wheels = bundle_function('echo "${WHEELS[@]}" "${SDISTS[@]}"')
    assert wheels.returncode == 0, wheels.stderr
    assert not names & set(wheels.stdout.split())


def bundle_function(call: str, **env: str) -> subprocess.CompletedProcess:
    """Source make_bundle.sh (which then runs nothing) and run ``call``."""
    return bash('-c', f'source {MAKE_BUNDLE} && {call}', env=env)


@pytest.mark.parametrize('name, line', [('json_tricks', 'json-tricks==3.17.3'),
                                        ('MMEngine', 'mmengine==0.10.7'),
                                        ('setuptools', 'setuptools==80.9.0')])
def test_bundle_versions_come_from_requirements(name, line):
    proc = bundle_function(f'pin {name}')
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == line


def test_bundle_of_an_unpinned_package_fails():
    proc = bundle_function('pin left-pad')
    assert proc.returncode == 1
    assert 'left-pad is pinned in none of requirements/' in proc.stderr


def test_bundle_platforms_stop_at_glibc_max():
    proc = bundle_function('platform_options', GLIBC_MAX='2.19')
    tags = proc.stdout.split()[1::2]
    assert tags == [
        'manylinux1_x86_64', 'manylinux2010_x86_64', 'manylinux2014_x86_64',
        'manylinux_2_17_x86_64', 'manylinux_2_18_x86_64',
        'manylinux_2_19_x86_64'
    ]


def test_bundle_manifest_names_each_file(tmp_path):
    for name in ('json_tricks-3.17.3-py2.py3-none-any.whl',
                 'shapely-2.1.2-cp312-cp312-manylinux2014_x86_64.whl',
                 'mmcv-2.1.0.tar.gz', 'xtcocotools-1.14.3.tar.gz'):
        open(tmp_path / name, 'w').close()
    proc = bundle_function(f'write_manifest {tmp_path}')
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split() == [
        'json_tricks==3.17.3', 'shapely==2.1.2', 'mmcv==2.1.0',
        'xtcocotools==1.14.3'
    ]
