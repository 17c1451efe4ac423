"""The box of the refinement stage: a square window around one landmark."""
from typing import Optional, Sequence, Union

import numpy as np
from mmcv.transforms import BaseTransform
from mmpose.registry import TRANSFORMS

__all__ = ['LandmarkCrop']


@TRANSFORMS.register_module()
class LandmarkCrop(BaseTransform):
    """Set the box to a square window centred near one landmark.

    The refinement stage (see :class:`ceph_landmarks.models.LandmarkCascade`)
    looks at each landmark again in a window of the original image, at
    (near) full resolution. This transform only sets the box; MMPose's
    ``TopdownAffine`` then cuts and resizes it, so keypoints, targets and
    the mapping back to image pixels work as for any top-down model.

    Sizes are fractions of the image's longer side, like the errors of the
    first stage, which sees the whole image at a fixed input size: its
    errors in pixels grow with the image, whatever the pixel spacing (which
    may be unknown at inference).

    The centre is ``crop_center`` when the sample has one (the first
    stage's estimate, at inference), else the true landmark
    ``crop_landmark`` plus a random offset (training). The offset is drawn
    like the first stage's real errors: normal, with the per-landmark,
    per-axis standard deviation ``offset_std`` measured on out-of-fold
    predictions (``tools/crop_offsets.py``), cut at ``max_offset`` so the
    landmark stays inside the window.

    Required Keys:

        - img_shape
        - crop_landmark (int): the landmark the window is for
        - crop_center (optional, ``[2]``) or keypoints (``[1, K, 2]``)

    Added Keys:

        - bbox (``[1, 4]``, the window, xyxy)
        - bbox_score (``[1]``, kept if present)
        - bbox_center (``[1, 2]``)
        - bbox_scale (``[1, 2]``)
        - crop_center (``[2]``, the centre used)

    Args:
        crop_size (float): Side of the window as a fraction of the image's
            longer side. Defaults to 0.1.
        offset_std (float | Sequence, optional): Standard deviation of the
            training offset, as a fraction of the longer side: one number,
            or one ``[sx, sy]`` per landmark. ``None`` or 0: no offset.
        max_offset (float): Largest offset per axis, as a fraction of the
            window side. Defaults to 0.35.

    Examples:
        >>> pipeline = [
        ...     dict(type='LoadCephalogram'),
        ...     dict(type='LandmarkCrop', crop_size=0.1,
        ...          offset_std=[[0.004, 0.005]] * 19),
        ...     dict(type='TopdownAffine', input_size=(128, 128))]
    """

    def __init__(self,
                 crop_size: float = 0.1,
                 offset_std: Optional[Union[float, Sequence]] = None,
                 max_offset: float = 0.35) -> None:
        if not 0 < crop_size <= 1:
            raise ValueError(f'crop_size must be in (0, 1], a fraction of '
                             f'the longer image side, but got {crop_size}')
        if not 0 <= max_offset <= 0.5:
            raise ValueError(f'max_offset must be in [0, 0.5] (a fraction '
                             f'of the window), but got {max_offset}')
        std = np.asarray(
            0.0 if offset_std is None else offset_std, dtype=np.float64)
        if std.ndim == 0:
            std = np.full((1, 2), float(std))
        if std.ndim != 2 or std.shape[1] != 2 or np.any(std < 0) or \
                not np.all(np.isfinite(std)):
            raise ValueError(
                'offset_std must be one non-negative number or one '
                f'[sx, sy] per landmark, but got {offset_std!r}')
        self.crop_size = float(crop_size)
        self.offset_std = std
        self.max_offset = float(max_offset)

    def transform(self, results: dict) -> dict:
        """Set ``bbox_center`` and ``bbox_scale`` for one landmark.

        Args:
            results (dict): The result dict.

        Returns:
            dict: The result dict with the window as box.

        Raises:
            ValueError: If ``offset_std`` has a row count other than 1 or
                the number of landmarks.
        """
        height, width = results['img_shape'][:2]
        side = self.crop_size * max(height, width)
        k = int(results['crop_landmark'])
        if results.get('crop_center') is not None:
            center = np.asarray(results['crop_center'], dtype=np.float64)
        else:
            center = np.asarray(results['keypoints'][0, k], np.float64)
            center = center + self._offset(k, max(height, width), side)
        results['crop_center'] = center.astype(np.float32)
        results['bbox_center'] = center[None].astype(np.float32)
        results['bbox_scale'] = np.full((1, 2), side, dtype=np.float32)
        results['bbox'] = np.concatenate(
            [center - side / 2, center + side / 2])[None].astype(np.float32)
        results.setdefault('bbox_score', np.ones(1, dtype=np.float32))
        return results

    def _offset(self, k: int, longer_side: float, side: float) -> np.ndarray:
        """A random offset in pixels for landmark ``k``."""
        rows = self.offset_std.shape[0]
        if rows != 1 and k >= rows:
            raise ValueError(f'offset_std has {rows} rows, but landmark '
                             f'{k} needs one per landmark (or a single one)')
        std = self.offset_std[0 if rows == 1 else k] * longer_side
        limit = self.max_offset * side
        return np.clip(np.random.normal(0.0, 1.0, 2) * std, -limit, limit)

    def __repr__(self) -> str:
        """Return the transform with its arguments."""
        return (f'{self.__class__.__name__}(crop_size={self.crop_size}, '
                f'offset_std={self.offset_std.tolist()}, '
                f'max_offset={self.max_offset})')
