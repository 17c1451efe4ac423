"""Checkpoints that do not fit their stage: another head, landmark set or
training (whole image / crops), refused by file and stage before any weight
is loaded; options that do nothing (a one-checkpoint ``points`` ensemble, a
flip test of a model trained without flips) logged as warnings."""
import logging

import pytest
import torch
from mmengine.config import Config

from ceph_landmarks.core.metainfo import landmark_names
from ceph_landmarks.models import ModelEnsemble, checkpoint_loader
from ceph_landmarks.models.checkpoint_loader import (TRAINED_ON_CROPS,
                                                     TRAINED_ON_WHOLE_IMAGES,
                                                     CheckpointError,
                                                     CheckpointMismatchError,
                                                     check_checkpoint_fits,
                                                     load_model_checkpoint,
                                                     summarize_checkpoint,
                                                     training_config)
from helpers import (REFINE_CONFIG, TINY_CONFIG, build_tiny_model,
                     save_runner_checkpoint)

NAMES = landmark_names('isbi2015')


def save_checkpoint(path,
                    num: int = 19,
                    landmark_set: str = 'isbi2015',
                    config: str = None,
                    srpose: bool = False) -> str:
    """A Runner checkpoint of the tiny model; with ``config``, its text as
    ``meta['cfg']``, as the Runner records it."""
    checkpoint = save_runner_checkpoint(
        build_tiny_model(num, srpose=srpose), str(path), landmark_set)
    if config is not None:
        checkpoint['meta']['cfg'] = Config.fromfile(config).pretty_text
        torch.save(checkpoint, str(path))
    return str(path)


@pytest.fixture
def model_cfg():
    return Config.fromfile(TINY_CONFIG).model.to_dict()


def test_summary_reads_head_landmarks_and_training(tmp_path):
    whole = torch.load(
        save_checkpoint(tmp_path / 'f.pth', config=TINY_CONFIG),
        weights_only=False)
    summary = summarize_checkpoint(whole)
    assert (summary.head_type, summary.num_landmarks,
            summary.landmark_set) == ('HeatmapHead', 19, 'isbi2015')
    assert summary.landmark_names == NAMES
    assert summary.trained_on == TRAINED_ON_WHOLE_IMAGES
    assert summary.flipped is False
    crops = torch.load(
        save_checkpoint(tmp_path / 'r.pth', config=REFINE_CONFIG),
        weights_only=False)
    assert summarize_checkpoint(crops).trained_on == TRAINED_ON_CROPS
    srpose = torch.load(
        save_checkpoint(
            tmp_path / 's.pth', 38, 'cldetection2023', srpose=True),
        weights_only=False)
    assert summarize_checkpoint(srpose).head_type == 'SRPoseHead'
    # a bare state dict: only the head
    bare = summarize_checkpoint(build_tiny_model(21).state_dict())
    assert (bare.num_landmarks, bare.landmark_set, bare.trained_on,
            bare.flipped) == (21, None, None, None)


def test_training_config_is_read_not_run(tmp_path):
    """``meta['cfg']`` is text a checkpoint carries: it is parsed as plain
    data, never executed (``Config.fromstring`` would run it)."""
    flag = tmp_path / 'ran'
    text = (f"import os\nos.system('touch {flag}')\n"
            f"hook = __import__('os').system('touch {flag}')\n"
            "train_dataloader = dict(dataset=dict(type='CephalometricCrop"
            "Dataset', pipeline=[dict(type='RandomFlip', prob=-0.5)]))\n"
            "size = (64, -64)\n")
    cfg = training_config({'meta': {'cfg': text}, 'state_dict': {}})
    assert not flag.exists()
    assert 'hook' not in cfg
    assert cfg['size'] == (64, -64)
    assert cfg['train_dataloader']['dataset']['pipeline'][0]['prob'] == -0.5
    summary = summarize_checkpoint({'meta': {'cfg': text}, 'state_dict': {}})
    assert summary.trained_on == TRAINED_ON_CROPS and summary.flipped
    assert training_config({'meta': {'cfg': 'x = ('}}) is None
    assert training_config({'state_dict': {}}) is None


def test_loader_names_file_stage_and_landmark_counts(tmp_path):
    other = save_checkpoint(tmp_path / 'p1p2.pth', 21, 'isbi2015_p1p2')
    with pytest.raises(
            CheckpointMismatchError,
            match=r'p1p2.pth \(first stage member 2 of 2\): holds 21 '
            r'landmarks \(isbi2015_p1p2\), the config expects 19 landmarks '
            r'\(isbi2015\)$'):
        load_model_checkpoint(
            build_tiny_model(19),
            other,
            stage='first stage member 2 of 2',
            landmark_names=NAMES)
    srpose = save_checkpoint(tmp_path / 'srpose.pth', srpose=True)
    with pytest.raises(
            CheckpointMismatchError,
            match=r'srpose.pth \(refinement stage\): holds a SRPoseHead of '
            r'19 landmarks \(isbi2015\), the config builds a HeatmapHead'):
        load_model_checkpoint(
            build_tiny_model(19), srpose, stage='refinement stage')
    assert issubclass(CheckpointMismatchError, CheckpointError)
    assert issubclass(CheckpointMismatchError, ValueError)


def test_loader_refuses_a_checkpoint_of_the_other_stage(tmp_path):
    whole = save_checkpoint(tmp_path / 'first.pth', config=TINY_CONFIG)
    crops = save_checkpoint(tmp_path / 'refine.pth', config=REFINE_CONFIG)
    with pytest.raises(
            CheckpointMismatchError,
            match=r'first.pth \(refinement stage\): was trained as a '
            'whole-image model'):
        load_model_checkpoint(
            build_tiny_model(19),
            whole,
            stage='refinement stage',
            trained_on=TRAINED_ON_CROPS)
    with pytest.raises(
            CheckpointMismatchError,
            match=r'refine.pth \(first stage\): was trained on crops'):
        load_model_checkpoint(
            build_tiny_model(19),
            crops,
            stage='first stage',
            trained_on=TRAINED_ON_WHOLE_IMAGES)
    # each fits its own stage; a bare state dict records no training
    load_model_checkpoint(
        build_tiny_model(19), crops, trained_on=TRAINED_ON_CROPS)
    bare = torch.load(whole, weights_only=False)['state_dict']
    check_checkpoint_fits(
        build_tiny_model(19),
        bare,
        'bare.pth',
        'refinement stage',
        NAMES,
        trained_on=TRAINED_ON_CROPS)


def test_ensemble_refuses_a_member_before_loading_any(tmp_path, model_cfg,
                                                      monkeypatch):
    good = save_checkpoint(tmp_path / 'a.pth')
    other = save_checkpoint(tmp_path / 'b.pth', 21, 'isbi2015_p1p2')
    loads = []
    real = checkpoint_loader._load_checkpoint_to_model
    monkeypatch.setattr(checkpoint_loader, '_load_checkpoint_to_model',
                        lambda *a, **k: loads.append(1) or real(*a, **k))
    with pytest.raises(
            CheckpointMismatchError,
            match=r'b.pth \(first stage member 2 of 2\): holds 21 landmarks'):
        ModelEnsemble(model_cfg, [good, other], NAMES)
    assert loads == []  # member 1 was not loaded either
    with pytest.raises(
            CheckpointMismatchError,
            match=r'b.pth \(refinement stage member 1 of 2\)'):
        ModelEnsemble(
            model_cfg, [other, good], NAMES, stage='refinement stage')
    ModelEnsemble(model_cfg, [good, good], NAMES)
    assert len(loads) == 2


def test_useless_options_are_warned_about(tmp_path, model_cfg, caplog):
    from ceph_landmarks.models import LandmarkCascade
    whole = save_checkpoint(tmp_path / 'first.pth', config=TINY_CONFIG)
    coarse = dict(model=model_cfg, checkpoints=[whole])
    with caplog.at_level(logging.WARNING, logger='ceph_landmarks'):
        LandmarkCascade(coarse, NAMES, ensemble='points', flip_test=True)
    text = caplog.text
    assert "ensemble='points' (--ensemble points) has no effect" in text
    assert 'first.pth' in text
    assert 'first.pth (first stage) was trained without RandomFlip' in text
    caplog.clear()
    bare = tmp_path / 'bare.pth'  # no meta: nothing to say about flips
    torch.save(build_tiny_model(19).state_dict(), bare)
    with caplog.at_level(logging.WARNING, logger='ceph_landmarks'):
        LandmarkCascade(
            dict(model=model_cfg, checkpoints=[str(bare), str(bare)]),
            NAMES,
            ensemble='points',
            flip_test=True)
    assert caplog.text == ''
