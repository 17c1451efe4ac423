"""Heatmaps to points with numpy: MMPose's ``MSRAHeatmap`` decoding.

The runtime decodes the exported networks' heatmaps here, without torch or
MMPose, exactly as ``MSRAHeatmap.decode`` (mmpose 1.3.2,
``mmpose/codecs/msra_heatmap.py``) does in the full stack, so that both give
the same points:

1. the highest value of each heatmap is the landmark's score and its
   integer position the first estimate (a heatmap with no value above 0
   gives ``(-1, -1)``);
2. sub-pixel refinement: with ``unbiased`` (DARK), a Newton step on the log
   of the heatmap after a Gaussian blur of ``blur_kernel_size`` (scaled
   back to its maximum); without, a quarter pixel towards the higher
   neighbour on each axis;
3. heatmap pixels to input pixels by the ratio of the sizes.

The neighbourhood conditions (which points are refined) are MMPose's,
including their asymmetries, because equal points are the contract.
"""
from typing import Tuple

import cv2
import numpy as np

__all__ = [
    'heatmap_maxima', 'refine_quarter_offset', 'refine_dark', 'decode_heatmaps'
]


def heatmap_maxima(heatmaps: np.ndarray) -> Tuple[np.ndarray, np.ndarray]:
    """The integer position and value of each heatmap's maximum.

    Args:
        heatmaps (np.ndarray): ``[K, H, W]``.

    Returns:
        tuple: positions ``[K, 2]`` (x, y; float32, ``-1`` where the
        maximum is not above 0) and values ``[K]``.
    """
    num, height, width = heatmaps.shape
    flat = heatmaps.reshape(num, -1)
    index = np.argmax(flat, axis=1)
    values = flat[np.arange(num), index]
    points = np.stack([index % width, index // width],
                      axis=-1).astype(np.float32)
    points[values <= 0] = -1
    return points, values


def refine_quarter_offset(points: np.ndarray,
                          heatmaps: np.ndarray) -> np.ndarray:
    """Move each point a quarter pixel towards its higher neighbours.

    Args:
        points (np.ndarray): Integer positions ``[K, 2]`` (float32).
        heatmaps (np.ndarray): ``[K, H, W]``.

    Returns:
        np.ndarray: The refined points ``[K, 2]`` (float32).
    """
    _, height, width = heatmaps.shape
    refined = points.copy()
    for k, (x, y) in enumerate(points.astype(int)):
        step = np.zeros(2, np.float32)
        if 1 < x < width - 1 and 0 < y < height:
            step[0] = heatmaps[k, y, x + 1] - heatmaps[k, y, x - 1]
        if 1 < y < height - 1 and 0 < x < width:
            step[1] = heatmaps[k, y + 1, x] - heatmaps[k, y - 1, x]
        refined[k] += np.sign(step) * np.float32(0.25)
    return refined


def _blurred_log(heatmaps: np.ndarray, kernel: int) -> np.ndarray:
    """Each heatmap blurred (zero border), scaled back to its maximum,
    floored at 1e-10 and logged."""
    if kernel % 2 != 1:
        raise ValueError(f'the blur kernel size must be odd, but got {kernel}')
    border = (kernel - 1) // 2
    out = np.empty_like(heatmaps, dtype=np.float32)
    for k, heatmap in enumerate(heatmaps):
        padded = cv2.copyMakeBorder(
            heatmap.astype(np.float32),
            border,
            border,
            border,
            border,
            cv2.BORDER_CONSTANT,
            value=0)
        blurred = cv2.GaussianBlur(padded, (kernel, kernel), 0)[border:-border,
                                                                border:-border]
        with np.errstate(divide='ignore', invalid='ignore'):
            out[k] = blurred * (np.max(heatmap) / np.max(blurred))
    np.maximum(out, 1e-10, out=out)
    return np.log(out)


def refine_dark(points: np.ndarray, heatmaps: np.ndarray,
                blur_kernel_size: int) -> np.ndarray:
    """DARK: a Newton step to the peak of the blurred log-heatmap.

    Args:
        points (np.ndarray): Integer positions ``[K, 2]`` (float32).
        heatmaps (np.ndarray): ``[K, H, W]``.
        blur_kernel_size (int): Odd size of the Gaussian blur.

    Returns:
        np.ndarray: The refined points ``[K, 2]`` (float32); points within
        two pixels of the border, or where the Hessian is singular, are
        kept.
    """
    logs = _blurred_log(heatmaps, blur_kernel_size)
    _, height, width = heatmaps.shape
    refined = points.copy()
    for k, (x, y) in enumerate(points.astype(int)):
        if not (1 < x < width - 2 and 1 < y < height - 2):
            continue
        h = logs[k]
        gradient = np.array(
            [h[y, x + 1] - h[y, x - 1], h[y + 1, x] - h[y - 1, x]]) * 0.5
        dxx = 0.25 * (h[y, x + 2] - 2 * h[y, x] + h[y, x - 2])
        dyy = 0.25 * (h[y + 2, x] - 2 * h[y, x] + h[y - 2, x])
        dxy = 0.25 * (
            h[y + 1, x + 1] - h[y - 1, x + 1] - h[y + 1, x - 1] +
            h[y - 1, x - 1])
        hessian = np.array([[dxx, dxy], [dxy, dyy]])
        if dxx * dyy - dxy**2 != 0:
            refined[k] -= np.linalg.inv(hessian) @ gradient
    return refined


def decode_heatmaps(heatmaps: np.ndarray,
                    codec: dict) -> Tuple[np.ndarray, np.ndarray]:
    """Decode one sample's heatmaps into points in input pixels.

    Args:
        heatmaps (np.ndarray): ``[K, H, W]`` float32 (not changed).
        codec (dict): The manifest's codec: ``input_size`` and
            ``heatmap_size`` (``[w, h]``), ``unbiased`` and
            ``blur_kernel_size``.

    Returns:
        tuple: points ``[K, 2]`` in input pixels (float32) and scores
        ``[K]`` (the heatmap maxima).
    """
    points, scores = heatmap_maxima(heatmaps)
    if codec['unbiased']:
        points = refine_dark(points, heatmaps, codec['blur_kernel_size'])
    else:
        points = refine_quarter_offset(points, heatmaps)
    scale = (np.asarray(codec['input_size'], np.float64) /
             np.asarray(codec['heatmap_size'])).astype(np.float32)
    return points * scale, scores
