"""``refine_shift_mm``: how far a two-stage model's refinement moved each
point, a difficulty signal of the error radii. The PyTorch predictor on the
tiny models with random weights (in process, fast); the light runtime's
equal number is checked in ``tests/test_runtime/test_refine_shift_runtime``.
"""
import glob
import json
import os.path as osp

import numpy as np
import pytest

from ceph_landmarks.apis import LandmarkPredictor
from ceph_landmarks.core.evaluation.conformal import RadiusCalibration
from ceph_landmarks.core.metainfo import landmark_names
from ceph_landmarks.core.model_calibration import (ModelCalibration,
                                                   save_calibration)
from helpers import REFINE_CONFIG, TINY_CONFIG

SPACING = (0.1, 0.12)


@pytest.fixture(scope='module')
def images(tiny_data):
    return sorted(glob.glob(osp.join(tiny_data, 'images', 'val_*.png')))[:2]


def test_two_stage_predictions_carry_the_refine_shift(untrained_checkpoint,
                                                      images):
    one = LandmarkPredictor(
        TINY_CONFIG, untrained_checkpoint, calibration=None)
    two = LandmarkPredictor(
        TINY_CONFIG,
        untrained_checkpoint,
        refine_config=REFINE_CONFIG,
        refine_checkpoints=[untrained_checkpoint],
        calibration=None)
    first = one.predict_batch(images, [SPACING] * len(images))
    refined = two.predict_batch(images, [SPACING] * len(images))
    for stage1, stage2 in zip(first, refined):
        # the first stage of the cascade is the one-stage model
        expected = np.linalg.norm(
            (stage2.keypoints - stage1.keypoints) * np.asarray(SPACING),
            axis=1)
        np.testing.assert_allclose(
            stage2.refine_shifts_mm, expected, atol=1e-9)
        record = json.loads(json.dumps(stage2.to_dict(), allow_nan=False))
        np.testing.assert_allclose(
            [lm['refine_shift_mm'] for lm in record['landmarks']],
            expected,
            atol=1e-9)
        assert stage1.refine_shifts_mm is None
        assert {lm['refine_shift_mm']
                for lm in stage1.to_dict()['landmarks']} == {None}
    # the refinement moves some points, keeps others
    shifts = np.stack([p.refine_shifts_mm for p in refined])
    assert (shifts > 0).any()
    # without the pixel spacing there is no distance in mm
    unknown = two.predict(images[0])
    assert unknown.refine_shifts_mm is None
    assert all(lm.refine_shift_mm is None for lm in unknown.landmarks)


def test_a_refine_shift_calibration_needs_the_refinement_stage(
        untrained_checkpoint, tmp_path):
    names = landmark_names('isbi2015')
    path = str(tmp_path / 'calibration.json')
    save_calibration(
        ModelCalibration(
            radius=RadiusCalibration(
                alpha=0.1,
                landmark_names=names,
                radii_mm=[2.0] * len(names),
                difficulty='refine_shift_mm',
                scale=[1.5] * len(names)),
            shape=None,
            description='scaled by the refinement shift'), path)
    # refused when the predictor is built, not at its first prediction
    with pytest.raises(
            ValueError,
            match=r'calibration.json: .*'
            r"'refine_shift_mm'.* refinement stage"):
        LandmarkPredictor(TINY_CONFIG, untrained_checkpoint, calibration=path)
    two = LandmarkPredictor(
        TINY_CONFIG,
        untrained_checkpoint,
        refine_config=REFINE_CONFIG,
        refine_checkpoints=[untrained_checkpoint],
        calibration=path)
    assert two.calibration.radius.difficulty == 'refine_shift_mm'
