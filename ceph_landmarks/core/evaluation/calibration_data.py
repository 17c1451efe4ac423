"""Calibration data: out-of-fold predictions with their ground truth.

The error radii of :mod:`.conformal` and the shape model of
:mod:`.shape_plausibility` are fitted on predictions of images the model
did not train on: the validation fold of each model of a K-fold training
(out-of-fold predictions). ``tools/infer.py`` (or the light runtime) run
with ``--ann-file`` writes them, one folder per fold, one ``<stem>.json``
per image (:mod:`ceph_landmarks.core.writers.prediction_folder`): the
prediction (``landmarks`` with ``x``, ``y`` and ``confidence``) and its
``ground_truth`` (per landmark the true ``x``, ``y``, ``visible`` and
``error_mm``, from
:func:`~ceph_landmarks.core.ground_truth.compare_with_ground_truth`).

* :func:`read_prediction_folders` reads such folders into a
  :class:`CalibrationData` and refuses what would break the calibration's
  guarantee: a file without ground truth, an annotated landmark without an
  error in mm (no pixel spacing), two landmark sets, an image predicted
  twice (each image must be out-of-fold exactly once);
* :func:`fit_model_calibration` fits the
  :class:`~ceph_landmarks.core.model_calibration.ModelCalibration`: the
  radii on the errors (:func:`.conformal.fit_radius_calibration`, the
  landmarks' confidences as a candidate difficulty signal) and the shape
  model on the TRUE landmark configurations of the fully annotated images;
* :func:`calibration_report` measures a calibration on some data: per
  landmark and overall coverage and mean radius, whether the data was
  used for fitting (in-sample) or not (held out), the cross-fitted
  comparison of the radius models, and the quality check (verdict counts,
  images flagged among the correctly predicted ones, and the AUROC of the
  shape distance for images with a landmark more than :data:`BAD_ERROR_MM`
  off).

Pure numpy; no torch, no OpenMMLab.
"""
import glob
import json
import math
import os.path as osp
from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional, Sequence, Tuple

import numpy as np

from ..log import get_logger
from ..model_calibration import (ModelCalibration, calibration_description,
                                 quality_check)
from .conformal import (RadiusCalibration, compare_radius_models, coverage,
                        fit_radius_calibration)
from .shape_plausibility import MIN_TRAINING_SHAPES, ShapeModel

__all__ = [
    'BAD_ERROR_MM', 'DIFFICULTY_KEYS', 'CalibrationData',
    'read_prediction_folders', 'fit_model_calibration', 'calibration_report',
    'auroc'
]

#: An image with a landmark further than this (mm) from its true point is
#: not correctly predicted (the quality check should flag it).
BAD_ERROR_MM = 4.0

#: Difficulty signals read from the prediction files: the signal's name
#: (see :data:`.conformal.DIFFICULTY_SIGNALS`) to the key of a landmark
#: entry in ``<stem>.json`` that holds it. ``refine_shift_mm`` (the
#: distance between the first-stage and the refined point) is optional:
#: the data holds it only when every file has a number for every landmark.
DIFFICULTY_KEYS = {
    'confidence': 'confidence',
    'refine_shift_mm': 'refine_shift_mm'
}

#: The optional signals of :data:`DIFFICULTY_KEYS`, to why a file may lack
#: one (said when some files have it and others do not).
_OPTIONAL_SIGNALS = {
    'refine_shift_mm':
    'only predictions of a model with a refinement stage on images with a '
    'pixel spacing have it: the folders mix predictions of a one-stage and '
    'a two-stage model, or images with and without a pixel spacing; '
    'predict every fold with the same recipe and give the spacing'
}

#: The quality verdicts, from best to worst.
_VERDICT_RANK = {'ok': 0, 'review': 1, 'refuse': 2}


@dataclass
class CalibrationData:
    """Predictions of ``N`` images with ``K`` landmarks and their truth.

    Attributes:
        images (list[str]): The image of each prediction (the ``image`` key
            of its file), ``N``.
        files (list[str]): The prediction file of each image, ``N``.
        landmark_names (list[str]): The ``K`` landmarks, in order.
        errors_mm (np.ndarray): ``[N, K]`` radial errors in mm; NaN where
            the landmark is not annotated.
        difficulties (dict[str, np.ndarray]): Difficulty signal name (see
            :data:`DIFFICULTY_KEYS`) to its ``[N, K]`` values.
        predicted (np.ndarray): ``[N, K, 2]`` predicted ``(x, y)`` in
            pixels.
        true (np.ndarray): ``[N, K, 2]`` annotated ``(x, y)`` in pixels;
            NaN where not annotated.
        spacing (np.ndarray): ``[N, 2]`` pixel spacing ``(sx, sy)`` in
            mm/px; NaN where unknown.
        folders (list[str]): The folders read, in order.
    """
    images: List[str]
    files: List[str]
    landmark_names: List[str]
    errors_mm: np.ndarray
    difficulties: Dict[str, np.ndarray]
    predicted: np.ndarray
    true: np.ndarray
    spacing: np.ndarray
    folders: List[str] = field(default_factory=list)

    @property
    def num_images(self) -> int:
        """int: ``N``."""
        return len(self.images)

    @property
    def fully_annotated(self) -> np.ndarray:
        """np.ndarray: ``[N]`` bool, True where every landmark is
        annotated."""
        return ~np.isnan(self.true).any(axis=(1, 2))

    @property
    def max_error_mm(self) -> np.ndarray:
        """np.ndarray: ``[N]`` the largest error of each image, mm; NaN for
        an image with no annotated landmark."""
        out = np.full(self.num_images, np.nan)
        seen = ~np.isnan(self.errors_mm).all(axis=1)
        out[seen] = np.nanmax(self.errors_mm[seen], axis=1)
        return out

    def subset(self, indices: Sequence[int]) -> 'CalibrationData':
        """The data of some images.

        Args:
            indices (Sequence[int]): Image indices.

        Returns:
            CalibrationData: Those images, in that order.
        """
        idx = np.asarray(indices, dtype=int)
        return CalibrationData(
            images=[self.images[i] for i in idx],
            files=[self.files[i] for i in idx],
            landmark_names=list(self.landmark_names),
            errors_mm=self.errors_mm[idx],
            difficulties={
                k: v[idx]
                for k, v in self.difficulties.items()
            },
            predicted=self.predicted[idx],
            true=self.true[idx],
            spacing=self.spacing[idx],
            folders=list(self.folders))


@dataclass
class _Record:
    """What one prediction file contributes."""
    image: str
    names: List[str]
    predicted: np.ndarray  # [K, 2]
    signals: Dict[str, np.ndarray]  # name -> [K]; optional ones if whole
    true: np.ndarray  # [K, 2], NaN where not annotated
    errors_mm: np.ndarray  # [K], NaN where not annotated
    spacing: np.ndarray  # [2], NaN when unknown


def _number(value: Any, path: str, what: str) -> float:
    """A finite float, or ValueError naming the file and the value."""
    if isinstance(value, bool):
        value = None
    try:
        number = float(value)
    except (TypeError, ValueError):
        number = math.nan
    if not math.isfinite(number):
        raise ValueError(f'{path}: {what} must be a finite number, but is '
                         f'{value!r}')
    return number


def _signal(value: Any, signal: str, path: str, what: str) -> float:
    """A difficulty value: NaN for a missing optional one; a distance
    (``'_mm'``) must not be negative."""
    if value is None and signal in _OPTIONAL_SIGNALS:
        return math.nan
    number = _number(value, path, what)
    if signal.endswith('_mm') and number < 0:
        raise ValueError(f'{path}: {what} is a distance and must not be '
                         f'negative, but is {number}')
    return number


def _read_record(path: str) -> _Record:
    """Read and check one ``<stem>.json`` of a prediction folder."""
    try:
        with open(path, encoding='utf-8') as f:
            record = json.load(f)
    except (json.JSONDecodeError, UnicodeDecodeError) as err:
        raise ValueError(f'{path}: not a JSON file ({err})') from None
    if not isinstance(record, dict) or not isinstance(
            record.get('landmarks'), list) or 'image' not in record:
        raise ValueError(f'{path}: not a prediction file of tools/infer.py '
                         "(a JSON object with 'image', 'landmarks' and "
                         "'ground_truth')")
    truth = record.get('ground_truth')
    if truth is None:
        raise ValueError(
            f'{path}: no ground truth (the prediction was made without '
            '--ann-file, or the annotation file does not hold this image); '
            'calibration needs the true points: predict with --ann-file')
    if not isinstance(truth, dict) or not isinstance(
            truth.get('landmarks'), list):
        raise ValueError(f"{path}: 'ground_truth' must be an object with "
                         "'landmarks'")
    landmarks, truths = record['landmarks'], truth['landmarks']
    if not landmarks or len(truths) != len(landmarks):
        raise ValueError(
            f'{path}: {len(landmarks)} predicted landmarks but '
            f'{len(truths)} in the ground truth; expected the same, at '
            'least one')
    names, predicted, true, errors = [], [], [], []
    signals = {name: [] for name in DIFFICULTY_KEYS}
    for k, (lm, gt) in enumerate(zip(landmarks, truths)):
        if not isinstance(lm, dict) or not isinstance(gt, dict):
            raise ValueError(f'{path}: landmark {k} must be an object')
        name = lm.get('name')
        if not isinstance(name, str) or gt.get('name') != name:
            raise ValueError(
                f'{path}: landmark {k} is named {name!r} in the prediction '
                f"but {gt.get('name')!r} in the ground truth")
        where = f'landmark {name}'
        names.append(name)
        predicted.append([
            _number(lm.get('x'), path, f'{where}: x'),
            _number(lm.get('y'), path, f'{where}: y')
        ])
        for signal, key in DIFFICULTY_KEYS.items():
            signals[signal].append(
                _signal(lm.get(key), signal, path, f'{where}: {key}'))
        if not gt.get('visible', False):
            true.append([math.nan, math.nan])
            errors.append(math.nan)
            continue
        if gt.get('error_mm') is None:
            raise ValueError(
                f'{path}: {where} is annotated but has no error in mm (the '
                'image has no pixel spacing); give the spacing when '
                'predicting (--spacing, a spacing CSV or the annotation '
                "file's)")
        true.append([
            _number(gt.get('x'), path, f'{where}: true x'),
            _number(gt.get('y'), path, f'{where}: true y')
        ])
        error = _number(gt.get('error_mm'), path, f'{where}: error_mm')
        if error < 0:
            raise ValueError(f'{path}: {where}: error_mm is negative '
                             f'({error})')
        errors.append(error)
    spacing = record.get('spacing')
    if spacing is None:
        spacing = [math.nan, math.nan]
    elif not isinstance(spacing, (list, tuple)) or len(spacing) != 2:
        raise ValueError(f"{path}: 'spacing' must be [sx, sy] or null, but is "
                         f'{spacing!r}')
    else:
        spacing = [_number(s, path, 'spacing') for s in spacing]
    image = record['image']
    if not isinstance(image, str) or not image:
        raise ValueError(f"{path}: 'image' must be the image's path, but is "
                         f'{image!r}')
    return _Record(
        image=image,
        names=names,
        predicted=np.array(predicted, dtype=np.float64),
        signals={
            k: np.array(v, dtype=np.float64)
            for k, v in signals.items() if not np.isnan(v).any()
        },
        true=np.array(true, dtype=np.float64),
        errors_mm=np.array(errors, dtype=np.float64),
        spacing=np.array(spacing, dtype=np.float64))


def _check_names(names: List[str], reference: List[str], path: str,
                 first: str) -> None:
    """Refuse a file whose landmark set differs from the first file's."""
    if names == reference:
        return
    if len(names) != len(reference):
        what = f'{len(names)} landmarks, but {first} has {len(reference)}'
    else:
        k = next(i for i, (a, b) in enumerate(zip(names, reference)) if a != b)
        what = (f'landmark {k} {names[k]!r}, but {first} has '
                f'{reference[k]!r} there')
    raise ValueError(f'{path}: {what}; calibrate one landmark set at a time')


def _same_annotation(record: _Record,
                     others: List[Tuple[str, '_Record']]) -> Optional[str]:
    """The file of an earlier record of the same image under another path:
    the same file name and the same annotated points."""
    for path, other in others:
        if np.array_equal(np.isnan(record.true), np.isnan(
                other.true)) and np.allclose(
                    record.true, other.true, atol=1e-6, equal_nan=True):
            return path
    return None


def _common_signals(records: List[_Record], files: List[str]) -> List[str]:
    """The difficulty signals every record holds; ValueError naming a file
    with and a file without an optional signal that only some hold."""
    common = []
    for signal in DIFFICULTY_KEYS:
        having = [signal in r.signals for r in records]
        if all(having):
            common.append(signal)
        elif any(having):
            with_it = files[having.index(True)]
            without = files[having.index(False)]
            raise ValueError(
                f'{without}: no {signal!r} for every landmark, but '
                f'{with_it} has it; {_OPTIONAL_SIGNALS[signal]}')
    return common


def read_prediction_folders(folders: Sequence[str]) -> CalibrationData:
    """Read out-of-fold predictions with ground truth, one folder per fold.

    Every ``*.json`` directly in a folder is read as the prediction of one
    image written by ``tools/infer.py --ann-file`` (or the light runtime):
    ``<stem>.json`` of
    :mod:`ceph_landmarks.core.writers.prediction_folder`. An image is
    identified by the ``image`` key of its file (the path it was predicted
    from, normalised); two files whose images share the file name and the
    annotated points are the same image too (predicted from two paths).

    The difficulty signals are those of :data:`DIFFICULTY_KEYS`;
    ``refine_shift_mm`` is among them only when every file has a number
    for every landmark (predictions of a model with a refinement stage, on
    images with a pixel spacing).

    Args:
        folders (Sequence[str]): The prediction folders (a single path is
            taken as one folder).

    Returns:
        CalibrationData: The images of all folders, folder by folder, each
        folder's files in name order.

    Raises:
        FileNotFoundError: If a folder does not exist.
        NotADirectoryError: If a path is not a folder.
        ValueError: If no folder is given, a folder holds no ``*.json``, or
            a file is malformed, has no ground truth, has an annotated
            landmark without an error in mm, has another landmark set than
            the first file, or predicts an image that another file (in
            any folder) predicts too; the message names the file. Also if
            some files have ``refine_shift_mm`` for every landmark and
            others do not (the message names one of each).
    """
    if isinstance(folders, str):
        folders = [folders]
    folders = list(folders)
    if not folders:
        raise ValueError('no prediction folders given')
    records: List[_Record] = []
    files: List[str] = []
    owner: Dict[str, str] = {}
    by_name: Dict[str, List[Tuple[str, _Record]]] = {}
    for folder in folders:
        if not osp.exists(folder):
            raise FileNotFoundError(f'{folder}: no such prediction folder')
        if not osp.isdir(folder):
            raise NotADirectoryError(f'{folder}: not a folder; give the '
                                     'folders tools/infer.py --out wrote')
        paths = sorted(glob.glob(osp.join(glob.escape(folder), '*.json')))
        if not paths:
            raise ValueError(
                f'{folder}: no prediction files (<image>.json of '
                'tools/infer.py --out, predicted with --ann-file)')
        for path in paths:
            record = _read_record(path)
            if records:
                _check_names(record.names, records[0].names, path, files[0])
            key = osp.normpath(record.image)
            same = owner.get(key) or _same_annotation(
                record, by_name.get(osp.basename(key), []))
            if same:
                raise ValueError(
                    f'{path}: image {record.image} is also predicted in '
                    f'{same}; each image must be out-of-fold exactly '
                    'once (give each fold\'s folder once, folds that share '
                    'no image)')
            owner[key] = path
            by_name.setdefault(osp.basename(key), []).append((path, record))
            records.append(record)
            files.append(path)
    signals = _common_signals(records, files)
    data = CalibrationData(
        images=[r.image for r in records],
        files=files,
        landmark_names=list(records[0].names),
        errors_mm=np.stack([r.errors_mm for r in records]),
        difficulties={
            name: np.stack([r.signals[name] for r in records])
            for name in signals
        },
        predicted=np.stack([r.predicted for r in records]),
        true=np.stack([r.true for r in records]),
        spacing=np.stack([r.spacing for r in records]),
        folders=folders)
    if np.isnan(data.errors_mm).all():
        raise ValueError(f'{", ".join(folders)}: no annotated landmark in '
                         f'{data.num_images} prediction files')
    return data


def _data_text(data: CalibrationData, description: str) -> str:
    """The free text naming the data: ``description``, else the folders."""
    text = ' '.join(description.split())
    if text:
        return text
    return 'folders ' + ', '.join(
        osp.basename(osp.normpath(f)) or f for f in data.folders)


def fit_model_calibration(data: CalibrationData,
                          alpha: float = 0.1,
                          description: str = '',
                          review_radius_mm: Optional[float] = None,
                          folds: int = 5,
                          seed: int = 0) -> ModelCalibration:
    """Fit the error radii and the shape model on out-of-fold predictions.

    The radii: :func:`.conformal.fit_radius_calibration` on
    ``data.errors_mm`` with ``data.difficulties`` as the candidate
    signals (an adaptive radius is kept only where cross-fitting shows it
    smaller at the same coverage). The shape model:
    :meth:`.shape_plausibility.ShapeModel.fit` on the true landmark
    configurations of the images whose landmarks are all annotated (none
    with fewer than ``MIN_TRAINING_SHAPES`` such images: logged).

    Args:
        data (CalibrationData): Out-of-fold predictions
            (:func:`read_prediction_folders`).
        alpha (float): Miscoverage level; the radii cover the true point
            with probability ``1 - alpha``. Defaults to 0.1 (90 %).
        description (str): What the data is, e.g. ``'hamedan 5-fold, mean
            of two doctors'``; defaults to the folders' names. The
            calibration's one-line description is made of it.
        review_radius_mm (float, optional): An image with a larger radius
            is flagged for review (stored in the calibration).
        folds (int): Folds of the cross-fitted comparison of the radius
            models.
        seed (int): Seed of their assignment.

    Returns:
        ModelCalibration: The radii, the shape model (or None) and the
        description of
        :func:`~ceph_landmarks.core.model_calibration.calibration_description`,
        e.g. ``'90 % error radii, split-conformal, fitted on 100
        out-of-fold images: hamedan 5-fold'``.

    Raises:
        ValueError: If ``alpha`` or ``review_radius_mm`` is invalid, or
            there are too few errors for ``alpha``.
    """
    text = _data_text(data, description)
    num = data.num_images
    radius = fit_radius_calibration(
        data.errors_mm,
        data.landmark_names,
        alpha,
        difficulties=data.difficulties,
        fitted_on=text,
        folds=folds,
        seed=seed)
    full = data.fully_annotated
    shape = None
    if full.sum() >= MIN_TRAINING_SHAPES:
        shape = ShapeModel.fit(
            data.true[full],
            data.landmark_names,
            fitted_on=f'true landmarks of {int(full.sum())} fully annotated '
            f'images: {text}')
    else:
        get_logger().warning(
            'no shape model: %d of the %d images have every landmark '
            'annotated, %d are needed', int(full.sum()), num,
            MIN_TRAINING_SHAPES)
    return ModelCalibration(
        radius=radius,
        shape=shape,
        description=calibration_description(radius),
        review_radius_mm=review_radius_mm)


def calibration_radii(radius: RadiusCalibration,
                      data: CalibrationData) -> np.ndarray:
    """The ``[N, K]`` radii of a radius calibration on the data, mm."""
    if list(radius.landmark_names) != list(data.landmark_names):
        raise ValueError(
            f'the calibration is for the landmarks {radius.landmark_names}, '
            f'but the predictions have {data.landmark_names}')
    if radius.difficulty is None:
        return np.broadcast_to(
            np.asarray(radius.radii_mm, dtype=np.float64),
            data.errors_mm.shape).copy()
    if radius.difficulty not in data.difficulties:
        raise ValueError(
            f'the calibration scales with {radius.difficulty!r}, which the '
            f'predictions do not hold (they hold '
            f'{sorted(data.difficulties)})')
    return radius.radius_mm(data.difficulties[radius.difficulty])


def auroc(scores: np.ndarray, positive: np.ndarray) -> Optional[float]:
    """Area under the ROC curve of a score for a binary label.

    The Mann-Whitney statistic: the probability that a positive case
    scores higher than a negative one, ties counting one half. NaN scores
    are left out; infinite scores rank above (or below) every finite one.

    Args:
        scores (np.ndarray): ``[N]`` scores, higher = more likely positive.
        positive (np.ndarray): ``[N]`` bool labels.

    Returns:
        float, optional: The AUROC in [0, 1]; None when either class is
        empty.

    Raises:
        ValueError: If the shapes differ.

    Examples:
        >>> auroc(np.array([0.1, 0.4, 0.4, 0.9]),
        ...       np.array([False, False, True, True]))
        0.875
        >>> auroc(np.array([1., 2.]), np.array([True, True])) is None
        True
    """
    values = np.asarray(scores, dtype=np.float64).ravel()
    labels = np.asarray(positive, dtype=bool).ravel()
    if values.shape != labels.shape:
        raise ValueError(f'auroc: got {values.size} scores and {labels.size} '
                         'labels')
    keep = ~np.isnan(values)
    values, labels = values[keep], labels[keep]
    num_pos = int(labels.sum())
    num_neg = labels.size - num_pos
    if num_pos == 0 or num_neg == 0:
        return None
    # mid-ranks: tied values share the mean of their ranks
    unique, inverse, counts = np.unique(
        values, return_inverse=True, return_counts=True)
    ends = np.cumsum(counts)
    mid_rank = ends - (counts - 1) / 2.0  # 1-based
    ranks = mid_rank[inverse.ravel()]
    u_stat = ranks[labels].sum() - num_pos * (num_pos + 1) / 2.0
    return float(u_stat / (num_pos * num_neg))


def _data_role(data: CalibrationData,
               fitting_data: Optional[CalibrationData]) -> Tuple[str, int]:
    """``'in-sample'``, ``'held out'``, ``'partly in-sample'`` or
    ``'not stated'``, and how many images of ``data`` were fitted on."""
    if fitting_data is None:
        return 'not stated', 0
    fitted = {osp.normpath(image) for image in fitting_data.images}
    shared = sum(osp.normpath(image) in fitted for image in data.images)
    if shared == 0:
        return 'held out', 0
    if shared == data.num_images:
        return 'in-sample', shared
    return 'partly in-sample', shared


def coverage_table(names: Sequence[str], errors: np.ndarray,
                   radii: np.ndarray) -> Dict[str, Any]:
    """Per landmark and overall coverage and mean radius over the points
    with an error."""
    valid = ~np.isnan(errors)
    per, overall = coverage(errors, radii)
    rows = []
    for k, name in enumerate(names):
        count = int(valid[:, k].sum())
        rows.append(
            dict(
                landmark=name,
                coverage=None if count == 0 else float(per[k]),
                mean_radius_mm=None if count == 0 else float(radii[valid[:, k],
                                                                   k].mean()),
                num_points=count))
    return dict(
        per_landmark=rows,
        overall=dict(
            coverage=overall,
            min_landmark_coverage=float(np.nanmin(per)),
            mean_radius_mm=float(radii[valid].mean()),
            num_points=int(valid.sum())))


def quality_rules(calibration: ModelCalibration) -> List[str]:
    """The image checks a calibration runs (none: no quality check)."""
    rules = []
    if calibration.shape is not None:
        rules.append('shape model')
    if calibration.review_radius_mm is not None:
        rules.append(f'radius above {calibration.review_radius_mm:g} mm')
    return rules


def quality_rows(calibration: ModelCalibration, data: CalibrationData,
                 radii: np.ndarray) -> List[Dict[str, Any]]:
    """The image check of each image
    (:func:`~ceph_landmarks.core.model_calibration.quality_check`, as
    predictions get it)."""
    rows = []
    for i in range(data.num_images):
        check = quality_check(calibration, data.predicted[i], radii[i])
        worst = data.max_error_mm[i]
        rows.append(
            dict(
                image=data.images[i],
                verdict=check.verdict if check else 'ok',
                shape_distance=check.shape_distance if check else None,
                rotation_deg=check.rotation_deg if check else None,
                max_radius_mm=float(np.max(radii[i])),
                max_error_mm=None if math.isnan(worst) else float(worst)))
    return rows


def quality_summary(rules: List[str], rows: List[Dict[str, Any]],
                    bad_error_mm: float) -> Dict[str, Any]:
    """Verdict counts, the correct images flagged, and how well the check
    finds the images with a landmark more than ``bad_error_mm`` off."""
    max_error = np.array([
        math.nan if row['max_error_mm'] is None else row['max_error_mm']
        for row in rows
    ])
    distance = np.array([
        math.nan if row['shape_distance'] is None else row['shape_distance']
        for row in rows
    ])
    judged = ~np.isnan(max_error)
    with np.errstate(invalid='ignore'):
        bad = judged & (max_error > bad_error_mm)
    correct = judged & ~bad
    verdicts = [row['verdict'] for row in rows]
    flagged = np.array([v != 'ok' for v in verdicts], dtype=bool)
    rank = np.array([_VERDICT_RANK[v] for v in verdicts], dtype=np.float64)
    num_correct = int(correct.sum())
    has_distance = judged & ~np.isnan(distance)
    return dict(
        rules=list(rules),
        bad_error_mm=float(bad_error_mm),
        verdicts={v: verdicts.count(v)
                  for v in _VERDICT_RANK},
        num_correct=num_correct,
        num_correct_flagged=int((flagged & correct).sum()),
        correct_flagged_fraction=None if num_correct == 0 else float(
            (flagged & correct).sum() / num_correct),
        num_bad=int(bad.sum()),
        num_bad_flagged=int((flagged & bad).sum()),
        auroc_shape_distance=auroc(distance[has_distance], bad[has_distance])
        if has_distance.any() else None,
        auroc_verdict=auroc(rank[judged], bad[judged]),
        images=rows)


def _cross_fit(calibration: ModelCalibration, data: CalibrationData,
               folds: int, seed: int, bad_error_mm: float) -> Dict[str, Any]:
    """The calibration refitted without each fold, measured on it."""
    folds = int(folds)
    if folds < 2:
        raise ValueError(f'folds must be at least 2, but got {folds}')
    num = data.num_images
    order = np.random.default_rng(seed).permutation(num)
    radii = np.full(data.errors_mm.shape, np.nan)
    rows: List[Optional[Dict[str, Any]]] = [None] * num
    models, no_shape = [], 0
    rules = quality_rules(calibration)
    for held in np.array_split(order, min(folds, num)):
        train = data.subset(np.setdiff1d(order, held))
        test = data.subset(held)
        fitted = fit_model_calibration(
            train,
            calibration.radius.alpha,
            'cross-fitting',
            calibration.review_radius_mm,
            folds=folds,
            seed=seed)
        if calibration.shape is None:
            fitted.shape = None
        elif fitted.shape is None:
            no_shape += 1
        models.append(fitted.radius.difficulty or 'constant')
        radii[held] = calibration_radii(fitted.radius, test)
        if rules:
            for i, row in zip(held, quality_rows(fitted, test, radii[held])):
                rows[i] = row
    out = dict(
        folds=len(models),
        models=models,
        **coverage_table(data.landmark_names, data.errors_mm, radii))
    out['quality_check'] = quality_summary(rules, rows, bad_error_mm) \
        if rules else None
    if out['quality_check'] is not None:
        out['quality_check']['folds_without_shape_model'] = no_shape
    return out


def calibration_report(calibration: ModelCalibration,
                       data: CalibrationData,
                       fitting_data: Optional[CalibrationData] = None,
                       bad_error_mm: float = BAD_ERROR_MM,
                       folds: int = 5,
                       seed: int = 0) -> Dict[str, Any]:
    """Measure a calibration on predictions with ground truth.

    Args:
        calibration (ModelCalibration): The calibration.
        data (CalibrationData): Predictions to measure it on.
        fitting_data (CalibrationData, optional): The data the calibration
            was fitted on; images are matched by their ``image`` key to
            say whether ``data`` is ``'in-sample'``, ``'held out'`` or
            ``'partly in-sample'`` (``'not stated'`` without it).
        bad_error_mm (float): An image with a landmark further off than
            this is not correctly predicted.
        folds (int): Folds of the cross-fitted tables.
        seed (int): Seed of their assignment.

    Returns:
        dict: JSON-ready once written with ``strict_json`` (an infinite
        shape distance stays a float):

        * ``data``: ``folders``, ``num_images``, ``num_points`` (annotated
          landmarks), ``fitting`` (``'in-sample'``, ``'held out'``,
          ``'partly in-sample'`` or ``'not stated'``) and
          ``num_images_fitted_on``;
        * ``alpha``, ``nominal_coverage``, ``radius_model``
          (``'constant'`` or the signal's name);
        * ``coverage``: the calibration's radii on this data:
          ``per_landmark`` (rows of ``landmark``, ``coverage``,
          ``mean_radius_mm``, ``num_points``; None where a landmark has no
          point) and ``overall`` (``coverage``, ``min_landmark_coverage``,
          ``mean_radius_mm``, ``num_points``). In-sample the radii are
          fitted on these very errors (at least nominal by construction):
          read ``cross_fitted``;
        * ``cross_fitted`` (None for held-out data): the images split into
          ``folds`` folds (the permutation of
          :func:`.conformal.compare_radius_models`), the whole calibration
          (:func:`fit_model_calibration`: radius model choice, radii and
          shape model) refitted without each fold and measured on it: the
          same tables as ``coverage`` and ``quality_check``, plus
          ``folds`` and ``models`` (the radius model chosen per fold); or
          ``error`` (why it could not be computed, e.g. too few images);
        * ``radius_models``: :func:`.conformal.compare_radius_models` on
          this data (constant and each signal, cross-fitted);
        * ``quality_check`` (None when the calibration has neither a shape
          model nor a review radius): the image check of
          ``calibrate_prediction`` (the shape model's verdict on the
          predicted points, raised to review where a radius exceeds the
          review radius): ``rules``, ``bad_error_mm``, ``verdicts``
          (count per verdict), ``num_correct`` (largest error <=
          ``bad_error_mm``), ``num_correct_flagged``,
          ``correct_flagged_fraction``, ``num_bad``, ``num_bad_flagged``,
          ``auroc_shape_distance`` and ``auroc_verdict`` (of the shape
          distance and of the verdict ok < review < refuse, for 'a
          landmark more than ``bad_error_mm`` off'; None when a class is
          empty or there is no shape model), and ``images`` (per image:
          ``image``, ``verdict``, ``shape_distance``, ``rotation_deg``,
          ``max_radius_mm``, ``max_error_mm``).

    Raises:
        ValueError: If the landmark sets differ or the data lacks the
            calibration's difficulty signal.
    """
    radius = calibration.radius
    radii = calibration_radii(radius, data)
    role, shared = _data_role(data, fitting_data)
    cross = None
    if role != 'held out':
        try:
            cross = _cross_fit(calibration, data, folds, seed, bad_error_mm)
        except ValueError as err:
            cross = dict(error=str(err))
    rows = compare_radius_models(data.errors_mm, data.difficulties,
                                 radius.alpha, folds,
                                 seed) if data.num_images >= 2 else []
    rules = quality_rules(calibration)
    return dict(
        data=dict(
            folders=list(data.folders),
            num_images=data.num_images,
            num_points=int((~np.isnan(data.errors_mm)).sum()),
            fitting=role,
            num_images_fitted_on=shared),
        alpha=radius.alpha,
        nominal_coverage=radius.nominal_coverage,
        radius_model=radius.difficulty or 'constant',
        coverage=coverage_table(data.landmark_names, data.errors_mm, radii),
        cross_fitted=cross,
        radius_models=rows,
        quality_check=quality_summary(rules,
                                      quality_rows(calibration, data, radii),
                                      bad_error_mm) if rules else None)
