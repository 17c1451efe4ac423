"""ISBI 2015 converter on a three-image copy of the layout built here."""
import os.path as osp

import numpy as np
import pytest

from data_converters import isbi2015 as isbi_cli
from helpers import (digests, grey_image, keypoints_by_file, load_defects,
                     load_split, random_points, save_image)

W, H = 50, 70
IMAGES = {
    'train': ('TrainingData', '001'),
    'test1': ('Test1Data', '151'),
    'test2': ('Test2Data', '301')
}


def write_txt(path, pts, extra=('1', '2')):
    """19 ``x,y`` lines then non-landmark lines, as in the ISBI files."""
    path.parent.mkdir(parents=True, exist_ok=True)
    lines = [f'{int(x)},{int(y)}' for x, y in pts] + list(extra)
    path.write_text('\n'.join(lines) + '\n')


@pytest.fixture
def root(tmp_path):
    base = tmp_path / 'ISBI2015'
    for i, (folder, stem) in enumerate(IMAGES.values()):
        save_image(
            str(base / 'RawImage' / folder / f'{stem}.bmp'),
            grey_image(W, H, seed=i),
            fmt='BMP')
        pts = np.round(random_points(19, W - 4, H - 4, seed=i))
        write_txt(base / 'AnnotationsByMD' / '400_senior' / f'{stem}.txt', pts)
        write_txt(base / 'AnnotationsByMD' / '400_junior' / f'{stem}.txt',
                  pts + 4)
    return base


def senior(root, stem):
    text = (root / 'AnnotationsByMD' / '400_senior' /
            f'{stem}.txt').read_text().split()[:19]
    return np.array([[float(v) for v in line.split(',')] for line in text])


def test_official_splits_mean_of_doctors_and_spacing(root, tmp_path, capsys):
    before = digests(str(root))
    out = tmp_path / 'out'
    result = isbi_cli.main(['--root', str(root), '--out', str(out)])
    assert result.split_counts == {'train': 1, 'test1': 1, 'test2': 1}
    for split, (_, stem) in IMAGES.items():
        coco = load_split(str(out), split)
        assert [i['file_name'] for i in coco['images']] == [f'{stem}.png']
        assert coco['images'][0]['spacing'] == 0.1
        kp = np.array(coco['annotations'][0]['keypoints']).reshape(19, 3)
        np.testing.assert_allclose(kp[:, :2], senior(root, stem) + 2)
        assert (kp[:, 2] == 2).all()
        assert osp.isfile(out / 'images' / f'{stem}.png')
    printed = capsys.readouterr().out
    assert 'Images written: 3 (train: 1, test1: 1, test2: 1)' in printed
    assert 'Inter-observer senior vs junior' in printed
    assert digests(str(root)) == before


def test_senior_only(root, tmp_path):
    out = tmp_path / 'out'
    isbi_cli.main(
        ['--root',
         str(root), '--out',
         str(out), '--annotator', 'senior'])
    kp = keypoints_by_file(str(out), ['train'])['001.png']
    np.testing.assert_allclose(kp[:, :2], senior(root, '001'))


def test_short_file_and_bad_line(root, tmp_path):
    path = root / 'AnnotationsByMD' / '400_senior' / '151.txt'
    path.write_text('\n'.join(path.read_text().split('\n')[:18]))
    out = tmp_path / 'out'
    isbi_cli.main(
        ['--root',
         str(root), '--out',
         str(out), '--annotator', 'senior'])
    kp = keypoints_by_file(str(out), ['test1'])['151.png']
    assert kp[18].tolist() == [0, 0, 0]
    assert [
        (d['file'], d['kind'], d['labels']) for d in load_defects(str(out))
    ] == [('400_senior/151.txt', 'missing_landmark', ['19'])]

    lines = path.read_text().split('\n')
    lines[4] = '12;40'
    path.write_text('\n'.join(lines))
    with pytest.raises(
            SystemExit,
            match=r"400_senior/151.txt: label\(s\) "
            r"\['5'\] without a finite \(x, y\) coordinate"):
        isbi_cli.main([
            '--root',
            str(root), '--out',
            str(tmp_path / 'o2'), '--annotator', 'senior'
        ])


def test_missing_layout_is_named(tmp_path):
    with pytest.raises(
            SystemExit,
            match='AnnotationsByMD/400_senior does '
            'not exist; expected the layout RawImage/'):
        isbi_cli.main(
            ['--root', str(tmp_path), '--out',
             str(tmp_path / 'out')])
