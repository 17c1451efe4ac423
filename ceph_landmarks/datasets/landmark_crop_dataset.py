"""One sample per landmark: the training set of the refinement stage."""
from typing import List

from mmpose.registry import DATASETS

from .cephalometric_dataset import CephalometricDataset

__all__ = ['CephalometricCropDataset']


@DATASETS.register_module()
class CephalometricCropDataset(CephalometricDataset):
    """A :class:`CephalometricDataset` with one sample per visible landmark.

    Each image gives one sample for each of its visible landmarks, with
    ``crop_landmark`` set to the landmark's index; the ``LandmarkCrop``
    transform then centres a window near that landmark. All the image's
    landmarks stay in the sample, so every landmark inside the window is
    supervised in its own heatmap channel (those outside get target weight
    0 from MMPose's heatmap encoder). An epoch thus visits every landmark
    of every image once.

    The annotation file, its checks and the arguments are those of
    :class:`CephalometricDataset`.

    Examples:
        >>> dataset = dict(
        ...     type='CephalometricCropDataset',
        ...     landmark_set='isbi2015',
        ...     data_root='data/hamedan/',
        ...     ann_file='annotations/train.json',
        ...     data_prefix=dict(img='images/'),
        ...     pipeline=[dict(type='LoadCephalogram'),
        ...               dict(type='LandmarkCrop', crop_size=0.1)])
    """

    def load_data_list(self) -> List[dict]:
        """Repeat each image's record once per visible landmark.

        Returns:
            list[dict]: The records, each with ``crop_landmark``.
        """
        samples = []
        for info in super().load_data_list():
            for k in (info['keypoints_visible'][0] > 0).nonzero()[0]:
                samples.append(dict(info, crop_landmark=int(k)))
        return samples
