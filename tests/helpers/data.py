"""Datasets written for the tests: variants of the synthetic ``tiny_data``
with more landmarks than its 19."""
import json
import os
import os.path as osp

from ceph_landmarks.core.metainfo import landmark_names


def write_landmark_variant(src_root: str, dst_root: str,
                           landmark_set: str) -> str:
    """Copy a 19-landmark synthetic dataset with extra landmarks appended.

    Extra landmark ``j`` (0-based after the 19) is the midpoint of
    landmarks ``j % 19`` and ``(j + 1) % 19``, so it lies inside the skull
    and inside the image. Images are linked, not copied.

    Args:
        src_root (str): Dataset written by ``write_synthetic_split``
            (``annotations/{train,val}.json``, ``images/``).
        dst_root (str): New dataset folder.
        landmark_set (str): Landmark set of the new dataset; its first 19
            landmarks must be the ISBI ones.

    Returns:
        str: ``dst_root``.
    """
    names = landmark_names(landmark_set)
    os.makedirs(osp.join(dst_root, 'annotations'), exist_ok=True)
    if not osp.exists(osp.join(dst_root, 'images')):
        os.symlink(osp.join(src_root, 'images'), osp.join(dst_root, 'images'))
    for split in ('train', 'val'):
        with open(osp.join(src_root, 'annotations', f'{split}.json')) as f:
            coco = json.load(f)
        for ann in coco['annotations']:
            points = [ann['keypoints'][3 * i:3 * i + 3] for i in range(19)]
            for j in range(len(names) - 19):
                a, b = points[j % 19], points[(j + 1) % 19]
                points.append([(a[0] + b[0]) / 2, (a[1] + b[1]) / 2, 2])
            ann['keypoints'] = [v for p in points for v in p]
            ann['num_keypoints'] = len(names)
        for cat in coco['categories']:
            cat['keypoints'] = names
        with open(osp.join(dst_root, 'annotations', f'{split}.json'),
                  'w') as f:
            json.dump(coco, f)
    return dst_root
