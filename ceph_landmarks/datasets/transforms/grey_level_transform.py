"""Base of the random grey-level transforms, and their argument checks."""
from typing import Any, Dict, Sequence, Tuple

import numpy as np
from mmcv.transforms import BaseTransform


class GreyLevelTransform(BaseTransform):
    """A random change of grey levels that moves no pixel.

    Subclasses draw their random parameters in ``_sample`` (decorated with
    ``cache_randomness``; ``None`` leaves the image alone) and change the
    image in ``_apply``. Keypoints, boxes and every other key are untouched.
    """

    def _sample(self) -> Any:
        """Draw the parameters of one change, or None for no change."""
        raise NotImplementedError

    def _apply(self, img: np.ndarray, params: Any) -> np.ndarray:
        """Return ``img`` changed with ``params``."""
        raise NotImplementedError

    def transform(self, results: Dict) -> Dict:
        """Change ``results['img']`` (uint8) with freshly drawn parameters.

        Args:
            results (dict): The result dict, with a uint8 ``img``.

        Returns:
            dict: The result dict with the changed image.

        Raises:
            TypeError: If the image is not uint8 (names the file).
        """
        img = results['img']
        if img.dtype != np.uint8:
            raise TypeError(f'{self.__class__.__name__} needs a uint8 image, '
                            f'but {results.get("img_path", "the image")} is '
                            f'{img.dtype}')
        params = self._sample()
        if params is not None:
            results['img'] = self._apply(img, params)
        return results


def check_probability(prob: float) -> float:
    """Return ``prob`` as a float, or raise if it is outside [0, 1]."""
    if not 0.0 <= prob <= 1.0:
        raise ValueError(f'prob must be in [0, 1], but got {prob}')
    return float(prob)


def check_range(name: str,
                value: Sequence[float],
                minimum: float = 0.0) -> Tuple[float, float]:
    """Return a ``(low, high)`` range, or raise naming the bad argument.

    Args:
        name (str): The argument's name, for the error message.
        value (Sequence[float]): Two numbers, ``low <= high``.
        minimum (float): ``low`` must be greater than this.

    Returns:
        tuple[float, float]: ``(low, high)``.
    """
    if len(value) != 2:
        raise ValueError(f'{name} must be (low, high), but got {value!r}')
    low, high = float(value[0]), float(value[1])
    if not minimum < low <= high:
        raise ValueError(
            f'{name} must satisfy {minimum} < low <= high, but got {value!r}')
    return low, high
