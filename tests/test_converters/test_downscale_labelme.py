"""The downscaled LabelMe copy (data_converters/downscale_labelme.py) on a
small dataset built here, and on three real Hamedan images."""
import json
import os
import os.path as osp

import cv2
import numpy as np
import pytest

from ceph_landmarks.core.conversion import convert_samples, labelme_samples
from ceph_landmarks.core.conversion.downscale import (check_scale,
                                                      downscale_image,
                                                      downscale_labelme,
                                                      effective_spacing)
from ceph_landmarks.core.metainfo import landmark_names
from data_converters import downscale_labelme as downscale_cli
from helpers import (HAMEDAN, digests, grey_image, keypoints_by_file,
                     needs_hamedan, random_points, save_image, write_labelme)

LABELS = [f'l{k + 1}' for k in range(19)]
W, H = 41, 30  # odd width: 20.5 is rounded half to even, to 20


@pytest.fixture
def dataset(tmp_path):
    """images/001.png, images/002.tif (JPEG bytes); annotators a and b;
    b/002.json has l3 twice and no l4."""
    root = tmp_path / 'src'
    for i, stem in enumerate(['001', '002']):
        name = f'{stem}.tif' if stem == '002' else f'{stem}.png'
        save_image(
            str(root / 'images' / name),
            grey_image(W, H, seed=i),
            fmt='JPEG' if stem == '002' else 'PNG')
        pts = random_points(19, W, H, seed=i)
        for annotator in ('a', 'b'):
            labels = LABELS
            if annotator == 'b' and stem == '002':
                labels = LABELS[:3] + ['l3'] + LABELS[4:]
            write_labelme(
                str(root / 'annotations' / annotator / f'{stem}.json'),
                zip(labels, pts), f'../../images/{name}', W, H)
    return root


def run(src, out, *extra):
    return downscale_cli.main([
        '--src',
        str(src), '--out',
        str(out), '--scale', '0.5', '--spacing', '0.144', *extra
    ])


def read_json(path):
    with open(path) as f:
        return json.load(f)


def test_labelme_dict_scaled_and_everything_else_kept():
    data = dict(
        version='5.0.1',
        flags={'x': True},
        shapes=[
            dict(label='l1', points=[[10.0, 4.0]], shape_type='point'),
            dict(label='l1', points=[[3.0, 7.5]], shape_type='point'),
            dict(label='box', points=[[0, 0], [40, 20]], shape_type='rect')
        ],
        imagePath='a.tif',
        imageData=None,
        imageWidth=41,
        imageHeight=30,
        spacing=[0.1, 0.2])
    before = json.dumps(data)
    out = downscale_labelme(
        data, 0.5, 'a.json', image_path='a.png', sizes=((41, 30), (20, 15)))
    assert json.dumps(data) == before  # input untouched
    assert [s['points'] for s in out['shapes']] == [[[5.0, 2.0]], [[1.5,
                                                                    3.75]],
                                                    [[0, 0], [20, 10]]]
    assert [s['label'] for s in out['shapes']] == ['l1', 'l1', 'box']
    assert (out['imageWidth'], out['imageHeight']) == (20, 15)
    assert out['imagePath'] == 'a.png'
    assert out['spacing'] == [0.2, 0.4]
    assert out['flags'] == {'x': True} and out['version'] == '5.0.1'


def test_recorded_size_mismatch_stays_a_mismatch():
    data = dict(shapes=[], imageWidth=100, imageHeight=60)
    out = downscale_labelme(data, 0.5, 'a.json', sizes=((41, 30), (20, 15)))
    assert (out['imageWidth'], out['imageHeight']) == (50, 30)


def test_bad_points_and_bad_scale_are_named():
    data = dict(shapes=[dict(label='l7', points=[['x', 1]])])
    with pytest.raises(ValueError, match=r"b\.json: shape 0 \(label 'l7'\)"):
        downscale_labelme(data, 0.5, 'b.json')
    with pytest.raises(ValueError, match='"shapes" list'):
        downscale_labelme(dict(points=[]), 0.5, 'c.json')
    for scale in (0, 1.5, -0.5):
        with pytest.raises(ValueError, match=f'but got {scale}'):
            check_scale(scale)
    assert effective_spacing(0.144, 0.5) == pytest.approx(0.288)
    assert effective_spacing(0.1, 0.25) == pytest.approx(0.4)


def test_image_is_area_averaged_with_rounded_size():
    pixels = np.arange(30 * 41, dtype=np.uint16).reshape(30, 41)
    small = downscale_image(pixels, 0.5)
    assert small.dtype == np.uint16 and small.shape == (15, 20)
    assert small[1, 2] == pixels[2:4, 4:6].mean()
    with pytest.raises(ValueError, match='x.png: a 41 x 1 px image shrinks'):
        downscale_image(pixels[:1], 0.4, 'x.png')


def test_copy_of_a_folder(dataset, tmp_path, capsys):
    before = digests(str(dataset))
    out = tmp_path / 'out'
    result = run(dataset, out)
    assert digests(str(dataset)) == before
    assert result.num_images == 2 and result.num_files == 4
    assert result.annotators == ['a', 'b']
    assert (out / 'spacing_mm.txt').read_text() == '0.288\n'
    printed = capsys.readouterr().out
    assert 'Spacing of the copy: 0.288 mm/px' in printed
    readme = (out / 'README.md').read_text()
    assert (f'--ann-dirs {out}/annotations/a {out}/annotations/b '
            '--spacing 0.288 --skip-invalid') in readme
    assert '002.tif: JPEG data under a TIFF file name' in readme
    assert sorted(os.listdir(out / 'images')) == ['001.png', '002.png']
    for annotator in ('a', 'b'):
        for stem in ('001', '002'):
            src = read_json(dataset / 'annotations' / annotator /
                            f'{stem}.json')
            dst = read_json(out / 'annotations' / annotator / f'{stem}.json')
            assert [s['label'] for s in dst['shapes']
                    ] == [s['label'] for s in src['shapes']]
            np.testing.assert_allclose(
                [s['points'] for s in dst['shapes']],
                np.array([s['points'] for s in src['shapes']]) * 0.5)
            assert (dst['imageWidth'], dst['imageHeight']) == (20, 15)
            image = cv2.imread(
                str(out / 'annotations' / annotator / dst['imagePath']),
                cv2.IMREAD_UNCHANGED)
            assert image.shape == (15, 20) and image.dtype == np.uint8
    labels = [
        s['label'] for s in read_json(out / 'annotations/b/002.json')['shapes']
    ]
    assert labels.count('l3') == 2 and 'l4' not in labels


def test_refuses_to_overwrite_without_overwrite(dataset, tmp_path):
    out = tmp_path / 'out'
    run(dataset, out)
    first = digests(str(out))
    with pytest.raises(SystemExit, match='pass --overwrite'):
        run(dataset, out)
    assert digests(str(out)) == first
    run(dataset, out, '--overwrite')  # an earlier copy is replaced
    assert digests(str(out)) == first
    assert not list(tmp_path.glob('out.*'))  # nothing left aside
    other = tmp_path / 'other'
    other.mkdir()
    (other / 'notes.txt').write_text('mine')
    with pytest.raises(SystemExit, match='not a copy written by this tool'):
        run(dataset, other, '--overwrite')
    assert (other / 'notes.txt').read_text() == 'mine'
    with pytest.raises(SystemExit, match='holds the input'):
        run(dataset, dataset, '--overwrite')


def test_errors_name_the_bad_file(dataset, tmp_path):
    bad_json = dataset / 'annotations' / 'a' / '001.json'
    bad_json.write_text('{"shapes": [')
    with pytest.raises(SystemExit, match=f'error: {bad_json}: not a readable'):
        run(dataset, tmp_path / 'out1')
    bad_json.unlink()
    image = dataset / 'images' / '002.tif'
    image.write_bytes(image.read_bytes()[:100])  # truncated JPEG
    with pytest.raises(SystemExit, match=f'error: {image}: cannot read'):
        run(dataset, tmp_path / 'out2')
    assert not (tmp_path / 'out1').exists()
    assert not (tmp_path / 'out2').exists()


@needs_hamedan
def test_real_hamedan_images_agree_in_mm(tmp_path):
    """Three X-rays (002: defects, 067: JPEG in a .tif): the copy converts
    to the same landmarks in mm as the original."""
    src = tmp_path / 'src'
    for annotator in ('farhadifar', 'mollabashi'):
        for stem in ('001', '002', '067'):
            path = osp.join(HAMEDAN, 'annotations', annotator, f'{stem}.json')
            data = read_json(path)
            data['imagePath'] = osp.normpath(
                osp.join(osp.dirname(path), data['imagePath']))
            folder = src / annotator
            folder.mkdir(parents=True, exist_ok=True)
            (folder / f'{stem}.json').write_text(json.dumps(data))
    out = tmp_path / 'compact'
    downscale_cli.main([
        '--ann-dirs',
        str(src / 'farhadifar'),
        str(src / 'mollabashi'), '--out',
        str(out), '--scale', '0.5', '--spacing', '0.144'
    ])
    names = landmark_names('isbi2015')
    for root, spacing, conv in ((src, 0.144, 'full'), (out / 'annotations',
                                                       0.288, 'small')):
        samples = labelme_samples(
            [str(root / a) for a in ('farhadifar', 'mollabashi')],
            names,
            spacing=spacing)
        result = convert_samples(
            samples,
            str(tmp_path / conv),
            names, ['train', 'val'],
            skip_invalid=True)
        assert result.skipped == ['002']  # the defects are still there
    full = keypoints_by_file(str(tmp_path / 'full'), ['train', 'val'])
    small = keypoints_by_file(str(tmp_path / 'small'), ['train', 'val'])
    assert sorted(small) == ['001.png', '067.png']
    for name in small:
        diff = small[name][:, :2] * 0.288 - full[name][:, :2] * 0.144
        assert np.abs(diff).max() < 1e-3  # mm; COCO rounds the pixels
    image = cv2.imread(str(out / 'images' / '067.png'), cv2.IMREAD_UNCHANGED)
    assert image.shape == (836, 670) and image.dtype == np.uint8
