"""What the cephalometric metrics keep of each data sample, and stacking.

Every metric of the package needs the same things from a test data sample:
the predicted and true landmarks, which true landmarks exist, the pixel
spacing and the image path. :func:`landmark_record` takes them in
``process``; :func:`stack_records` turns the collected list into arrays in
``compute_metrics``. :func:`signal_record` and :func:`stack_signals` do
the same for the difficulty signals that a calibration's error radius may
scale with (:mod:`ceph_landmarks.core.evaluation.radius_coverage`).
"""
from typing import Dict, List, NamedTuple, Sequence

import numpy as np

from ...core.evaluation.radius_coverage import refine_shift_mm
from ...core.io.annotations import normalize_spacing

__all__ = [
    'LandmarkArrays', 'landmark_record', 'stack_records', 'signal_record',
    'stack_signals'
]


class LandmarkArrays(NamedTuple):
    """Stacked records of ``N`` images with ``K`` landmarks.

    Attributes:
        pred (np.ndarray[N, K, 2]): Predicted landmarks in pixels.
        gt (np.ndarray[N, K, 2]): Ground-truth landmarks in pixels.
        mask (np.ndarray[N, K]): ``True`` where the ground truth is visible.
        spacing (np.ndarray[N, 2]): Pixel spacing ``(sx, sy)`` in mm/px.
        img_paths (list[str]): Image path of each image.
    """
    pred: np.ndarray
    gt: np.ndarray
    mask: np.ndarray
    spacing: np.ndarray
    img_paths: List[str]


def landmark_record(sample: dict, metric_name: str) -> dict:
    """The landmarks, visibility, spacing and path of one data sample.

    Args:
        sample (dict): A model output as a dict, with ``pred_instances``,
            ``gt_instances`` and the metainfo ``spacing`` and ``img_path``.
        metric_name (str): Name of the calling metric, for the error.

    Returns:
        dict: ``pred`` and ``gt`` (np.ndarray[K, 2]), ``mask``
        (np.ndarray[K], bool), ``spacing`` (np.ndarray[2], ``(sx, sy)``)
        and ``img_path`` (str).

    Raises:
        KeyError: If the sample has no ``spacing``.
        ValueError: If the spacing is not one positive number or
            ``(sx, sy)`` (naming the image).
    """
    if 'spacing' not in sample:
        raise KeyError(
            f'{metric_name} needs the pixel spacing of '
            f'{sample.get("img_path", "an image")}, but the data '
            "sample has no 'spacing': add 'spacing' to the meta_keys "
            'of PackPoseInputs in the evaluation pipeline.')
    img_path = sample.get('img_path', '') or ''
    spacing = normalize_spacing(sample['spacing'],
                                f'{metric_name}: spacing of {img_path}')
    gt = sample['gt_instances']
    visible = np.asarray(gt['keypoints_visible'], dtype=np.float64)
    visible = visible.reshape(visible.shape[0], -1)
    return dict(
        pred=np.asarray(sample['pred_instances']['keypoints'])[0],
        gt=np.asarray(gt['keypoints'])[0],
        mask=visible[0] > 0,
        spacing=np.asarray(spacing),
        img_path=img_path)


def stack_records(results: Sequence[dict]) -> LandmarkArrays:
    """Stack the records of :func:`landmark_record` into arrays.

    Args:
        results (Sequence[dict]): One record per image.

    Returns:
        LandmarkArrays: The arrays.
    """
    pred = np.stack([r['pred'] for r in results])  # (N, K, 2)
    gt = np.stack([r['gt'] for r in results])  # (N, K, 2)
    mask = np.stack([r['mask'] for r in results])  # (N, K)
    spacing = np.stack([r['spacing'] for r in results])  # (N, 2)
    return LandmarkArrays(pred, gt, mask, spacing,
                          [r['img_path'] for r in results])


def signal_record(sample: dict) -> dict:
    """What a data sample's prediction holds of the difficulty signals.

    Args:
        sample (dict): A model output as a dict, with ``pred_instances``.

    Returns:
        dict: ``scores`` (np.ndarray[K], the ``keypoint_scores``) and
        ``coarse`` (np.ndarray[K, 2], the ``coarse_keypoints`` a two-stage
        ``LandmarkCascade`` keeps of its first stage), each where the
        prediction has it.
    """
    pred = sample['pred_instances']
    out = {}
    if pred.get('keypoint_scores') is not None:
        out['scores'] = np.asarray(
            pred['keypoint_scores'], dtype=np.float64)[0]
    if pred.get('coarse_keypoints') is not None:
        out['coarse'] = np.asarray(
            pred['coarse_keypoints'], dtype=np.float64)[0]
    return out


def stack_signals(records: Sequence[dict],
                  arrays: LandmarkArrays) -> Dict[str, np.ndarray]:
    """The difficulty signals of the test predictions, ``[N, K]`` each.

    Args:
        records (Sequence[dict]): :func:`signal_record` of each image.
        arrays (LandmarkArrays): :func:`stack_records` of the same images.

    Returns:
        dict[str, np.ndarray]: ``'confidence'`` (the keypoint scores) and
        ``'refine_shift_mm'`` (:func:`refine_shift_mm` of the coarse and
        the final points), each where every image has it.
    """
    signals = {}
    if records and all('scores' in r for r in records):
        signals['confidence'] = np.stack([r['scores'] for r in records])
    if records and all('coarse' in r for r in records):
        coarse = np.stack([r['coarse'] for r in records])
        signals['refine_shift_mm'] = refine_shift_mm(coarse, arrays.pred,
                                                     arrays.spacing)
    return signals
