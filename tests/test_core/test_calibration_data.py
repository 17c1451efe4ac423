"""``ceph_landmarks.core.evaluation.calibration_data``: out-of-fold
prediction folders, the calibration fitted on them and its report.

The folders are written by :func:`write_predictions` in the layout of
``tools/infer.py --ann-file`` (checked against the package's own writer
functions in :func:`test_reads_the_writers_layout`): the true shapes are
those of the synthetic cephalograms, the errors are drawn from a Rayleigh
distribution (the radial error of an isotropic Gaussian) whose scale per
landmark is known, so the true 90 % radius is ``2.146 * sigma``.
"""
import functools
import json
import math
import os
import os.path as osp
import re
from typing import Iterable, Optional, Sequence

import numpy as np
import pytest

from ceph_landmarks.core.evaluation.calibration_data import (
    CalibrationData, auroc, calibration_report, fit_model_calibration,
    read_prediction_folders)
from ceph_landmarks.core.ground_truth import (GroundTruth,
                                              compare_with_ground_truth)
from ceph_landmarks.core.metainfo import landmark_names
from ceph_landmarks.core.prediction import image_prediction
from ceph_landmarks.core.synthetic import render_cephalogram

NAMES = landmark_names('isbi2015')
K = len(NAMES)
SCALE = 0.05  # small canvases: only the landmarks are used
SPACING = 0.1 / SCALE  # mm/px: 0.1 mm per ISBI pixel
#: Rayleigh scale of each landmark's radial error, mm.
SIGMA_MM = np.linspace(0.6, 1.8, K)
#: The 90 % quantile of a Rayleigh distribution, in units of its scale.
RAYLEIGH_90 = math.sqrt(-2 * math.log(0.1))


@functools.lru_cache(maxsize=None)
def true_shape(seed: int) -> np.ndarray:
    """The landmarks of synthetic cephalogram ``seed``, pixels."""
    return render_cephalogram(seed, scale=SCALE)[1]


def prediction_record(image: str,
                      true: np.ndarray,
                      predicted: np.ndarray,
                      confidence: np.ndarray,
                      visible: Optional[np.ndarray] = None,
                      spacing: Optional[float] = SPACING,
                      names: Sequence[str] = NAMES,
                      refine_shift: Optional[np.ndarray] = None) -> dict:
    """``<stem>.json`` of a prediction folder (tools/infer.py
    ``--ann-file``), without the measurements; ``refine_shift`` (mm) as a
    two-stage model writes it, ``None``: a one-stage model."""
    visible = np.ones(len(names), bool) if visible is None else visible
    shifts = [None] * len(names) if refine_shift is None else refine_shift
    error_px = np.linalg.norm(predicted - true, axis=1)
    scale = spacing or 1.0
    return dict(
        image=image,
        width=97,
        height=120,
        spacing=None if spacing is None else [spacing, spacing],
        spacing_source=None if spacing is None else 'annotation file',
        calibration=None,
        quality=None,
        landmarks=[
            dict(
                name=n,
                x=float(x),
                y=float(y),
                x_mm=float(x * scale) if spacing else None,
                y_mm=float(y * scale) if spacing else None,
                confidence=float(c),
                refine_shift_mm=None if d is None else float(d),
                radius_mm=None,
                radius_px=None)
            for n, (x, y), c, d in zip(names, predicted, confidence, shifts)
        ],
        measurements=[],
        ground_truth=dict(
            landmarks=[
                dict(
                    name=n,
                    x=float(x),
                    y=float(y),
                    visible=bool(v),
                    error_px=float(e) if v else None,
                    error_mm=float(e * spacing) if v and spacing else None)
                for n, (x, y), v, e in zip(names, true, visible, error_px)
            ],
            MRE_px=float(error_px[visible].mean()),
            MRE_mm=float(error_px[visible].mean() *
                         spacing) if spacing else None,
            measurements={},
            measurement_errors={}))


def write_predictions(folder: str,
                      seeds: Iterable[int],
                      rng: np.random.Generator,
                      informative: bool = True,
                      spread: float = 0.5,
                      error_scale: float = 1.0,
                      far_mm: Optional[float] = None,
                      refine_shift: Optional[str] = None) -> str:
    """Write one prediction folder: image ``seed`` of the synthetic set,
    predicted with Rayleigh errors of scale ``error_scale * SIGMA_MM *
    s``, ``s`` log-normal with ``spread`` per image and landmark.

    Args:
        folder (str): The folder, created.
        seeds (Iterable[int]): The images.
        rng (np.random.Generator): Draws the errors.
        informative (bool): The confidence is ``0.9 / s`` (it tells the
            difficulty); otherwise uniform noise.
        spread (float): Standard deviation of ``log s``; 0: every point
            as hard.
        error_scale (float): Multiplies every error.
        far_mm (float, optional): Move one landmark of every image this
            far (a badly predicted image).
        refine_shift (str, optional): Write ``refine_shift_mm`` as a
            two-stage model: ``'informative'``: ``1.5 * s`` mm (it tells
            the difficulty); ``'noise'``: log-normal noise around 1.5 mm;
            ``None``: none (a one-stage model).

    Returns:
        str: The folder.
    """
    os.makedirs(folder, exist_ok=True)
    for seed in seeds:
        true = true_shape(seed)
        difficulty = np.exp(rng.normal(0.0, spread, K))
        radial = error_scale * SIGMA_MM * difficulty * rng.rayleigh(1.0, K)
        if far_mm is not None:
            radial[rng.integers(K)] = far_mm
        turn = rng.uniform(0, 2 * math.pi, K)
        predicted = true + (radial / SPACING)[:, None] * np.stack(
            [np.cos(turn), np.sin(turn)], axis=1)
        confidence = 0.9 / difficulty if informative else rng.uniform(
            0.3, 1.0, K)
        shift = None
        if refine_shift == 'informative':
            shift = 1.5 * difficulty
        elif refine_shift == 'noise':
            shift = 1.5 * np.exp(rng.normal(0.0, 0.7, K))
        record = prediction_record(
            f'data/images/img_{seed:05d}.png',
            true,
            predicted,
            confidence,
            refine_shift=shift)
        with open(osp.join(folder, f'img_{seed:05d}.json'), 'w') as f:
            json.dump(record, f)
    return folder


def write_folds(root: str, seeds: Sequence[int], folds: int,
                rng: np.random.Generator, **kwargs) -> list:
    """``folds`` folders ``root/fold<i>`` sharing the images out."""
    return [
        write_predictions(osp.join(root, f'fold{i}'), part, rng, **kwargs)
        for i, part in enumerate(np.array_split(np.asarray(seeds), folds))
    ]


def test_reads_the_writers_layout(tmp_path):
    # the files written as tools/infer.py writes them: ImagePrediction.to_dict
    # plus compare_with_ground_truth, as _FolderWriter.write does
    rng = np.random.default_rng(0)
    visible = np.ones(K, bool)
    visible[[3, 11]] = False
    expected = []
    for seed in range(3):
        true = true_shape(seed)
        predicted = true + rng.normal(0, 1.5, true.shape)
        prediction = image_prediction(predicted, rng.uniform(0.2, 1.1, K),
                                      NAMES, (120, 97), f'x/{seed}.png',
                                      (SPACING, SPACING), '--spacing')
        truth = GroundTruth(true, visible if seed == 1 else np.ones(K, bool),
                            (SPACING, SPACING))
        record = prediction.to_dict()
        record['ground_truth'] = compare_with_ground_truth(prediction, truth)
        with open(tmp_path / f'{seed}.json', 'w') as f:
            json.dump(record, f)
        expected.append((prediction, truth, record['ground_truth']))
    # the hand-written layout of write_predictions holds the same keys
    mine = prediction_record('a.png', true, predicted, np.ones(K))
    assert set(mine) >= set(record)
    assert set(mine['landmarks'][0]) >= set(record['landmarks'][0])
    assert set(mine['ground_truth']['landmarks'][0]) == set(
        record['ground_truth']['landmarks'][0])

    data = read_prediction_folders([str(tmp_path)])
    assert data.images == ['x/0.png', 'x/1.png', 'x/2.png']
    assert data.files == [str(tmp_path / f'{i}.json') for i in range(3)]
    assert data.landmark_names == NAMES
    assert data.folders == [str(tmp_path)]
    for i, (prediction, truth, comparison) in enumerate(expected):
        errors = [
            np.nan if lm['error_mm'] is None else lm['error_mm']
            for lm in comparison['landmarks']
        ]
        np.testing.assert_allclose(data.errors_mm[i], errors)
        np.testing.assert_allclose(data.predicted[i], prediction.keypoints)
        np.testing.assert_allclose(data.difficulties['confidence'][i],
                                   prediction.confidences)
        seen = truth.visible
        np.testing.assert_allclose(data.true[i][seen], truth.keypoints[seen])
        assert np.isnan(data.true[i][~seen]).all()
        np.testing.assert_allclose(data.spacing[i], [SPACING, SPACING])
    assert np.isnan(data.errors_mm[1, [3, 11]]).all()
    assert data.fully_annotated.tolist() == [True, False, True]
    np.testing.assert_allclose(data.max_error_mm,
                               np.nanmax(data.errors_mm, axis=1))


@pytest.mark.parametrize('informative', [True, False])
def test_calibration_reaches_nominal_coverage_on_fresh_folders(
        tmp_path, informative):
    rng = np.random.default_rng(1 if informative else 2)
    # with an uninformative confidence, every point is as hard (spread 0):
    # the constant radius is then 2.146 sigma
    spread = 0.7 if informative else 0.0
    folds = write_folds(
        str(tmp_path / 'cal'),
        range(200),
        5,
        rng,
        informative=informative,
        spread=spread)
    data = read_prediction_folders(folds)
    assert data.num_images == 200
    calibration = fit_model_calibration(data, 0.1, 'synthetic 5-fold')
    assert calibration.description.startswith('90 % error radii')
    assert calibration.description.endswith(
        '200 out-of-fold images: synthetic 5-fold')
    assert calibration.shape is not None
    assert calibration.shape.num_training == 200

    fresh = read_prediction_folders(
        write_folds(
            str(tmp_path / 'fresh'),
            range(5000, 5600),
            3,
            rng,
            informative=informative,
            spread=spread))
    report = calibration_report(calibration, fresh, fitting_data=data)
    assert report['data']['fitting'] == 'held out'
    assert report['data']['num_images'] == 600
    assert report['cross_fitted'] is None
    overall = report['coverage']['overall']
    assert overall['num_points'] == 600 * K
    assert 0.88 <= overall['coverage'] <= 0.93, overall
    assert overall['min_landmark_coverage'] >= 0.82, overall
    rows = report['coverage']['per_landmark']
    assert [r['landmark'] for r in rows] == NAMES

    if informative:
        assert calibration.radius.difficulty == 'confidence'
        constant, adaptive = report['radius_models']
        assert adaptive['model'] == 'confidence'
        assert adaptive['mean_radius_mm'] <= 0.85 * constant['mean_radius_mm']
    else:
        assert calibration.radius.difficulty is None
        np.testing.assert_allclose(
            calibration.radius.radii_mm, RAYLEIGH_90 * SIGMA_MM, rtol=0.2)
        for row, sigma in zip(rows, SIGMA_MM):
            assert row['mean_radius_mm'] == pytest.approx(
                RAYLEIGH_90 * sigma, rel=0.2)

    # on its own images: in-sample, with the cross-fitted table beside
    own = calibration_report(calibration, data, fitting_data=data)
    assert own['data']['fitting'] == 'in-sample'
    assert own['data']['num_images_fitted_on'] == 200
    cross = own['cross_fitted']
    assert cross['folds'] == 5 and len(cross['models']) == 5
    assert 0.86 <= cross['overall']['coverage'] <= 0.94, cross['overall']
    assert own['coverage']['overall']['coverage'] >= 0.9
    # the comparison on its own images is the one the fit chose by
    for row, candidate in zip(own['radius_models'],
                              calibration.radius.candidates):
        assert row['model'] == candidate['model']
        assert row['coverage'] == candidate['coverage']
        assert row['mean_radius_mm'] == candidate['mean_radius_mm']


def _write_one(folder, name: str, record: dict) -> str:
    os.makedirs(folder, exist_ok=True)
    path = osp.join(folder, name)
    with open(path, 'w') as f:
        json.dump(record, f)
    return path


def _record(seed: int = 0, **kwargs) -> dict:
    true = true_shape(seed)
    return prediction_record(f'data/images/img_{seed:05d}.png', true,
                             true + 0.5, np.ones(K), **kwargs)


def test_an_image_predicted_twice_is_refused(tmp_path):
    rng = np.random.default_rng(3)
    first = write_predictions(str(tmp_path / 'a'), range(10), rng)
    second = write_predictions(str(tmp_path / 'b'), range(9, 15), rng)
    with pytest.raises(ValueError) as info:
        read_prediction_folders([first, second])
    message = str(info.value)
    assert message.startswith(osp.join(second, 'img_00009.json'))
    assert osp.join(first, 'img_00009.json') in message
    assert 'out-of-fold exactly once' in message
    # the same folder twice, and one image under two stems
    with pytest.raises(ValueError, match='also predicted in'):
        read_prediction_folders([first, first])
    third = str(tmp_path / 'c')
    moved = _record(3)
    moved['image'] = '/elsewhere/img_00003.png'  # the same file, copied
    path = _write_one(third, 'img_00003.json', moved)
    with pytest.raises(ValueError) as info:
        read_prediction_folders([first, third])
    assert str(info.value).startswith(f'{path}: image /elsewhere/')
    assert osp.join(first, 'img_00003.json') in str(info.value)
    # another image of that name (other points) is not the same image
    moved['ground_truth']['landmarks'][0]['x'] += 1.0
    _write_one(third, 'img_00003.json', moved)
    assert read_prediction_folders([first, third]).num_images == 11
    _write_one(first, 'img_00003_2.json', _record(3))
    with pytest.raises(ValueError, match='img_00003'):
        read_prediction_folders([first])


def test_a_file_without_ground_truth_is_refused_by_name(tmp_path):
    rng = np.random.default_rng(4)
    folder = write_predictions(str(tmp_path / 'fold0'), range(5), rng)
    record = _record(7)
    record['ground_truth'] = None
    path = _write_one(folder, 'img_00007.json', record)
    with pytest.raises(ValueError) as info:
        read_prediction_folders([folder])
    assert str(info.value).startswith(f'{path}: no ground truth')
    assert '--ann-file' in str(info.value)
    del record['ground_truth']
    _write_one(folder, 'img_00007.json', record)
    with pytest.raises(
            ValueError, match=f'{re.escape(path)}: no ground truth'):
        read_prediction_folders([folder])


def test_mixed_landmark_sets_and_malformed_files_are_refused(tmp_path):
    rng = np.random.default_rng(5)
    folder = write_predictions(str(tmp_path / 'fold0'), range(3), rng)
    other = str(tmp_path / 'fold1')
    renamed = list(NAMES)
    renamed[4] = 'A point'
    true = true_shape(9)
    path = _write_one(
        other, 'x.json',
        prediction_record('x.png', true, true, np.ones(K), names=renamed))
    with pytest.raises(ValueError) as info:
        read_prediction_folders([folder, other])
    assert str(info.value).startswith(f'{path}: landmark 4 ')
    assert 'one landmark set at a time' in str(info.value)
    _write_one(
        other, 'x.json',
        prediction_record(
            'x.png', true[:18], true[:18], np.ones(18), names=NAMES[:18]))
    with pytest.raises(
            ValueError, match=f'{re.escape(path)}: 18 landmarks, but '):
        read_prediction_folders([folder, other])
    # an annotated landmark without an error in mm: no pixel spacing
    _write_one(other, 'x.json', _record(9, spacing=None))
    with pytest.raises(
            ValueError, match=f'{re.escape(path)}: .*no pixel spacing'):
        read_prediction_folders([other])
    for text in ('{"not": "a prediction"}', 'not json {'):
        with open(path, 'w') as f:
            f.write(text)
        with pytest.raises(ValueError, match=f'^{re.escape(path)}: not a'):
            read_prediction_folders([other])
    os.remove(path)
    with pytest.raises(ValueError, match='no prediction files'):
        read_prediction_folders([other])
    with pytest.raises(FileNotFoundError, match='no such prediction folder'):
        read_prediction_folders([str(tmp_path / 'missing')])
    with pytest.raises(ValueError, match='no prediction folders'):
        read_prediction_folders([])


def _brute_force_auroc(scores, labels):
    pos, neg = scores[labels], scores[~labels]
    wins = (pos[:, None] > neg[None, :]).sum()
    ties = (pos[:, None] == neg[None, :]).sum()
    return (wins + 0.5 * ties) / (pos.size * neg.size)


def test_auroc_is_the_mann_whitney_statistic_with_half_ties():
    rng = np.random.default_rng(6)
    for _ in range(20):
        scores = rng.integers(0, 6, size=40).astype(float)  # many ties
        labels = rng.random(40) < 0.3
        assert auroc(scores, labels) == pytest.approx(
            _brute_force_auroc(scores, labels))
    assert auroc(np.array([1., 2., 3.]), np.array([0, 1, 1])) == 1.0
    assert auroc(np.array([3., 2., 1.]), np.array([0, 1, 1])) == 0.0
    assert auroc(np.array([1., 1., 1.]), np.array([0, 1, 1])) == 0.5
    assert auroc(np.array([1., np.inf, np.nan]), np.array([0, 1, 0])) == 1.0
    assert auroc(np.array([1., 2.]), np.array([1, 1])) is None
    assert auroc(np.array([1., 2.]), np.array([0, 0])) is None
    with pytest.raises(ValueError, match='3 scores and 2 labels'):
        auroc(np.ones(3), np.ones(2, bool))


def test_quality_check_flags_images_with_a_landmark_far_off(tmp_path):
    rng = np.random.default_rng(7)
    # every point as hard (spread 0), small errors: only the moved
    # landmark is more than 4 mm off
    small = dict(error_scale=0.3, spread=0.0)
    data = read_prediction_folders(
        write_folds(str(tmp_path / 'cal'), range(150), 3, rng, **small))
    calibration = fit_model_calibration(data)
    good = write_predictions(
        str(tmp_path / 'test'), range(3000, 3060), rng, **small)
    write_predictions(good, range(4000, 4020), rng, far_mm=30.0, **small)
    test = read_prediction_folders([good])
    report = calibration_report(calibration, test, fitting_data=data)
    check = report['quality_check']
    assert check['rules'] == ['shape model']
    assert check['num_bad'] == 20 and check['num_correct'] == 60
    assert sum(check['verdicts'].values()) == 80
    assert check['auroc_shape_distance'] >= 0.95
    assert check['num_bad_flagged'] >= 18
    assert check['correct_flagged_fraction'] <= 0.1
    assert check['num_correct_flagged'] == sum(
        row['verdict'] != 'ok' and row['max_error_mm'] <= 4.0
        for row in check['images'])
    by_image = {row['image']: row for row in check['images']}
    assert by_image['data/images/img_04000.png']['max_error_mm'] == \
        pytest.approx(30.0)

    # a review radius below every radius flags every image
    strict = fit_model_calibration(data, review_radius_mm=0.01)
    assert strict.review_radius_mm == 0.01
    check = calibration_report(strict, test)['quality_check']
    assert check['rules'] == ['shape model', 'radius above 0.01 mm']
    assert check['verdicts']['ok'] == 0
    assert check['correct_flagged_fraction'] == 1.0


def test_shape_model_needs_ten_fully_annotated_images(tmp_path):
    rng = np.random.default_rng(8)
    folder = str(tmp_path / 'fold0')
    for seed in range(40):
        true = true_shape(seed)
        visible = np.ones(K, bool)
        if seed >= 9:
            visible[seed % K] = False
        predicted = true + rng.normal(0, 0.5, true.shape)
        _write_one(
            folder, f'{seed}.json',
            prediction_record(f'{seed}.png', true, predicted, np.ones(K),
                              visible))
    data = read_prediction_folders([folder])
    assert data.fully_annotated.sum() == 9
    calibration = fit_model_calibration(data)
    assert calibration.shape is None
    report = calibration_report(calibration, data)
    assert report['data']['fitting'] == 'not stated'
    assert report['quality_check'] is None
    assert report['coverage']['overall']['num_points'] == 40 * K - 31


def test_report_says_which_images_were_fitted_on(tmp_path):
    rng = np.random.default_rng(9)
    folds = write_folds(str(tmp_path / 'cal'), range(60), 3, rng)
    data = read_prediction_folders(folds)
    calibration = fit_model_calibration(data)
    part = read_prediction_folders(
        [write_predictions(str(tmp_path / 'mix'), range(50, 70), rng)])
    report = calibration_report(calibration, part, fitting_data=data)
    assert report['data']['fitting'] == 'partly in-sample'
    assert report['data']['num_images_fitted_on'] == 10
    assert report['cross_fitted'] is not None
    # too few images to cross-fit at this alpha: said, not raised
    small = read_prediction_folders(
        [write_predictions(str(tmp_path / 'small'), range(10), rng)])
    report = calibration_report(calibration, small, fitting_data=small)
    assert report['data']['fitting'] == 'in-sample'
    assert 'too few' in report['cross_fitted']['error']


def test_subset_keeps_every_array_aligned():
    rng = np.random.default_rng(10)
    data = CalibrationData(
        images=['a', 'b', 'c'],
        files=['a.json', 'b.json', 'c.json'],
        landmark_names=NAMES,
        errors_mm=rng.random((3, K)),
        difficulties={'confidence': rng.random((3, K))},
        predicted=rng.random((3, K, 2)),
        true=rng.random((3, K, 2)),
        spacing=rng.random((3, 2)))
    part = data.subset([2, 0])
    assert part.images == ['c', 'a'] and part.files == ['c.json', 'a.json']
    for key in ('errors_mm', 'predicted', 'true', 'spacing'):
        np.testing.assert_array_equal(
            getattr(part, key),
            getattr(data, key)[[2, 0]])
    np.testing.assert_array_equal(part.difficulties['confidence'],
                                  data.difficulties['confidence'][[2, 0]])


def test_reads_the_refine_shift_of_two_stage_predictions(tmp_path):
    # the writers' layout: ImagePrediction.to_dict of a prediction with
    # the first-stage points, plus compare_with_ground_truth
    rng = np.random.default_rng(11)
    shifts = []
    for seed in range(3):
        true = true_shape(seed)
        coarse = true + rng.normal(0, 2.0, true.shape)
        prediction = image_prediction(
            true + rng.normal(0, 1.0, true.shape),
            np.ones(K),
            NAMES, (120, 97),
            f'x/{seed}.png', (SPACING, SPACING),
            '--spacing',
            coarse_keypoints=coarse)
        record = prediction.to_dict()
        record['ground_truth'] = compare_with_ground_truth(
            prediction, GroundTruth(true, np.ones(K, bool),
                                    (SPACING, SPACING)))
        _write_one(str(tmp_path), f'{seed}.json', record)
        shifts.append(prediction.refine_shifts_mm)
    data = read_prediction_folders([str(tmp_path)])
    assert sorted(data.difficulties) == ['confidence', 'refine_shift_mm']
    np.testing.assert_allclose(data.difficulties['refine_shift_mm'],
                               np.stack(shifts))
    # one-stage predictions: no such signal
    one = read_prediction_folders(
        [write_predictions(str(tmp_path / 'one'), range(3), rng)])
    assert list(one.difficulties) == ['confidence']
    # and a subset keeps it aligned
    part = data.subset([2, 0])
    np.testing.assert_array_equal(part.difficulties['refine_shift_mm'],
                                  np.stack(shifts)[[2, 0]])


def test_refine_shift_in_some_files_only_is_refused(tmp_path):
    rng = np.random.default_rng(12)
    two = write_predictions(
        str(tmp_path / 'fold0'), range(4), rng, refine_shift='noise')
    one = write_predictions(str(tmp_path / 'fold1'), range(4, 8), rng)
    with pytest.raises(ValueError) as info:
        read_prediction_folders([two, one])
    message = str(info.value)
    assert message.startswith(osp.join(one, 'img_00004.json'))
    assert osp.join(two, 'img_00000.json') in message
    assert "no 'refine_shift_mm'" in message
    assert 'one-stage and a two-stage model' in message
    assert 'pixel spacing' in message
    # one landmark without it is a file without it
    record = _record(9, refine_shift=np.ones(K))
    record['landmarks'][5]['refine_shift_mm'] = None
    path = _write_one(two, 'img_00009.json', record)
    with pytest.raises(ValueError, match=f'^{re.escape(path)}: no '):
        read_prediction_folders([two])
    # a distance is never negative
    record['landmarks'][5]['refine_shift_mm'] = -1.0
    _write_one(two, 'img_00009.json', record)
    with pytest.raises(
            ValueError,
            match=f'^{re.escape(path)}: landmark {NAMES[5]}: refine_shift_mm '
            'is a distance'):
        read_prediction_folders([two])


@pytest.mark.parametrize('informative', [True, False])
def test_fit_scales_with_the_refine_shift_when_it_tells_the_error(
        tmp_path, informative):
    # an uninformative confidence; the refine shift is 1.5 s mm where the
    # error scale is SIGMA_MM s (informative), or noise around 1.5 mm with
    # every point as hard (spread 0)
    rng = np.random.default_rng(13)
    folds = write_folds(
        str(tmp_path / 'cal'),
        range(200),
        5,
        rng,
        informative=False,
        spread=0.7 if informative else 0.0,
        refine_shift='informative' if informative else 'noise')
    data = read_prediction_folders(folds)
    assert sorted(data.difficulties) == ['confidence', 'refine_shift_mm']
    calibration = fit_model_calibration(data, 0.1, 'synthetic 5-fold')
    rows = {r['model']: r for r in calibration.radius.candidates}
    assert set(rows) == {'constant', 'confidence', 'refine_shift_mm'}
    if informative:
        assert calibration.radius.difficulty == 'refine_shift_mm'
        assert 'scaled by refine_shift_mm' in calibration.description
        assert rows['refine_shift_mm']['mean_radius_mm'] <= \
            0.85 * rows['constant']['mean_radius_mm']
    else:
        assert calibration.radius.difficulty is None
        assert rows['refine_shift_mm']['mean_radius_mm'] > \
            rows['constant']['mean_radius_mm']
