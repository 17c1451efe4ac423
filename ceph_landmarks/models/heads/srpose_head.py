"""SRPose super-resolution heatmap head, as used by the CL-Detection 2023
challenge winner.

The SRPose head (super-resolution heatmaps, ACM MM 2023) as re-implemented
for cephalograms by the winning team of CL-Detection 2023 (public repository
``5k5000/CLdetection2023``, file
``mmpose_package/mmpose/mmpose/models/heads/heatmap_heads/srpose_head.py``,
config ``configs/CLdetection2023/srpose_s2.py``). This is an independent
implementation with the same parameter names and shapes, so the published
checkpoint loads key for key, and the same forward semantics:

1. the lowest-resolution backbone feature gives a first set of heatmaps
   (``lr_head``, 1x1 conv + ReLU), which are mapped back to features
   (``lr_fuse``) and added to that level's projected feature (``pre_fuse``);
2. going up the resolutions, the running feature is refined by a depthwise
   3x3 + pointwise conv (``pre_interpolate``), resized (nearest) to the next
   level, concatenated with that level's projected feature, reduced by a 1x1
   conv (``fuse``) and refined by two ConvNeXt-style blocks (``post_fuse``);
3. a level that is supervised encodes the feature into ``per_emb_nums[i]``
   channels per landmark (``kp_encoder``) and a grouped conv with one group
   per landmark followed by a pixel shuffle (``converge``) turns them into
   heatmaps ``2 ** upsample_log[i]`` times larger than the feature.

Training returns the low-resolution heatmaps and the heatmaps of every
supervised level (deep supervision; the low-resolution ones are weighted
``lowres_loss_weight`` = 1e-4 as in the original, the others 1); inference
computes only the last level's full-resolution heatmaps.

One addition, off by default: ``aux_lowres_channels`` extra low-resolution
maps that feed ``lr_fuse`` but are neither supervised nor output. Extending
a checkpoint to another landmark set by name keeps there the
low-resolution maps of the landmarks it drops, which the fused features of
the source model depend on; the kept landmarks then predict exactly what
they predicted before (see :mod:`ceph_landmarks.models.landmark_extension`).
"""
from typing import List, Optional, Sequence, Tuple

import torch
import torch.nn.functional as F
from mmengine.structures import PixelData
from mmpose.models.heads.base_head import BaseHead
from mmpose.models.utils.tta import flip_heatmaps
from mmpose.registry import KEYPOINT_CODECS, MODELS
from mmpose.utils.typing import (ConfigType, Features, OptConfigType,
                                 OptSampleList, Predictions)
from torch import Tensor, nn

__all__ = ['SRPoseHead']


class _ConvNeXtBlock(nn.Module):
    """Residual block: depthwise 7x7 conv, BatchNorm, MLP with GELU.

    Parameter names (``dwconv``, ``norm``, ``pwconv1``, ``pwconv2``) match
    the original ``ConvBlock``; the pointwise layers are ``nn.Linear`` on
    channels-last tensors, as there.

    Args:
        channels (int): Number of input and output channels ``C``.
    """

    def __init__(self, channels: int) -> None:
        super().__init__()
        self.dwconv = nn.Conv2d(
            channels, channels, kernel_size=7, padding=3, groups=channels)
        self.norm = nn.BatchNorm2d(channels)
        self.pwconv1 = nn.Linear(channels, 4 * channels)
        self.act = nn.GELU()
        self.pwconv2 = nn.Linear(4 * channels, channels)

    def forward(self, x: Tensor) -> Tensor:
        """Tensor[B, C, H, W] -> Tensor[B, C, H, W]."""
        y = self.norm(self.dwconv(x))  # (B, C, H, W)
        y = y.permute(0, 2, 3, 1)  # (B, H, W, C)
        y = self.pwconv2(self.act(self.pwconv1(y)))  # (B, H, W, C)
        return x + y.permute(0, 3, 1, 2)  # (B, C, H, W)


class _PixelShuffleConverge(nn.Module):
    """Per-landmark grouped conv followed by a pixel shuffle.

    Landmark ``k`` reads its own ``embed_channels`` input channels
    ``[k * E, (k + 1) * E)`` and writes ``r * r`` output channels
    ``[k * r * r, (k + 1) * r * r)``, which the pixel shuffle turns into one
    heatmap ``r`` times larger. Weights start at N(0, 0.001) and biases at
    0, as in the original ``ConvergeHead``.

    Args:
        embed_channels (int): Channels per landmark ``E``.
        upscale (int): Pixel-shuffle factor ``r``.
        kernel_size (int): Odd kernel size of the grouped conv.
        num_landmarks (int): Number of landmarks ``K`` (= groups).
    """

    def __init__(self, embed_channels: int, upscale: int, kernel_size: int,
                 num_landmarks: int) -> None:
        super().__init__()
        self.upscale = upscale
        self.conv = nn.Conv2d(
            embed_channels * num_landmarks,
            upscale**2 * num_landmarks,
            kernel_size,
            padding=kernel_size // 2,
            groups=num_landmarks)
        nn.init.normal_(self.conv.weight, std=0.001)
        nn.init.zeros_(self.conv.bias)

    def forward(self, x: Tensor) -> Tensor:
        """Tensor[B, K*E, h, w] -> Tensor[B, K, r*h, r*w]."""
        return F.pixel_shuffle(self.conv(x), self.upscale)


@MODELS.register_module()
class SRPoseHead(BaseHead):
    """Super-resolution heatmap head over multi-scale features (SRPose).

    Expects the features of a multi-branch backbone such as HRNet with
    ``stage4.multiscale_output=True``, highest resolution first (the
    backbone's order). ``in_channels`` and the per-level lists are given
    lowest resolution first, like the original config.

    Args:
        in_channels (Sequence[int]): Channels of each backbone level, lowest
            resolution first, e.g. ``[384, 192, 96, 48]`` for HRNet-W48.
        out_channels (int): Number of landmarks ``K``.
        branch_channels (Sequence[int], optional): Width of the head at each
            level (the original's ``out_channels`` list). Defaults to
            ``in_channels``.
        upsample_log (Sequence[int]): ``log2`` of the pixel-shuffle factor
            of each level. Defaults to ``(3, 2, 1, 2)``.
        per_emb_nums (Sequence[int]): Embedding channels per landmark at
            each level. Defaults to ``(16, 8, 4, 4)``.
        supervises (Sequence[bool]): Which levels output heatmaps during
            training; the last one must (it is the inference output).
            Defaults to ``(False, False, True, True)``.
        aux_lowres_channels (int): Extra low-resolution maps feeding the
            fused features, neither supervised nor output. ``0`` gives the
            published layout. Defaults to 0.
        lowres_loss_weight (float): Weight of the low-resolution heatmaps'
            loss. Defaults to 1e-4 (the original's value).
        loss (dict): Heatmap loss, called on every output against the
            target heatmaps average-pooled to its size. Defaults to
            ``KeypointMSELoss(use_target_weight=True)``, which equals the
            original's ``JointsMSELoss`` for 0/1 keypoint weights.
        decoder (dict, optional): Codec that decodes the full-resolution
            heatmaps.
        init_cfg (dict, optional): mmengine init config. The default keeps
            PyTorch's initialisation and N(0, 0.001) for ``converge``, as
            the original.

    Examples:
        >>> head = SRPoseHead(in_channels=[64, 32, 16, 8], out_channels=5,
        ...                   per_emb_nums=[4, 4, 2, 2])
        >>> feats = tuple(torch.rand(1, c, s, s)
        ...               for c, s in [(8, 16), (16, 8), (32, 4), (64, 2)])
        >>> head.eval()(feats).shape
        torch.Size([1, 5, 64, 64])
    """

    def __init__(self,
                 in_channels: Sequence[int],
                 out_channels: int,
                 branch_channels: Optional[Sequence[int]] = None,
                 upsample_log: Sequence[int] = (3, 2, 1, 2),
                 per_emb_nums: Sequence[int] = (16, 8, 4, 4),
                 supervises: Sequence[bool] = (False, False, True, True),
                 aux_lowres_channels: int = 0,
                 lowres_loss_weight: float = 1e-4,
                 loss: ConfigType = dict(
                     type='KeypointMSELoss', use_target_weight=True),
                 decoder: OptConfigType = None,
                 init_cfg: OptConfigType = None) -> None:
        super().__init__(init_cfg)
        branch_channels = list(branch_channels or in_channels)
        num_levels = len(in_channels)
        for name, value in (('branch_channels',
                             branch_channels), ('upsample_log', upsample_log),
                            ('per_emb_nums', per_emb_nums), ('supervises',
                                                             supervises)):
            if len(value) != num_levels:
                raise ValueError(
                    f'{name} must have one entry per level of in_channels '
                    f'({num_levels}), but got {list(value)}')
        if not 1 <= num_levels <= 5:
            raise ValueError('SRPoseHead supports 1 to 5 levels (its kernel '
                             f'sizes are 11 - 2 * (levels - i)), but got '
                             f'{num_levels}')
        if not supervises[-1]:
            raise ValueError('the last level gives the inference output and '
                             f'must be supervised, but got supervises='
                             f'{list(supervises)}')
        if out_channels < 1 or aux_lowres_channels < 0:
            raise ValueError(
                'out_channels must be >= 1 and aux_lowres_channels >= 0, but '
                f'got {out_channels} and {aux_lowres_channels}')

        self.in_channels = list(in_channels)
        self.out_channels = out_channels
        self.branch_channels = branch_channels
        self.supervises = [bool(s) for s in supervises]
        self.aux_lowres_channels = aux_lowres_channels
        self.lowres_loss_weight = lowres_loss_weight
        self.loss_module = MODELS.build(loss)
        self.decoder = (
            KEYPOINT_CODECS.build(decoder) if decoder is not None else None)

        k, c = out_channels, branch_channels
        lowres = k + aux_lowres_channels
        self.lr_head = nn.Sequential(
            nn.Conv2d(in_channels[0], lowres, 1), nn.ReLU())
        self.lr_fuse = nn.Sequential(nn.Conv2d(lowres, c[0], 1), nn.ReLU())
        self.pre_interpolate = nn.ModuleList(
            nn.Sequential(
                nn.Conv2d(c[i - 1], c[i - 1], 3, padding=1, groups=c[i - 1]),
                nn.Conv2d(c[i - 1], c[i], 1), nn.BatchNorm2d(c[i]), nn.ReLU())
            for i in range(1, num_levels))
        self.pre_fuse = nn.ModuleList(
            nn.Sequential(
                nn.Conv2d(cin, cout, 1), nn.BatchNorm2d(cout), nn.ReLU())
            for cin, cout in zip(in_channels, c))
        self.fuse = nn.ModuleList(
            nn.Conv2d(2 * cout, cout, 1) for cout in c[1:])
        self.post_fuse = nn.ModuleList(
            nn.Sequential(_ConvNeXtBlock(cout), _ConvNeXtBlock(cout))
            for cout in c[1:])
        # unsupervised levels hold parameter-free placeholders, so that the
        # indices (and state-dict keys) of the supervised ones are the
        # original's: kp_encoder.2.0.weight, converge.3.conv.weight, ...
        self.kp_encoder = nn.ModuleList(
            nn.Sequential(nn.Conv2d(c[i], per_emb_nums[i] * k, 1), nn.ReLU(
            )) if supervises[i] else nn.Identity() for i in range(num_levels))
        self.converge = nn.ModuleList(
            _PixelShuffleConverge(per_emb_nums[i], 2**upsample_log[i], 11 - 2 *
                                  (num_levels - i), k
                                  ) if supervises[i] else nn.Identity()
            for i in range(num_levels))

    def _heatmaps(self, level: int, feat: Tensor) -> Tensor:
        """Tensor[B, C_i, h, w] -> heatmaps Tensor[B, K, r_i*h, r_i*w]."""
        return self.converge[level](self.kp_encoder[level](feat))

    def forward_levels(self, feats: Tuple[Tensor, ...],
                       deep_supervision: bool) -> List[Tensor]:
        """Run the head, optionally returning every supervised output.

        Args:
            feats (tuple[Tensor]): Backbone features, highest resolution
                first, ``L`` of them.
            deep_supervision (bool): Return the low-resolution heatmaps and
                the heatmaps of every supervised level (training); else only
                the last level's (inference).

        Returns:
            list[Tensor]: Heatmaps ``Tensor[B, K, H_j, W_j]``, lowest
            resolution first; one tensor without deep supervision.
        """
        if len(feats) != len(self.in_channels):
            raise ValueError(
                f'SRPoseHead expects {len(self.in_channels)} feature maps '
                '(a backbone with multiscale_output=True), but got '
                f'{len(feats)}')
        xs = feats[::-1]  # lowest resolution first
        k = self.out_channels
        lowres = self.lr_head(xs[0])  # (B, K + A, h_0, w_0)
        feat = self.pre_fuse[0](xs[0]) + self.lr_fuse(lowres)  # (B, C_0, ..)
        outputs = [lowres[:, :k]] if deep_supervision else []
        for i in range(len(xs)):
            if i > 0:
                feat = self.pre_interpolate[i - 1](feat)  # (B, C_i, h, w)
                feat = F.interpolate(feat, size=xs[i].shape[2:])
                feat = torch.cat([feat, self.pre_fuse[i](xs[i])],
                                 dim=1)  # (B, 2 C_i, h_i, w_i)
                feat = self.post_fuse[i - 1](self.fuse[i - 1](feat))
            if deep_supervision and self.supervises[i]:
                outputs.append(self._heatmaps(i, feat))
        if not deep_supervision:
            outputs.append(self._heatmaps(len(xs) - 1, feat))
        return outputs

    def forward(self, feats: Tuple[Tensor, ...]) -> Tensor:
        """Full-resolution heatmaps Tensor[B, K, H, W] (last level only)."""
        return self.forward_levels(feats, deep_supervision=False)[0]

    def predict(self,
                feats: Features,
                batch_data_samples: OptSampleList,
                test_cfg: ConfigType = {}) -> Predictions:
        """Decode landmarks from the full-resolution heatmaps.

        Args:
            feats (tuple[Tensor] | list[tuple[Tensor]]): Backbone features,
                or ``[features, flipped features]`` with ``flip_test``.
            batch_data_samples (list[PoseDataSample]): The batch's samples.
            test_cfg (dict): ``flip_test``, ``flip_mode``,
                ``shift_heatmap`` and ``output_heatmaps`` as for MMPose's
                ``HeatmapHead``.

        Returns:
            list[InstanceData] | tuple: Decoded ``keypoints`` [1, K, 2] and
            ``keypoint_scores`` [1, K] per sample, and the heatmaps as
            ``PixelData`` when ``output_heatmaps`` is set.
        """
        if test_cfg.get('flip_test', False):
            _feats, _feats_flip = feats
            flip_indices = batch_data_samples[0].metainfo['flip_indices']
            heatmaps_flip = flip_heatmaps(
                self.forward(_feats_flip),
                flip_mode=test_cfg.get('flip_mode', 'heatmap'),
                flip_indices=flip_indices,
                shift_heatmap=test_cfg.get('shift_heatmap', False))
            heatmaps = (self.forward(_feats) + heatmaps_flip) * 0.5
        else:
            heatmaps = self.forward(feats)  # (B, K, H, W)
        preds = self.decode(heatmaps)
        if test_cfg.get('output_heatmaps', False):
            return preds, [PixelData(heatmaps=hm) for hm in heatmaps.detach()]
        return preds

    def loss(self,
             feats: Tuple[Tensor, ...],
             batch_data_samples: OptSampleList,
             train_cfg: ConfigType = {}) -> dict:
        """Deep-supervised heatmap loss.

        Each output is compared with the target heatmaps average-pooled to
        its size. Keys: ``loss_kpt_lowres`` (weighted
        ``lowres_loss_weight``) and ``loss_kpt_level{i}`` for each supervised
        level ``i`` (0 = lowest resolution).

        Args:
            feats (tuple[Tensor]): Backbone features.
            batch_data_samples (list[PoseDataSample]): Samples with
                ``gt_fields.heatmaps`` [K, H, W] and
                ``gt_instance_labels.keypoint_weights`` [1, K].
            train_cfg (dict): Unused; kept for MMPose's head interface.

        Returns:
            dict: The losses.
        """
        outputs = self.forward_levels(feats, deep_supervision=True)
        gt = torch.stack([d.gt_fields.heatmaps
                          for d in batch_data_samples])  # (B, K, H, W)
        weights = torch.cat([
            d.gt_instance_labels.keypoint_weights for d in batch_data_samples
        ])  # (B, K)
        names = ['loss_kpt_lowres'] + [
            f'loss_kpt_level{i}' for i, s in enumerate(self.supervises) if s
        ]
        losses = dict()
        with torch.no_grad():
            targets = {tuple(gt.shape[2:]): gt}
            for out in outputs:
                size = tuple(out.shape[2:])
                if size not in targets:
                    targets[size] = F.adaptive_avg_pool2d(gt, size)
        for j, (name, out) in enumerate(zip(names, outputs)):
            weight = self.lowres_loss_weight if j == 0 else 1.0
            losses[name] = weight * self.loss_module(
                out, targets[tuple(out.shape[2:])], weights)
        return losses
