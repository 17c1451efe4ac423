"""COCO-style dataset of lateral cephalograms with per-image pixel spacing."""
import math
from collections import Counter
from typing import List, Optional, Tuple

import numpy as np
from mmengine.fileio import exists
from mmpose.datasets.datasets.base import BaseCocoStyleDataset
from mmpose.registry import DATASETS

from ..metainfo import get_landmark_set


@DATASETS.register_module()
class CephalometricDataset(BaseCocoStyleDataset):
    """Cephalometric landmarks in the package's COCO-style JSON.

    The annotation file is COCO keypoint JSON with one annotation (one skull)
    per image; each image entry carries ``spacing``, the pixel size in mm/px
    (a number, or ``[sx, sy]``). The box defaults to the whole image when an
    annotation has no ``bbox``. Missing landmarks are kept with visibility 0:
    they are excluded from the loss and from the metric.

    Loading validates every record and raises ``ValueError`` naming the
    annotation file and the image for: a keypoint count different from the
    landmark set, a non-finite coordinate, a missing or non-positive
    spacing, a missing image file, and an image with no or several
    annotations.

    Args:
        landmark_set (str): Name of a landmark set shipped with the package
            (see :func:`ceph_landmarks.metainfo.list_landmark_sets`), used
            when ``metainfo`` is not given. Defaults to ``'isbi2015'``.
        metainfo (dict, optional): Explicit MMPose metainfo; overrides
            ``landmark_set``.
        **kwargs: Passed to :class:`BaseCocoStyleDataset` (``ann_file``,
            ``data_root``, ``data_prefix``, ``pipeline``, ``test_mode``...).

    Examples:
        >>> dataset = dict(
        ...     type='CephalometricDataset',
        ...     landmark_set='isbi2015',
        ...     data_root='data/synthetic/',
        ...     ann_file='annotations/train.json',
        ...     data_prefix=dict(img='images/'),
        ...     pipeline=[])
    """

    def __init__(self,
                 landmark_set: str = 'isbi2015',
                 metainfo: Optional[dict] = None,
                 **kwargs) -> None:
        if metainfo is None:
            metainfo = get_landmark_set(landmark_set)
        super().__init__(metainfo=metainfo, **kwargs)

    def _error(self, img: dict, message: str) -> ValueError:
        return ValueError(f'{self.ann_file}: image id {img.get("id")} '
                          f'({img.get("file_name")}): {message}')

    def _load_annotations(self) -> Tuple[List[dict], List[dict]]:
        """Load the JSON and check that each image has exactly one skull."""
        instance_list, image_list = super()._load_annotations()
        counts = Counter(inst['img_id'] for inst in instance_list)
        for img in image_list:
            if counts[img['img_id']] != 1:
                raise self._error(
                    img, f'expected exactly one annotation, but found '
                    f'{counts[img["img_id"]]}')
        return instance_list, image_list

    def parse_data_info(self, raw_data_info: dict) -> dict:
        """Parse and validate the annotation of one cephalogram.

        Args:
            raw_data_info (dict): ``raw_ann_info`` (the COCO annotation) and
                ``raw_img_info`` (the COCO image entry with ``img_path``).

        Returns:
            dict: MMPose data info with ``bbox`` ([1, 4], xyxy),
            ``keypoints`` ([1, K, 2]), ``keypoints_visible`` ([1, K]) and
            ``spacing`` (float or [sx, sy]).
        """
        ann = raw_data_info['raw_ann_info']
        img = raw_data_info['raw_img_info']
        num_landmarks = self.metainfo['num_keypoints']

        raw = np.asarray(ann.get('keypoints', []), dtype=np.float64)
        if raw.size % 3 or raw.size // 3 != num_landmarks:
            raise self._error(
                img, f'has {raw.size / 3:g} keypoints, but the landmark set '
                f'{self.metainfo["dataset_name"]!r} has {num_landmarks}')
        raw = raw.reshape(1, num_landmarks, 3)
        if not np.all(np.isfinite(raw)):
            bad = [
                self.metainfo['keypoint_id2name'][k]
                for k in np.flatnonzero(~np.isfinite(raw[0]).all(axis=1))
            ]
            raise self._error(img, f'non-finite coordinates for {bad}')

        spacing = self._parse_spacing(img)
        if not exists(img['img_path']):
            raise self._error(img,
                              f'image file {img["img_path"]} does not exist')

        width, height = img['width'], img['height']
        if 'bbox' in ann:
            x, y, w, h = ann['bbox']
        else:
            x, y, w, h = 0, 0, width, height
        bbox = np.array([[x, y, x + w, y + h]], dtype=np.float32)

        keypoints_visible = np.minimum(1, raw[..., 2]).astype(np.float32)
        return {
            'img_id': ann['image_id'],
            'img_path': img['img_path'],
            'bbox': bbox,
            'bbox_score': np.ones(1, dtype=np.float32),
            'num_keypoints': int(np.count_nonzero(keypoints_visible)),
            'keypoints': raw[..., :2].astype(np.float32),
            'keypoints_visible': keypoints_visible,
            'area': np.array(w * h, dtype=np.float32),
            'iscrowd': ann.get('iscrowd', 0),
            'id': ann['id'],
            'category_id': np.array(ann.get('category_id', 1)),
            'spacing': spacing,
            'raw_ann_info': ann,
        }

    def _parse_spacing(self, img: dict):
        """Return the image's spacing as a float or ``[sx, sy]``."""
        if 'spacing' not in img:
            raise self._error(img, "has no 'spacing' (mm per pixel)")
        try:
            values = np.atleast_1d(
                np.asarray(img['spacing'], dtype=np.float64))
        except (TypeError, ValueError):
            values = np.array([np.nan])
        if values.size not in (1, 2) or not all(
                math.isfinite(v) and v > 0 for v in values):
            raise self._error(
                img, 'spacing must be one positive number or [sx, sy], but '
                f'got {img["spacing"]!r}')
        return float(values[0]) if values.size == 1 else values.tolist()
