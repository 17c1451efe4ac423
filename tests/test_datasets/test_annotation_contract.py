"""The annotation contract: one set of rules for every entry point.

The dataset (training and testing) and the ground truth of
``tools/infer.py --ann-file`` must accept and refuse the same annotation
files with the same message; every tool must read the same spacing CSV.
"""
import json
import os.path as osp
import re

import numpy as np
import pytest
from mmpose.registry import DATASETS

import ceph_landmarks.apis as apis
from ceph_landmarks.apis import load_ground_truth
from ceph_landmarks.core.conversion import (collect_landmarks, labelme_samples,
                                            points_outside_image)
from ceph_landmarks.core.conversion.aariz import aariz_samples
from ceph_landmarks.core.io import annotations
from ceph_landmarks.core.io.annotations import (load_annotations,
                                                lookup_spacing,
                                                normalize_spacing,
                                                outside_image,
                                                read_spacing_csv,
                                                spacing_value)
from ceph_landmarks.core.metainfo import landmark_names
from data_converters import aariz as aariz_cli
from data_converters import labelme as labelme_cli

NAMES = landmark_names('isbi2015')


@pytest.fixture
def coco(tiny_data):
    """The 4-image validation file of the synthetic data set."""
    with open(osp.join(tiny_data, 'annotations', 'val.json')) as f:
        return json.load(f)


def write(tmp_path, content, name='ann.json') -> str:
    path = tmp_path / name
    path.write_text(
        content if isinstance(content, str) else json.dumps(content))
    return str(path)


def build_dataset(tiny_data, ann_file):
    return DATASETS.build(
        dict(
            type='CephalometricDataset',
            data_root=tiny_data,
            ann_file=ann_file,
            data_prefix=dict(img='images/'),
            pipeline=[],
            test_mode=True))


def both_errors(tiny_data, ann_file, error=ValueError):
    """The errors of the dataset and of the inference ground truth."""
    with pytest.raises(error) as from_dataset:
        build_dataset(tiny_data, ann_file)
    with pytest.raises(error) as from_ground_truth:
        load_ground_truth(ann_file, len(NAMES), NAMES)
    return str(from_dataset.value), str(from_ground_truth.value)


def set_point(coco, index, landmark, xyv):
    coco['annotations'][index]['keypoints'][3 * landmark:3 * landmark +
                                            3] = xyv


# mutation of the valid file -> message after the file path
REFUSED = {
    'duplicated-image-id':
    (lambda c: c['images'][1].update(id=1),
     "image id 1 is used 2 times, by 'val_0000.png', 'val_0001.png'; each "
     'must be unique'),
    'duplicated-annotation-id':
    (lambda c: c['annotations'][1].update(id=1),
     'annotation id 1 is used 2 times, by an annotation of image id 1, an '
     'annotation of image id 2; each must be unique'),
    'duplicated-file-name':
    (lambda c: c['images'][1].update(file_name='val_0000.png'),
     "file name 'val_0000.png' is used 2 times, by image id 1, image id 2; "
     'each must be unique'),
    'annotation-of-no-image':
    (lambda c: c['annotations'][3].update(image_id=99),
     'annotation id 4 refers to image id 99, which is not in "images"'),
    'keypoint-outside-image':
    (lambda c: set_point(c, 0, 0, [-500, 9999, 2]),
     'image id 1 (val_0000.png): landmark(s) outside the 97 x 120 image: '
     'sella at (-500, 9999)'),
    'no-images':
    (lambda c: c.update(images=[], annotations=[]),
     'no images; an annotation file needs at least one annotated image'),
    'width-zero':
    (lambda c: c['images'][2].update(width=0),
     'image id 3 (val_0002.png): width and height must be positive '
     'integers (pixels), but got 0 x 120'),
    'visibility-3':
    (lambda c: set_point(c, 1, 4, [10, 10, 3]),
     'image id 2 (val_0001.png): visibility must be 0, 1 or 2, but got '
     "[3.0] for ['subspinale']"),
    'empty-bbox':
    (lambda c: c['annotations'][0].update(bbox=[0, 0, 0, 120]),
     'image id 1 (val_0000.png): bbox must be [x, y, w, h] with w > 0 and '
     'h > 0, but got [0, 0, 0, 120]'),
    'no-spacing':
    (lambda c: c['images'][0].pop('spacing'),
     "image id 1 (val_0000.png): has no 'spacing' (mm per pixel)"),
}


@pytest.mark.parametrize('case', list(REFUSED))
def test_dataset_and_ground_truth_refuse_alike(tiny_data, coco, tmp_path,
                                               case):
    mutate, message = REFUSED[case]
    mutate(coco)
    ann_file = write(tmp_path, coco)
    from_dataset, from_ground_truth = both_errors(tiny_data, ann_file)
    assert from_dataset == f'{ann_file}: {message}'
    assert from_ground_truth == from_dataset


@pytest.mark.parametrize(
    'content, message',
    [('{"images": [', r': not a JSON file \(Expecting value: line 1 '),
     ('[1, 2]', ': expected a COCO keypoint JSON object with "images" and '
      '"annotations" lists, but got list'),
     ('{"images": []}', ': expected a COCO keypoint JSON object with '
      r'"images" and "annotations" lists, but got \[\'images\'\]'),
     ('{"images": [{"id": "1"}], "annotations": []}',
      r": images\[0\] must be an object with 'id' \(int\), 'file_name' "
      r"\(str\), but got \{'id': '1'\}")],
    ids=['not-json', 'list', 'no-annotations', 'string-id'])
def test_broken_file_is_one_clear_error(tiny_data, tmp_path, content, message):
    ann_file = write(tmp_path, content)
    from_dataset, from_ground_truth = both_errors(tiny_data, ann_file)
    assert from_dataset.startswith(ann_file)
    assert from_dataset == from_ground_truth
    assert re.search(message, from_dataset), from_dataset


def test_missing_file(tiny_data, tmp_path):
    ann_file = str(tmp_path / 'absent.json')
    with pytest.raises(FileNotFoundError, match='absent.json: no such '):
        load_annotations(ann_file, 19)
    with pytest.raises(FileNotFoundError, match='absent.json'):
        build_dataset(tiny_data, ann_file)


def test_valid_file_is_read_alike(tiny_data, coco, tmp_path):
    set_point(coco, 0, 3, [0, 0, 0])  # a missing landmark may sit at (0, 0)
    set_point(coco, 0, 5, [97, 120, 2])  # the far pixel edge is inside
    coco['images'][1]['spacing'] = [0.1, 0.2]
    ann_file = write(tmp_path, coco)
    records = load_annotations(ann_file, 19, NAMES)
    dataset = build_dataset(tiny_data, ann_file)
    truth = load_ground_truth(ann_file, 19)
    assert [r.image['file_name']
            for r in records] == [f'val_000{i}.png' for i in range(4)]
    assert records[0].visible.sum() == 18 and records[1].spacing == (0.1, 0.2)
    for i, record in enumerate(records):
        info = dataset.get_data_info(i)
        np.testing.assert_allclose(
            info['keypoints'][0], record.keypoints, atol=1e-4)
        np.testing.assert_array_equal(info['keypoints_visible'][0] > 0,
                                      record.visible)
        gt = truth[record.image['file_name']]
        np.testing.assert_array_equal(gt.keypoints, record.keypoints)
        assert gt.spacing == record.spacing
    assert dataset.get_data_info(1)['spacing'] == [0.1, 0.2]
    assert dataset.get_data_info(0)['spacing'] == 0.1


def test_dataset_keeps_an_image_with_every_landmark_missing(
        tiny_data, coco, tmp_path):
    coco['annotations'][2]['keypoints'] = [0] * 3 * 19
    dataset = build_dataset(tiny_data, write(tmp_path, coco))
    assert len(dataset) == 4  # MMPose's filter dropped it silently
    assert dataset.get_data_info(2)['keypoints_visible'].sum() == 0


def test_ground_truth_needs_distinct_base_names(tmp_path, coco):
    coco['images'][1]['file_name'] = 'other/val_0000.png'
    ann_file = write(tmp_path, coco)
    assert len(load_annotations(ann_file, 19)) == 4  # fine for the dataset
    with pytest.raises(ValueError) as err:
        load_ground_truth(ann_file, 19)
    assert str(err.value) == (
        f"{ann_file}: image id 2 (other/val_0000.png): file name "
        "'val_0000.png' is also that of image id 1 (val_0000.png); images "
        'are matched to inputs by file name')


def test_converters_and_contract_share_the_bounds_rule():
    coords = np.array([[0, 0], [10, 8], [10.01, 4], [-0.01, 4], [5, 8.5]])
    expected = [False, False, True, True, True]
    assert outside_image(coords, 10, 8).tolist() == expected
    points = collect_landmarks('a.json', 'a', [(f'l{k}', xy)
                                               for k, xy in enumerate(coords)],
                               {f'l{k}': k
                                for k in range(5)},
                               [f'l{k}' for k in range(5)])
    defect = points_outside_image(points, 10, 8)
    assert defect.labels == ('l2', 'l3', 'l4')


@pytest.mark.parametrize('value, expected', [(0.1, (0.1, 0.1)),
                                             ([0.1, 0.2], (0.1, 0.2)),
                                             (np.array([0.2]), (0.2, 0.2)),
                                             (np.float32(0.5), (0.5, 0.5))])
def test_spacing_accepted(value, expected):
    assert normalize_spacing(value) == expected
    assert spacing_value(value) == (
        expected[0] if expected[0] == expected[1] else list(expected))


@pytest.mark.parametrize('value', [
    0, -0.1,
    float('nan'),
    float('inf'), [0.1, 0.2, 0.3], [], '0.1', True, [0.1, None], {
        'x': 0.1
    }
])
def test_spacing_refused(value):
    with pytest.raises(
            ValueError,
            match=r'^img 7: spacing must be one '
            r'positive number \(mm/px\) or \(sx, sy\), but got '):
        normalize_spacing(value, 'img 7: spacing')
    with pytest.raises(ValueError, match='but got None'):
        spacing_value(None)


@pytest.mark.parametrize(
    'text', [
        'image,spacing\n001.png,0.1\n002,0.12\n',
        '\ufeffimage,spacing_x,spacing_y\n001.png,0.1,0.1\n002,0.12,0.12\n',
        'cephalogram_id,machine,pixel_size\n001.png,a,0.1\n002,b,0.12\n'
        '002,b,0.12\n'
    ],
    ids=['image-spacing', 'per-axis-with-bom', 'aariz-table'])
def test_spacing_csv_formats(tmp_path, text):
    table = read_spacing_csv(write(tmp_path, text, 'spacing.csv'))
    assert table == {'001.png': (0.1, 0.1), '002': (0.12, 0.12)}
    assert lookup_spacing(table, 'some/dir/001.png') == (0.1, 0.1)
    assert lookup_spacing(table, '/data/002.jpg') == (0.12, 0.12)  # stem
    assert lookup_spacing(table, '003.png') is None


@pytest.mark.parametrize('text, message', [
    ('image\na.png\n', r'needs the columns image and spacing \(or '
     r"spacing_x and spacing_y\), but has \['image'\]"),
    ('image,spacing\n', 'no spacing rows under the header'),
    ('image,spacing\na.png,0.1\n,0.1\n', 'line 3: empty image value'),
    ('image,spacing_x,spacing_y\na.png,0.1,\n', "line 2: spacing of "
     r"'a.png' must be one positive number \(mm/px\) or \(sx, sy\), but "
     r"got \['0.1', ''\]"),
    ('image,spacing\na.png,0.1\na.png,0.2\n', r"line 3: image 'a.png' "
     r'listed twice, with spacing \(0.1, 0.1\) and \(0.2, 0.2\)')
])
def test_spacing_csv_errors_name_file_and_line(tmp_path, text, message):
    path = write(tmp_path, text, 'spacing.csv')
    with pytest.raises(ValueError, match=message) as err:
        read_spacing_csv(path)
    assert str(err.value).startswith(path)


def test_spacing_csv_missing_file(tmp_path):
    with pytest.raises(FileNotFoundError, match='absent.csv: no such'):
        read_spacing_csv(str(tmp_path / 'absent.csv'))


def test_every_tool_reads_the_same_spacing_csv(tmp_path):
    # tools/infer.py, the Aariz and the LabelMe converters: one reader
    assert apis.read_spacing_csv is annotations.read_spacing_csv
    assert aariz_cli.read_spacing_csv is annotations.read_spacing_csv
    assert labelme_cli.read_spacing_csv is annotations.read_spacing_csv
    table = read_spacing_csv(
        write(tmp_path, 'image,spacing_x,spacing_y\n001.png,0.1,0.2\n',
              'spacing.csv'))
    # keyed by file name, found by the Aariz converter (cephalogram ids)
    image = tmp_path / 'Aariz' / 'train' / 'Cephalograms' / '001.png'
    image.parent.mkdir(parents=True)
    image.write_bytes(b'')  # not read: samples only load images on demand
    samples = aariz_samples(
        str(tmp_path / 'Aariz'), ['S'], ['sella'], ['senior'], table)
    assert samples[0].spacing == (0.1, 0.2)
    # and by the LabelMe converter (JSON stem or image file name)
    labelme = tmp_path / 'doctor' / '001.json'
    labelme.parent.mkdir()
    labelme.write_text(
        json.dumps(
            dict(
                shapes=[],
                imagePath='001.png',
                imageData=None,
                imageWidth=8,
                imageHeight=8)))
    samples = labelme_samples([str(labelme.parent)], ['sella'],
                              spacing_table=table)
    assert samples[0].spacing == (0.1, 0.2)
