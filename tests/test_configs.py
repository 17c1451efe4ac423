"""Every config in configs/ parses, loads the plugin and builds; every
config uses its codec and landmark set throughout; the HRNet-W48 bases are
MMPose's; no config is more than three levels deep."""
import ast
import glob
import os.path as osp
import re

import pytest
from mmengine.config import Config
from mmengine.hub import get_config
from mmengine.registry import init_default_scope
from mmpose.registry import DATASETS, MODELS

from helpers import REPO_ROOT, TINY_CONFIG

CONFIGS = sorted(
    p for p in glob.glob(
        osp.join(REPO_ROOT, 'configs', '**', '*.py'), recursive=True)
    if '_base_' not in p)


def test_configs_found():
    assert CONFIGS, 'no config found under configs/'


def _build_param(path: str):
    """Building an HRNet-W48 (64 M parameters) takes a second or two."""
    marks = [pytest.mark.slow] if 'w48' in osp.basename(path) else []
    return pytest.param(path, marks=marks, id=osp.relpath(path, REPO_ROOT))


@pytest.mark.parametrize('path',
                         [_build_param(p) for p in CONFIGS + [TINY_CONFIG]])
def test_config_builds(path, tiny_data):
    text = open(path).read()
    assert not re.search(r"""['"]/(home|root|data|mnt|Users|work)/""",
                         text), 'absolute path in config'
    cfg = Config.fromfile(path)
    assert cfg.default_scope == 'mmpose'
    assert cfg.custom_imports == dict(
        imports=['ceph_landmarks'], allow_failed_imports=False)

    init_default_scope(cfg.default_scope)
    model = MODELS.build(cfg.model)
    num_out = cfg.model.head.out_channels
    assert sum(p.numel() for p in model.parameters()) > 0

    # a refinement config trains without validation
    loader = cfg.val_dataloader or cfg.train_dataloader
    dataset_cfg = loader.dataset.copy()
    if 'synthetic' in dataset_cfg.data_root:
        dataset_cfg.data_root = tiny_data
    else:  # real data may be absent: metainfo only
        dataset_cfg.lazy_init = True
    dataset = DATASETS.build(dataset_cfg)
    assert dataset.metainfo['num_keypoints'] == num_out
    if not dataset_cfg.get('lazy_init'):
        sample = dataset[0]
        assert 'spacing' in sample['data_samples'].metainfo
        assert sample['inputs'].shape[-2:] == tuple(
            reversed(cfg.codec.input_size))


TEST_CONFIGS = sorted(
    glob.glob(osp.join(REPO_ROOT, 'tests', 'data', 'configs', '*.py')))
_LOADERS = ('train_dataloader', 'val_dataloader', 'test_dataloader')


@pytest.mark.parametrize(
    'path', CONFIGS + TEST_CONFIGS, ids=lambda p: osp.relpath(p, REPO_ROOT))
def test_codec_and_landmark_set_are_used_everywhere(path):
    """The pipelines cannot follow a codec or landmark set changed after
    them (mmengine resolves a variable where it is written), so a config
    that changes one restates what depends on it: this checks it did."""
    cfg = Config.fromfile(path)
    assert cfg.model.head.decoder == cfg.codec
    assert cfg.model.head.out_channels == cfg.num_landmarks
    for name in _LOADERS:
        if not cfg[name]:
            continue  # a refinement config has no validation
        dataset = cfg[name].dataset
        assert dataset.landmark_set == cfg.landmark_set, name
        for step in dataset.pipeline:
            if step.type == 'TopdownAffine':
                assert step.input_size == cfg.codec.input_size, name
            if step.type == 'GenerateTarget':
                assert step.encoder == cfg.codec, name


_MODEL_BASES = osp.join(REPO_ROOT, 'configs', '_base_', 'models')


def test_hrnet_w48_base_is_mmposes():
    """The HRNet-W48 model base restates MMPose's (see its header)."""
    ours = Config.fromfile(osp.join(_MODEL_BASES,
                                    'td-hm_hrnet-w48.py')).model.to_dict()
    theirs = get_config(
        'mmpose::body_2d_keypoint/topdown_heatmap/coco/'
        'td-hm_hrnet-w48_8xb32-210e_coco-256x192.py').model.to_dict()
    theirs['backbone'].pop('init_cfg')  # ImageNet weights: leaf configs
    assert ours['backbone'] == theirs['backbone']
    assert ours['data_preprocessor'] == theirs['data_preprocessor']
    for key in ('type', 'in_channels', 'deconv_out_channels', 'loss'):
        assert ours['head'][key] == theirs['head'][key], key
    for key in ('flip_mode', 'shift_heatmap'):
        assert ours['test_cfg'][key] == theirs['test_cfg'][key], key


def test_srpose_base_restates_the_same_hrnet_w48():
    """The SRPose model base restates the backbone of the HRNet-W48 one
    (sibling bases cannot share it), with all four branches as output."""
    heatmap = Config.fromfile(osp.join(_MODEL_BASES, 'td-hm_hrnet-w48.py'))
    srpose = Config.fromfile(
        osp.join(_MODEL_BASES, 'td-hm-srpose_hrnet-w48.py'))
    backbone = srpose.model.backbone.to_dict()
    assert backbone['extra']['stage4'].pop('multiscale_output') is True
    assert backbone == heatmap.model.backbone.to_dict()


def _bases(path: str) -> list:
    """The config files that ``path`` names in ``_base_`` (``mmpose::``
    ones left out: MMPose's runtime counts as part of ours)."""
    for node in ast.parse(open(path).read()).body:
        if isinstance(node, ast.Assign) and any(
                getattr(target, 'id', None) == '_base_'
                for target in node.targets):
            bases = ast.literal_eval(node.value)
            bases = bases if isinstance(bases, list) else [bases]
            return [
                osp.normpath(osp.join(osp.dirname(path), base))
                for base in bases if not base.startswith('mmpose::')
            ]
    return []


def _depth(path: str) -> int:
    """1 for a config without bases, else 1 + the deepest base's."""
    return 1 + max((_depth(base) for base in _bases(path)), default=0)


ALL_CONFIGS = sorted(
    glob.glob(osp.join(REPO_ROOT, 'configs', '**', '*.py'), recursive=True) +
    glob.glob(
        osp.join(REPO_ROOT, 'tests', 'data', 'configs', '**', '*.py'),
        recursive=True))


@pytest.mark.parametrize(
    'path', ALL_CONFIGS, ids=lambda p: osp.relpath(p, REPO_ROOT))
def test_config_is_at_most_three_levels_deep(path):
    """Runtime <- task base <- leaf: a leaf lists the task base beside a
    model base and a schedule base, which have no bases of their own; a
    variant restates what it shares with another leaf rather than inherit
    it. A test config adds one level: a real leaf plus the tiny sizes of
    ``tests/data/configs/_base_/tiny.py``, so the tests run the real
    leaves."""
    in_tests = osp.relpath(path, REPO_ROOT).startswith('tests')
    assert _depth(path) <= (4 if in_tests else 3)
    if osp.basename(osp.dirname(path)) in ('models', 'schedules'):
        assert _bases(path) == [], 'a model or schedule base has no base'
