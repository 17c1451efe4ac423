"""DecayEMA, averaged by mmengine's EMAHook, and the deprecated hook name
DecayEMAHook: checkpoints saved before the change resume with the new
configs."""
import copy
import os.path as osp
from unittest.mock import MagicMock

import pytest
import torch
from mmengine.config import Config
from mmengine.hooks import EMAHook
from mmengine.registry import init_default_scope
from mmengine.testing import RunnerTestCase
from mmpose.registry import HOOKS

from ceph_landmarks.engine import DecayEMA, ema_decay
from ceph_landmarks.engine.hooks import ema_hook

HAMEDAN = osp.join(
    osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))), 'configs',
    'hamedan', 'td-hm_hrnet-w18-small_1xb8-60e_hamedan-640x512.py')


def _ema_hook_of_the_configs(decay: float) -> dict:
    """The EMA hook of the real configs, with another decay."""
    hook, = Config.fromfile(HAMEDAN).custom_hooks
    return dict(hook, decay=decay)


def test_ema_decay_schedule():
    assert ema_decay(0, 0.9999) == pytest.approx(0.1)
    assert ema_decay(90, 0.9999) == pytest.approx(91 / 100)
    assert ema_decay(10**7, 0.9999) == 0.9999
    assert ema_decay(0, 0.9999, warmup=False) == 0.9999


def test_decay_ema_update_matches_formula():
    model = torch.nn.Linear(1, 1, bias=False)
    model.weight.data.fill_(1.0)
    ema = DecayEMA(model, decay=0.99, warmup=False)
    ema.update_parameters(model)  # step 0 copies
    model.weight.data.fill_(3.0)
    ema.update_parameters(model)  # 0.99 * 1 + 0.01 * 3
    assert ema.module.weight.item() == pytest.approx(1.02)
    warm = DecayEMA(torch.nn.Linear(1, 1, bias=False), decay=0.99)
    warm.module.weight.data.fill_(1.0)
    warm.steps += 1
    warm.update_parameters(model)  # step 1: decay 2/11
    assert warm.module.weight.item() == pytest.approx(2 / 11 + 9 / 11 * 3)


def test_invalid_decay():
    with pytest.raises(ValueError, match='but got 1.5'):
        DecayEMA(torch.nn.Linear(1, 1), decay=1.5)
    init_default_scope('mmpose')
    hook = HOOKS.build(_ema_hook_of_the_configs(decay=0))
    with pytest.raises(ValueError, match='but got 0'):
        hook.before_run(MagicMock(model=torch.nn.Linear(1, 1)))


def test_deprecated_name_builds_the_ema_hook_of_the_configs(monkeypatch):
    log = MagicMock()
    monkeypatch.setattr(ema_hook, 'print_log', log)
    init_default_scope('mmpose')
    old = HOOKS.build(dict(type='DecayEMAHook', decay=0.99, begin_iter=2))
    new = HOOKS.build(dict(_ema_hook_of_the_configs(0.99), begin_iter=2))
    assert type(old) is type(new) is EMAHook
    assert old.begin_iter == new.begin_iter == 2
    averaged = []
    for hook in (old, new):
        hook.before_run(MagicMock(model=torch.nn.BatchNorm1d(2)))
        averaged.append(hook.ema_model)
    assert [(m.decay, m.warmup, m.update_buffers)
            for m in averaged] == [(0.99, True, True)] * 2
    assert 'deprecated' in log.call_args.args[0]


def _model() -> torch.nn.Module:
    """Parameters and BatchNorm buffers, initialised from the global seed."""
    return torch.nn.Sequential(
        torch.nn.Conv2d(1, 2, 1), torch.nn.BatchNorm2d(2))


def _train_step(model: torch.nn.Module, seed: int) -> None:
    """Move the weights and the BatchNorm statistics as a step would."""
    generator = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for param in model.parameters():
            param.add_(torch.randn(param.shape, generator=generator))
        model.train()(torch.randn(4, 1, 3, 3, generator=generator))


def _checkpoint_of_the_old_hook(model: torch.nn.Module,
                                averaged: DecayEMA) -> dict:
    """A checkpoint as DecayEMAHook saved it up to commit a8d6ad6, written
    by hand. That hook was ``EMAHook(ema_type='DecayEMA', decay=...,
    warmup=True, update_buffers=True)`` with two log lines added and no
    checkpoint method of its own, so it stored the averaged model's state
    (``module.*`` and ``steps``) as ``ema_state_dict`` and swapped the
    weights of the two: the averaged ones in ``state_dict`` (what
    tools/test.py loads), the raw ones in ``ema_state_dict``."""
    state = copy.deepcopy(model.state_dict())
    ema_state = copy.deepcopy(averaged.state_dict())
    for key in ema_state:
        if key.startswith('module.'):
            state[key[7:]], ema_state[key] = ema_state[key], state[key[7:]]
    return dict(
        meta=dict(cfg="custom_hooks = [dict(type='DecayEMAHook', "
                  'decay=0.9)]'),
        state_dict=state,
        ema_state_dict=ema_state)


def _assert_same(a: dict, b: dict) -> None:
    assert a.keys() == b.keys()
    for key in a:
        assert torch.equal(a[key], b[key]), key


def test_checkpoint_of_the_old_hook_resumes_with_the_new_config(tmp_path):
    torch.manual_seed(0)
    model = _model()
    averaged = DecayEMA(model, decay=0.9, warmup=True, update_buffers=True)
    for step in range(3):
        _train_step(model, step)
        averaged.update_parameters(model)
    torch.save(
        _checkpoint_of_the_old_hook(model, averaged), tmp_path / 'old.pth')

    init_default_scope('mmpose')
    hook = HOOKS.build(_ema_hook_of_the_configs(decay=0.9))
    torch.manual_seed(1)
    resumed = _model()  # other weights: all must come from the checkpoint
    runner = MagicMock(model=resumed, _resume=True, iter=3)
    hook.before_run(runner)
    # Runner.resume: the hooks' after_load_checkpoint, then the weights
    checkpoint = torch.load(tmp_path / 'old.pth', weights_only=False)
    hook.after_load_checkpoint(runner, checkpoint)
    resumed.load_state_dict(checkpoint['state_dict'])
    _assert_same(resumed.state_dict(), model.state_dict())
    _assert_same(hook.ema_model.state_dict(), averaged.state_dict())

    # and training goes on as with the old hook (decay warm-up at step 3)
    for net in (model, resumed):
        _train_step(net, seed=3)
    averaged.update_parameters(model)
    hook.after_train_iter(runner, batch_idx=0)
    _assert_same(hook.ema_model.state_dict(), averaged.state_dict())


class TestOldConfigResumesWithTheNewOne(RunnerTestCase):
    """Real Runner runs on mmengine's toy model: one epoch with a config
    that names DecayEMAHook, resumed for a second with the configs' EMA
    hook, ends where two uninterrupted epochs with the new hook end."""

    def _train(self,
               hook: dict,
               max_epochs: int,
               work_dir: str,
               resume: bool = False) -> dict:
        cfg = copy.deepcopy(self.epoch_based_cfg)
        cfg.default_scope = 'mmpose'  # DecayEMA is in MMPose's MODELS
        cfg.work_dir = work_dir
        cfg.custom_hooks = [hook]
        cfg.train_cfg.max_epochs = max_epochs
        cfg.randomness = dict(seed=0)
        if resume:
            cfg.load_from = osp.join(work_dir, 'epoch_1.pth')
            cfg.resume = True
        self.build_runner(cfg).train()
        return torch.load(
            osp.join(work_dir, f'epoch_{max_epochs}.pth'),
            map_location='cpu',
            weights_only=False)

    def test_resumed_run_equals_uninterrupted_run(self):
        new = _ema_hook_of_the_configs(decay=0.5)
        straight = osp.join(self.temp_dir.name, 'straight')
        split = osp.join(self.temp_dir.name, 'split')
        expected = self._train(new, 2, straight)
        self._train(dict(type='DecayEMAHook', decay=0.5), 1, split)
        resumed = self._train(new, 2, split, resume=True)

        for key in ('state_dict', 'ema_state_dict'):
            _assert_same(resumed[key], expected[key])
        assert int(resumed['ema_state_dict']['steps']) == 8  # 2 x 4 iters
        raw = resumed['ema_state_dict']['module.linear1.weight']
        assert not torch.equal(raw, resumed['state_dict']['linear1.weight'])
