"""COCO-style dataset of lateral cephalograms with per-image pixel spacing."""
import os.path as osp
from typing import List, Optional, Tuple

import numpy as np
from mmengine.fileio import exists
from mmengine.logging import print_log
from mmpose.datasets.datasets.base import BaseCocoStyleDataset
from mmpose.registry import DATASETS

from ..core.io.annotations import (check_annotated_image, image_source,
                                   read_coco_file, spacing_value)
from ..core.metainfo import get_landmark_set
from .image_cache import ImageCache


@DATASETS.register_module()
class CephalometricDataset(BaseCocoStyleDataset):
    """Cephalometric landmarks in the package's COCO-style JSON.

    The annotation file is COCO keypoint JSON with one annotation (one skull)
    per image; each image entry carries ``width``, ``height`` and
    ``spacing``, the pixel size in mm/px (a number, or ``[sx, sy]``). The
    box defaults to the whole image when an annotation has no ``bbox``.
    Missing landmarks are kept with visibility 0: they are excluded from the
    loss and from the metric. Every image of the file is kept (MMPose would
    drop one whose landmarks are all missing).

    Loading checks the whole file against the annotation contract
    (:mod:`ceph_landmarks.core.io.annotations`: JSON structure, at least
    one image, unique ids and file names, one annotation per image, size,
    spacing, keypoint count, finite coordinates, visible landmarks inside
    the image) and that every image file exists, raising ``ValueError``
    naming the annotation file and the image.

    Args:
        landmark_set (str): Name of a landmark set shipped with the package
            (see :func:`ceph_landmarks.core.metainfo.list_landmark_sets`), used
            when ``metainfo`` is not given. Defaults to ``'isbi2015'``.
        metainfo (dict, optional): Explicit MMPose metainfo; overrides
            ``landmark_set``.
        cache_images (bool): Decode every image once when the dataset is
            built and give each sample its pixels in ``img`` (which
            ``LoadCephalogram`` takes instead of reading the file); see
            :mod:`ceph_landmarks.datasets.image_cache` for the memory it
            takes (logged) and how DataLoader workers share it. Defaults
            to False.
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
                 cache_images: bool = False,
                 **kwargs) -> None:
        if metainfo is None:
            metainfo = get_landmark_set(landmark_set)
        self.cache_images = cache_images
        self._image_cache: Optional[ImageCache] = None
        super().__init__(metainfo=metainfo, **kwargs)

    def full_init(self) -> None:
        """Load the annotations, then (``cache_images``) decode the images.

        Runs where the dataset is built, in the main process before the
        DataLoader's workers start (unless ``lazy_init``: then in the
        process of the first access).
        """
        super().full_init()
        if self.cache_images and self._image_cache is None:
            self._image_cache = ImageCache(
                self.get_data_info(i)['img_path'] for i in range(len(self)))
            print_log(
                f'{type(self).__name__} ({self.ann_file}): '
                f'{len(self._image_cache)} images decoded into memory, '
                f'{self._image_cache.nbytes / 2**20:.1f} MiB (cache_images; '
                'shared by forked DataLoader workers)',
                logger='current')

    def get_data_info(self, idx: int) -> dict:
        """The data info of sample ``idx``, with its decoded image in
        ``img`` once the image cache is built."""
        info = super().get_data_info(idx)
        if self._image_cache is not None:
            info['img'] = self._image_cache.get(info['img_path'])
        return info

    def _load_annotations(self) -> Tuple[List[dict], List[dict]]:
        """Read and check the annotation file, then parse each image.

        Replaces MMPose's xtcocotools loading, which would keep the last of
        two images sharing an id and fail on a broken file with a bare
        traceback.

        Returns:
            tuple[list[dict], list[dict]]: The instances (one per image, see
            :meth:`parse_data_info`) and the image entries with ``img_id``
            and ``img_path``.
        """
        coco = read_coco_file(self.ann_file)
        if coco.categories:
            self._metainfo['CLASSES'] = coco.categories
        instance_list, image_list = [], []
        for image, ann in coco.pairs:
            if image['id'] % self.sample_interval:
                continue  # MMPose's ``sample_interval`` option
            img = dict(
                image,
                img_id=image['id'],
                img_path=osp.join(self.data_prefix['img'], image['file_name']))
            image_list.append(img)
            instance_list.append(
                self.parse_data_info(dict(raw_ann_info=ann, raw_img_info=img)))
        return instance_list, image_list

    def _get_topdown_data_infos(self, data_list: List[dict]) -> List[dict]:
        """Keep every image: all are checked, and one whose landmarks are
        all missing still counts (MMPose's filter would drop it
        silently)."""
        return data_list

    def parse_data_info(self, raw_data_info: dict) -> dict:
        """Check and parse the annotation of one cephalogram.

        Args:
            raw_data_info (dict): ``raw_ann_info`` (the COCO annotation) and
                ``raw_img_info`` (the COCO image entry with ``img_path``).

        Returns:
            dict: MMPose data info with ``bbox`` ([1, 4], xyxy),
            ``keypoints`` ([1, K, 2]), ``keypoints_visible`` ([1, K]) and
            ``spacing`` (float or [sx, sy]).

        Raises:
            ValueError: If the record breaks the annotation contract or the
                image file does not exist.
        """
        ann = raw_data_info['raw_ann_info']
        img = raw_data_info['raw_img_info']
        id2name = self.metainfo['keypoint_id2name']
        record = check_annotated_image(img, ann,
                                       self.metainfo['num_keypoints'],
                                       [id2name[k] for k in sorted(id2name)],
                                       self.ann_file)
        if not exists(img['img_path']):
            raise ValueError(f'{image_source(self.ann_file, img)}: image '
                             f'file {img["img_path"]} does not exist')

        width, height = img['width'], img['height']
        if 'bbox' in ann:
            x, y, w, h = ann['bbox']
        else:
            x, y, w, h = 0, 0, width, height
        bbox = np.array([[x, y, x + w, y + h]], dtype=np.float32)

        keypoints_visible = record.visible[None].astype(np.float32)
        return {
            'img_id': ann['image_id'],
            'img_path': img['img_path'],
            'bbox': bbox,
            'bbox_score': np.ones(1, dtype=np.float32),
            'num_keypoints': int(np.count_nonzero(keypoints_visible)),
            'keypoints': record.keypoints[None].astype(np.float32),
            'keypoints_visible': keypoints_visible,
            'area': np.array(w * h, dtype=np.float32),
            'iscrowd': ann.get('iscrowd', 0),
            'id': ann['id'],
            'category_id': np.array(ann.get('category_id', 1)),
            'spacing': spacing_value(record.spacing),
            'raw_ann_info': ann,
        }
