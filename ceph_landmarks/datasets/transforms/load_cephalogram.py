"""Loading a cephalogram of any bit depth, failing by name on a bad file."""
from typing import Optional

from mmcv.transforms import BaseTransform
from mmpose.registry import TRANSFORMS

from ..image_loading import load_cephalogram, to_model_input


@TRANSFORMS.register_module()
class LoadCephalogram(BaseTransform):
    """Load an image as ``[H, W, 3]`` uint8 BGR, whatever its bit depth.

    Replaces MMPose's ``LoadImage`` in the package's pipelines, with the
    same result for 8-bit files (bit for bit, for PNG) and two differences:

    - Images with more than 8 bits (a 16-bit PNG of 12-bit X-ray data) are
      scaled by their data bit depth instead of losing all but the high
      byte; see :mod:`ceph_landmarks.datasets.image_loading` for the rule.
    - A missing, empty, truncated or otherwise unreadable file raises
      :class:`~ceph_landmarks.datasets.image_io.ImageReadError`
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
            img = load_cephalogram(results['img_path'], self.backend_args)
        results['img'] = img
        results['img_shape'] = img.shape[:2]
        results['ori_shape'] = img.shape[:2]
        return results

    def __repr__(self) -> str:
        """Return the transform with its arguments."""
        return (f'{self.__class__.__name__}('
                f'backend_args={self.backend_args})')
