"""Boxes of the two stages and the affine warp into a network's input.

What MMPose's test pipeline does with ``GetBBoxCenterScale`` and
``TopdownAffine`` (no rotation, no UDP) and what
``TopdownPoseEstimator.add_pred_to_datasample`` undoes, with numpy and
OpenCV only, in the same float32 arithmetic, so that the runtime cuts the
same pixels and maps points back to the same coordinates:

* the first stage's box is the whole image (centre and size of
  ``[0, 0, W, H]``); the refinement stage's is a square window of
  ``crop_size`` times the longer image side around the first stage's point
  (``ceph_landmarks.datasets.transforms.LandmarkCrop`` at test time);
* a box is widened or heightened to the input's aspect ratio, and the
  image warped into the input by the scale and shift that map the box onto
  it (bilinear, zero outside the image);
* a point in input pixels maps back by ``p / input_size * scale + centre -
  scale / 2``.
"""
from typing import Sequence, Tuple

import cv2
import numpy as np

__all__ = [
    'Box', 'whole_image_box', 'window_box', 'warp_into_input',
    'to_image_pixels'
]

#: A box: centre ``[2]`` and size ``[2]`` (float32), already of the input's
#: aspect ratio.
Box = Tuple[np.ndarray, np.ndarray]


def _fit_aspect(size: np.ndarray, input_size: Sequence[int]) -> np.ndarray:
    """Widen or heighten ``size`` (w, h) to the input's aspect ratio."""
    aspect = input_size[0] / input_size[1]
    width, height = size
    if width > height * aspect:
        return np.array([width, width / aspect], np.float32)
    return np.array([height * aspect, height], np.float32)


def whole_image_box(width: int,
                    height: int,
                    input_size: Sequence[int],
                    padding: float = 1.0) -> Box:
    """The first stage's box: the whole image.

    Args:
        width (int): Image width in pixels.
        height (int): Image height in pixels.
        input_size (Sequence[int]): The network's input ``(w, h)``.
        padding (float): The box's size over the image's
            (``GetBBoxCenterScale``). Defaults to 1.0.

    Returns:
        Box: Centre and size (the image's, fitted to the input's aspect).
    """
    corner = np.array([width, height], np.float32)
    return (corner * np.float32(0.5),
            _fit_aspect(corner * np.float32(padding), input_size))


def window_box(point: np.ndarray, width: int, height: int, crop_size: float,
               input_size: Sequence[int]) -> Box:
    """The refinement stage's box: a square window around a point.

    Args:
        point (np.ndarray): The first stage's point ``[2]`` (image pixels).
        width (int): Image width in pixels.
        height (int): Image height in pixels.
        crop_size (float): Window side as a fraction of the longer side.
        input_size (Sequence[int]): The network's input ``(w, h)``.

    Returns:
        Box: Centre (the point, float32) and size.
    """
    side = np.full(2, crop_size * max(width, height), np.float32)
    return (np.asarray(point, np.float64).astype(np.float32),
            _fit_aspect(side, input_size))


def _warp_matrix(center: np.ndarray, size: np.ndarray,
                 input_size: Sequence[int]) -> np.ndarray:
    """The 2 x 3 matrix that maps the box onto the input (no rotation),
    from three point pairs as MMPose's ``get_warp_matrix`` builds it."""
    in_w, in_h = input_size
    half = float(size[0]) * 0.5
    src = np.array([center, center + (-half, 0.0), center + (-half, half)],
                   np.float32)
    dst = np.array([[in_w * 0.5, in_h * 0.5], [0.0, in_h * 0.5],
                    [0.0, in_h * 0.5 + in_w * 0.5]], np.float32)
    return cv2.getAffineTransform(src, dst)


def warp_into_input(image: np.ndarray, box: Box,
                    input_size: Sequence[int]) -> np.ndarray:
    """Cut a box out of an image at the network's input size.

    Args:
        image (np.ndarray): ``[H, W, 3]`` uint8.
        box (Box): Centre and size, of the input's aspect ratio.
        input_size (Sequence[int]): ``(w, h)``.

    Returns:
        np.ndarray: ``[h, w, 3]`` uint8.
    """
    matrix = _warp_matrix(box[0], box[1], input_size)
    return cv2.warpAffine(
        image,
        matrix, (int(input_size[0]), int(input_size[1])),
        flags=cv2.INTER_LINEAR)


def to_image_pixels(points: np.ndarray, box: Box,
                    input_size: Sequence[int]) -> np.ndarray:
    """Map points from input pixels back to image pixels.

    Args:
        points (np.ndarray): ``[K, 2]`` in input pixels.
        box (Box): The box the input was cut from.
        input_size (Sequence[int]): ``(w, h)``.

    Returns:
        np.ndarray: ``[K, 2]`` in image pixels.
    """
    center, size = box
    return points / np.asarray(input_size) * size + center - 0.5 * size
