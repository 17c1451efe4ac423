"""Landmark extension by name, on small models of both heads: the extended
model predicts exactly the source model's heatmaps for the kept landmarks."""
import pytest
import torch

from ceph_landmarks.core.metainfo import landmark_names
from ceph_landmarks.models import (extend_checkpoint, extend_state_dict,
                                   find_head_layout, load_local_checkpoint,
                                   map_landmarks)
from helpers import build_tiny_model, run_tool

HEADS = ('HeatmapHead', 'SRPoseHead')
MAPPINGS = [('cldetection2023', 'isbi2015_p1p2'),
            ('isbi2015', 'isbi2015_p1p2'), ('cldetection2023', 'isbi2015')]


def build_model(head: str,
                num_landmarks: int,
                aux: int = 0,
                seed: int = 0) -> torch.nn.Module:
    """A tiny HRNet + head model in eval mode, head weights ~ N(0, 0.3).

    Much larger than the initialisation, so that every path of the head
    (SRPose's low-resolution maps through ``lr_fuse`` included) visibly
    changes the output.
    """
    model = build_tiny_model(
        num_landmarks,
        srpose=head == 'SRPoseHead',
        aux_lowres_channels=aux,
        seed=seed)
    with torch.no_grad():
        for param in model.head.parameters():
            param.normal_(0.0, 0.3)
    return model.eval()


def heatmaps(model: torch.nn.Module, seed: int = 1) -> torch.Tensor:
    inputs = torch.rand(
        2, 3, 64, 64, generator=torch.Generator().manual_seed(seed))
    with torch.no_grad():
        return model(inputs, None, mode='tensor')  # (B, K, H, W)


@pytest.mark.parametrize('head', HEADS)
@pytest.mark.parametrize('src, dst', MAPPINGS)
def test_kept_landmarks_predict_exactly_as_before(head, src, dst):
    src_names, dst_names = landmark_names(src), landmark_names(dst)
    mapping = map_landmarks(src_names, dst_names)
    source = build_model(head, len(src_names))
    extended = extend_state_dict(
        source.state_dict(),
        src_names,
        dst_names,
        generator=torch.Generator().manual_seed(0))
    aux = len(mapping.dropped) if head == 'SRPoseHead' else 0
    target = build_model(head, len(dst_names), aux, seed=1)
    target.load_state_dict(extended, strict=True)

    before, after = heatmaps(source), heatmaps(target)
    assert after.shape[1] == len(dst_names)
    kept = [(j, i) for j, i in enumerate(mapping.sources) if i is not None]
    assert len(kept) == 19  # the ISBI landmarks are in every set here
    for j, i in kept:
        torch.testing.assert_close(
            after[:, j],
            before[:, i],
            rtol=1e-5,
            atol=1e-5,
            msg=f'{dst_names[j]} changed')
    new = [j for j, i in enumerate(mapping.sources) if i is None]
    assert [dst_names[j] for j in new] == list(mapping.new)
    assert torch.isfinite(after[:, new]).all()


@pytest.mark.parametrize('head', HEADS)
def test_every_tensor_that_follows_the_landmark_count_is_mapped(head):
    small = build_model(head, 19).state_dict()
    large = build_model(head, 21).state_dict()
    differ = {k for k in small if small[k].shape != large[k].shape}
    layout = find_head_layout(small)
    assert layout.head_type == head and layout.num_landmarks == 19
    assert {t.key for t in layout.tensors} == differ
    if head == 'SRPoseHead':  # grouped convs, one group per landmark
        assert 'head.converge.3.conv.weight' in differ
        with_aux = build_model(head, 19, aux=4).state_dict()
        lowres = {t.key for t in layout.tensors if t.lowres}
        assert {k
                for k in small
                if small[k].shape != with_aux[k].shape} == lowres


def test_new_landmarks_start_as_the_head_initialises_them():
    names = landmark_names('isbi2015')
    dst = landmark_names('isbi2015_p1p2')
    gen = torch.Generator().manual_seed(0)
    sd = extend_state_dict(
        build_model('HeatmapHead', 19).state_dict(), names, dst, generator=gen)
    assert sd['head.final_layer.weight'][19:].std() == pytest.approx(
        0.001, rel=0.3)
    assert torch.all(sd['head.final_layer.bias'][19:] == 0)
    sd = extend_state_dict(
        build_model('SRPoseHead', 19).state_dict(), names, dst, generator=gen)
    assert torch.all(sd['head.lr_fuse.0.weight'][:, 19:] == 0)
    assert sd['head.converge.3.conv.weight'][19 * 16:].std() == \
        pytest.approx(0.001, rel=0.3)  # r = 4: 16 channels per landmark
    fan_in = sd['head.lr_head.0.weight'].shape[1]
    assert sd['head.lr_head.0.weight'][19:].abs().max() <= fan_in**-0.5


def test_dropping_srpose_lowres_maps_loads_but_changes_kept_outputs():
    src, dst = landmark_names('cldetection2023'), landmark_names('isbi2015')
    source = build_model('SRPoseHead', 38)
    extended = extend_state_dict(
        source.state_dict(), src, dst, keep_dropped_lowres=False)
    target = build_model('SRPoseHead', 19, aux=0)
    target.load_state_dict(extended, strict=True)
    before, after = heatmaps(source), heatmaps(target)
    assert torch.isfinite(after).all()
    # the documented price: lr_fuse no longer sees landmarks 20-38
    assert not torch.allclose(after, before[:, :19], rtol=1e-3, atol=1e-3)


def test_errors_name_the_problem():
    sd = build_model('HeatmapHead', 38).state_dict()
    with pytest.raises(ValueError, match='predicts 38 landmarks, but 19'):
        extend_state_dict(sd, landmark_names('isbi2015'),
                          landmark_names('isbi2015_p1p2'))
    backbone_only = {k: v for k, v in sd.items() if k.startswith('backbone')}
    with pytest.raises(ValueError, match='supported heads: HeatmapHead'):
        find_head_layout(backbone_only)
    with pytest.raises(ValueError, match=r"repeats \['a'\]"):
        map_landmarks(['a', 'b', 'a'], ['a'])


def test_map_landmarks_by_name():
    mapping = map_landmarks(['s', 'n', 'or'], ['n', 's', 'p1'])
    assert mapping.sources == (1, 0, None)
    assert mapping.new == ('p1', )
    assert mapping.dropped_names == ('or', )


def test_extended_checkpoint_names_its_landmarks():
    source = build_model('SRPoseHead', 38)
    ckpt = extend_checkpoint({'state_dict': source.state_dict()},
                             'cldetection2023', 'isbi2015_p1p2')
    meta = ckpt['meta']
    assert meta['dataset_meta']['num_keypoints'] == 21
    assert meta['dataset_meta']['keypoint_id2name'][20] == 'p2'
    info = meta['landmark_extension']
    assert info['new'] == ['p1', 'p2']
    assert info['dropped'] == landmark_names('cldetection2023')[19:]
    assert info['aux_lowres_channels'] == 19
    assert ckpt['state_dict']['head.lr_head.0.weight'].shape[0] == 21 + 19


@pytest.mark.slow
def test_extend_checkpoint_tool(tmp_path):
    source = build_model('SRPoseHead', 38)
    src = tmp_path / 'cld.pth'
    torch.save({'state_dict': source.state_dict(), 'meta': {}}, src)
    out = tmp_path / 'p1p2.pth'
    proc = run_tool('extend_checkpoint.py', str(src), '--src-landmarks',
                    'cldetection2023', '--dst-landmarks', 'isbi2015_p1p2',
                    '--out', str(out))
    # the option to set in the fine-tune config
    assert 'model.head.aux_lowres_channels=19' in proc.stdout
    extended = load_local_checkpoint(str(out))  # weights_only
    assert extended['meta']['landmark_extension']['new'] == ['p1', 'p2']
    target = build_model('SRPoseHead', 21, aux=19, seed=1)
    target.load_state_dict(extended['state_dict'], strict=True)
    before, after = heatmaps(source), heatmaps(target)
    torch.testing.assert_close(
        after[:, :19], before[:, :19], rtol=1e-5, atol=1e-5)
