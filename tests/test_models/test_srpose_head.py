"""SRPoseHead: output sizes, deep-supervised loss, prediction, arguments."""
import pytest
import torch
import torch.nn.functional as F
from mmengine.structures import InstanceData, PixelData
from mmpose.registry import MODELS
from mmpose.structures import PoseDataSample

from ceph_landmarks.models import SRPoseHead

K = 5
# backbone features, highest resolution first: (channels, size)
LEVELS = [(8, 16), (16, 8), (32, 4), (64, 2)]


def make_head(**kwargs) -> SRPoseHead:
    cfg = dict(
        in_channels=[64, 32, 16, 8],
        out_channels=K,
        branch_channels=[16, 16, 8, 8],
        per_emb_nums=[4, 4, 2, 2],
        decoder=dict(
            type='MSRAHeatmap',
            input_size=(64, 64),
            heatmap_size=(64, 64),
            sigma=2))
    cfg.update(kwargs)
    return SRPoseHead(**cfg)


def make_feats(batch=2, seed=0):
    gen = torch.Generator().manual_seed(seed)
    return tuple(torch.rand(batch, c, s, s, generator=gen) for c, s in LEVELS)


def make_samples(batch=2, seed=0):
    gen = torch.Generator().manual_seed(seed)
    samples = []
    for _ in range(batch):
        sample = PoseDataSample(
            metainfo=dict(
                input_size=(64, 64),
                input_center=(32., 32.),
                input_scale=(64., 64.)))
        sample.gt_fields = PixelData(
            heatmaps=torch.rand(K, 64, 64, generator=gen))
        sample.gt_instance_labels = InstanceData(
            keypoint_weights=torch.tensor([[1., 1., 0., 1., 1.]]))
        samples.append(sample)
    return samples


def test_registered_in_mmpose():
    head = MODELS.build(
        dict(
            type='SRPoseHead',
            in_channels=[64, 32, 16, 8],
            out_channels=K,
            per_emb_nums=[4, 4, 2, 2]))
    assert isinstance(head, SRPoseHead)


def test_inference_gives_one_full_resolution_output():
    head = make_head().eval()
    out = head(make_feats())
    # level 3 (16 x 16 features) upsampled 2 ** 2
    assert out.shape == (2, K, 64, 64)


def test_deep_supervision_outputs_lowest_resolution_first():
    head = make_head().eval()
    outs = head.forward_levels(make_feats(), deep_supervision=True)
    # low-resolution heatmaps at 2 x 2, level 2 (8 x 8) x 2, level 3 x 4
    assert [tuple(o.shape) for o in outs] == [(2, K, 2, 2), (2, K, 16, 16),
                                              (2, K, 64, 64)]
    # the last deep-supervision output is the inference output
    torch.testing.assert_close(outs[-1], head(make_feats()))


def test_loss_weights_lowres_output_1e4_and_pools_targets():
    head = make_head().eval()  # eval: BatchNorm statistics fixed
    feats, samples = make_feats(), make_samples()
    losses = head.loss(feats, samples)
    assert set(losses) == {
        'loss_kpt_lowres', 'loss_kpt_level2', 'loss_kpt_level3'
    }
    outs = head.forward_levels(feats, deep_supervision=True)
    gt = torch.stack([s.gt_fields.heatmaps for s in samples])
    weights = torch.cat(
        [s.gt_instance_labels.keypoint_weights for s in samples])

    def mse(out, target):
        mask = weights[:, :, None, None]
        return ((out - target)**2 * mask).mean()

    expected = {
        'loss_kpt_lowres':
        1e-4 * mse(outs[0], F.adaptive_avg_pool2d(gt, (2, 2))),
        'loss_kpt_level2': mse(outs[1], F.adaptive_avg_pool2d(gt, (16, 16))),
        'loss_kpt_level3': mse(outs[2], gt),
    }
    for name, value in expected.items():
        torch.testing.assert_close(losses[name], value)


def test_auxiliary_lowres_channels_feed_features_but_are_not_supervised():
    head = make_head(aux_lowres_channels=3).eval()
    assert head.lr_head[0].weight.shape[0] == K + 3
    assert head.lr_fuse[0].weight.shape[1] == K + 3
    outs = head.forward_levels(make_feats(), deep_supervision=True)
    assert outs[0].shape[1] == K  # only the landmarks are supervised
    before = head(make_feats())
    with torch.no_grad():
        head.lr_fuse[0].weight[:, K:] += 1.0
    assert not torch.allclose(before, head(make_feats()))


def test_predict_decodes_k_landmarks_and_heatmaps():
    head = make_head().eval()
    preds, fields = head.predict(
        make_feats(), make_samples(), test_cfg=dict(output_heatmaps=True))
    assert len(preds) == 2
    assert preds[0].keypoints.shape == (1, K, 2)
    assert fields[0].heatmaps.shape == (K, 64, 64)


def test_converge_starts_small_like_the_original():
    head = make_head()
    weight = head.converge[3].conv.weight
    assert weight.std().item() == pytest.approx(0.001, rel=0.3)
    assert torch.all(head.converge[3].conv.bias == 0)
    assert head.converge[3].conv.groups == K


@pytest.mark.parametrize('kwargs, message', [
    (dict(per_emb_nums=[4, 4, 2]), 'per_emb_nums must have one entry'),
    (dict(supervises=[True, True, True, False]), 'must be supervised'),
    (dict(aux_lowres_channels=-1), 'but got 5 and -1'),
])
def test_invalid_arguments_are_refused(kwargs, message):
    with pytest.raises(ValueError, match=message):
        make_head(**kwargs)


def test_wrong_number_of_features_is_refused():
    head = make_head().eval()
    with pytest.raises(ValueError, match='expects 4 feature maps'):
        head(make_feats()[-1:])
