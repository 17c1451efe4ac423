"""tools/run_protocol.py end to end on a handful of real Hamedan images
(2-fold cross-validation, tiny model), and the fold helpers."""
import json
import os.path as osp
import shutil

import pytest

from ceph_landmarks.datasets.conversion import (kfold_parts,
                                                merge_annotations,
                                                subset_annotations)
from conftest import REPO_ROOT, run_tool

HAMEDAN = osp.join(REPO_ROOT, '..', 'shared', 'data', 'hamedan')
TINY_HAMEDAN = osp.join(REPO_ROOT, 'tests', 'data', 'configs',
                        'tiny_hamedan-128x160.py')


def test_kfold_parts_are_disjoint_and_seeded():
    keys = [f'{i:03d}' for i in range(23)]
    parts = kfold_parts(keys, 5, seed=3)
    assert sorted(sum(parts, [])) == keys
    assert [len(p) for p in parts] == [5, 5, 5, 4, 4]
    assert parts == kfold_parts(list(reversed(keys)), 5, seed=3)
    assert parts != kfold_parts(keys, 5, seed=4)
    with pytest.raises(ValueError, match='between 2 and the number of keys'):
        kfold_parts(keys, 24, seed=0)


def test_merge_and_subset(tmp_path):
    a = dict(images=[dict(id=1, file_name='a.png')],
             annotations=[dict(id=1, image_id=1)], categories=[dict(id=1)])
    b = dict(images=[dict(id=2, file_name='b.png')],
             annotations=[dict(id=2, image_id=2)], categories=[dict(id=1)])
    for name, coco in (('a', a), ('b', b)):
        json.dump(coco, open(tmp_path / f'{name}.json', 'w'))
    merged = merge_annotations([tmp_path / 'a.json', tmp_path / 'b.json'])
    assert [i['file_name'] for i in merged['images']] == ['a.png', 'b.png']
    sub = subset_annotations(merged, {'b.png'})
    assert sub['annotations'] == [dict(id=2, image_id=2)]
    with pytest.raises(ValueError, match='already in another annotation'):
        merge_annotations([tmp_path / 'a.json', tmp_path / 'a.json'])


@pytest.mark.skipif(
    not osp.isdir(HAMEDAN),
    reason=f'real Hamedan data not found at {osp.normpath(HAMEDAN)}')
def test_protocol_two_folds_on_six_images(tmp_path):
    ann_dirs = []
    for doctor in ('farhadifar', 'mollabashi'):
        target = tmp_path / 'labelme' / doctor
        target.mkdir(parents=True)
        for stem in ('011', '012', '013', '014', '015', '016'):
            shutil.copy(
                osp.join(HAMEDAN, 'annotations', doctor, f'{stem}.json'),
                target)
        ann_dirs.append(str(target))
    out = tmp_path / 'protocol'
    proc = run_tool('run_protocol.py', TINY_HAMEDAN, '--ann-dirs', *ann_dirs,
                    '--img-dir', osp.join(HAMEDAN, 'images'), '--spacing',
                    '0.144', '--folds', '2', '--out', str(out),
                    '--train-args', '--image-size 96 128',
                    '--cfg-options', 'train_cfg.max_epochs=1')
    summary = json.load(open(out / 'summary.json'))
    rows = {(r['fold'], r['ground_truth']): r for r in summary}
    for fold in (0, 1, 'mean'):
        for gt in ('mean', 'farhadifar', 'mollabashi'):
            row = rows[(fold, gt)]
            assert 0 < row['MRE'] < 200 and 0 <= row['SDR@2mm'] <= 100
    for fold in (0, 1):
        val = json.load(open(out / 'data' / 'mean' / 'annotations' /
                             f'fold{fold}_val.json'))
        doctor = json.load(open(out / 'data' / 'farhadifar' /
                                'annotations' / f'fold{fold}_val.json'))
        assert len(val['images']) == 3
        assert [i['file_name'] for i in doctor['images']
                ] == [i['file_name'] for i in val['images']]
        assert (out / f'fold{fold}' / 'report').is_dir()
        assert list((out / f'fold{fold}' / 'report').glob('*.png'))
    mean_mre = sum(rows[(f, 'mean')]['MRE'] for f in (0, 1)) / 2
    assert rows[('mean', 'mean')]['MRE'] == pytest.approx(mean_mre)
    assert 'written to' in proc.stdout
    # testing uses the config dumped by training, with its --image-size
    dumped = out / 'fold0' / 'tiny_hamedan-128x160.py'
    assert f'test.py {dumped}' in proc.stdout
    assert 'input_size=(\n        96,\n        128,' in dumped.read_text() \
        or 'input_size=(96, 128)' in dumped.read_text()
    # the last epoch is tested, not an epoch chosen on the test images
    assert f'test.py {dumped} {out / "fold0" / "epoch_1.pth"}' in proc.stdout
