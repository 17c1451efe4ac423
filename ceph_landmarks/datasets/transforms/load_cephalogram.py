"""Loading a cephalogram of any bit depth, failing by name on a bad file."""
from typing import Optional

import numpy as np
from mmcv.transforms import BaseTransform
from mmengine import fileio
from mmpose.registry import TRANSFORMS

from ...core.io.image_loading import decode_cephalogram, to_model_input
from ...core.io.loaded_image import ImageReadError

__all__ = ['LoadCephalogram', 'read_cephalogram']


def read_cephalogram(path: str,
                     backend_args: Optional[dict] = None) -> np.ndarray:
    """Read an image file through mmengine's ``fileio`` (local files, or
    any backend ``backend_args`` names) as the model's ``[H, W, 3]`` uint8
    BGR input, by :func:`~ceph_landmarks.core.io.image_loading.
    decode_cephalogram`'s rule.

    Args:
        path (str): Image file (any path or URI mmengine's ``fileio``
            reads).
        backend_args (dict, optional): mmengine file backend arguments, as
            for MMPose's ``LoadImage``. Defaults to None (local files).

    Returns:
        np.ndarray: ``[H, W, 3]`` uint8, BGR.

    Raises:
        ImageReadError: Naming the file and what is wrong.
    """
    try:
        data = fileio.get(path, backend_args=backend_args)
    except OSError as err:
        raise ImageReadError(path, err.strerror or str(err)) from err
    return decode_cephalogram(data, path)


@TRANSFORMS.register_module()
class LoadCephalogram(BaseTransform):
    """Load an image as ``[H, W, 3]`` uint8 BGR, whatever its bit depth.

    Replaces MMPose's ``LoadImage`` in the package's pipelines, with the
    same result for 8-bit files (bit for bit, for PNG) and two differences:

    - Images with more than 8 bits (a 16-bit PNG of 12-bit X-ray data) are
      scaled by their data bit depth instead of losing all but the high
      byte; see :mod:`ceph_landmarks.core.io.image_loading` for the rule.
    - A missing, empty, truncated or otherwise unreadable file raises
      :class:`~ceph_landmarks.core.io.image_io.ImageReadError`
      naming the file and the reason. It never returns ``None``, which
      MMPose's ``BaseDataset`` would silently answer with another sample.

    An image already in ``results['img']`` (as the prediction API passes
    it) goes through the same conversion.

    Required Keys:

        - img_path
        - img (optional)

    Modified Keys:

        - img
        - img_shape
        - ori_shape
        - img_path (``None`` if absent and ``img`` was given)

    Args:
        backend_args (dict, optional): mmengine file backend arguments, as
            for ``LoadImage``. Defaults to None (local files).

    Examples:
        >>> pipeline = [dict(type='LoadCephalogram'),
        ...             dict(type='GetBBoxCenterScale', padding=1.0)]
    """

    def __init__(self, backend_args: Optional[dict] = None) -> None:
        self.backend_args = backend_args

    def transform(self, results: dict) -> dict:
        """Set ``img``, ``img_shape`` and ``ori_shape``.

        Args:
            results (dict): The result dict, with ``img_path`` or ``img``.

        Returns:
            dict: The result dict with the loaded image.

        Raises:
            ImageReadError: If the image cannot be read (names the file).
        """
        if 'img' in results:
            results.setdefault('img_path', None)
            img = to_model_input(results['img'], results['img_path']
                                 or '<array>')
        else:
            img = read_cephalogram(results['img_path'], self.backend_args)
        results['img'] = img
        results['img_shape'] = img.shape[:2]
        results['ori_shape'] = img.shape[:2]
        return results

    def __repr__(self) -> str:
        """Return the transform with its arguments."""
        return (f'{self.__class__.__name__}('
                f'backend_args={self.backend_args})')
