"""Aariz converter on a three-image copy of the layout built here."""
import json

import numpy as np
import pytest

from ceph_landmarks.core.metainfo import get_landmark_set
from ceph_landmarks.core.metainfo.aariz import TITLES
from data_converters import aariz as aariz_cli
from helpers import (build_dataset, grey_image, keypoints_by_file, load_split,
                     random_points, save_image)

INFO = get_landmark_set('aariz')['keypoint_info']
SYMBOLS = [INFO[k]['abbr'] for k in sorted(INFO)]
W, H = 64, 48
# (split folder as published, output split, cephalogram id, extension)
IMAGES = [('train', 'train', 'cks001', 'png'),
          ('Valid', 'val', 'cks002', 'jpg'), ('test', 'test', 'cks003', 'png')]


def write_annotation(path, pts):
    path.parent.mkdir(parents=True, exist_ok=True)
    landmarks = []
    for k, (symbol, (x, y)) in enumerate(zip(SYMBOLS, pts)):
        entry = dict(
            landmark_id=f'id{k}',
            title=TITLES[INFO[k]['name']],
            symbol=symbol,
            value=dict(x=float(x), y=float(y)))
        if symbol == 'Pog`':  # written with its title only
            del entry['symbol']
        if symbol == 'N`':
            entry['symbol'] = "N'"  # another prime character: same symbol
        landmarks.append(entry)
    path.write_text(json.dumps(dict(ceph_id=path.stem, landmarks=landmarks)))


@pytest.fixture
def root(tmp_path):
    base = tmp_path / 'Aariz'
    rows = ['cephalogram_id,machine,pixel_size']
    for i, (folder, _, ceph_id, ext) in enumerate(IMAGES):
        save_image(
            str(base / folder / 'Cephalograms' / f'{ceph_id}.{ext}'),
            grey_image(W, H, seed=i),
            fmt='JPEG' if ext == 'jpg' else 'PNG')
        pts = random_points(29, W - 4, H - 4, seed=i)
        ann = base / folder / 'Annotations' / 'Cephalometric Landmarks'
        write_annotation(ann / 'Senior Orthodontists' / f'{ceph_id}.json', pts)
        write_annotation(ann / 'Junior Orthodontists' / f'{ceph_id}.json',
                         pts + 4)
        rows.append(f'{ceph_id},device{i},{0.1 + 0.01 * i}')
    (base / 'cephalogram_machine_mappings.csv').write_text('\n'.join(rows))
    return base


def test_splits_symbols_mean_and_spacing(root, tmp_path, capsys):
    out = tmp_path / 'out'
    result = aariz_cli.main(['--root', str(root), '--out', str(out)])
    assert result.split_counts == {'train': 1, 'val': 1, 'test': 1}
    for i, (_, split, ceph_id, _) in enumerate(IMAGES):
        coco = load_split(str(out), split)
        assert coco['images'][0]['file_name'] == f'{ceph_id}.png'
        assert coco['images'][0]['spacing'] == pytest.approx(0.1 + 0.01 * i)
        kp = np.array(coco['annotations'][0]['keypoints']).reshape(29, 3)
        np.testing.assert_allclose(
            kp[:, :2], random_points(29, W - 4, H - 4, seed=i) + 2, atol=1e-3)
        assert (kp[:, 2] == 2).all()  # N' and the title-only Pog` matched
    assert result.report.annotation_defects() == []
    info = build_dataset(str(out), 'val', 'aariz')[0]
    assert info['keypoints'].shape == (1, 29, 2)
    assert info['spacing'] == pytest.approx(0.11)
    assert 'Inter-observer senior vs junior' in capsys.readouterr().out


def test_junior_only_and_unknown_symbol(root, tmp_path):
    out = tmp_path / 'out'
    aariz_cli.main(
        ['--root',
         str(root), '--out',
         str(out), '--annotator', 'junior'])
    kp = keypoints_by_file(str(out), ['train'])['cks001.png']
    np.testing.assert_allclose(
        kp[:, :2], random_points(29, W - 4, H - 4, seed=0) + 4, atol=1e-3)
    path = (
        root / 'test' / 'Annotations' / 'Cephalometric Landmarks' /
        'Senior Orthodontists' / 'cks003.json')
    data = json.loads(path.read_text())
    data['landmarks'][3]['symbol'] = 'Mx'
    data['landmarks'][3]['title'] = 'Maxilla'
    path.write_text(json.dumps(data))
    with pytest.raises(
            SystemExit,
            match=r"Senior Orthodontists/cks003.json:"
            r" label\(s\) \['Mx'\] not in the label mapping"):
        aariz_cli.main(['--root', str(root), '--out', str(tmp_path / 'o2')])


def test_missing_spacing_is_an_error(root, tmp_path):
    csv = root / 'cephalogram_machine_mappings.csv'
    csv.write_text('\n'.join(csv.read_text().split('\n')[:-1]))
    with pytest.raises(
            SystemExit,
            match=r"cks003.png: cephalogram_id "
            r"'cks003' has no pixel_size"):
        aariz_cli.main(['--root', str(root), '--out', str(tmp_path / 'out')])
    result = aariz_cli.main([
        '--root',
        str(root), '--out',
        str(tmp_path / 'out'), '--skip-invalid'
    ])
    assert result.skipped == ['cks003'] and result.num_images == 2
