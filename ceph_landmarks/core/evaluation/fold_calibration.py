"""Held-out coverage of the error radii, as a protocol measures it.

A K-fold protocol gives every image one out-of-fold prediction. The
calibration of fold ``i`` is fitted on the predictions of the other folds
(against the ground truth the calibration is made for, the mean of the
doctors) and measured on fold ``i`` against every ground truth (the mean
and each doctor): no image is measured by a calibration that saw it. The
folds' radii are then pooled into one coverage table per ground truth.
An external test set is measured with a given calibration
(:func:`external_coverage`).
"""
import os.path as osp
from typing import Any, Dict, List, Mapping, Optional, Sequence

import numpy as np

from ..model_calibration import ModelCalibration
from .calibration_data import (BAD_ERROR_MM, CalibrationData,
                               calibration_radii, coverage_table,
                               fit_model_calibration, quality_rows,
                               quality_rules, quality_summary,
                               read_prediction_folders)

__all__ = ['held_out_coverage', 'external_coverage']


def _file_names(data: CalibrationData) -> List[str]:
    """The images' file names (each ground truth of a protocol has its own
    copy of the images)."""
    return [osp.basename(image) for image in data.images]


def _measured(calibration: ModelCalibration, data: CalibrationData,
              bad_error_mm: float) -> Dict[str, Any]:
    """The coverage table and quality check of a calibration on data."""
    radii = calibration_radii(calibration.radius, data)
    rules = quality_rules(calibration)
    return dict(
        coverage=coverage_table(data.landmark_names, data.errors_mm, radii),
        quality_check=quality_summary(rules,
                                      quality_rows(calibration, data, radii),
                                      bad_error_mm) if rules else None)


def held_out_coverage(fit_folders: Sequence[str],
                      test_folders: Mapping[str, Sequence[str]],
                      alpha: float = 0.1,
                      review_radius_mm: Optional[float] = None,
                      description: str = '',
                      bad_error_mm: float = BAD_ERROR_MM) -> Dict[str, Any]:
    """Fit a calibration without each fold and measure it on that fold.

    Args:
        fit_folders (Sequence[str]): One prediction folder per fold
            (``tools/infer.py --ann-file`` of the fold's held-out images,
            against the ground truth to calibrate on).
        test_folders (Mapping[str, Sequence[str]]): Ground truth name to
            one prediction folder per fold, in the order of
            ``fit_folders``: the fold's images (all, or those annotated in
            that ground truth) predicted against that ground truth.
        alpha (float): Miscoverage of the radii.
        review_radius_mm (float, optional): Review radius of the
            calibrations.
        description (str): What the data is (the calibrations'
            description).
        bad_error_mm (float): An image with a landmark further off is not
            correctly predicted (quality check).

    Returns:
        dict: ``folds`` (the number), ``radius_models`` (the radius model
        chosen for each fold: ``'constant'`` or the signal's name),
        ``nominal_coverage`` and ``ground_truths``: per ground truth the
        pooled held-out ``coverage`` table
        (:func:`~.calibration_data.coverage_table`) and ``quality_check``
        (:func:`~.calibration_data.quality_summary`, None when the
        calibrations check nothing).

    Raises:
        ValueError: If fewer than two folds are given, a ground truth has
            another number of folders, or a folder of a ground truth
            holds an image (by file name) that is not in its fold's
            ``fit_folders`` entry (the message names the folder).
    """
    fit_folders = list(fit_folders)
    if len(fit_folders) < 2:
        raise ValueError(f'held-out coverage needs two folds or more, but '
                         f'got {len(fit_folders)} folder(s)')
    for name, folders in test_folders.items():
        if len(folders) != len(fit_folders):
            raise ValueError(
                f'ground truth {name}: {len(folders)} prediction folders, '
                f'but {len(fit_folders)} folds')
    folds = [read_prediction_folders([f]) for f in fit_folders]
    tests = {
        name: [read_prediction_folders([f]) for f in folders]
        for name, folders in test_folders.items()
    }
    for name, per_fold in tests.items():
        for fold, data in zip(folds, per_fold):
            extra = sorted(set(_file_names(data)) - set(_file_names(fold)))
            if extra:
                raise ValueError(
                    f'{data.folders[0]}: predicts {", ".join(extra)}, which '
                    f'{fold.folders[0]} does not: a fold of a ground truth '
                    'holds the images of that fold only (some may lack an '
                    'annotation)')
    models: List[str] = []
    pooled: Dict[str, Dict[str, list]] = {
        name: dict(errors=[], radii=[], rows=[])
        for name in tests
    }
    rules: List[str] = []
    for i in range(len(folds)):
        others = [f for j, f in enumerate(fit_folders) if j != i]
        calibration = fit_model_calibration(
            read_prediction_folders(others), alpha, description,
            review_radius_mm)
        models.append(calibration.radius.difficulty or 'constant')
        rules = quality_rules(calibration)
        for name, per_fold in tests.items():
            data = per_fold[i]
            radii = calibration_radii(calibration.radius, data)
            pooled[name]['errors'].append(data.errors_mm)
            pooled[name]['radii'].append(radii)
            if rules:
                pooled[name]['rows'] += quality_rows(calibration, data, radii)
    names = folds[0].landmark_names
    return dict(
        folds=len(folds),
        radius_models=models,
        nominal_coverage=1.0 - alpha,
        ground_truths={
            name:
            dict(
                coverage=coverage_table(names, np.concatenate(parts['errors']),
                                        np.concatenate(parts['radii'])),
                quality_check=quality_summary(rules, parts['rows'],
                                              bad_error_mm) if rules else None)
            for name, parts in pooled.items()
        })


def external_coverage(calibration: ModelCalibration,
                      test_folders: Mapping[str, str],
                      bad_error_mm: float = BAD_ERROR_MM) -> Dict[str, Any]:
    """Measure a calibration on an external test set.

    Args:
        calibration (ModelCalibration): The model's calibration (fitted on
            other images).
        test_folders (Mapping[str, str]): Ground truth name to the
            prediction folder of the test images against it.
        bad_error_mm (float): See :func:`held_out_coverage`.

    Returns:
        dict: ``nominal_coverage`` and ``ground_truths`` as in
        :func:`held_out_coverage`.
    """
    return dict(
        nominal_coverage=calibration.nominal_coverage,
        ground_truths={
            name:
            _measured(calibration, read_prediction_folders([folder]),
                      bad_error_mm)
            for name, folder in test_folders.items()
        })
