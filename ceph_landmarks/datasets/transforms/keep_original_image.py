"""Keeping the whole loaded image for a second, high-resolution stage."""
from mmcv.transforms import BaseTransform
from mmpose.registry import TRANSFORMS

__all__ = ['KeepOriginalImage']


@TRANSFORMS.register_module()
class KeepOriginalImage(BaseTransform):
    """Keep the loaded image as ``ori_img`` before it is cropped and resized.

    The refinement stage of :class:`ceph_landmarks.models.LandmarkCascade`
    cuts windows from the original image; placed right after the loading
    transform (with ``'ori_img'`` in ``PackPoseInputs``' ``meta_keys``),
    this passes the image to it. :func:`ceph_landmarks.models.cascade_config`
    adds both to a test pipeline.

    Required Keys:

        - img

    Added Keys:

        - ori_img (the same array; the pipeline's later transforms write
          new arrays to ``img``)
    """

    def transform(self, results: dict) -> dict:
        """Add ``ori_img``.

        Args:
            results (dict): The result dict with the loaded ``img``.

        Returns:
            dict: The result dict.
        """
        results['ori_img'] = results['img']
        return results
