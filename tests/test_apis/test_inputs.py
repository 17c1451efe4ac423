"""Inference inputs: image lists, image reading, spacings, ground truth."""
import json
import os.path as osp

import cv2
import numpy as np
import pytest

from ceph_landmarks.apis import (GroundTruth, collect_images,
                                 load_ground_truth, load_image, lookup_spacing,
                                 normalize_spacing, output_stems,
                                 read_spacing_csv)
from ceph_landmarks.core.ground_truth import match_ground_truth


@pytest.fixture
def folder(tmp_path):
    for name in ('b.png', 'a.PNG', 'c.jpg'):
        cv2.imwrite(str(tmp_path / name.lower()), np.zeros((8, 8), np.uint8))
    (tmp_path / 'a.png').rename(tmp_path / 'a.PNG')
    (tmp_path / 'notes.txt').write_text('not an image')
    (tmp_path / 'sub').mkdir()
    cv2.imwrite(str(tmp_path / 'sub' / 'd.png'), np.zeros((8, 8), np.uint8))
    return tmp_path


def test_collect_files_folders_and_globs(folder):
    f = str(folder)
    assert collect_images(
        [f]) == [osp.join(f, n) for n in ('a.PNG', 'b.png', 'c.jpg')]
    assert collect_images([osp.join(f, '**', '*.png')]) == [
        osp.join(f, 'b.png'),
        osp.join(f, 'sub', 'd.png')
    ]
    # a file named explicitly is taken whatever its extension; no duplicates
    assert collect_images([osp.join(f, 'notes.txt'),
                           osp.join(f, 'b.png'), f]) == [
                               osp.join(f, 'notes.txt'),
                               osp.join(f, 'b.png'),
                               osp.join(f, 'a.PNG'),
                               osp.join(f, 'c.jpg')
                           ]


def test_collect_reports_what_is_missing(folder):
    with pytest.raises(FileNotFoundError, match='nothing.png: no such file'):
        collect_images([str(folder / 'nothing.png')])
    (folder / 'empty').mkdir()
    with pytest.raises(
            FileNotFoundError, match='empty: folder holds no '
            'image'):
        collect_images([str(folder / 'empty')])


def test_load_image_by_content(tmp_path):
    grey = np.arange(64, dtype=np.uint8).reshape(8, 8)
    jpeg_as_tif = tmp_path / 'x.tif'
    jpeg_as_tif.write_bytes(cv2.imencode('.jpg', grey)[1].tobytes())
    image = load_image(str(jpeg_as_tif))
    assert image.shape == (8, 8, 3) and image.dtype == np.uint8
    bad = tmp_path / 'bad.png'
    bad.write_bytes(b'\x89PNG\r\n\x1a\n' + b'\0' * 20)
    with pytest.raises(ValueError, match='bad.png: cannot read image: '):
        load_image(str(bad))


def test_normalize_spacing():
    assert normalize_spacing(None) is None
    assert normalize_spacing(0.1) == (0.1, 0.1)
    assert normalize_spacing([0.1, 0.2]) == (0.1, 0.2)
    for bad in (0, -0.1, float('nan'), [0.1, 0.2, 0.3], 'x'):
        with pytest.raises(ValueError, match='must be one positive number'):
            normalize_spacing(bad)


def test_spacing_csv(tmp_path):
    path = tmp_path / 'spacing.csv'
    path.write_text('image,spacing\n001.png,0.1\n/data/002.png,0.144\n')
    table = read_spacing_csv(str(path))
    assert lookup_spacing(table, 'some/dir/001.png') == (0.1, 0.1)
    assert lookup_spacing(table, '/data/002.png') == (0.144, 0.144)
    assert lookup_spacing(table, '003.png') is None
    path.write_text('image,spacing_x,spacing_y\n001.png,0.1,0.2\n')
    assert read_spacing_csv(str(path)) == {'001.png': (0.1, 0.2)}


@pytest.mark.parametrize('text,message', [
    ('name,spacing\na.png,0.1\n', 'needs the columns image and spacing'),
    ('image,spacing\na.png,0.1\nb.png,zero\n', 'line 3'),
    ('image,spacing\na.png,0.1\na.png,0.2\n', "'a.png' listed twice"),
])
def test_spacing_csv_errors_name_file_and_line(tmp_path, text, message):
    path = tmp_path / 'spacing.csv'
    path.write_text(text)
    with pytest.raises(ValueError, match=message):
        read_spacing_csv(str(path))


def _coco(tmp_path, keypoints, images=None):
    images = images or [
        dict(id=1, file_name='images/a.png', width=8, height=8, spacing=0.1)
    ]
    path = tmp_path / 'ann.json'
    path.write_text(
        json.dumps(
            dict(
                images=images,
                annotations=[dict(id=1, image_id=1, keypoints=keypoints)])))
    return str(path)


def test_ground_truth_by_file_name(tmp_path):
    truth = load_ground_truth(_coco(tmp_path, [1, 2, 2, 3, 4, 0]), 2)
    assert set(truth) == {'images/a.png'}
    gt = truth['images/a.png']
    np.testing.assert_array_equal(gt.keypoints, [[1, 2], [3, 4]])
    np.testing.assert_array_equal(gt.visible, [True, False])
    assert gt.spacing == (0.1, 0.1) and gt.image_id == 1


def _truth(source=None, image_id=None):
    return GroundTruth(
        np.zeros((1, 2)), np.ones(1, bool), None, source, image_id)


def test_ground_truth_is_matched_by_path(tmp_path):
    """The file the entry resolves to, else the longest shared path
    suffix; a tie is refused, naming both images and the annotation."""
    truth = {'001.png': _truth('ann.json', 7)}
    assert match_ground_truth(['x/001.png', 'x/002.png'],
                              truth) == [truth['001.png'], None]
    with pytest.raises(
            ValueError,
            match=r'^a/001.png and b/001.png both match image id 7 '
            r'\(001.png\) of ann.json by their path'):
        match_ground_truth(['a/001.png', 'b/001.png'], truth)
    # a longer shared suffix wins, for an image and for an entry
    two = {'a/001.png': _truth(), 'b/001.png': _truth()}
    assert match_ground_truth(
        ['q/a/001.png', 'b/001.png', 'c/002.png'],
        two) == [two['a/001.png'], two['b/001.png'], None]
    with pytest.raises(ValueError, match='c/001.png matches'):
        match_ground_truth(['c/001.png'], two)
    one = {'a/001.png': _truth()}
    assert match_ground_truth(['b/001.png', 'x/a/001.png'],
                              one) == [None, one['a/001.png']]
    # the file the entry names, next to the annotation file or in its data
    # root's images/, wins over another image of the same name
    root = tmp_path / 'data'
    (root / 'images').mkdir(parents=True)
    (root / 'annotations').mkdir()
    (tmp_path / 'copy').mkdir()
    for folder in (root / 'images', tmp_path / 'copy'):
        cv2.imwrite(str(folder / '001.png'), np.zeros((8, 8), np.uint8))
    ann = str(root / 'annotations' / 'val.json')
    truth = {'001.png': _truth(ann, 1)}
    images = [
        str(tmp_path / 'copy' / '001.png'),
        str(root / 'images' / '001.png')
    ]
    assert match_ground_truth(images, truth) == [None, truth['001.png']]


def test_ground_truth_errors_name_the_image(tmp_path):
    with pytest.raises(
            ValueError,
            match=r'image id 1 \(images/a.png\): has '
            '1 keypoints, but expected 2'):
        load_ground_truth(_coco(tmp_path, [1, 2, 2]), 2)
    images = [
        dict(id=i, file_name=name, width=8, height=8, spacing=0.1)
        for i, name in ((1, 'a.png'), (2, 'b.png'))
    ]
    with pytest.raises(
            ValueError,
            match=r'image id 2 \(b.png\): expected '
            'exactly one annotation, but found 0'):
        load_ground_truth(_coco(tmp_path, [1, 2, 2], images), 1)
    (tmp_path / 'ann.json').write_text('[1, 2]')
    with pytest.raises(ValueError, match='expected a COCO keypoint JSON'):
        load_ground_truth(str(tmp_path / 'ann.json'), 1)


def test_output_stems_are_distinct():
    assert output_stems(['x/001.png', 'y/001.png', '001.jpg',
                         'x/002.png']) == ['001', '001_2', '001_3', '002']
    assert output_stems(['a_2.png', 'a.png', 'b/a.png']) == ['a_2', 'a', 'a_3']
