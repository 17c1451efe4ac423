"""CephalometricDataset: loading, spacing, whole-image box and validation."""
import copy
import json
import os.path as osp

import numpy as np
import pytest
from mmpose.registry import DATASETS

from ceph_landmarks.datasets import CephalometricDataset


def build_dataset(root: str, coco: dict, **kwargs) -> CephalometricDataset:
    ann_file = osp.join(root, 'annotations', 'case.json')
    with open(ann_file, 'w') as f:
        json.dump(coco, f)
    cfg = dict(
        type='CephalometricDataset',
        data_root=root,
        ann_file='annotations/case.json',
        data_prefix=dict(img='images/'),
        pipeline=[],
        test_mode=True)
    cfg.update(kwargs)
    return DATASETS.build(cfg)


@pytest.fixture
def coco(tiny_data):
    with open(osp.join(tiny_data, 'annotations', 'val.json')) as f:
        return json.load(f)


def check_data_info_keys(info: dict) -> None:
    for key in ('img_path', 'bbox', 'keypoints', 'keypoints_visible',
                'spacing', 'id', 'img_id'):
        assert key in info, key


def test_loads_with_spacing_and_names(tiny_data, coco):
    dataset = build_dataset(tiny_data, coco)
    assert len(dataset) == 4
    assert dataset.metainfo['num_keypoints'] == 19
    assert dataset.metainfo['keypoint_id2name'][0] == 'sella'
    assert dataset.metainfo['keypoint_id2name'][18] == 'articulare'
    info = dataset.get_data_info(0)
    check_data_info_keys(info)
    assert info['spacing'] == pytest.approx(0.1)
    assert info['keypoints'].shape == (1, 19, 2)
    assert info['keypoints_visible'].shape == (1, 19)


def test_bbox_defaults_to_whole_image(tiny_data, coco):
    for ann in coco['annotations']:
        del ann['bbox']
    dataset = build_dataset(tiny_data, coco)
    img = coco['images'][0]
    np.testing.assert_allclose(
        dataset.get_data_info(0)['bbox'],
        [[0, 0, img['width'], img['height']]])


def test_missing_landmark_kept_invisible(tiny_data, coco):
    coco['annotations'][0]['keypoints'][3 * 5:3 * 6] = [0, 0, 0]
    dataset = build_dataset(tiny_data, coco)
    info = dataset.get_data_info(0)
    assert info['keypoints_visible'][0, 5] == 0
    assert info['keypoints_visible'][0].sum() == 18


@pytest.mark.parametrize(
    'mutate, message', [
        (lambda c: c['annotations'][1].update(keypoints=c['annotations'][1][
            'keypoints'][:-3]),
         r'image id 2 \(val_0001.png\): has 18 keypoints, but expected 19'),
        (lambda c: c['annotations'][0]['keypoints'].__setitem__(
            3, float('nan')),
         r"image id 1 \(val_0000.png\): non-finite coordinates for "
         r"\['nasion'\]"),
        (lambda c: c['images'][2].pop('spacing'),
         r"image id 3 \(val_0002.png\): has no 'spacing'"),
        (lambda c: c['images'][2].update(spacing=-0.1),
         r'image id 3 \(val_0002.png\): spacing must be one positive number '
         r'\(mm/px\) or \(sx, sy\), but got -0.1'),
        (lambda c: c['images'][2].update(spacing='abc'),
         r"spacing must be .* but got 'abc'"),
        (lambda c: c['images'][3].update(file_name='absent.png'),
         r'image id 4 \(absent.png\): image file .*absent.png does not '
         r'exist'),
        (lambda c: c['annotations'].pop(1),
         r'image id 2 \(val_0001.png\): expected exactly one annotation, '
         r'but found 0'),
        (lambda c: c['annotations'].append(
            dict(copy.deepcopy(c['annotations'][0]), id=99)),
         r'image id 1 \(val_0000.png\): expected exactly one annotation, '
         r'but found 2'),
    ],
    ids=[
        'keypoint-count', 'non-finite', 'no-spacing', 'negative-spacing',
        'bad-spacing', 'missing-image', 'no-annotation', 'two-annotations'
    ])
def test_validation_errors_name_file_and_image(tiny_data, coco, mutate,
                                               message):
    mutate(coco)
    with pytest.raises(ValueError, match=message) as err:
        build_dataset(tiny_data, coco)
    assert 'case.json' in str(err.value)


def test_unknown_landmark_set(tiny_data, coco):
    with pytest.raises(KeyError, match="Unknown landmark set 'nope'"):
        build_dataset(tiny_data, coco, landmark_set='nope')
