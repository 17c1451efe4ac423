"""Made-up bad inputs for the quality check, and its verdicts on them.

A calibrated model must not trust an image that is not a lateral
cephalogram in the expected orientation. Each :data:`BAD_INPUTS` entry
turns a real X-ray into such an input (turned, mirrored, grey levels
inverted, half of it, heavy noise); :func:`sample_pictures` adds the
photographs and pictures matplotlib ships as sample data (offline).
:func:`verdict_table` counts the quality check's verdicts on each.
"""
import collections
from typing import Callable, Dict, Iterator, List, Optional, Sequence, Tuple

import cv2
import numpy as np

from ..core.io.inputs import load_image
from ..core.log import get_logger

__all__ = ['BAD_INPUTS', 'NOISE_SD', 'sample_pictures', 'verdict_table']

#: Standard deviation of the "heavy noise" input, in grey levels (0-255).
NOISE_SD = 80.0

Variant = Callable[[np.ndarray, np.random.Generator], np.ndarray]


def _noisy(image: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    noise = rng.normal(0.0, NOISE_SD, image.shape)
    return np.clip(image.astype(np.float64) + noise, 0, 255).astype(np.uint8)


#: Name to a function of an 8-bit image (and a seeded generator) giving
#: the altered image; ``'the X-ray as it is'`` first, as the reference.
BAD_INPUTS: Dict[str, Variant] = {
    'the X-ray as it is': lambda im, rng: im,
    'rotated 90 degrees':
    lambda im, rng: cv2.rotate(im, cv2.ROTATE_90_CLOCKWISE),
    'rotated 180 degrees': lambda im, rng: cv2.rotate(im, cv2.ROTATE_180),
    'mirrored': lambda im, rng: np.ascontiguousarray(im[:, ::-1]),
    'grey levels inverted': lambda im, rng: 255 - im,
    'top half only': lambda im, rng: im[:im.shape[0] // 2].copy(),
    'bottom half only': lambda im, rng: im[im.shape[0] // 2:].copy(),
    f'heavy noise (Gaussian, SD {NOISE_SD:g} grey levels)': _noisy,
}

#: The sample images of matplotlib used as photographs and pictures.
SAMPLE_PICTURES = ('grace_hopper.jpg', 'Minduka_Present_Blue_Pack.png',
                   'logo2.png')


def sample_pictures() -> Iterator[Tuple[str, np.ndarray]]:
    """The photographs and pictures matplotlib ships, as 8-bit BGR images.

    Yields:
        tuple[str, np.ndarray]: ``(name, image)``; a picture matplotlib
        does not have (another version, or matplotlib absent) is skipped
        with a warning.
    """
    try:
        from matplotlib import cbook
    except ImportError:
        get_logger().warning('matplotlib is not installed: no photographs '
                             'among the bad inputs')
        return
    for name in SAMPLE_PICTURES:
        try:
            path = cbook.get_sample_data(name, asfileobj=False)
        except (OSError, ValueError) as err:
            get_logger().warning('no matplotlib sample picture %s (%s)', name,
                                 err)
            continue
        yield name, load_image(str(path))


def verdict_table(
    predict: Callable[[np.ndarray], Optional[str]],
    images: Sequence[str],
    seed: int = 0,
    pictures: bool = True
) -> Tuple[Dict[str, Dict[str, int]], List[Tuple[str, str, str]]]:
    """Count the quality check's verdicts on every bad input.

    Args:
        predict (callable): An 8-bit BGR image to its verdict (``'ok'``,
            ``'review'``, ``'refuse'``, or ``None`` when nothing was
            checked), e.g. a calibrated ``LandmarkPredictor``'s
            ``predict(image).quality.verdict``.
        images (Sequence[str]): Real X-rays, each altered in every way of
            :data:`BAD_INPUTS`.
        seed (int): Seed of the noise.
        pictures (bool): Also predict :func:`sample_pictures`.

    Returns:
        tuple: The table, input name to verdict counts (``ok``,
        ``review``, ``refuse``, ``not checked``), in the order of
        :data:`BAD_INPUTS` then the pictures; and the bad inputs judged
        ``ok`` (or not checked) as ``(input, image, verdict)``.
    """
    rng = np.random.default_rng(seed)
    table: Dict[str, collections.Counter] = {
        name: collections.Counter()
        for name in BAD_INPUTS
    }
    missed = []
    for path in images:
        image = load_image(path)
        for name, variant in BAD_INPUTS.items():
            verdict = predict(variant(image, rng)) or 'not checked'
            table[name][verdict] += 1
            if verdict in ('ok', 'not checked') and \
                    name != 'the X-ray as it is':
                missed.append((name, path, verdict))
    if pictures:
        for name, image in sample_pictures():
            verdict = predict(image) or 'not checked'
            table[f'picture {name}'] = collections.Counter([verdict])
            if verdict in ('ok', 'not checked'):
                missed.append((f'picture {name}', name, verdict))
    keys = ('ok', 'review', 'refuse', 'not checked')
    return {
        name: {
            k: counts.get(k, 0)
            for k in keys
        }
        for name, counts in table.items()
    }, missed
