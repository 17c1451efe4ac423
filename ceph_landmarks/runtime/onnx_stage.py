"""One exported stage: its ONNX network(s), run and decoded with numpy.

A stage's networks take the normalised input ``[N, 3, h, w]`` (float32)
and give every ensemble member's heatmaps ``[N, M, K, h', w']``, flip test
included (the export puts it in the graph). A stage may be one file holding
all its members or one file per member; their outputs are joined along the
member axis. Members combine as in
:class:`ceph_landmarks.models.ModelEnsemble`: ``'heatmap'`` averages the
heatmaps (in float64) and decodes once, ``'points'`` decodes each member
and averages points and scores.
"""
import os.path as osp
from typing import List, Optional, Sequence, Tuple

import numpy as np

from .box_warp import Box, to_image_pixels, warp_into_input
from .heatmap_decoding import decode_heatmaps
from .manifest import ManifestError, StageSpec

__all__ = ['OnnxStage']


class OnnxStage:
    """A stage of an exported model, ready to predict.

    Args:
        spec (StageSpec): The stage as the manifest describes it (files
            checked against their SHA-256 already).
        model_dir (str): The folder of the manifest and the ONNX files.
        ensemble (str): ``'heatmap'`` or ``'points'``.
        session_options (onnxruntime.SessionOptions): Threads etc.
        providers (Sequence[str]): onnxruntime execution providers.
        batch_size (int): Inputs per network run.

    Raises:
        ManifestError: If a network's input or output does not have the
            size the manifest states (names the file).
    """

    def __init__(self, spec: StageSpec, model_dir: str, ensemble: str,
                 session_options, providers: Sequence[str],
                 batch_size: int) -> None:
        import onnxruntime  # the runtime's only heavy dependency
        self.spec = spec
        self.ensemble = ensemble
        self.batch_size = batch_size
        self.sessions = []
        for network in spec.networks:
            path = osp.join(model_dir, network['file'])
            session = onnxruntime.InferenceSession(
                path, sess_options=session_options, providers=list(providers))
            self._check_shapes(session, path, network['members'])
            self.sessions.append((session, session.get_inputs()[0].name))
        self._mean = np.asarray(spec.normalize['mean'], np.float32)
        self._std = np.asarray(spec.normalize['std'], np.float32)

    def _check_shapes(self, session, path: str, members: int) -> None:
        """The network's input and output must be those of the manifest."""
        width, height = self.spec.input_size
        inputs, outputs = session.get_inputs(), session.get_outputs()
        if len(inputs) != 1 or len(outputs) != 1:
            raise ManifestError(
                path, f'expected one input and one output, but the network '
                f'has {len(inputs)} and {len(outputs)}')
        got = list(inputs[0].shape[1:])
        if got != [3, height, width]:
            raise ManifestError(
                path, f'the network takes inputs of shape {got} (C, H, W), '
                f'but the manifest says {[3, height, width]} (input_size '
                f'{list(self.spec.input_size)})')
        heat_w, heat_h = self.spec.codec['heatmap_size']
        want = [members, self.spec.num_landmarks, heat_h, heat_w]
        got = list(outputs[0].shape[1:])
        if got != want:
            raise ManifestError(
                path, f'the network gives heatmaps of shape {got} (members, '
                f'landmarks, H, W), but the manifest says {want}')

    def normalise(self, crops: Sequence[np.ndarray]) -> np.ndarray:
        """BGR uint8 crops ``[h, w, 3]`` to the network input
        ``[N, 3, h, w]``, as the config's data preprocessor does."""
        batch = np.stack(crops)
        if self.spec.normalize['bgr_to_rgb']:
            batch = batch[..., ::-1]
        batch = (batch.astype(np.float32) - self._mean) / self._std
        return np.ascontiguousarray(batch.transpose(0, 3, 1, 2))

    def heatmaps(self, inputs: np.ndarray) -> np.ndarray:
        """Every member's heatmaps ``[N, M, K, h, w]`` for the inputs."""
        parts = []
        for start in range(0, len(inputs), self.batch_size):
            chunk = inputs[start:start + self.batch_size]
            parts.append(
                np.concatenate([
                    session.run(None, {name: chunk})[0]
                    for session, name in self.sessions
                ],
                               axis=1))
        return np.concatenate(parts)

    def predict(self,
                images: Sequence[np.ndarray],
                boxes: Sequence[Box],
                channels: Optional[Sequence[int]] = None
                ) -> Tuple[np.ndarray, np.ndarray]:
        """Points in image pixels for one box per image.

        Args:
            images (Sequence[np.ndarray]): ``[H, W, 3]`` uint8 BGR, one per
                box (the same image may appear many times).
            boxes (Sequence[Box]): The boxes to cut.
            channels (Sequence[int], optional): Decode only this landmark
                of each box (the refinement reads one landmark per window);
                all landmarks if ``None``.

        Returns:
            tuple: points ``[N, K, 2]`` (image pixels) and scores ``[N, K]``;
            ``K`` is 1 with ``channels``.
        """
        size = self.spec.input_size
        inputs = self.normalise([
            warp_into_input(img, box, size) for img, box in zip(images, boxes)
        ])
        heatmaps = self.heatmaps(inputs)
        if channels is not None:  # [N, M, 1, h, w]
            heatmaps = heatmaps[np.arange(len(heatmaps)), :,
                                np.asarray(channels)][:, :, None]
        points: List[np.ndarray] = []
        scores: List[np.ndarray] = []
        for member_maps, box in zip(heatmaps, boxes):
            if self.ensemble == 'heatmap':
                mean = member_maps.mean(axis=0, dtype=np.float64)
                decoded = [
                    decode_heatmaps(mean.astype(np.float32), self.spec.codec)
                ]
            else:
                decoded = [
                    decode_heatmaps(maps, self.spec.codec)
                    for maps in member_maps
                ]
            points.append(
                np.mean([to_image_pixels(p, box, size) for p, _ in decoded],
                        axis=0))
            scores.append(np.mean([s for _, s in decoded], axis=0))
        return np.stack(points), np.stack(scores)
