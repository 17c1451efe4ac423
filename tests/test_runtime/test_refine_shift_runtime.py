"""The light runtime gives a two-stage prediction the ``refine_shift_mm``
of the PyTorch predictor, and a calibration scaled by it the same radii
(the tiny trained models: peaked heatmaps, no ties between the two)."""
import glob
import os.path as osp

import numpy as np
import pytest

from ceph_landmarks.apis import LandmarkPredictor
from ceph_landmarks.apis.onnx_export import export_onnx
from ceph_landmarks.core.evaluation import RadiusCalibration
from ceph_landmarks.core.metainfo import landmark_names
from ceph_landmarks.core.model_calibration import (ModelCalibration,
                                                   calibration_description,
                                                   save_calibration)
from ceph_landmarks.runtime import OnnxLandmarkPredictor
from helpers import REFINE_CONFIG, TINY_CONFIG

NAMES = landmark_names('isbi2015')


def _calibration_file(folder) -> str:
    radius = RadiusCalibration(
        alpha=0.1,
        landmark_names=list(NAMES),
        radii_mm=[2.0] * len(NAMES),
        fitted_on='test',
        num_calibration=100,
        difficulty='refine_shift_mm',
        scale=list(np.linspace(0.5, 1.5, len(NAMES))))
    return save_calibration(
        ModelCalibration(radius, None, calibration_description(radius)),
        str(folder / 'calibration.json'))


def _radii(predictions) -> np.ndarray:
    return np.array([[lm.radius_mm for lm in p.landmarks]
                     for p in predictions])


def test_runtime_gives_the_refine_shift_of_pytorch(tiny_data, tiny_checkpoint,
                                                   tiny_refine_checkpoint,
                                                   tmp_path):
    images = sorted(glob.glob(osp.join(tiny_data, 'images', 'val_*.png')))
    spacings = [0.1] * len(images)
    calibration = _calibration_file(tmp_path)
    options = dict(
        refine_config=REFINE_CONFIG,
        refine_checkpoints=[tiny_refine_checkpoint])
    export = str(tmp_path / 'export')
    export_onnx(TINY_CONFIG, [tiny_checkpoint], export, **options)
    want = LandmarkPredictor(
        TINY_CONFIG, [tiny_checkpoint], calibration=calibration,
        **options).predict_batch(images, spacings)
    got = OnnxLandmarkPredictor(
        export, calibration=calibration).predict_batch(images, spacings)
    want_shift = np.stack([p.refine_shifts_mm for p in want])
    got_shift = np.stack([p.refine_shifts_mm for p in got])
    assert (want_shift > 0).any()
    # points agree within 0.01 px (test_runtime_equivalence): both ends
    # of a shift, 0.1 mm/px
    np.testing.assert_allclose(got_shift, want_shift, atol=0.003)
    np.testing.assert_allclose(_radii(got), _radii(want), atol=0.005)

    # the first stage alone has no shift: the calibration is refused when
    # the predictor is built
    with pytest.raises(ValueError, match=r"'refine_shift_mm'.* refinement"):
        LandmarkPredictor(
            TINY_CONFIG, [tiny_checkpoint], calibration=calibration)
