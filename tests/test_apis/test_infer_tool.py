"""tools/infer.py on a folder with one corrupt image, with ground truth."""
import csv
import json
import os.path as osp
import shutil

import cv2
import numpy as np
import pytest

from ceph_landmarks.core.evaluation import supported_measurements
from ceph_landmarks.core.metainfo import landmark_names
from ceph_landmarks.core.writers.overlay import GT_COLOR, PRED_COLOR
from helpers import TINY_CONFIG, run_tool

pytestmark = pytest.mark.slow

GOOD = ['val_0000.png', 'val_0001.png', 'val_0002.png']


@pytest.fixture(scope='module')
def infer_run(tiny_checkpoint, tiny_data, tmp_path_factory):
    images = tmp_path_factory.mktemp('infer_in')
    for name in GOOD:
        shutil.copy(osp.join(tiny_data, 'images', name), images / name)
    # a truncated PNG: the signature is right, the data is not there
    data = open(osp.join(tiny_data, 'images', 'val_0003.png'), 'rb').read()
    (images / 'broken.png').write_bytes(data[:200])
    out = str(tmp_path_factory.mktemp('infer_out'))
    proc = run_tool(
        'infer.py',
        TINY_CONFIG,
        str(images),
        '--checkpoints',
        tiny_checkpoint,
        '--out',
        out,
        '--ann-file',
        osp.join(tiny_data, 'annotations', 'val.json'),
        '--batch-size',
        '2',
        check=False)
    return proc, out, tiny_data


def test_corrupt_image_is_named_and_fails_the_run(infer_run):
    proc, out, _ = infer_run
    assert proc.returncode == 1
    assert 'broken.png: cannot read image: corrupt or truncated' in proc.stderr
    assert 'Predicted 3 of 4 images' in proc.stdout
    assert not osp.exists(osp.join(out, 'broken.json'))


def test_json_per_image_with_ground_truth(infer_run):
    _, out, _ = infer_run
    for name in GOOD:
        record = json.load(open(osp.join(out, name[:-4] + '.json')))
        assert record['image'].endswith(name)
        assert record['spacing'] == [0.1, 0.1]  # from the annotation file
        assert record['spacing_source'].startswith('annotation file ')
        assert [lm['name'] for lm in record['landmarks']] == \
            landmark_names('isbi2015')
        lm = record['landmarks'][0]
        assert lm['x_mm'] == pytest.approx(lm['x'] * 0.1)
        keys = [m['key'] for m in record['measurements']]
        assert keys == supported_measurements(landmark_names('isbi2015'))
        truth = record['ground_truth']
        assert truth['MRE_mm'] == pytest.approx(
            np.mean([g['error_mm'] for g in truth['landmarks']]))
        assert all(g['visible'] for g in truth['landmarks'])
        # synthetic skulls have plausible angles
        assert 70 < truth['measurements']['SNA'] < 100
        for m in record['measurements']:
            true = truth['measurements'][m['key']]
            error = truth['measurement_errors'][m['key']]
            if m['value'] is None or true is None:
                assert error is None
            else:
                assert error == pytest.approx(m['value'] - true)


def test_csv_files(infer_run):
    _, out, tiny_data = infer_run
    rows = list(csv.DictReader(open(osp.join(out, 'landmarks.csv'))))
    assert list(rows[0]) == [
        'image', 'landmark', 'x', 'y', 'x_mm', 'y_mm', 'confidence',
        'spacing_source', 'radius_mm', 'radius_px'
    ]
    assert {r['radius_mm'] for r in rows} == {''}  # no calibration
    assert len(rows) == 3 * 19
    assert {osp.basename(r['image']) for r in rows} == set(GOOD)
    assert rows[0]['spacing_source'] == 'annotation file ' + osp.join(
        tiny_data, 'annotations', 'val.json')
    assert float(rows[0]['x_mm']) == pytest.approx(
        float(rows[0]['x']) * 0.1, abs=1e-3)
    rows = list(csv.DictReader(open(osp.join(out, 'measurements.csv'))))
    assert list(rows[0]) == [
        'image', 'analysis', 'measurement', 'value', 'unit', 'norm_mean',
        'norm_sd', 'deviation', 'flag', 'ground_truth', 'error', 'uncertainty'
    ]
    keys = supported_measurements(landmark_names('isbi2015'))
    assert len(rows) == 3 * len(keys)
    assert [r['measurement'] for r in rows[:len(keys)]] == keys
    sna = rows[0]
    assert (sna['analysis'], sna['unit'], sna['norm_mean']) == ('Steiner',
                                                                'deg', '82')
    assert float(sna['ground_truth']) > 0
    # the spacing came from the annotation file: mm measures have values
    ans_me = next(r for r in rows if r['measurement'] == 'ANS-Me')
    assert ans_me['unit'] == 'mm' and float(ans_me['ground_truth']) > 0


def test_overlay_shows_prediction_and_ground_truth(infer_run):
    _, out, tiny_data = infer_run
    for name in GOOD:
        overlay = cv2.imread(osp.join(out, name[:-4] + '_overlay.png'))
        source = cv2.imread(osp.join(tiny_data, 'images', name))
        assert overlay.shape == source.shape
        record = json.load(open(osp.join(out, name[:-4] + '.json')))
        pred = np.array([[lm['x'], lm['y']] for lm in record['landmarks']])
        gt = np.array([[g['x'], g['y']]
                       for g in record['ground_truth']['landmarks']])
        x, y = np.round(pred[0]).astype(int)
        assert tuple(overlay[y, x]) == PRED_COLOR
        # a true landmark away from every prediction shows the GT colour
        far = [
            k for k in range(len(gt))
            if np.linalg.norm(pred - gt[k], axis=1).min() > 4
        ]
        assert far
        x, y = np.round(gt[far[0]]).astype(int)
        assert tuple(overlay[y, x]) == GT_COLOR
        assert (overlay != source).any(axis=2).sum() > 200
