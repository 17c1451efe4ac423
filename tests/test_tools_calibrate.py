"""``tools/calibrate.py`` end to end, in a subprocess, on synthetic
out-of-fold prediction folders (written as in
``tests/test_core/test_calibration_data.py``)."""
import json
import os.path as osp

import numpy as np
import pytest
from test_core.test_calibration_data import (NAMES, write_folds,
                                             write_predictions)

from ceph_landmarks.core.model_calibration import (calibration_description,
                                                   load_calibration)
from helpers import assert_one_error_line, run_tool

pytestmark = pytest.mark.slow  # every test runs the tool


def _strict_json(path: str):

    def refuse(value):
        raise AssertionError(f'{path}: {value} is not strict JSON')

    with open(path) as f:
        return json.load(f, parse_constant=refuse)


def test_calibrate_fits_reports_and_refuses_an_existing_out(tmp_path):
    rng = np.random.default_rng(11)
    folds = write_folds(str(tmp_path / 'oof'), range(100), 5, rng)
    doctor = write_predictions(
        str(tmp_path / 'test_doctor1'), range(7000, 7040), rng)
    out = str(tmp_path / 'model' / 'calibration.json')
    report_file = str(tmp_path / 'report.json')
    args = [
        '--predictions', *folds, '--out', out, '--test-predictions', doctor,
        '--report', report_file, '--description', 'synthetic 5-fold',
        '--review-radius', '50'
    ]
    proc = run_tool('calibrate.py', *args)

    calibration = load_calibration(out)
    assert calibration.description == calibration_description(
        calibration.radius)
    assert calibration.description.endswith(
        '100 out-of-fold images: synthetic 5-fold')
    assert calibration.review_radius_mm == 50.0
    assert calibration.shape is not None
    assert calibration.radius.landmark_names == NAMES

    report = _strict_json(report_file)
    assert report['calibration_file'] == out
    assert report['description'] == calibration.description
    assert report['nominal_coverage'] == pytest.approx(0.9)
    fit, (test, ) = report['fit'], report['test']
    assert fit['data']['fitting'] == 'in-sample'
    assert fit['data']['num_images'] == 100
    assert test['data']['fitting'] == 'held out'
    assert test['data']['folders'] == [doctor]
    assert test['cross_fitted'] is None
    cross = fit['cross_fitted']['overall']
    assert 0.85 <= cross['coverage'] <= 0.95, cross
    held_out = test['coverage']['overall']
    assert held_out['num_points'] == 40 * len(NAMES)
    assert 0.85 <= held_out['coverage'] <= 0.95, held_out
    assert [r['landmark'] for r in test['coverage']['per_landmark']] == NAMES
    assert [r['model']
            for r in fit['radius_models']] == ['constant', 'confidence']
    assert sum(test['quality_check']['verdicts'].values()) == 40

    text = proc.stdout
    assert f'Calibration written to {out}' in text
    assert 'Radius models compared' in text
    assert 'calibration (cross-fitted)' in text
    assert 'test_doctor1 (held out)' in text
    assert 'Quality check' in text
    coverage_rows = [
        line.split() for line in text.splitlines()
        if line.strip().split(' ')[0] in NAMES
    ]
    assert [row[0] for row in coverage_rows] == NAMES
    assert all(len(row) == 5 for row in coverage_rows)  # two data sets

    # an existing --out is refused, and left as it was
    with open(out) as f:
        before = f.read()
    proc = run_tool('calibrate.py', *args, check=False)
    assert_one_error_line(proc, f'--out {out} already exists')
    with open(out) as f:
        assert f.read() == before
    run_tool('calibrate.py', *args, '--overwrite', '--alpha', '0.2')
    assert load_calibration(out).radius.alpha == pytest.approx(0.2)


def test_calibrate_refuses_predictions_without_ground_truth(tmp_path):
    rng = np.random.default_rng(12)
    folds = write_folds(str(tmp_path / 'oof'), range(30), 3, rng)
    bad = osp.join(folds[1], 'img_00012.json')
    with open(bad) as f:
        record = json.load(f)
    record['ground_truth'] = None
    with open(bad, 'w') as f:
        json.dump(record, f)
    out = str(tmp_path / 'calibration.json')
    proc = run_tool(
        'calibrate.py', '--predictions', *folds, '--out', out, check=False)
    assert_one_error_line(proc, f'{bad}: no ground truth')
    assert not osp.exists(out)
