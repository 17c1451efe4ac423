"""Random gamma, contrast and brightness for radiographs."""
from typing import Optional, Sequence

import numpy as np
from mmcv.transforms.utils import cache_randomness
from mmpose.registry import TRANSFORMS

from .grey_level_transform import (GreyLevelTransform, check_probability,
                                   check_range)


@TRANSFORMS.register_module()
class RandomGammaContrast(GreyLevelTransform):
    """Change an X-ray's exposure: gamma, then contrast and brightness.

    Cephalograms from different machines differ in exposure and contrast
    curve, not in colour, so this transform changes only the grey-level
    mapping. With intensities ``x`` scaled to [0, 1] it applies
    ``y = contrast * (x ** gamma - 0.5) + 0.5 + brightness / 255`` through a
    256-entry lookup table, the same for every channel, and clips to
    [0, 255]. It moves no pixel, so keypoints are unchanged; put it after
    ``TopdownAffine`` to work on the smaller, cropped image.

    Required Keys:

        - img (uint8)

    Modified Keys:

        - img

    Args:
        gamma_range (Sequence[float]): Range of the gamma exponent; values
            above 1 darken mid-tones. Defaults to (0.7, 1.5).
        contrast_range (Sequence[float]): Range of the contrast factor
            around mid-grey. Defaults to (0.75, 1.25).
        brightness_delta (float): Largest brightness shift, in grey levels.
            Defaults to 20.
        prob (float): Probability of changing an image. Defaults to 0.8.

    Examples:
        >>> transform = dict(type='RandomGammaContrast', prob=0.8)
    """

    def __init__(self,
                 gamma_range: Sequence[float] = (0.7, 1.5),
                 contrast_range: Sequence[float] = (0.75, 1.25),
                 brightness_delta: float = 20.0,
                 prob: float = 0.8) -> None:
        super().__init__()
        self.gamma_range = check_range('gamma_range', gamma_range)
        self.contrast_range = check_range('contrast_range', contrast_range)
        if not 0.0 <= brightness_delta <= 255.0:
            raise ValueError('brightness_delta must be in [0, 255], but got '
                             f'{brightness_delta}')
        self.brightness_delta = float(brightness_delta)
        self.prob = check_probability(prob)

    @cache_randomness
    def _sample(self) -> Optional[np.ndarray]:
        """Draw one lookup table, or None to leave the image alone."""
        if np.random.rand() >= self.prob:
            return None
        gamma = np.random.uniform(*self.gamma_range)
        contrast = np.random.uniform(*self.contrast_range)
        brightness = np.random.uniform(-self.brightness_delta,
                                       self.brightness_delta)
        return gamma_contrast_table(gamma, contrast, brightness)

    def _apply(self, img: np.ndarray, params: np.ndarray) -> np.ndarray:
        """Map ``img`` through the lookup table ``params``."""
        return params[img]

    def __repr__(self) -> str:
        """Return the transform with its arguments."""
        return (f'{self.__class__.__name__}(gamma_range={self.gamma_range}, '
                f'contrast_range={self.contrast_range}, '
                f'brightness_delta={self.brightness_delta}, '
                f'prob={self.prob})')


def gamma_contrast_table(gamma: float, contrast: float,
                         brightness: float) -> np.ndarray:
    """Build the uint8 lookup table of a gamma/contrast/brightness change.

    Args:
        gamma (float): Gamma exponent (> 0).
        contrast (float): Contrast factor around mid-grey (> 0).
        brightness (float): Shift in grey levels.

    Returns:
        np.ndarray: 256 uint8 values; ``table[x]`` is the new grey level.
    """
    x = np.arange(256, dtype=np.float64) / 255.0
    y = contrast * (x**gamma - 0.5) + 0.5 + brightness / 255.0
    return np.clip(np.rint(y * 255.0), 0, 255).astype(np.uint8)
