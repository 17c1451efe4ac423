"""Landmark prediction with an exported model: no torch, no OpenMMLab."""
import os
from typing import List, Optional, Sequence

import numpy as np

from ..core.calibration_lookup import AUTO, CalibrationChoice, find_calibration
from ..core.io.batch_inputs import check_batch_inputs
from ..core.io.inputs import Spacing, load_image
from ..core.log import get_logger
from ..core.model_calibration import calibrate_prediction
from ..core.prediction import ImagePrediction, image_prediction
from .box_warp import whole_image_box, window_box
from .manifest import Manifest, load_manifest
from .onnx_stage import OnnxStage

__all__ = ['OnnxLandmarkPredictor', 'execution_providers']


def execution_providers(device: str) -> List:
    """onnxruntime's execution providers for ``'cpu'``, ``'cuda'`` or
    ``'cuda:N'``.

    Raises:
        ValueError: If the device is unknown, or CUDA is asked and the
            installed onnxruntime has no CUDA provider.
    """
    import onnxruntime
    if device == 'cpu':
        return ['CPUExecutionProvider']
    kind, _, index = device.partition(':')
    if kind != 'cuda' or (index and not index.isdigit()):
        raise ValueError(f"device must be 'cpu', 'cuda' or 'cuda:N', but "
                         f'got {device!r}')
    if 'CUDAExecutionProvider' not in onnxruntime.get_available_providers():
        raise ValueError(
            f'device {device!r}: this onnxruntime '
            f'{onnxruntime.__version__} has no CUDA execution provider '
            f'(it has {onnxruntime.get_available_providers()}); install '
            'onnxruntime-gpu instead of onnxruntime')
    return [('CUDAExecutionProvider', {
        'device_id': int(index or 0)
    }), 'CPUExecutionProvider']


class OnnxLandmarkPredictor:
    """Predict cephalometric landmarks with a model exported by
    ``tools/deploy.py``.

    The light counterpart of :class:`ceph_landmarks.apis.LandmarkPredictor`
    with the same ``predict`` / ``predict_batch`` and the same results
    (:class:`~ceph_landmarks.core.prediction.ImagePrediction`: landmarks in
    pixels and mm with confidences, measurements with norms): it needs only
    the package's torch-free core, numpy, OpenCV and onnxruntime. The
    manifest (``model.json``, :mod:`.manifest`) says everything: the
    first stage (whole image), the optional refinement (a window per
    landmark; a point it places outside its window keeps the first
    stage's), the ensemble mode and the flip test (inside the graphs).

    Args:
        model_dir (str): The export folder.
        device (str): ``'cpu'`` (default), ``'cuda'`` or ``'cuda:N'``
            (needs onnxruntime-gpu).
        threads (int, optional): onnxruntime's intra-op threads; ``None``
            or 0 lets onnxruntime choose (one per physical core).
        refine_batch_size (int): Windows per refinement run. Defaults
            to 64.
        calibration (str | ModelCalibration, optional): ``'auto'``
            (default): the export's calibration (error radii, quality
            check) when it has one; a path: that file; ``None``: none.

    Raises:
        ManifestError: If the manifest or a network is missing, of another
            version, altered or of another input size (names the file).
        ValueError: If the device cannot be used.
    """

    def __init__(self,
                 model_dir: str,
                 device: str = 'cpu',
                 threads: Optional[int] = None,
                 refine_batch_size: int = 64,
                 calibration: CalibrationChoice = AUTO) -> None:
        import onnxruntime
        providers = execution_providers(device)
        self.manifest: Manifest = load_manifest(os.fspath(model_dir))
        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = int(threads or 0)
        options.inter_op_num_threads = 1
        options.log_severity_level = 3  # errors only
        self.first_stage = OnnxStage(
            self.manifest.first_stage,
            model_dir,
            self.manifest.ensemble,
            options,
            providers,
            batch_size=8)
        self.refinement = None
        if self.manifest.refinement is not None:
            self.refinement = OnnxStage(self.manifest.refinement, model_dir,
                                        self.manifest.ensemble, options,
                                        providers, refine_batch_size)
        #: Landmark names in channel order.
        self.landmark_names: List[str] = list(self.manifest.landmark_names)
        #: Short labels for drawing.
        self.labels: List[str] = list(self.manifest.labels)
        #: The calibration applied to every prediction, ``None`` without.
        self.calibration = None
        entry = self.manifest.calibration
        signals = ('confidence',
                   *(('refine_shift_mm', ) if self.refinement is not None else
                     ()))
        if calibration != AUTO:
            self.calibration = find_calibration(calibration, None,
                                                self.landmark_names, signals)
        elif entry is None:
            get_logger().info(f'{self.manifest.path} holds no calibration: '
                              'predictions carry no error radii')
        else:  # its SHA-256 was checked with the manifest
            self.calibration = find_calibration(
                os.path.join(model_dir, entry['file']), None,
                self.landmark_names, signals)

    def predict(self,
                image,
                spacing: Optional[Spacing] = None) -> ImagePrediction:
        """Predict the landmarks of one image (as
        :meth:`ceph_landmarks.apis.LandmarkPredictor.predict`)."""
        return self.predict_batch([image], [spacing])[0]

    def predict_batch(
        self,
        images: Sequence,
        spacings: Optional[Sequence[Optional[Spacing]]] = None,
        sources: Optional[Sequence[str]] = None,
        batch_size: int = 8,
        spacing_sources: Optional[Sequence[Optional[str]]] = None
    ) -> List[ImagePrediction]:
        """Predict many images, ``batch_size`` at a time (arguments,
        checks and results as
        :meth:`ceph_landmarks.apis.LandmarkPredictor.predict_batch`)."""
        batch = check_batch_inputs(images, spacings, sources, batch_size,
                                   spacing_sources)
        self.first_stage.batch_size = batch_size
        predictions = []
        for start in range(0, len(batch.images), batch_size):
            stop = min(start + batch_size, len(batch.images))
            pixels = [
                img if isinstance(img, np.ndarray) else load_image(img)
                for img in batch.images[start:stop]
            ]
            points, scores, coarse = self._predict_pixels(pixels)
            predictions.extend(
                image_prediction(
                    points[j],
                    scores[j],
                    self.landmark_names,
                    pixels[j].shape[:2],
                    batch.sources[i],
                    batch.spacings[i],
                    batch.spacing_sources[i],
                    coarse_keypoints=None if coarse is None else coarse[j])
                for j, i in enumerate(range(start, stop)))
        if self.calibration is None:
            return predictions
        return [
            calibrate_prediction(p, self.calibration, None)
            for p in predictions
        ]

    def _predict_pixels(self, pixels: List[np.ndarray]):
        """Both stages on loaded images: points ``[N, K, 2]``, scores
        ``[N, K]`` and the first stage's points ``[N, K, 2]`` (``None``
        without a refinement stage)."""
        first = self.manifest.first_stage
        boxes = [
            whole_image_box(img.shape[1], img.shape[0], first.input_size,
                            first.box.get('padding', 1.0)) for img in pixels
        ]
        points, scores = self.first_stage.predict(pixels, boxes)
        if self.refinement is None:
            return points, scores, None
        return (*self._refine(pixels, points, scores), points)

    def _refine(self, pixels: List[np.ndarray], points: np.ndarray,
                scores: np.ndarray):
        """The refinement stage: one window per image and landmark; a
        point outside its window keeps the first stage's."""
        spec = self.manifest.refinement
        crop_size = spec.box['crop_size']
        images, boxes, where = [], [], []
        for i, img in enumerate(pixels):
            height, width = img.shape[:2]
            for k, point in enumerate(points[i]):
                images.append(img)
                boxes.append(
                    window_box(point, width, height, crop_size,
                               spec.input_size))
                where.append((i, k))
        refined_points, refined_scores = self.refinement.predict(
            images, boxes, channels=[k for _, k in where])
        points, scores = points.copy(), scores.copy()
        for (i,
             k), (_,
                  size), new_point, new_score in zip(where, boxes,
                                                     refined_points[:, 0],
                                                     refined_scores[:, 0]):
            if np.all(np.abs(new_point - points[i, k]) <= size / 2):
                points[i, k] = new_point
                scores[i, k] = new_score
        return points, scores
