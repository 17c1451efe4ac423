"""The exported recipe predicts what the PyTorch predictor predicts.

Every combination the runtime supports, on the tiny trained models: the
first stage alone, with the refinement, two-member ensembles (heatmap and
points) and the flip test; points within 0.01 px, confidences within 1e-4.
"""
import glob
import os.path as osp

import numpy as np
import pytest

from ceph_landmarks.apis import LandmarkPredictor
from ceph_landmarks.apis.onnx_export import export_onnx
from ceph_landmarks.runtime import OnnxLandmarkPredictor
from helpers import REFINE_CONFIG, TINY_CONFIG


def _points(predictions) -> np.ndarray:
    return np.array([[(lm.x, lm.y, lm.confidence) for lm in p.landmarks]
                     for p in predictions])


RECIPES = {
    'first stage': dict(),
    'refinement': dict(refine=True),
    'heatmap ensemble': dict(members=2),
    'points ensemble': dict(members=2, ensemble='points'),
    'flip test': dict(flip_test=True),
    'everything': dict(refine=True, members=2, flip_test=True),
}


@pytest.mark.parametrize('recipe', RECIPES)
def test_runtime_equals_pytorch(recipe, tiny_data, tiny_checkpoint,
                                tiny_refine_checkpoint, second_member,
                                tmp_path):
    spec = RECIPES[recipe]
    checkpoints = [tiny_checkpoint, second_member][:spec.get('members', 1)]
    options = dict(
        ensemble=spec.get('ensemble', 'heatmap'),
        flip_test=spec.get('flip_test', False))
    if spec.get('refine'):
        options.update(
            refine_config=REFINE_CONFIG,
            refine_checkpoints=[tiny_refine_checkpoint])
    images = sorted(glob.glob(osp.join(tiny_data, 'images', 'val_*.png')))
    manifest = export_onnx(TINY_CONFIG, checkpoints, str(tmp_path), **options)
    assert manifest['first_stage']['networks'][0]['members'] == len(
        checkpoints)

    want = _points(
        LandmarkPredictor(TINY_CONFIG, checkpoints,
                          **options).predict_batch(images, batch_size=3))
    got = _points(
        OnnxLandmarkPredictor(str(tmp_path)).predict_batch(
            images, batch_size=3))
    assert np.abs(got[..., :2] - want[..., :2]).max() < 0.01
    assert np.abs(got[..., 2] - want[..., 2]).max() < 1e-4


def test_the_refinement_changes_points(tiny_data, tiny_checkpoint,
                                       tiny_refine_checkpoint, tmp_path):
    # what makes the refinement rows above worth running: it moves points
    images = sorted(glob.glob(osp.join(tiny_data, 'images', 'val_*.png')))
    export_onnx(TINY_CONFIG, [tiny_checkpoint], str(tmp_path / 'one'))
    export_onnx(
        TINY_CONFIG, [tiny_checkpoint],
        str(tmp_path / 'two'),
        refine_config=REFINE_CONFIG,
        refine_checkpoints=[tiny_refine_checkpoint])
    first = _points(
        OnnxLandmarkPredictor(str(tmp_path / 'one')).predict_batch(images))
    both = _points(
        OnnxLandmarkPredictor(str(tmp_path / 'two')).predict_batch(images))
    moved = np.abs(both[..., :2] - first[..., :2]).max(axis=-1) > 0.1
    assert 0 < moved.mean()


def test_one_file_per_member_predicts_the_same(tiny_data, tiny_checkpoint,
                                               second_member, tmp_path):
    images = sorted(glob.glob(osp.join(tiny_data, 'images', 'val_*.png')))
    checkpoints = [tiny_checkpoint, second_member]
    one = export_onnx(TINY_CONFIG, checkpoints, str(tmp_path / 'one'))
    split = export_onnx(
        TINY_CONFIG, checkpoints, str(tmp_path / 'split'), split_members=True)
    assert len(one['first_stage']['networks']) == 1
    assert [n['members'] for n in split['first_stage']['networks']] == [1, 1]
    a = _points(
        OnnxLandmarkPredictor(str(tmp_path / 'one')).predict_batch(images))
    b = _points(
        OnnxLandmarkPredictor(str(tmp_path / 'split')).predict_batch(images))
    assert np.abs(a - b).max() < 1e-4
