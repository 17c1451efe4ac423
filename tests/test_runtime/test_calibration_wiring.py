"""A model's calibration reaches every prediction: the PyTorch predictor
finds it beside the checkpoint, the export ships it, the runtime applies it
(the same radii), and without one the predictions say so."""
import glob
import json
import os.path as osp
import shutil

import numpy as np
import pytest

from ceph_landmarks.apis import LandmarkPredictor
from ceph_landmarks.apis.onnx_export import export_onnx
from ceph_landmarks.core.evaluation.conformal import fit_radius_calibration
from ceph_landmarks.core.evaluation.shape_plausibility import ShapeModel
from ceph_landmarks.core.metainfo import landmark_names
from ceph_landmarks.core.model_calibration import (ModelCalibration,
                                                   save_calibration)
from ceph_landmarks.core.synthetic import render_cephalogram
from ceph_landmarks.runtime import ManifestError, OnnxLandmarkPredictor
from helpers import TINY_CONFIG

NAMES = landmark_names('isbi2015')


def _calibration(names=NAMES) -> ModelCalibration:
    rng = np.random.default_rng(0)
    errors = rng.rayleigh(np.linspace(0.5, 2.0, len(names)), (120, len(names)))
    shapes = np.stack([render_cephalogram(s, 0.05)[1] for s in range(40)])
    return ModelCalibration(
        radius=fit_radius_calibration(errors, names, fitted_on='test'),
        shape=ShapeModel.fit(shapes, names),
        description='90 % error radii (test)')


@pytest.fixture
def calibrated_checkpoint(untrained_checkpoint, tmp_path) -> str:
    """The untrained tiny checkpoint with a calibration beside it."""
    folder = tmp_path / 'model'
    folder.mkdir()
    checkpoint = str(folder / 'model.pth')
    shutil.copy(untrained_checkpoint, checkpoint)
    save_calibration(_calibration(), str(folder / 'calibration.json'))
    return checkpoint


def _image(tiny_data) -> str:
    return sorted(glob.glob(osp.join(tiny_data, 'images', 'val_*.png')))[0]


def test_predictors_apply_the_calibration_beside_the_model(
        calibrated_checkpoint, tiny_data, tmp_path):
    image = _image(tiny_data)
    torch_pred = LandmarkPredictor(TINY_CONFIG, calibrated_checkpoint).predict(
        image, spacing=0.1)
    want = _calibration().radius.radius_mm(
        np.array([lm.confidence for lm in torch_pred.landmarks]))
    got = [lm.radius_mm for lm in torch_pred.landmarks]
    np.testing.assert_allclose(got, want)
    assert [lm.radius_px for lm in torch_pred.landmarks] == \
        pytest.approx(list(np.asarray(want) / 0.1))
    assert torch_pred.calibration == '90 % error radii (test)'
    assert torch_pred.quality is not None

    export = str(tmp_path / 'export')
    manifest = export_onnx(TINY_CONFIG, [calibrated_checkpoint], export)
    assert manifest['calibration']['file'] == 'calibration.json'
    onnx_pred = OnnxLandmarkPredictor(export).predict(image, spacing=0.1)
    assert onnx_pred.calibration == torch_pred.calibration
    assert onnx_pred.quality.verdict == torch_pred.quality.verdict
    np.testing.assert_allclose([lm.radius_mm for lm in onnx_pred.landmarks],
                               got,
                               rtol=1e-3)


def test_without_a_calibration_predictions_say_so(untrained_checkpoint,
                                                  untrained_export, tiny_data):
    image = _image(tiny_data)
    for prediction in (LandmarkPredictor(
            TINY_CONFIG, untrained_checkpoint,
            calibration=None).predict(image),
                       OnnxLandmarkPredictor(untrained_export).predict(image)):
        assert prediction.calibration is None and prediction.quality is None
        assert all(lm.radius_mm is None for lm in prediction.landmarks)


def test_a_calibration_of_other_landmarks_is_refused(untrained_checkpoint,
                                                     tmp_path):
    path = str(tmp_path / 'calibration.json')
    save_calibration(_calibration([f'p{k}' for k in range(19)]), path)
    with pytest.raises(ValueError, match='a calibration of other landmarks'):
        LandmarkPredictor(TINY_CONFIG, untrained_checkpoint, calibration=path)


def test_an_altered_shipped_calibration_is_refused(calibrated_checkpoint,
                                                   tmp_path):
    export = tmp_path / 'export'
    export_onnx(TINY_CONFIG, [calibrated_checkpoint], str(export))
    data = json.loads((export / 'calibration.json').read_text())
    data['description'] = 'changed'
    (export / 'calibration.json').write_text(json.dumps(data))
    with pytest.raises(ManifestError, match='calibration.json: its SHA-256'):
        OnnxLandmarkPredictor(str(export))


def test_overwrite_replaces_a_calibrated_export(calibrated_checkpoint,
                                                tmp_path):
    export = str(tmp_path / 'export')
    export_onnx(TINY_CONFIG, [calibrated_checkpoint], export)
    manifest = export_onnx(
        TINY_CONFIG, [calibrated_checkpoint], export, overwrite=True)
    assert manifest['calibration']['file'] == 'calibration.json'
    assert OnnxLandmarkPredictor(export).calibration is not None
