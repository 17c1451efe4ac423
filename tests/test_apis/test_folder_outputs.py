"""predict_to_folder's per-image JSON and measurements.csv with ground
truth, on random weights (the columns and the arithmetic, not accuracy)."""
import csv
import json
import os.path as osp

import pytest

from ceph_landmarks.apis import (LANDMARK_COLUMNS, MEASUREMENT_COLUMNS,
                                 LandmarkPredictor, load_ground_truth,
                                 predict_to_folder)
from ceph_landmarks.core.evaluation import supported_measurements
from ceph_landmarks.core.metainfo import landmark_names
from helpers import TINY_CONFIG

KEYS = supported_measurements(landmark_names('isbi2015'))


@pytest.fixture(scope='module')
def run(untrained_checkpoint, tiny_data, tmp_path_factory):
    predictor = LandmarkPredictor(TINY_CONFIG, untrained_checkpoint)
    out = tmp_path_factory.mktemp('out')
    images = [osp.join(tiny_data, 'images', f'val_000{i}.png') for i in (0, 1)]
    truth = load_ground_truth(
        osp.join(tiny_data, 'annotations', 'val.json'), 19)
    truth.pop('val_0001.png')  # one image without ground truth
    outcomes = list(
        predict_to_folder(predictor, images, str(out), ground_truth=truth))
    return out, outcomes


def test_measurements_csv_with_and_without_ground_truth(run):
    out, outcomes = run
    rows = list(csv.DictReader(open(out / 'measurements.csv')))
    assert tuple(rows[0]) == MEASUREMENT_COLUMNS
    assert [r['measurement'] for r in rows] == KEYS * 2
    annotated, plain = rows[:len(KEYS)], rows[len(KEYS):]
    for row, m in zip(annotated, outcomes[0].prediction.measurements):
        assert (row['analysis'], row['unit'], row['flag']) == (m.analysis,
                                                               m.unit, m.flag)
        if m.value is None:  # random weights: coinciding points
            assert row['value'] == row['error'] == ''
            continue
        assert float(row['value']) == pytest.approx(m.value, rel=1e-5)
        if row['error']:  # 6 significant digits of predicted - true
            true = outcomes[0].ground_truth['measurements'][m.key]
            assert float(row['ground_truth']) == pytest.approx(true, rel=1e-5)
            assert float(row['error']) == pytest.approx(
                m.value - true, rel=1e-5, abs=1e-9)
    assert sum(bool(r['error']) for r in annotated) >= len(KEYS) // 2
    assert all(r['ground_truth'] == r['error'] == '' for r in plain)
    # no calibration: no uncertainty
    assert {r['uncertainty'] for r in rows} == {''}


def test_landmarks_csv_without_calibration_has_empty_radii(run):
    out, outcomes = run
    rows = list(csv.DictReader(open(out / 'landmarks.csv')))
    assert tuple(rows[0]) == LANDMARK_COLUMNS
    assert [r['landmark'] for r in rows] == outcomes[0].prediction.names * 2
    assert {(r['radius_mm'], r['radius_px']) for r in rows} == {('', '')}


def test_json_holds_measurement_dicts_and_true_values(run):
    out, outcomes = run
    record = json.load(open(out / 'val_0000.json'))
    assert [m['key'] for m in record['measurements']] == KEYS
    assert record['measurements'][0]['norm_source']
    truth = record['ground_truth']
    assert list(truth['measurements']) == KEYS
    key = 'SNA'
    value = next(m['value'] for m in record['measurements'] if m['key'] == key)
    assert truth['measurement_errors'][key] == pytest.approx(
        value - truth['measurements'][key])
    assert json.load(open(out / 'val_0001.json'))['ground_truth'] is None
    # no calibration: the JSON says so, and gives no radius
    assert record['calibration'] is None and record['quality'] is None
    assert {(lm['radius_mm'], lm['radius_px'])
            for lm in record['landmarks']} == {(None, None)}
