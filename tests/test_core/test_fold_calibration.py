"""Held-out coverage over a protocol's folds
(``ceph_landmarks.core.evaluation.fold_calibration``), on prediction
files written by hand with known errors."""
import json
import os

import pytest

from ceph_landmarks.core.evaluation.conformal import RadiusCalibration
from ceph_landmarks.core.evaluation.fold_calibration import (external_coverage,
                                                             held_out_coverage)
from ceph_landmarks.core.model_calibration import ModelCalibration


def write_fold(folder, errors, extra=0.0):
    """One prediction file per image: two landmarks, both ``error + extra``
    mm off."""
    os.makedirs(folder)
    for stem, error in errors.items():
        error += extra
        truth = [
            dict(name=n, x=10.0 * k, y=5.0, visible=True, error_mm=error)
            for k, n in enumerate(['L1', 'L2'])
        ]
        record = dict(
            image=f'/data/{os.path.basename(folder)}/{stem}.png',
            spacing=[0.1, 0.1],
            landmarks=[
                dict(
                    name=t['name'],
                    x=t['x'] + 10 * error,
                    y=5.0,
                    confidence=0.5) for t in truth
            ],
            ground_truth=dict(landmarks=truth))
        with open(os.path.join(folder, f'{stem}.json'), 'w') as f:
            json.dump(record, f)
    return str(folder)


FOLDS = [dict(a=1.0, b=2.0, c=3.0), dict(d=4.0, e=5.0, f=6.0)]


def test_each_fold_is_measured_with_the_other_folds_radii(tmp_path):
    fits = [write_fold(tmp_path / f'mean{i}', f) for i, f in enumerate(FOLDS)]
    # the doctor annotated one image fewer in fold 1, and is 0.5 mm further
    doctor = [
        write_fold(tmp_path / 'doc0', FOLDS[0], 0.5),
        write_fold(tmp_path / 'doc1', dict(d=4.0, e=5.0), 0.5)
    ]
    report = held_out_coverage(fits, dict(mean=fits, doc=doctor), alpha=0.5)
    assert report['folds'] == 2 and report['radius_models'] == [
        'constant', 'constant'
    ]
    # alpha 0.5 on 3 images: the 2nd smallest error of the other fold
    # (fold 0 gets 5 mm, fold 1 gets 2 mm)
    mean = report['ground_truths']['mean']['coverage']['overall']
    assert mean['coverage'] == pytest.approx(3 / 6)  # a, b, c; none of d-f
    assert mean['mean_radius_mm'] == pytest.approx((3 * 5 + 3 * 2) / 6)
    doc = report['ground_truths']['doc']['coverage']['overall']
    assert doc['num_points'] == 2 * 5
    assert doc['coverage'] == pytest.approx(3 / 5)  # 1.5, 2.5, 3.5 <= 5


def test_a_ground_truth_with_an_image_outside_its_fold_is_refused(tmp_path):
    fits = [write_fold(tmp_path / f'mean{i}', f) for i, f in enumerate(FOLDS)]
    wrong = [
        write_fold(tmp_path / 'doc0', dict(a=1.0, d=4.0)),
        write_fold(tmp_path / 'doc1', FOLDS[1])
    ]
    with pytest.raises(
            ValueError, match=r'doc0: predicts d.png, which .*'
            r'mean0 does not'):
        held_out_coverage(fits, dict(doc=wrong), alpha=0.5)
    with pytest.raises(ValueError, match='two folds or more'):
        held_out_coverage(fits[:1], {}, alpha=0.5)


def test_external_coverage_of_a_given_calibration(tmp_path):
    folder = write_fold(tmp_path / 'clinic', dict(x=1.0, y=3.0))
    calibration = ModelCalibration(
        radius=RadiusCalibration(
            alpha=0.1, landmark_names=['L1', 'L2'], radii_mm=[2.0, 4.0]),
        shape=None,
        description='by hand')
    report = external_coverage(calibration, dict(clinic=folder))
    table = report['ground_truths']['clinic']['coverage']
    assert [r['coverage'] for r in table['per_landmark']] == [0.5, 1.0]
    assert report['ground_truths']['clinic']['quality_check'] is None
