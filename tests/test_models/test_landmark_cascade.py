"""The cascade: ensembles, flip test and the refinement stage."""
import json
import os.path as osp

import numpy as np
import pytest
import torch
from mmengine.config import Config
from mmengine.structures import InstanceData
from mmpose.structures import PoseDataSample

from ceph_landmarks.apis import LandmarkPredictor
from ceph_landmarks.core.io.image_loading import load_cephalogram
from ceph_landmarks.core.metainfo import landmark_names
from ceph_landmarks.models import ModelEnsemble, cascade_config
from helpers import REFINE_CONFIG, TINY_CONFIG


def _val_image(tiny_data, i=0):
    return osp.join(tiny_data, 'images', f'val_{i:04d}.png')


@pytest.mark.parametrize('mode', ['heatmap', 'points'])
def test_ensemble_of_identical_checkpoints_equals_one(tiny_checkpoint,
                                                      tiny_data, mode):
    one = LandmarkPredictor(TINY_CONFIG, tiny_checkpoint)
    three = LandmarkPredictor(
        TINY_CONFIG, [tiny_checkpoint] * 3, ensemble=mode)
    images = [_val_image(tiny_data, i) for i in range(2)]
    for a, b in zip(one.predict_batch(images), three.predict_batch(images)):
        np.testing.assert_allclose(a.keypoints, b.keypoints, atol=1e-4)
        np.testing.assert_allclose([lm.confidence for lm in a.landmarks],
                                   [lm.confidence for lm in b.landmarks],
                                   atol=1e-5)


def test_ensemble_averages_different_members(tiny_checkpoint, tiny_data,
                                             tmp_path):
    """A second, different member moves the points (points mode: exactly
    to the mean of the two)."""
    state = torch.load(tiny_checkpoint, weights_only=False)['state_dict']
    other = {
        k: v + 0.05 * torch.randn_like(v) if v.is_floating_point() else v
        for k, v in state.items()
    }
    other_file = str(tmp_path / 'other.pth')
    torch.save(other, other_file)
    image = _val_image(tiny_data)
    a = LandmarkPredictor(TINY_CONFIG, tiny_checkpoint).predict(image)
    b = LandmarkPredictor(TINY_CONFIG, other_file).predict(image)
    both = LandmarkPredictor(
        TINY_CONFIG, [tiny_checkpoint, other_file],
        ensemble='points').predict(image)
    assert not np.allclose(a.keypoints, b.keypoints, atol=0.5)
    np.testing.assert_allclose(
        both.keypoints, (a.keypoints + b.keypoints) / 2, atol=1e-4)


def test_flip_test_on_a_symmetric_image_gives_symmetric_heatmaps():
    """Identity flip indices: on a mirror-symmetric input the flip-averaged
    heatmaps of every landmark are mirror-symmetric themselves (unshifted
    flip), unlike those of one pass."""
    cfg = Config.fromfile(TINY_CONFIG)
    model_cfg = cfg.model.to_dict()
    model_cfg['test_cfg']['shift_heatmap'] = False
    names = landmark_names('isbi2015')
    torch.manual_seed(0)
    ensemble = ModelEnsemble(model_cfg, [None], names, flip_test=True)
    half = torch.rand(1, 3, 64, 32)
    inputs = torch.cat([half, half.flip(-1)], dim=-1)  # symmetric
    sample = PoseDataSample(metainfo=dict(flip_indices=list(range(19))))
    member = ensemble.members[0]
    with torch.no_grad():
        flipped = ensemble._member_heatmaps(member, inputs, [sample])
        member.test_cfg['flip_test'] = False
        single = ensemble._member_heatmaps(member, inputs, [sample])
    assert flipped.shape == (1, 19, 16, 16)
    torch.testing.assert_close(flipped, flipped.flip(-1))
    assert not torch.allclose(single, single.flip(-1), atol=1e-4)


def _samples_off_by(tiny_data, offset):
    """Samples of the val images whose 'first stage' is off by offset."""
    with open(osp.join(tiny_data, 'annotations', 'val.json')) as f:
        coco = json.load(f)
    samples, truth = [], []
    for image, ann in zip(coco['images'], coco['annotations']):
        gt = np.array(ann['keypoints'], float).reshape(-1, 3)[:, :2]
        sample = PoseDataSample(
            metainfo=dict(
                ori_img=load_cephalogram(
                    osp.join(tiny_data, 'images', image['file_name'])),
                img_path=image['file_name']))
        sample.pred_instances = InstanceData(
            keypoints=(gt + offset)[None], keypoint_scores=np.ones((1, 19)))
        samples.append(sample)
        truth.append(gt)
    return samples, np.stack(truth)


def test_refinement_moves_points_toward_the_truth(tiny_checkpoint,
                                                  tiny_refine_checkpoint,
                                                  tiny_data):
    predictor = LandmarkPredictor(
        TINY_CONFIG,
        tiny_checkpoint,
        refine_config=REFINE_CONFIG,
        refine_checkpoints=tiny_refine_checkpoint)
    offset = np.array([6.0, -5.0])  # 7.8 px, a known first-stage error
    samples, truth = _samples_off_by(tiny_data, offset)
    predictor.model.refine_predictions(samples)
    refined = np.stack([s.pred_instances.keypoints[0] for s in samples])
    before = np.linalg.norm(offset)
    after = np.linalg.norm(refined - truth, axis=2)
    assert np.median(after) < 0.7 * before, np.median(after)
    np.testing.assert_allclose(samples[0].pred_instances.coarse_keypoints[0],
                               truth[0] + offset)


def test_refined_predictions_through_the_api(tiny_checkpoint,
                                             tiny_refine_checkpoint,
                                             tiny_data):
    """Files and arrays both reach stage 2; its points replace stage 1's
    and stay inside their windows (0.3 x 120 px wide)."""
    plain = LandmarkPredictor(TINY_CONFIG, tiny_checkpoint)
    refined = LandmarkPredictor(
        TINY_CONFIG,
        tiny_checkpoint,
        refine_config=REFINE_CONFIG,
        refine_checkpoints=tiny_refine_checkpoint)
    path = _val_image(tiny_data)
    a = plain.predict(path).keypoints
    b = refined.predict(path).keypoints
    c = refined.predict(load_cephalogram(path)).keypoints
    assert not np.allclose(a, b)
    np.testing.assert_allclose(b, c, atol=1e-4)
    assert (np.abs(b - a) <= 0.3 * 120 / 2 + 1e-3).all()


def test_cascade_config_keeps_the_image_and_drops_ema():
    cfg = Config.fromfile(TINY_CONFIG)
    cfg.custom_hooks = [
        dict(type='EMAHook', ema_type='DecayEMA', decay=0.99),
        dict(type='LandmarkCheckpointHook')
    ]
    out = cascade_config(
        cfg, ['a.pth', 'b.pth'],
        Config.fromfile(REFINE_CONFIG), ['r.pth'],
        ensemble='points',
        flip_test=True)
    assert out.model.type == 'LandmarkCascade'
    assert out.model.coarse.checkpoints == ['a.pth', 'b.pth']
    assert out.model.refine.checkpoints == ['r.pth']
    assert out.model.ensemble == 'points' and out.model.flip_test
    assert out.load_from is None
    assert [h['type'] for h in out.custom_hooks] == ['LandmarkCheckpointHook']
    types = [t['type'] for t in out.test_dataloader.dataset.pipeline]
    assert types[:2] == ['LoadCephalogram', 'KeepOriginalImage']
    pack = out.test_dataloader.dataset.pipeline[-1]
    assert {'ori_img', 'flip_indices', 'spacing'} <= set(pack['meta_keys'])
    assert cfg.model.type == 'TopdownPoseEstimator'  # input unchanged


@pytest.mark.parametrize('kwargs, match', [
    (dict(checkpoints=[]), 'at least one checkpoint'),
    (dict(ensemble='vote'), 'ensemble must be one of'),
    (dict(refine=True, refine_checkpoints=[]), 'refinement stage needs'),
    (dict(refine=True, no_pipeline=True), 'has no test_pipeline'),
])
def test_cascade_config_errors(kwargs, match):
    cfg = Config.fromfile(TINY_CONFIG)
    refine = None
    if kwargs.pop('refine', False):
        refine = Config.fromfile(REFINE_CONFIG)
        if kwargs.pop('no_pipeline', False):
            refine._cfg_dict.pop('test_pipeline')
    args = dict(checkpoints=['a.pth'], refine_checkpoints=['r.pth'])
    args.update(kwargs)
    with pytest.raises(ValueError, match=match):
        cascade_config(cfg, refine_cfg=refine, **args)
