"""Building blocks of the converters: landmarks, defects, annotator mean,
splits, spacing tables and atomic output."""
import json
import os
import os.path as osp

import numpy as np
import pytest

from ceph_landmarks.core.conversion import (AnnotatorPoints, CocoDatasetWriter,
                                            ConversionError, Defect,
                                            StagedOutputDir, collect_landmarks,
                                            combine_annotators,
                                            points_outside_image, seeded_split,
                                            split_fractions)
from ceph_landmarks.core.io.annotations import read_spacing_csv
from ceph_landmarks.core.writers import atomic_write as atomic_write_module
from ceph_landmarks.core.writers.atomic_write import write_json

LABELS = ['l1', 'l2', 'l3']
MAP = {label: k for k, label in enumerate(LABELS)}


def test_collect_landmarks_reports_each_problem_by_label():
    pts = collect_landmarks('a/1.json', 'a', [('l1', (1, 2)), ('l2', (3, 4)),
                                              ('l2', (5, 6)), ('L3', (0, 0)),
                                              ('l1x', (0, 0))], MAP, LABELS)
    kinds = {d.kind: d for d in pts.defects}
    assert set(kinds) == {
        'duplicated_landmark', 'unknown_label', 'missing_landmark'
    }
    assert kinds['duplicated_landmark'].labels == ('l2', )
    assert "'l2' appears 2 times" in kinds['duplicated_landmark'].detail
    assert kinds['unknown_label'].labels == ('L3', 'l1x')
    assert kinds['missing_landmark'].labels == ('l3', )
    assert not pts.valid
    assert pts.present.tolist() == [True, False, False]  # duplicate: empty
    assert pts.coords[0].tolist() == [1, 2]


def test_non_finite_point_is_invalid():
    pts = collect_landmarks('a.json', 'a', [('l1', (1, float('nan'))),
                                            ('l2', 'x'), ('l3', (1, 1))], MAP,
                            LABELS)
    assert [(d.kind, d.labels)
            for d in pts.defects] == [('bad_point', ('l1', 'l2'))]


def test_points_outside_image_names_labels_and_coordinates():
    pts = collect_landmarks('a.json', 'a', [('l1', (0, 0)), ('l2', (10, 8)),
                                            ('l3', (10.5, 3))], MAP, LABELS)
    assert points_outside_image(pts, 11, 8) is None  # edges are inside
    defect = points_outside_image(pts, 10, 8)
    assert defect.kind == 'outside_image' and defect.labels == ('l3', )
    assert 'l3 at (10.5, 3.0)' in defect.detail and '10 x 8' in defect.detail


def _points(coords, present):
    return AnnotatorPoints('x.json', 'x', np.array(coords, float),
                           np.array(present), LABELS)


def test_combine_is_mean_of_annotators_who_placed_each_landmark():
    a = _points([[0, 0], [4, 4], [0, 0]], [True, True, False])
    b = _points([[2, 2], [0, 0], [0, 0]], [True, False, False])
    coords, visible = combine_annotators([a, b])
    assert coords.tolist() == [[1, 1], [4, 4], [0, 0]]
    assert visible.tolist() == [True, True, False]
    with pytest.raises(ValueError, match='at least one'):
        combine_annotators([])


def test_seeded_split_is_reproducible_and_order_free():
    keys = [f'{i:03d}' for i in range(100)]
    parts = seeded_split(keys, {'train': 0.8, 'val': 0.2}, seed=0)
    assert [len(parts['train']), len(parts['val'])] == [80, 20]
    assert sorted(parts['train'] + parts['val']) == keys
    assert parts == seeded_split(keys[::-1], {'train': 0.8, 'val': 0.2}, 0)
    assert parts != seeded_split(keys, {'train': 0.8, 'val': 0.2}, 1)
    three = seeded_split(keys[:10], split_fractions(0.2, 0.1), seed=0)
    assert [len(three[s]) for s in ('train', 'val', 'test')] == [7, 2, 1]
    with pytest.raises(ValueError, match='unique'):
        seeded_split(['a', 'a'], {'train': 1.0}, 0)
    with pytest.raises(ValueError, match='leave images for training'):
        split_fractions(0.5, 0.5)


def test_read_spacing_csv(tmp_path):
    path = tmp_path / 's.csv'
    path.write_text('image,spacing\n001,0.1\n002.png,0.125\n')
    assert read_spacing_csv(str(path)) == {
        '001': (0.1, 0.1),
        '002.png': (0.125, 0.125)
    }
    # the 'Aariz table's own column names are the same format
    path.write_text('cephalogram_id,machine,pixel_size\n001,X,0.12\n')
    assert read_spacing_csv(str(path)) == {'001': (0.12, 0.12)}
    path.write_text('image,spacing\n001,abc\n')
    with pytest.raises(ValueError, match=r's.csv, line 2: .*positive'):
        read_spacing_csv(str(path))


def test_write_json_leaves_old_file_on_crash(tmp_path, monkeypatch):
    path = str(tmp_path / 'train.json')
    write_json({'version': 1}, path)

    def broken_dump(obj, f, **kwargs):
        f.write('{"images": [')  # half written, then the crash
        raise KeyboardInterrupt

    monkeypatch.setattr(atomic_write_module.json, 'dump', broken_dump)
    with pytest.raises(KeyboardInterrupt):
        write_json({'version': 2}, path)
    assert json.load(open(path)) == {'version': 1}
    assert os.listdir(tmp_path) == ['train.json']  # no temporary left


def test_staged_output_appears_only_when_complete(tmp_path):
    out = str(tmp_path / 'out')
    with pytest.raises(RuntimeError):
        with StagedOutputDir(out) as root:
            open(osp.join(root, 'half.json'), 'w').write('{')
            raise RuntimeError('crash')
    assert os.listdir(tmp_path) == []  # neither out nor the staging dir
    with StagedOutputDir(out) as root:
        open(osp.join(root, 'done.json'), 'w').write('{}')
    assert os.listdir(out) == ['done.json']
    with pytest.raises(
            FileExistsError, match='already exists and is not '
            'empty'):
        StagedOutputDir(out)
    os.makedirs(tmp_path / 'empty')
    with StagedOutputDir(str(tmp_path / 'empty')) as root:  # empty is fine
        open(osp.join(root, 'x'), 'w').close()
    assert os.listdir(tmp_path / 'empty') == ['x']


def test_coco_writer_records(tmp_path):
    writer = CocoDatasetWriter(str(tmp_path), LABELS, ['train', 'val'])
    writer.add(
        'val',
        'img',
        np.full((8, 10), 7, np.uint8),
        np.array([[1.23456, 2], [3, 4], [0, 0]]),
        np.array([True, True, False]),
        0.1,
        source='src/img.bmp')
    with pytest.raises(ValueError, match="'img' added twice"):
        writer.add('val', 'img', np.ones((2, 2), np.uint8), np.zeros((3, 2)),
                   np.ones(3, bool), 0.1)
    paths = writer.write()
    val = json.load(open(paths['val']))
    assert json.load(open(paths['train']))['images'] == []
    assert val['images'][0] == dict(
        id=1,
        file_name='img.png',
        width=10,
        height=8,
        spacing=0.1,
        source='src/img.bmp')
    ann = val['annotations'][0]
    assert ann['keypoints'] == [1.235, 2, 2, 3, 4, 2, 0, 0, 0]
    assert ann['bbox'] == [0, 0, 10, 8] and ann['num_keypoints'] == 2
    assert val['categories'][0]['keypoints'] == LABELS


def test_defect_kinds_and_error_message():
    with pytest.raises(ValueError, match='unknown defect kind'):
        Defect('a', 'oops', 'x')
    defect = Defect('b/002.json', 'duplicated_landmark', "'l5' twice",
                    ('l5', ))
    assert defect.severity == 'invalid'
    err = ConversionError([defect], 'use --skip-invalid')
    assert "b/002.json: 'l5' twice" in str(err)
    assert str(err).endswith('use --skip-invalid')
    assert defect.with_action('file skipped').to_dict()['action'] == \
        'file skipped'
