"""BackboneFreezeHook with a stand-in runner: frozen phase, switch, resume,
learning-rate check."""
from unittest.mock import MagicMock

import pytest
import torch
from mmengine.optim import build_optim_wrapper
from mmengine.runner import EpochBasedTrainLoop, IterBasedTrainLoop
from mmpose.registry import HOOKS
from torch.nn.modules.batchnorm import _BatchNorm

from ceph_landmarks.engine.hooks import BackboneFreezeHook
from helpers import build_tiny_model

PARAMWISE = dict(custom_keys={'backbone': dict(lr_mult=0.1)})


def make_runner(paramwise=PARAMWISE, loop=EpochBasedTrainLoop):
    model = build_tiny_model()
    optim_cfg = dict(optimizer=dict(type='Adam', lr=1e-2))
    if paramwise:
        optim_cfg['paramwise_cfg'] = paramwise
    runner = MagicMock()
    runner.model = model
    runner.optim_wrapper = build_optim_wrapper(model, optim_cfg)
    runner.train_loop = MagicMock(spec=loop)
    runner.max_epochs = 4
    runner.epoch = 0
    return runner


def logged(runner):
    return [c.args[0] for c in runner.logger.info.call_args_list]


def train_step(runner, hook):
    """One optimizer step on a random batch, as the train loop does it."""
    model = runner.model
    model.train()
    hook.before_train_iter(runner, 0)
    feats = model.backbone(torch.rand(2, 3, 64, 64))
    loss = model.head.forward(feats).square().mean()
    runner.optim_wrapper.update_params(loss)


def backbone_bn_means(model):
    return [
        m.running_mean.clone() for m in model.backbone.modules()
        if isinstance(m, _BatchNorm)
    ]


def test_frozen_then_unfrozen_at_the_configured_epoch():
    runner = make_runner()
    hook = HOOKS.build(dict(type='BackboneFreezeHook', unfreeze_epoch=2))
    hook.before_train(runner)
    model = runner.model

    hook.before_train_epoch(runner)  # epoch 1: frozen
    assert not any(p.requires_grad for p in model.backbone.parameters())
    assert all(p.requires_grad for p in model.head.parameters())
    weights = [p.clone() for p in model.backbone.parameters()]
    means = backbone_bn_means(model)
    head_before = model.head.final_layer.weight.clone()
    train_step(runner, hook)
    assert all(
        torch.equal(a, b)
        for a, b in zip(weights, model.backbone.parameters()))
    assert all(
        torch.equal(a, b) for a, b in zip(means, backbone_bn_means(model)))
    assert not torch.equal(head_before, model.head.final_layer.weight)
    assert 'backbone frozen' in logged(runner)[0]

    runner.epoch = 1
    hook.before_train_epoch(runner)  # epoch 2: still frozen, not re-logged
    assert len(logged(runner)) == 1

    runner.epoch = 2
    hook.before_train_epoch(runner)  # epoch 3: unfrozen
    assert all(p.requires_grad for p in model.backbone.parameters())
    assert logged(runner)[-1] == ('Epoch 3: backbone unfrozen; learning rate '
                                  'backbone 0.001 = 0.1 x head 0.01')
    means = backbone_bn_means(model)
    train_step(runner, hook)
    assert not all(
        torch.equal(a, b) for a, b in zip(means, backbone_bn_means(model)))


def test_resumed_after_the_switch_starts_trainable():
    runner = make_runner()
    runner.epoch = 3
    hook = BackboneFreezeHook(unfreeze_epoch=2)
    hook.before_train(runner)
    hook.before_train_epoch(runner)
    assert all(p.requires_grad for p in runner.model.backbone.parameters())
    assert logged(runner) == [
        'Epoch 4: backbone trainable (frozen up to epoch 2); learning rate '
        'backbone 0.001 = 0.1 x head 0.01'
    ]


def test_backbone_learning_rate_must_be_configured():
    runner = make_runner(paramwise=None)
    with pytest.raises(ValueError, match=r'at \[1.0\] x') as err:
        BackboneFreezeHook(unfreeze_epoch=1).before_train(runner)
    assert ("paramwise_cfg=dict(custom_keys={'backbone': dict(lr_mult=0.1)})"
            in str(err.value))
    runner = make_runner(
        paramwise=dict(custom_keys={'backbone': dict(lr_mult=0.5)}))
    with pytest.raises(ValueError, match=r'at \[0.5\] x'):
        BackboneFreezeHook(unfreeze_epoch=1).before_train(runner)
    BackboneFreezeHook(unfreeze_epoch=1, lr_mult=0.5).before_train(runner)


def test_iteration_based_training_is_refused():
    runner = make_runner(loop=IterBasedTrainLoop)
    with pytest.raises(TypeError, match='needs an EpochBasedTrainLoop'):
        BackboneFreezeHook(unfreeze_epoch=1).before_train(runner)


@pytest.mark.parametrize('kwargs, message', [
    (dict(unfreeze_epoch=-1), 'but got -1'),
    (dict(unfreeze_epoch=1.5), 'but got 1.5'),
    (dict(unfreeze_epoch=1, lr_mult=0), 'lr_mult must be > 0, but got 0'),
])
def test_invalid_arguments(kwargs, message):
    with pytest.raises(ValueError, match=message):
        BackboneFreezeHook(**kwargs)
