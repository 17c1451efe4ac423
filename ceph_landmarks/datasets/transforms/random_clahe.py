"""Random contrast-limited adaptive histogram equalisation (CLAHE)."""
from typing import Optional, Sequence, Tuple

import cv2
import numpy as np
from mmcv.transforms.utils import cache_randomness
from mmpose.registry import TRANSFORMS

from .grey_level_transform import (GreyLevelTransform, check_probability,
                                   check_range)


@TRANSFORMS.register_module()
class RandomCLAHE(GreyLevelTransform):
    """Equalise local contrast with OpenCV's CLAHE, at a random clip limit.

    Bone edges and soft-tissue profiles, where most landmarks lie, differ in
    local contrast between machines; CLAHE evens it out. A grey image
    (2-D, or 3 equal channels as ``LoadImage`` gives for a grey PNG) is
    equalised directly and stays grey; a colour image is equalised on the
    L channel of CIELAB. Pixels do not move, so keypoints are unchanged.

    Required Keys:

        - img (uint8)

    Modified Keys:

        - img

    Args:
        clip_limit (Sequence[float]): Range of the CLAHE clip limit.
            Defaults to (1.0, 3.0).
        tile_grid_size (Sequence[int]): Tiles along (x, y).
            Defaults to (8, 8).
        prob (float): Probability of equalising an image. Defaults to 0.5.

    Examples:
        >>> transform = dict(type='RandomCLAHE', clip_limit=(1, 3), prob=0.5)
    """

    def __init__(self,
                 clip_limit: Sequence[float] = (1.0, 3.0),
                 tile_grid_size: Sequence[int] = (8, 8),
                 prob: float = 0.5) -> None:
        super().__init__()
        self.clip_limit = check_range('clip_limit', clip_limit)
        if len(tile_grid_size) != 2 or min(tile_grid_size) < 1:
            raise ValueError('tile_grid_size must be two positive integers, '
                             f'but got {tile_grid_size!r}')
        self.tile_grid_size: Tuple[int, int] = (int(tile_grid_size[0]),
                                                int(tile_grid_size[1]))
        self.prob = check_probability(prob)

    @cache_randomness
    def _sample(self) -> Optional[float]:
        """Draw a clip limit, or None to leave the image alone."""
        if np.random.rand() >= self.prob:
            return None
        return float(np.random.uniform(*self.clip_limit))

    def _apply(self, img: np.ndarray, params: float) -> np.ndarray:
        """Equalise ``img`` with clip limit ``params``."""
        return equalize_clahe(img, params, self.tile_grid_size)

    def __repr__(self) -> str:
        """Return the transform with its arguments."""
        return (f'{self.__class__.__name__}(clip_limit={self.clip_limit}, '
                f'tile_grid_size={self.tile_grid_size}, prob={self.prob})')


def equalize_clahe(img: np.ndarray, clip_limit: float,
                   tile_grid_size: Tuple[int, int]) -> np.ndarray:
    """Apply CLAHE to a grey or BGR uint8 image.

    Args:
        img (np.ndarray): (H, W) or (H, W, C) uint8 image.
        clip_limit (float): CLAHE clip limit.
        tile_grid_size (tuple[int, int]): Tiles along (x, y).

    Returns:
        np.ndarray: The equalised image, same shape and dtype.
    """
    clahe = cv2.createCLAHE(clipLimit=clip_limit, tileGridSize=tile_grid_size)
    if img.ndim == 2:
        return clahe.apply(img)
    if img.shape[2] == 1:
        return clahe.apply(img[..., 0])[..., None]
    if img.shape[2] == 3 and (np.array_equal(img[..., 0], img[..., 1])
                              and np.array_equal(img[..., 1], img[..., 2])):
        grey = clahe.apply(np.ascontiguousarray(img[..., 0]))
        return np.repeat(grey[..., None], 3, axis=2)
    if img.shape[2] != 3:
        raise ValueError('RandomCLAHE expects a grey or 3-channel image, '
                         f'but got shape {img.shape}')
    lab = cv2.cvtColor(img, cv2.COLOR_BGR2LAB)
    lab[..., 0] = clahe.apply(np.ascontiguousarray(lab[..., 0]))
    return cv2.cvtColor(lab, cv2.COLOR_LAB2BGR)
