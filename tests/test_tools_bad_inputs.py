"""Made-up bad inputs for the quality check
(``ceph_landmarks.benchmarking.bad_inputs``) and ``tools/bad_inputs.py``."""
import glob
import json
import os.path as osp

import cv2
import numpy as np
import pytest

from ceph_landmarks.benchmarking.bad_inputs import (BAD_INPUTS, NOISE_SD,
                                                    sample_pictures,
                                                    verdict_table)
from ceph_landmarks.core.evaluation.conformal import fit_radius_calibration
from ceph_landmarks.core.evaluation.shape_plausibility import ShapeModel
from ceph_landmarks.core.metainfo import landmark_names
from ceph_landmarks.core.model_calibration import (ModelCalibration,
                                                   save_calibration)
from ceph_landmarks.core.synthetic import render_cephalogram
from helpers import TINY_CONFIG, run_tool


def _ramp(height=6, width=4):
    """A grey ramp as an 8-bit BGR image: every pixel differs."""
    grey = np.arange(height * width, dtype=np.uint8).reshape(height, width)
    return np.repeat(grey[..., None] * 10, 3, axis=2)


def test_each_bad_input_alters_the_xray_as_named():
    image = _ramp()
    rng = np.random.default_rng(0)
    out = {name: f(image, rng) for name, f in BAD_INPUTS.items()}
    assert np.array_equal(out['the X-ray as it is'], image)
    turned = out['rotated 90 degrees']
    assert turned.shape == (4, 6, 3)
    assert turned[0, -1, 0] == image[0, 0, 0]  # top-left goes top-right
    assert np.array_equal(out['rotated 180 degrees'], image[::-1, ::-1])
    assert np.array_equal(out['mirrored'], image[:, ::-1])
    assert np.array_equal(out['grey levels inverted'], 255 - image)
    assert np.array_equal(out['top half only'], image[:3])
    assert np.array_equal(out['bottom half only'], image[3:])
    noisy = out[f'heavy noise (Gaussian, SD {NOISE_SD:g} grey levels)']
    assert noisy.dtype == np.uint8 and noisy.shape == image.shape
    assert np.abs(noisy.astype(int) - image).mean() > 20


def test_verdict_table_counts_each_input_and_lists_the_missed(tmp_path):
    paths = []
    for k in range(2):
        path = str(tmp_path / f'x{k}.png')
        cv2.imwrite(path, _ramp(8, 6))
        paths.append(path)

    def predict(image):  # refuses anything wider than tall, else ok
        return 'refuse' if image.shape[1] > image.shape[0] else 'ok'

    table, missed = verdict_table(predict, paths, pictures=False)
    assert list(table) == list(BAD_INPUTS)
    assert table['the X-ray as it is'] == dict(
        ok=2, review=0, refuse=0, **{'not checked': 0})
    assert table['rotated 90 degrees']['refuse'] == 2
    assert table['top half only']['refuse'] == 2  # 4 x 6: wider than tall
    assert table['mirrored']['ok'] == 2
    assert ('mirrored', paths[0], 'ok') in missed
    assert not any(m[0] == 'the X-ray as it is' for m in missed)
    assert len(missed) == 2 * 4  # 180 degrees, mirrored, inverted, noise


def test_matplotlib_sample_pictures_are_read():
    pictures = dict(sample_pictures())
    assert 'grace_hopper.jpg' in pictures
    assert all(p.dtype == np.uint8 and p.ndim == 3 and p.shape[2] == 3
               for p in pictures.values())


@pytest.mark.slow
def test_tool_prints_the_verdict_table(untrained_checkpoint, tiny_data,
                                       tmp_path):
    names = landmark_names('isbi2015')
    rng = np.random.default_rng(0)
    shapes = np.stack([render_cephalogram(s, 0.05)[1] for s in range(40)])
    calibration = ModelCalibration(
        radius=fit_radius_calibration(
            rng.rayleigh(1.0, (120, len(names))), names, fitted_on='test'),
        shape=ShapeModel.fit(shapes, names),
        description='test calibration')
    save_calibration(calibration, str(tmp_path / 'calibration.json'))
    image = sorted(glob.glob(osp.join(tiny_data, 'images', 'val_*.png')))[0]
    out = tmp_path / 'table.json'
    proc = run_tool('bad_inputs.py', TINY_CONFIG, image, '--checkpoints',
                    untrained_checkpoint, '--calibration',
                    str(tmp_path / 'calibration.json'), '--spacing', '0.1',
                    '--no-pictures', '--out', str(out))
    assert '| rotated 180 degrees |' in proc.stdout
    table = json.load(open(out))['table']
    assert list(table) == list(BAD_INPUTS)
    for counts in table.values():  # every input judged once, and checked
        assert sum(counts.values()) == 1 and counts['not checked'] == 0
    refused = run_tool(
        'bad_inputs.py',
        TINY_CONFIG,
        image,
        '--checkpoints',
        untrained_checkpoint,
        '--no-calibration',
        check=False)
    assert refused.returncode == 2
    assert 'the quality check needs a calibration' in refused.stderr
