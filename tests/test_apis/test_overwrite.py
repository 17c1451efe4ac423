"""Inputs the predictor cannot take are named, and an output folder with an
earlier run's results is refused or replaced as a whole, never mixed."""
import csv
import os.path as osp
import shutil

import numpy as np
import pytest

from ceph_landmarks.apis import LandmarkPredictor, predict_to_folder
from helpers import TINY_CONFIG, run_tool


@pytest.fixture(scope='module')
def untrained():
    """Random weights: enough to test inputs and files."""
    return LandmarkPredictor(TINY_CONFIG, None)


@pytest.mark.parametrize('array, message', [
    (np.zeros(
        (0, 0), np.uint8), r'the image has no pixels \(shape \(0, 0\)\)'),
    (np.zeros((0, 40, 3),
              np.uint8), r'the image has no pixels \(shape \(0, 40, 3\)\)'),
    (np.zeros((40, ), np.uint8), r'expected \[H, W\] grey or \[H, W, 3\] '
     r'BGR pixels, but got shape \(40,\)'),
    (np.zeros((40, 40, 4), np.uint8), r'expected .* but got '
     r'shape \(40, 40, 4\)'),
])
def test_unusable_arrays_are_named(untrained, array, message):
    with pytest.raises(ValueError, match=f'^image: .*{message}'):
        untrained.predict(array)
    good = np.zeros((40, 30), np.uint8)
    with pytest.raises(ValueError, match=f'^images\\[1\\]: .*{message}'):
        untrained.predict_batch([good, array, good])


def _files(folder):
    return sorted(osp.basename(p) for p in folder.iterdir())


def test_folder_with_results_is_refused_or_replaced(untrained, tiny_data,
                                                    tmp_path):
    images = [
        osp.join(tiny_data, 'images', f'val_{i:04d}.png') for i in range(3)
    ]
    out = tmp_path / 'out'
    list(predict_to_folder(untrained, images[:2], str(out)))
    (out / 'notes.json').write_text('{}')  # not a result: kept
    before = _files(out)
    with pytest.raises(
            FileExistsError,
            match='already holds the results of an earlier run '
            r'\(landmarks.csv, measurements.csv, val_0000.json, '
            r'val_0000_overlay.png and 2 more\); replace them all '
            'with --overwrite'):
        predict_to_folder(untrained, images[2:], str(out))
    assert _files(out) == before

    list(predict_to_folder(untrained, images[2:], str(out), overwrite=True))
    assert _files(out) == [
        'landmarks.csv', 'measurements.csv', 'notes.json', 'val_0002.json',
        'val_0002_overlay.png'
    ]
    rows = list(csv.DictReader(open(out / 'landmarks.csv')))
    assert {r['image'] for r in rows} == {images[2]}


@pytest.mark.slow
def test_infer_tool_refuses_a_folder_with_results(tiny_data, tmp_path):
    out = tmp_path / 'out'
    out.mkdir()
    shutil.copy(osp.join(tiny_data, 'images', 'val_0000.png'), tmp_path)
    (out / 'val_0000.json').write_text('{}')  # would be overwritten
    proc = run_tool(
        'infer.py',
        TINY_CONFIG,
        str(tmp_path / 'val_0000.png'),
        '--checkpoints',
        str(tmp_path / 'unused.pth'),
        '--out',
        str(out),
        check=False)
    assert proc.returncode == 1, proc.stderr[-3000:]
    assert 'Traceback' not in proc.stderr
    assert proc.stderr.strip().splitlines()[-1] == (
        f'error: {out} already holds the results of an earlier run '
        '(val_0000.json); replace them all with --overwrite '
        '(overwrite=True) or choose another output folder')
    assert (out / 'val_0000.json').read_text() == '{}'
