"""DecayEMA and DecayEMAHook."""
import pytest
import torch
from mmpose.registry import HOOKS

from ceph_landmarks.engine import DecayEMA, ema_decay


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
    with pytest.raises(ValueError, match='but got 0'):
        HOOKS.build(dict(type='DecayEMAHook', decay=0))
