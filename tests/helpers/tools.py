"""Running ``tools/*.py`` in a subprocess (or loading one as a module) and
reading what a run wrote."""
import glob
import importlib.util
import json
import os
import os.path as osp
import subprocess
import sys
from typing import List

from .paths import REPO_ROOT


def load_tool(script: str):
    """``tools/<script>`` as a module (``tools/`` is not a package)."""
    name = osp.splitext(script)[0]
    spec = importlib.util.spec_from_file_location(
        name, osp.join(REPO_ROOT, 'tools', script))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def run_tool(script: str,
             *args: str,
             check: bool = True,
             timeout: int = 600) -> subprocess.CompletedProcess:
    """Run ``tools/<script>`` (or the module ``script``, a dotted name
    without ``.py``, with ``python -m``) with the test's Python, from the
    repo root.

    Args:
        script (str): File name in ``tools/``, or a module
            (``ceph_landmarks.runtime``).
        *args (str): Its command line.
        check (bool): Fail the test (with the end of the output) when the
            tool exits with a non-zero status.
        timeout (int): Seconds before the tool is killed.

    Returns:
        subprocess.CompletedProcess: With ``stdout`` and ``stderr`` as text.
    """
    env = dict(os.environ)
    env.pop('TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD', None)
    command = [sys.executable, osp.join(REPO_ROOT, 'tools', script)] \
        if script.endswith('.py') else [sys.executable, '-m', script]
    proc = subprocess.run([*command, *args],
                          cwd=REPO_ROOT,
                          env=env,
                          capture_output=True,
                          text=True,
                          timeout=timeout)
    if check and proc.returncode != 0:
        raise AssertionError(f'{script} failed ({proc.returncode}):\n'
                             f'{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}')
    return proc


def data_options(root: str) -> List[str]:
    """``--cfg-options`` pointing every dataloader at ``root``."""
    return [
        '--cfg-options', *(f'{loader}.dataset.data_root={root}/'
                           for loader in ('train_dataloader', 'val_dataloader',
                                          'test_dataloader'))
    ]


def assert_one_error_line(proc: subprocess.CompletedProcess,
                          message: str) -> None:
    """The tool exited with status 1, no traceback, and its last line of
    stderr starts with ``error: <message>``."""
    assert proc.returncode == 1, proc.stderr[-3000:]
    assert 'Traceback' not in proc.stderr, proc.stderr[-3000:]
    assert proc.stderr.strip().splitlines()[-1].startswith(
        f'error: {message}'), proc.stderr[-3000:]


def last_run_scalars(work_dir: str) -> List[dict]:
    """The records of the last run in ``work_dir``, as mmengine's
    ``LocalVisBackend`` wrote them (``<time>/vis_data/scalars.json``, one
    JSON object per logged training iteration or validation).

    Training records carry ``epoch`` and ``iter``; validation records carry
    the metrics (``ceph/MRE`` ...).
    """
    runs = sorted(
        glob.glob(osp.join(work_dir, '*', 'vis_data', 'scalars.json')))
    assert runs, f'{work_dir}: no run with vis_data/scalars.json'
    with open(runs[-1]) as f:
        return [json.loads(line) for line in f if line.strip()]
