"""The compatible configs build exactly the state-dict layout of the public
CL-Detection 2023 models (every key and shape), so their checkpoints load
with no missing, unexpected or resized tensor."""
import json
import os.path as osp

import pytest
from mmengine.config import Config
from mmengine.registry import init_default_scope
from mmpose.registry import MODELS

from helpers import REPO_ROOT

FIXTURE = osp.join(REPO_ROOT, '..', 'shared', 'fixtures',
                   'cldetection2023_state_dict_shapes.json')
CONFIGS = {
    'cldetection2023_baseline_hrnet-w48_heatmap_512_38lm':
    'configs/cldetection2023/'
    'td-hm_hrnet-w48_1xb8-250e_cldetection2023-512x512.py',
    'cldetection2023_winner_srpose_hrnet-w48_1024_38lm':
    'configs/cldetection2023/'
    'td-hm-srpose_hrnet-w48_1xb4-100e_cldetection2023-1024x1024.py',
}
#: The packing step: MMPose's, or the package's faster equal one.
PACK_TYPES = ('PackPoseInputs', 'PackCephalogramInputs')


@pytest.fixture(scope='module')
def fixture():
    if not osp.isfile(FIXTURE):
        pytest.skip(f'state-dict fixture {FIXTURE} is absent')
    with open(FIXTURE) as f:
        return json.load(f)


@pytest.mark.slow  # builds an HRNet-W48 (64 M parameters) per config
@pytest.mark.parametrize('name', sorted(CONFIGS))
def test_model_has_exactly_the_published_state_dict(fixture, name):
    expected = fixture[name]
    cfg = Config.fromfile(osp.join(REPO_ROOT, CONFIGS[name]))
    init_default_scope('mmpose')
    model = MODELS.build(cfg.model)
    shapes = {k: list(v.shape) for k, v in model.state_dict().items()}

    assert sorted(set(expected['state_dict']) - set(shapes)) == []  # missing
    assert sorted(set(shapes) - set(expected['state_dict'])) == []  # extra
    resized = {
        k: (shapes[k], s)
        for k, s in expected['state_dict'].items() if shapes[k] != s
    }
    assert resized == {}
    assert len(shapes) == expected['num_tensors']
    assert sum(p.numel()
               for p in model.parameters()) == expected['num_parameters']
    assert cfg.model.head.out_channels == expected['num_keypoints'] == 38


@pytest.mark.parametrize('name', sorted(CONFIGS))
def test_evaluation_matches_the_challenge_code(name):
    cfg = Config.fromfile(osp.join(REPO_ROOT, CONFIGS[name]))
    assert cfg.model.test_cfg.flip_test is False
    for loader, padding in (('train_dataloader', 1.0),
                            ('val_dataloader', 1.25), ('test_dataloader',
                                                       1.25)):
        dataset = cfg[loader].dataset
        assert dataset.landmark_set == 'cldetection2023'
        assert not osp.isabs(dataset.data_root)
        steps = {t.type: t for t in dataset.pipeline}
        assert steps['GetBBoxCenterScale'].padding == padding
        assert 'RandomFlip' not in steps
        pack = [steps[t] for t in PACK_TYPES if t in steps]
        assert len(pack) == 1 and 'spacing' in pack[0].meta_keys
