"""DecayEMA, averaged by mmengine's EMAHook."""
import os.path as osp
from unittest.mock import MagicMock

import pytest
import torch
from mmengine.config import Config
from mmengine.registry import init_default_scope
from mmpose.registry import HOOKS

from ceph_landmarks.engine import DecayEMA, ema_decay

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
