"""``python -m ceph_landmarks.runtime``: the outputs of ``tools/infer.py``,
in a process where torch and OpenMMLab cannot be imported."""
import csv
import json
import os.path as osp
import subprocess
import sys

import cv2
import numpy as np
import pytest

from ceph_landmarks.core.writers.prediction_folder import LANDMARK_COLUMNS
from helpers import REPO_ROOT, TINY_CONFIG, run_tool, write_dicom

#: The training stack and every other package of the full install that
#: requirements/light.txt leaves out: the runtime must not need them.
BLOCKED = ('torch', 'torchvision', 'mmengine', 'mmcv', 'mmpose', 'mmdet',
           'SimpleITK', 'scipy', 'matplotlib', 'tensorboard', 'xtcocotools',
           'pycocotools', 'tqdm', 'yaml', 'shapely', 'munkres', 'json_tricks',
           'terminaltables', 'addict', 'rich', 'termcolor', 'yapf', 'onnx',
           'onnxscript')

_RUN_BLOCKED = '''
import json, runpy, sys

class Block:
    """Makes the training stack look uninstalled."""

    def find_spec(self, name, path=None, target=None):
        if name.split('.')[0] in {blocked!r}:
            raise ModuleNotFoundError(f'{{name}} is blocked', name=name)


sys.meta_path.insert(0, Block())
sys.argv = ['ceph_landmarks.runtime', *{args!r}]
try:
    runpy.run_module('ceph_landmarks.runtime', run_name='__main__')
except SystemExit as err:
    status = err.code
print(json.dumps(dict(status=status, modules=sorted(sys.modules))))
'''


def _inputs(tiny_data: str, folder) -> list:
    """A PNG of the tiny data and the same pixels as a 12-bit DICOM with a
    pixel spacing in its header."""
    png = osp.join(tiny_data, 'images', 'val_0001.png')
    grey = cv2.imread(png, cv2.IMREAD_GRAYSCALE).astype(np.uint16) * 16
    dcm = write_dicom(
        str(folder / 'scan.dcm'),
        grey,
        bits_stored=12,
        pixel_spacing=(0.2, 0.2))
    return [png, dcm]


def _rows(path: str) -> list:
    with open(path, newline='') as f:
        return list(csv.reader(f))


def test_runtime_predicts_without_the_training_stack(untrained_export,
                                                     tiny_data, tmp_path):
    out = tmp_path / 'out'
    # no --spacing: the DICOM's comes from its header
    args = [
        untrained_export, *_inputs(tiny_data, tmp_path), '--out',
        str(out), '--labelme', '--report'
    ]
    code = _RUN_BLOCKED.format(blocked=BLOCKED, args=args)
    proc = subprocess.run([sys.executable, '-c', code],
                          capture_output=True,
                          text=True,
                          cwd=REPO_ROOT)
    assert proc.returncode == 0, proc.stderr[-3000:]
    found = json.loads(proc.stdout.splitlines()[-1])
    assert found['status'] == 0, proc.stdout + proc.stderr
    assert not [m for m in found['modules'] if m.split('.')[0] in BLOCKED]
    assert 'onnxruntime' in found['modules']
    rows = _rows(str(out / 'landmarks.csv'))
    assert rows[0] == list(LANDMARK_COLUMNS)
    assert len(rows) == 1 + 2 * 19
    dicom_rows = [r for r in rows[1:] if r[0].endswith('scan.dcm')]
    assert float(dicom_rows[0][4]) == pytest.approx(
        float(dicom_rows[0][2]) * 0.2, abs=1e-3)
    for name in ('val_0001.json', 'val_0001_overlay.png', 'scan.json',
                 'measurements.csv', 'labelme/scan.json', 'report/index.html',
                 'report/scan.html'):
        assert (out / name).is_file(), name


@pytest.mark.slow  # tools/infer.py in a subprocess
def test_runtime_writes_what_infer_writes(untrained_export,
                                          untrained_checkpoint, tiny_data,
                                          tmp_path):
    images = _inputs(tiny_data, tmp_path)
    common = ['--spacing', '0.1', '--labelme', '--report']
    run_tool('infer.py', TINY_CONFIG, *images, '--checkpoints',
             untrained_checkpoint, '--out', str(tmp_path / 'torch'), *common)
    run_tool('ceph_landmarks.runtime', untrained_export, *images, '--out',
             str(tmp_path / 'onnx'), *common)
    for table in ('landmarks.csv', 'measurements.csv'):
        want = _rows(str(tmp_path / 'torch' / table))
        got = _rows(str(tmp_path / 'onnx' / table))
        assert got[0] == want[0] and len(got) == len(want)
        for a, b in zip(got[1:], want[1:]):
            assert a[:2] == b[:2]  # image, landmark / analysis
    torch_files = sorted(
        osp.relpath(p, tmp_path / 'torch')
        for p in (tmp_path / 'torch').rglob('*'))
    onnx_files = sorted(
        osp.relpath(p, tmp_path / 'onnx')
        for p in (tmp_path / 'onnx').rglob('*'))
    assert onnx_files == torch_files
