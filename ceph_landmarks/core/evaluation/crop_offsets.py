"""The first stage's errors as the training offsets of the second."""
import numpy as np

__all__ = ['relative_error_spread']


def relative_error_spread(pred: np.ndarray, gt: np.ndarray, mask: np.ndarray,
                          image_sizes: np.ndarray) -> np.ndarray:
    """Per-landmark, per-axis spread of the errors, relative to the image.

    The refinement stage learns to correct the first stage only if its
    training windows are off-centre the way the first stage really is.
    This is the root mean square of the signed error per landmark and axis
    (about zero, so a systematic bias widens it), each error divided by its
    image's longer side: the unit of ``LandmarkCrop``'s ``offset_std``.

    Args:
        pred (np.ndarray): Predicted landmarks ``[N, K, 2]`` in pixels.
        gt (np.ndarray): True landmarks ``[N, K, 2]`` in pixels.
        mask (np.ndarray): ``[N, K]``, True where the truth is visible.
        image_sizes (np.ndarray): ``[N, 2]``, each image's
            ``(height, width)``.

    Returns:
        np.ndarray: ``[K, 2]``, the spread along x and y; NaN for a
        landmark never visible.

    Raises:
        ValueError: If the shapes do not agree.

    Examples:
        >>> pred = np.array([[[13., 10.]], [[10., 6.]]])
        >>> gt = np.full((2, 1, 2), 10.)
        >>> relative_error_spread(pred, gt, np.ones((2, 1), bool),
        ...                       np.array([[100, 50], [100, 50]]))
        array([[0.0212132 , 0.02828427]])
    """
    pred = np.asarray(pred, dtype=np.float64)
    gt = np.asarray(gt, dtype=np.float64)
    mask = np.asarray(mask, dtype=bool)
    sizes = np.asarray(image_sizes, dtype=np.float64)
    if pred.shape != gt.shape or pred.ndim != 3 or pred.shape[2] != 2 \
            or mask.shape != pred.shape[:2] \
            or sizes.shape != (pred.shape[0], 2):
        raise ValueError(
            f'expected pred and gt [N, K, 2], mask [N, K] and image_sizes '
            f'[N, 2], but got {pred.shape}, {gt.shape}, {mask.shape} and '
            f'{sizes.shape}')
    longer = sizes.max(axis=1)[:, None, None]
    rel = (pred - gt) / longer
    squares = np.where(mask[..., None], rel**2, 0.0).sum(axis=0)
    counts = mask.sum(axis=0)[:, None]
    with np.errstate(invalid='ignore', divide='ignore'):
        return np.sqrt(squares / counts)
