"""LandmarkCheckpointHook: refuses checkpoints that do not fit, extends them
by landmark name on load; the loader accepts Runner, bare and EMA-only
checkpoints under weights_only=True."""
from collections import OrderedDict
from unittest.mock import MagicMock

import pytest
import torch
from mmengine.config import Config
from mmengine.logging import MMLogger
from mmengine.runner import load_checkpoint
from mmpose.registry import HOOKS

from ceph_landmarks.core.metainfo import landmark_names
from ceph_landmarks.engine.hooks import LandmarkCheckpointHook
from ceph_landmarks.models import package_checkpoint_loader
from helpers import build_tiny_model, save_runner_checkpoint


def fake_runner(model, load_from='model.pth'):
    runner = MagicMock()
    runner.model = model
    runner.cfg = Config(dict(load_from=load_from))
    runner.logger = MMLogger.get_instance('test_landmark_hook')
    return runner


def test_mismatched_landmarks_are_refused_with_the_way_out():
    model = build_tiny_model(21)
    ckpt = {'state_dict': build_tiny_model(38).state_dict()}
    hook = HOOKS.build(dict(type='LandmarkCheckpointHook'))
    with pytest.raises(ValueError) as err:
        hook.after_load_checkpoint(fake_runner(model), ckpt)
    message = str(err.value)
    assert 'Checkpoint model.pth does not fit the model' in message
    assert ('head.final_layer.weight: checkpoint (38, 8, 1, 1), model '
            '(21, 8, 1, 1)') in message
    assert "predicts 38 landmarks (landmark sets of that size: " \
        "['cldetection2023'])" in message
    assert "Landmarks only in isbi2015_p1p2: ['p1', 'p2']" in message
    # the landmarks only in cldetection2023 are named
    assert all(
        name in message for name in landmark_names('cldetection2023')[19:])
    assert ('tools/extend_checkpoint.py CHECKPOINT --src-landmarks '
            'cldetection2023 --dst-landmarks isbi2015_p1p2') in message


def test_another_head_type_is_refused():
    model = build_tiny_model(38)  # HeatmapHead
    ckpt = {'state_dict': build_tiny_model(38, srpose=True).state_dict()}
    with pytest.raises(ValueError, match='another head type') as err:
        LandmarkCheckpointHook().after_load_checkpoint(
            fake_runner(model), ckpt)
    assert 'head.final_layer.weight' in str(err.value)
    assert 'head.lr_head.0.weight' in str(err.value)


def test_fitting_checkpoint_passes_unchanged():
    model = build_tiny_model(19)
    ckpt = {'state_dict': build_tiny_model(19, seed=1).state_dict()}
    keys = list(ckpt['state_dict'])
    LandmarkCheckpointHook().after_load_checkpoint(fake_runner(model), ckpt)
    assert list(ckpt['state_dict']) == keys


@pytest.mark.parametrize('bare', [False, True])
def test_source_checkpoint_is_extended_on_load(bare):
    model = build_tiny_model(21)
    source = build_tiny_model(19, seed=1).state_dict()
    ckpt = OrderedDict(source) if bare else {'state_dict': source, 'meta': {}}
    hook = LandmarkCheckpointHook(
        src_landmarks='isbi2015', dst_landmarks='isbi2015_p1p2')
    hook.after_load_checkpoint(fake_runner(model), ckpt)
    state = ckpt if bare else ckpt['state_dict']
    weight = state['head.final_layer.weight']
    assert weight.shape == model.head.final_layer.weight.shape
    torch.testing.assert_close(weight[:19], source['head.final_layer.weight'])
    model.load_state_dict(state, strict=True)


def test_checkpoint_already_extended_is_loaded_as_it_is():
    model = build_tiny_model(21)
    ckpt = {'state_dict': build_tiny_model(21, seed=1).state_dict()}
    before = ckpt['state_dict']['head.final_layer.weight']
    LandmarkCheckpointHook('isbi2015', 'isbi2015_p1p2').after_load_checkpoint(
        fake_runner(model), ckpt)
    assert ckpt['state_dict']['head.final_layer.weight'] is before


def test_srpose_aux_channels_must_match_the_extension():
    model = build_tiny_model(21, srpose=True, aux_lowres_channels=0)
    ckpt = {'state_dict': build_tiny_model(38, srpose=True).state_dict()}
    hook = LandmarkCheckpointHook('cldetection2023', 'isbi2015_p1p2')
    with pytest.raises(
            ValueError, match='set model.head.aux_lowres_channels=19'):
        hook.after_load_checkpoint(fake_runner(model), ckpt)
    hook = LandmarkCheckpointHook(
        'cldetection2023', 'isbi2015_p1p2', keep_dropped_lowres=False)
    hook.after_load_checkpoint(fake_runner(model), ckpt)
    model.load_state_dict(ckpt['state_dict'], strict=True)


def test_invalid_arguments():
    with pytest.raises(ValueError, match="dst_landmarks=None"):
        LandmarkCheckpointHook(src_landmarks='isbi2015')
    with pytest.raises(ValueError, match='both have 19 landmarks'):
        LandmarkCheckpointHook('isbi2015', 'isbi2015')
    with pytest.raises(KeyError, match='Unknown landmark set'):
        LandmarkCheckpointHook('isbi2015', 'nope')


def test_runner_checkpoint_loads_under_weights_only(tmp_path):
    source = build_tiny_model(38, srpose=True, seed=1)
    path = str(tmp_path / 'runner.pth')
    save_runner_checkpoint(source, path, 'cldetection2023')
    model = build_tiny_model(38, srpose=True)
    ckpt = load_checkpoint(model, path)
    assert ckpt['meta']['dataset_meta']['num_keypoints'] == 38
    assert ckpt['message_hub']['log_scalars']['train/loss'].current() == 0.5
    torch.testing.assert_close(model.head.lr_head[0].weight,
                               source.head.lr_head[0].weight)


def test_bare_and_ema_only_checkpoints_load(tmp_path):
    source = build_tiny_model(19, seed=1)
    bare = str(tmp_path / 'bare.pth')
    torch.save(source.state_dict(), bare)
    model = build_tiny_model(19)
    with package_checkpoint_loader():  # what the tools run inside
        load_checkpoint(model, bare)
    torch.testing.assert_close(model.head.final_layer.weight,
                               source.head.final_layer.weight)

    # mmengine's averaged models: 'module.' prefix and a 'steps' buffer
    ema_state = OrderedDict(
        ('module.' + k, v) for k, v in source.state_dict().items())
    ema_state['steps'] = torch.tensor(1000)
    ema = str(tmp_path / 'ema.pth')
    torch.save({'ema_state_dict': ema_state, 'meta': {'epoch': 3}}, ema)
    model = build_tiny_model(19)
    with package_checkpoint_loader():
        load_checkpoint(model, ema)
    torch.testing.assert_close(model.head.final_layer.weight,
                               source.head.final_layer.weight)
