"""export_weights and tools/export_weights.py: EMA or raw weights, slim."""
from collections import OrderedDict

import pytest
import torch

from ceph_landmarks.models import export_weights
from helpers import run_tool


def _ema_checkpoint():
    averaged = torch.ones(2)
    raw = torch.full((2, ), 3.0)
    return dict(
        meta=dict(epoch=4),
        state_dict=OrderedDict([('head.w', averaged)]),
        ema_state_dict=OrderedDict([('steps', torch.tensor(8)),
                                    ('module.head.w', raw)]),
        optimizer=dict(state={}))


def test_default_keeps_the_evaluated_weights():
    out = export_weights(_ema_checkpoint())
    assert set(out) == {'meta', 'state_dict'}
    assert out['meta'] == dict(epoch=4, weights='ema')
    assert torch.equal(out['state_dict']['head.w'], torch.ones(2))


def test_raw_takes_the_unprefixed_raw_weights():
    out = export_weights(_ema_checkpoint(), raw=True)
    assert list(out['state_dict']) == ['head.w']
    assert torch.equal(out['state_dict']['head.w'], torch.full((2, ), 3.0))
    assert out['meta']['weights'] == 'raw'


def test_raw_without_ema_and_missing_state_dict_are_errors():
    plain = dict(state_dict=OrderedDict([('w', torch.zeros(1))]))
    assert export_weights(plain)['meta'] == dict(weights='trained')
    with pytest.raises(KeyError, match='a.pth has no ema_state_dict'):
        export_weights(plain, raw=True, source='a.pth')
    with pytest.raises(KeyError, match='b.pth has no state_dict'):
        export_weights(dict(meta={}), source='b.pth')


@pytest.mark.slow
def test_tool_writes_a_loadable_raw_file(tmp_path):
    src, dst = tmp_path / 'epoch_4.pth', tmp_path / 'raw.pth'
    torch.save(_ema_checkpoint(), src)
    run_tool('export_weights.py', str(src), '--out', str(dst), '--raw')
    out = torch.load(dst, weights_only=True)
    assert set(out) == {'meta', 'state_dict'}
    assert torch.equal(out['state_dict']['head.w'], torch.full((2, ), 3.0))
    torch.save(dict(state_dict={'w': torch.zeros(1)}), src)
    proc = run_tool(
        'export_weights.py',
        str(src),
        '--out',
        str(dst),
        '--raw',
        '--overwrite',
        check=False)
    assert proc.returncode != 0 and 'no ema_state_dict' in proc.stderr
