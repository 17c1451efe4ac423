"""Landmarks drawn over a cephalogram, for checking a prediction by eye.

Predictions are filled red dots with a label, the ground truth (when given)
filled green dots, and each predicted landmark is joined to its true
position by a yellow error line. With error radii (a calibrated model),
a thin red circle of the landmark's radius is drawn around it: the true
point lies inside with the calibration's probability. Sizes follow the
image size, so the overlay reads the same on a 100 px test image and a
2000 px radiograph.
Drawing is plain OpenCV on a copy of the image (BGR, uint8).

Not MMPose's ``PoseLocalVisualizer``: that one needs mmengine and torch
(it takes a ``PoseDataSample``), which the core and the light runtime
must not import, and it draws no error line from a prediction to its
ground truth.
"""
from typing import Optional, Sequence, Tuple

import cv2
import numpy as np

__all__ = ['PRED_COLOR', 'GT_COLOR', 'ERROR_COLOR', 'draw_landmark_overlay']

Color = Tuple[int, int, int]

#: Colours in BGR order: predicted landmarks, ground truth, error lines.
PRED_COLOR: Color = (0, 0, 255)
GT_COLOR: Color = (0, 200, 0)
ERROR_COLOR: Color = (0, 255, 255)
_TEXT_COLOR: Color = (255, 255, 255)
_OUTLINE_COLOR: Color = (0, 0, 0)


def _as_bgr(image: np.ndarray) -> np.ndarray:
    """A uint8 BGR copy of a grey or BGR image."""
    image = np.asarray(image)
    if image.dtype != np.uint8:
        raise ValueError(f'image must be uint8, but got {image.dtype}')
    if image.ndim == 2 or (image.ndim == 3 and image.shape[2] == 1):
        return cv2.cvtColor(image.reshape(image.shape[:2]), cv2.COLOR_GRAY2BGR)
    if image.ndim == 3 and image.shape[2] == 3:
        return image.copy()
    raise ValueError('image must be [H, W] grey or [H, W, 3] BGR, but got '
                     f'shape {image.shape}')


def _point(xy: np.ndarray) -> Tuple[int, int]:
    return int(round(float(xy[0]))), int(round(float(xy[1])))


def _text(canvas: np.ndarray,
          text: str,
          origin: Tuple[int, int],
          scale: float,
          thickness: int,
          color: Color = _TEXT_COLOR) -> None:
    """Text with a dark outline, readable on bright and dark bone alike."""
    cv2.putText(canvas, text, origin, cv2.FONT_HERSHEY_SIMPLEX, scale,
                _OUTLINE_COLOR, thickness + 2, cv2.LINE_AA)
    cv2.putText(canvas, text, origin, cv2.FONT_HERSHEY_SIMPLEX, scale, color,
                thickness, cv2.LINE_AA)


def _radii(radii_px: Optional[Sequence[Optional[float]]],
           num: int) -> np.ndarray:
    """``[K]`` radii in px; 0 where none (``None``, NaN, not positive)."""
    if radii_px is None:
        return np.zeros(num)
    radii = np.array([np.nan if r is None else float(r) for r in radii_px],
                     dtype=np.float64)
    if radii.shape != (num, ):
        raise ValueError(f'got {len(radii)} radii_px for {num} landmarks')
    return np.where(np.isfinite(radii) & (radii > 0), radii, 0.0)


def draw_landmark_overlay(image: np.ndarray,
                          keypoints: np.ndarray,
                          labels: Optional[Sequence[str]] = None,
                          gt_keypoints: Optional[np.ndarray] = None,
                          gt_visible: Optional[np.ndarray] = None,
                          title: Optional[str] = None,
                          radii_px: Optional[Sequence[Optional[float]]] = None
                          ) -> np.ndarray:
    """Draw predicted (and true) landmarks over an image.

    Args:
        image (np.ndarray): ``[H, W]`` grey or ``[H, W, 3]`` BGR, uint8.
        keypoints (np.ndarray[K, 2]): Predicted landmarks in pixels of
            ``image``.
        labels (Sequence[str], optional): ``K`` labels written beside the
            predictions; ``None`` writes none.
        gt_keypoints (np.ndarray[K, 2], optional): True landmarks, drawn
            with an error line to each prediction.
        gt_visible (np.ndarray[K], optional): Which true landmarks exist;
            defaults to all.
        title (str, optional): A line of text in the top-left corner.
        radii_px (Sequence[float | None], optional): ``K`` error radii in
            pixels of ``image``; each landmark with a finite, positive
            radius gets a thin circle of that radius in the prediction's
            colour (under the labels and dots). ``None`` entries (no
            radius) are skipped.

    Returns:
        np.ndarray: The overlay, ``[H, W, 3]`` BGR uint8 (a new array).

    Raises:
        ValueError: If the image is not uint8 grey/BGR, or the landmark
            arrays (or ``radii_px``) do not have matching shapes.
    """
    canvas = _as_bgr(image)
    keypoints = np.asarray(keypoints, dtype=np.float64)
    if keypoints.ndim != 2 or keypoints.shape[1] != 2:
        raise ValueError('keypoints must have shape [K, 2], but got '
                         f'{keypoints.shape}')
    num = keypoints.shape[0]
    if labels is not None and len(labels) != num:
        raise ValueError(f'got {len(labels)} labels for {num} landmarks')
    radii = _radii(radii_px, num)

    size = max(canvas.shape[:2])
    radius = max(2, int(round(size / 300)))
    line = max(1, radius // 3)
    font = max(0.3, size / 2000)
    font_thickness = max(1, int(round(font * 1.5)))

    if title:  # first, so that no landmark is ever hidden by it
        height = int(round(30 * font)) + 2 * radius
        _text(canvas, title, (radius, height), font, font_thickness)
    visible = np.zeros(num, bool)
    if gt_keypoints is not None:
        gt_keypoints = np.asarray(gt_keypoints, dtype=np.float64)
        if gt_keypoints.shape != keypoints.shape:
            raise ValueError('gt_keypoints must have the shape of keypoints '
                             f'{keypoints.shape}, but got '
                             f'{gt_keypoints.shape}')
        visible = np.ones(num, bool) if gt_visible is None else \
            np.asarray(gt_visible).reshape(-1) > 0
        for k in np.flatnonzero(visible):
            cv2.line(canvas, _point(gt_keypoints[k]), _point(keypoints[k]),
                     ERROR_COLOR, line, cv2.LINE_AA)
    for k in np.flatnonzero(radii > 0):
        cv2.circle(canvas, _point(keypoints[k]), int(round(radii[k])),
                   PRED_COLOR, line, cv2.LINE_AA)
    if labels is not None:
        for k in range(num):
            x, y = _point(keypoints[k])
            _text(canvas, str(labels[k]), (x + radius + 2, y - radius - 2),
                  font, font_thickness)
    # the dots last: they stay visible whatever overlaps them
    for k in np.flatnonzero(visible):
        cv2.circle(canvas, _point(gt_keypoints[k]), radius, GT_COLOR, -1)
    for k in range(num):
        cv2.circle(canvas, _point(keypoints[k]), radius, PRED_COLOR, -1)
    return canvas
