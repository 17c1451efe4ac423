"""LabelMe converter on a small two-annotator dataset built here."""
import base64
import io
import json
import logging
import os
import os.path as osp

import numpy as np
import pytest
from PIL import Image

from ceph_landmarks.core.conversion import (ConversionError, convert_samples,
                                            labelme_samples)
from ceph_landmarks.core.metainfo import landmark_names
from data_converters import labelme as labelme_cli
from helpers import (digests, grey_image, keypoints_by_file, load_defects,
                     load_split, random_points, save_image, write_dicom,
                     write_labelme)

NAMES = landmark_names('isbi2015')
LABELS = [f'l{k + 1}' for k in range(19)]
W, H = 60, 80
STEMS = ['001', '002', '003']


@pytest.fixture
def dataset(tmp_path):
    """images/{001,002}.png, images/003.tif (JPEG bytes), annotators a, b.

    Annotator b's points are a's shifted by (+2, -2).
    """
    root = tmp_path / 'ds'
    for i, stem in enumerate(STEMS):
        name = f'{stem}.tif' if stem == '003' else f'{stem}.png'
        save_image(
            str(root / 'images' / name),
            grey_image(W, H, seed=i),
            fmt='JPEG' if stem == '003' else 'PNG')
        pts = random_points(19, W - 4, H - 4, seed=i) + 2
        for annotator, shift in (('a', (0, 0)), ('b', (2, -2))):
            write_labelme(
                str(root / 'ann' / annotator / f'{stem}.json'),
                zip(LABELS, pts + shift), f'../../images/{name}', W, H)
    return root


def edit(path, fn):
    """Rewrite a LabelMe file's shapes with ``fn(shapes)``."""
    data = json.load(open(path))
    data['shapes'] = fn(data['shapes'])
    json.dump(data, open(path, 'w'))


def convert(root, out, annotators=('a', 'b'), **kwargs):
    skip = kwargs.pop('skip_invalid', False)
    samples = labelme_samples([str(root / 'ann' / a) for a in annotators],
                              NAMES,
                              spacing=0.144,
                              **kwargs)
    return convert_samples(
        samples, str(out), NAMES, ['train', 'val'], skip_invalid=skip)


def original_points(root, annotator, stem):
    shapes = json.load(open(root / 'ann' / annotator / f'{stem}.json'))
    return np.array([s['points'][0] for s in shapes['shapes']])


def test_mean_of_two_annotators(dataset, tmp_path):
    before = digests(str(dataset))
    out = tmp_path / 'out'
    result = convert(dataset, out, fractions={'train': 0.67, 'val': 0.33})
    assert result.split_counts == {'train': 2, 'val': 1}
    kps = keypoints_by_file(str(out), ['train', 'val'])
    assert sorted(kps) == ['001.png', '002.png', '003.png']
    for stem in STEMS:
        mean = (original_points(dataset, 'a', stem) +
                original_points(dataset, 'b', stem)) / 2
        np.testing.assert_allclose(kps[f'{stem}.png'][:, :2], mean, atol=1e-3)
        assert (kps[f'{stem}.png'][:, 2] == 2).all()
    images = {
        img['file_name']: img
        for s in ('train', 'val')
        for img in load_split(str(out), s)['images']
    }
    assert all(
        img['spacing'] == 0.144 and (img['width'], img['height']) == (W, H)
        for img in images.values())
    # the JPEG-as-.tif image is decoded by content and written as PNG
    png = np.array(Image.open(out / 'images' / '003.png'))
    jpeg = np.array(Image.open(dataset / 'images' / '003.tif'))
    assert np.array_equal(png, jpeg)
    defects = load_defects(str(out))
    assert [(d['kind'], d['severity'])
            for d in defects] == [('format_mismatch', 'note')]
    assert defects[0]['file'].endswith('003.tif')
    # inter-observer: b is a shifted by (2, -2) px: 2.83 px * 0.144 mm
    stats = result.interobserver('a', 'b')
    assert stats['MRE'] == pytest.approx(np.hypot(2, 2) * 0.144)
    assert stats['count'] == 3 * 19 and stats['images'] == 3
    assert digests(str(dataset)) == before  # inputs untouched


def test_duplicated_label_is_an_error_naming_file_and_label(dataset, tmp_path):
    edit(dataset / 'ann' / 'b' / '002.json',
         lambda s: s + [dict(s[4], points=[[5.0, 5.0]])])
    with pytest.raises(ConversionError) as err:
        convert(dataset, tmp_path / 'out')
    assert "b/002.json: landmark label 'l5' appears 2 times" in str(err.value)
    assert '--skip-invalid' in str(err.value)
    assert not osp.exists(tmp_path / 'out')  # nothing written


def test_skip_invalid_leaves_the_file_out_and_reports_it(dataset, tmp_path):
    edit(dataset / 'ann' / 'b' / '002.json',
         lambda s: s + [dict(s[4], points=[[5.0, 5.0]])])
    out = tmp_path / 'out'
    result = convert(dataset, out, skip_invalid=True)
    assert result.num_images == 3 and result.skipped == []
    kps = keypoints_by_file(str(out), ['train', 'val'])
    np.testing.assert_allclose(
        kps['002.png'][:, :2], original_points(dataset, 'a', '002'),
        atol=1e-3)  # a alone
    dup = [
        d for d in load_defects(str(out)) if d['kind'] == 'duplicated_landmark'
    ]
    assert dup == [
        dict(
            file='b/002.json',
            kind='duplicated_landmark',
            severity='invalid',
            labels=['l5'],
            detail="landmark label 'l5' appears 2 times (which "
            'point is meant is unknown)',
            action='annotation file skipped')
    ]
    # both annotators invalid: the image itself is skipped
    edit(dataset / 'ann' / 'a' / '002.json',
         lambda s: s + [dict(s[0], points=[[5.0, 5.0]])])
    result = convert(dataset, tmp_path / 'out2', skip_invalid=True)
    assert result.num_images == 2 and result.skipped == ['002']
    actions = {
        d['file']: d['action']
        for d in load_defects(str(tmp_path / 'out2'))
        if d['severity'] == 'invalid'
    }
    assert actions == {
        'a/002.json': 'annotation file skipped; image '
        'skipped',
        'b/002.json': 'annotation file skipped; '
        'image skipped'
    }


def test_missing_landmark_is_kept_with_visibility_0(dataset, tmp_path):
    edit(dataset / 'ann' / 'a' / '001.json',
         lambda s: [x for x in s if x['label'] != 'l7'])
    out = tmp_path / 'single'
    convert(dataset, out, annotators=('a', ))
    kp = keypoints_by_file(str(out), ['train', 'val'])['001.png']
    assert kp[6].tolist() == [0, 0, 0]
    assert (kp[np.arange(19) != 6, 2] == 2).all()
    missing = [
        d for d in load_defects(str(out)) if d['kind'] == 'missing_landmark'
    ]
    assert [(d['file'], d['labels'], d['action']) for d in missing
            ] == [('a/001.json', ['l7'], 'kept with visibility 0')]
    # with two annotators, the other one's point is used
    convert(dataset, tmp_path / 'mean')
    kp = keypoints_by_file(str(tmp_path / 'mean'), ['train', 'val'])
    np.testing.assert_allclose(
        kp['001.png'][6, :2],
        original_points(dataset, 'b', '001')[6],
        atol=1e-3)
    missing = [
        d for d in load_defects(str(tmp_path / 'mean'))
        if d['kind'] == 'missing_landmark'
    ]
    assert missing[0]['action'] == 'taken from the other annotator(s)'


def test_point_outside_the_image_is_an_error(dataset, tmp_path):
    edit(
        dataset / 'ann' / 'a' / '003.json', lambda s: [
            dict(x, points=[[W + 5.0, 10.0]]) if x['label'] == 'l3' else x
            for x in s
        ])
    with pytest.raises(
            ConversionError,
            match=r'a/003.json: point\(s\) outside the 60 x 80 '
            r'image: l3 at \(65.0, 10.0\)'):
        convert(dataset, tmp_path / 'out')
    assert not osp.exists(tmp_path / 'out')
    result = convert(dataset, tmp_path / 'out', skip_invalid=True)
    assert result.num_images == 3
    outside = [
        d for d in load_defects(str(tmp_path / 'out'))
        if d['kind'] == 'outside_image'
    ]
    assert outside[0]['labels'] == ['l3']


def test_truncated_image_is_an_error_naming_it(dataset, tmp_path):
    path = dataset / 'images' / '002.png'
    path.write_bytes(path.read_bytes()[:200])
    with pytest.raises(
            ConversionError, match=r'images/002.png: corrupt or truncated'):
        convert(dataset, tmp_path / 'out')
    assert not osp.exists(tmp_path / 'out')
    result = convert(dataset, tmp_path / 'out', skip_invalid=True)
    assert result.skipped == ['002']
    assert [
        d['action'] for d in load_defects(str(tmp_path / 'out'))
        if d['kind'] == 'unreadable_image'
    ] == ['image skipped']


def test_unknown_label_and_wrong_image_size(dataset, tmp_path):
    edit(
        dataset / 'ann' / 'a' / '001.json', lambda s:
        [dict(x, label='L1') if x['label'] == 'l1' else x for x in s])
    with pytest.raises(
            ConversionError,
            match=r"a/001.json: label\(s\) "
            r"\['L1'\] not in the label mapping"):
        convert(dataset, tmp_path / 'out')
    data = json.load(open(dataset / 'ann' / 'b' / '003.json'))
    data['imageWidth'] = W + 1
    json.dump(data, open(dataset / 'ann' / 'b' / '003.json', 'w'))
    with pytest.raises(
            ConversionError,
            match=r'003.tif: image is 60 x 80 '
            r'but the annotation says 61 x 80'):
        convert(dataset, tmp_path / 'out', annotators=('b', ))


def test_label_map_spacing_csv_img_dir_and_embedded_image(dataset, tmp_path):
    # annotator c: labels are landmark abbreviations, images by folder
    abbr = [
        'S', 'N', 'Or', 'Po', 'A', 'B', 'Pog', 'Me', 'Gn', 'Go', 'L1', 'U1',
        'UL', 'LL', 'Sn', 'PogS', 'PNS', 'ANS', 'Ar'
    ]
    pts = random_points(19, W, H, seed=9)
    write_labelme(
        str(tmp_path / 'c' / '001.json'), zip(abbr, pts), 'elsewhere/001.png',
        W, H)
    buf = io.BytesIO()
    Image.fromarray(grey_image(W, H, seed=5)).save(buf, format='PNG')
    write_labelme(
        str(tmp_path / 'c' / 'zz.json'),
        zip(abbr, pts),
        'nowhere/zz.png',
        W,
        H,
        image_data=base64.b64encode(buf.getvalue()).decode())
    label_map = tmp_path / 'map.json'
    label_map.write_text(json.dumps(dict(zip(abbr, NAMES))))
    spacing_csv = tmp_path / 'spacing.csv'
    spacing_csv.write_text('image,spacing\n001,0.1\nzz,0.2\n')
    out = tmp_path / 'out'
    result = labelme_cli.main([
        '--ann-dirs',
        str(tmp_path / 'c'), '--out',
        str(out), '--label-map',
        str(label_map), '--spacing-csv',
        str(spacing_csv), '--img-dir',
        str(dataset / 'images'), '--val-ratio', '0'
    ])
    images = {
        i['file_name']: i
        for i in load_split(str(out), 'train')['images']
    }
    assert {
        k: v['spacing']
        for k, v in images.items()
    } == {
        '001.png': 0.1,
        'zz.png': 0.2
    }
    assert np.array_equal(
        np.array(Image.open(out / 'images' / 'zz.png')),
        grey_image(W, H, seed=5))
    kp = keypoints_by_file(str(out), ['train'])['001.png']
    np.testing.assert_allclose(kp[:, :2], pts, atol=1e-3)
    assert result.split_counts == {'train': 2}


def test_cli_summary_and_errors(dataset, tmp_path, capsys):
    args = [
        '--ann-dirs',
        str(dataset / 'ann' / 'a'),
        str(dataset / 'ann' / 'b'), '--spacing', '0.144'
    ]
    labelme_cli.main(args + ['--out', str(tmp_path / 'out')])
    printed = capsys.readouterr().out
    assert 'Images written: 3 (train: 2, val: 1)' in printed
    assert 'Landmarks per image: 19; 57 of 57 visible' in printed
    assert 'Defects found: 0 annotation file(s) with defects, 1 note(s)' \
        in printed
    assert 'Inter-observer a vs b (3 images, 57 landmark pairs): MRE 0.407' \
        in printed
    with pytest.raises(SystemExit, match='already exists and is not empty'):
        labelme_cli.main(args + ['--out', str(tmp_path / 'out')])
    with pytest.raises(SystemExit, match="--annotator 'c' is not one of"):
        labelme_cli.main(
            args + ['--out', str(tmp_path / 'o2'), '--annotator', 'c'])
    result = labelme_cli.main(
        args + ['--out', str(tmp_path / 'o3'), '--annotator', 'b'])
    assert result.annotator_names() == ['b']
    os.remove(dataset / 'ann' / 'a' / '003.json')
    result = labelme_cli.main(args + ['--out', str(tmp_path / 'o4')])
    missing = [d for d in result.report if d.kind == 'missing_annotation']
    assert [(d.source, d.action) for d in missing
            ] == [('a/003.json', 'image uses the other annotator(s)')]


def test_broken_json_and_windows_image_path(dataset, tmp_path):
    data = json.load(open(dataset / 'ann' / 'a' / '001.json'))
    data['imagePath'] = '..\\..\\images\\001.png'  # as LabelMe on Windows
    json.dump(data, open(dataset / 'ann' / 'a' / '001.json', 'w'))
    (dataset / 'ann' / 'a' / '002.json').write_text('{"shapes": [')
    with pytest.raises(
            ConversionError,
            match=r'a/002.json: not a LabelMe '
            r'JSON file \(JSONDecodeError'):
        convert(dataset, tmp_path / 'out')
    result = convert(dataset, tmp_path / 'out', skip_invalid=True)
    assert result.num_images == 3
    assert sorted(result.annotators['001']) == ['a', 'b']
    assert sorted(result.annotators['002']) == ['b']


def test_missing_image_is_named(dataset, tmp_path):
    os.remove(dataset / 'images' / '001.png')
    with pytest.raises(
            ConversionError,
            match=r'images/001.png: image of '
            r'.*a/001.json not found'):
        convert(dataset, tmp_path / 'out')
    result = convert(dataset, tmp_path / 'out', skip_invalid=True)
    assert result.skipped == ['001']


def test_spacing_from_the_files_or_the_dicom_header(dataset, tmp_path):
    """Without --spacing: the ``spacing`` key a file records (as
    ``tools/infer.py --labelme`` writes it), else a DICOM image's header;
    an image with neither is named."""
    edit_top = json.load(open(dataset / 'ann' / 'a' / '001.json'))
    edit_top['spacing'] = [0.1, 0.12]
    json.dump(edit_top, open(dataset / 'ann' / 'a' / '001.json', 'w'))
    write_dicom(
        str(dataset / 'images' / '002.dcm'),
        grey_image(W, H, seed=1),
        imager_pixel_spacing=(0.1584, 0.1584),
        magnification=1.1)
    data = json.load(open(dataset / 'ann' / 'a' / '002.json'))
    data['imagePath'] = '../../images/002.dcm'
    json.dump(data, open(dataset / 'ann' / 'a' / '002.json', 'w'))
    samples = labelme_samples([str(dataset / 'ann' / 'a')], NAMES)
    assert [s.spacing for s in samples[:2]] == [(0.1, 0.12), (0.144, 0.144)]
    assert samples[2].spacing is None
    assert [(d.kind, d.detail) for d in samples[2].defects] == [
        ('missing_spacing', 'no spacing: the LabelMe file records none; give '
         'one (--spacing or --spacing-csv)')
    ]
    # a file recording an invalid spacing is named
    edit_top['spacing'] = [0, 1]
    json.dump(edit_top, open(dataset / 'ann' / 'a' / '001.json', 'w'))
    [bad] = labelme_samples([str(dataset / 'ann' / 'a')], NAMES)[0].defects
    assert bad.kind == 'missing_spacing' and '001.json: spacing' in bad.detail


def _dicom_image(dataset, stem, empty=False, **tags):
    """Point ``a/<stem>.json`` at ``images/<stem>.dcm`` written with
    ``tags`` (a 0-byte file if ``empty``)."""
    path = dataset / 'images' / f'{stem}.dcm'
    if empty:
        path.write_bytes(b'')
    else:
        write_dicom(str(path), grey_image(W, H, seed=1), **tags)
    data = json.load(open(dataset / 'ann' / 'a' / f'{stem}.json'))
    data['imagePath'] = f'../../images/{stem}.dcm'
    json.dump(data, open(dataset / 'ann' / 'a' / f'{stem}.json', 'w'))
    return path


def test_malformed_dicom_spacing_or_empty_image_is_named_not_missing(
        dataset, tmp_path):
    """Without a spacing given, a DICOM whose Pixel Spacing is malformed
    and an empty image file are unreadable images with their cause, not
    'no spacing' (whose advice, --spacing, would only give the next
    error)."""
    bad = _dicom_image(dataset, '001', pixel_spacing=(0.1, 0.1))
    bad.write_bytes(bad.read_bytes().replace(b'0.1\\0.1', b'0.0\\0.0'))
    empty = _dicom_image(dataset, '002', empty=True)
    samples = labelme_samples([str(dataset / 'ann' / 'a')], NAMES)
    assert [(d.source, d.kind) for s in samples[:2]
            for d in s.defects] == [(str(bad), 'unreadable_image'),
                                    (str(empty), 'unreadable_image')]
    assert samples[0].defects[0].detail.startswith(
        "malformed Pixel Spacing '0.0\\0.0' in the DICOM header")
    assert samples[1].defects[0].detail == 'the file is empty'
    # the same with --spacing: the header is still malformed
    given = labelme_samples([str(dataset / 'ann' / 'a')], NAMES, spacing=0.1)
    assert [d.kind for d in given[0].defects] == ['unreadable_image']
    # --skip-invalid files them as unreadable images
    labelme_cli.main([
        '--ann-dirs',
        str(dataset / 'ann' / 'a'), '--out',
        str(tmp_path / 'out'), '--skip-invalid'
    ])
    defects = load_defects(str(tmp_path / 'out'))
    assert [(d['file'], d['kind']) for d in defects
            if d['kind'] != 'format_mismatch'
            ] == [(str(bad), 'unreadable_image'),
                  (str(empty), 'unreadable_image'),
                  (osp.normpath(str(dataset / 'images' / '003.tif')),
                   'missing_spacing')]


def test_given_spacing_that_differs_from_the_header_is_logged(
        dataset, tmp_path):
    """As tools/infer.py: --spacing wins over a DICOM header's, with the
    same warning (ceph_landmarks.core.io.spacing_source)."""
    path = _dicom_image(dataset, '002', pixel_spacing=(0.2, 0.2))
    logger = logging.getLogger('ceph_landmarks')
    logged = []
    handler = logging.Handler()
    handler.emit = lambda record: logged.append(record.getMessage())
    logger.addHandler(handler)
    try:
        samples = labelme_samples([str(dataset / 'ann' / 'a')],
                                  NAMES,
                                  spacing=0.1)
    finally:
        logger.removeHandler(handler)
    assert samples[1].spacing == 0.1 and not samples[1].defects
    assert f'{path}: the spacing from --spacing, [0.1, 0.1] mm/px, ' \
        'overrides the one in its header, [0.2, 0.2] mm/px (DICOM Pixel ' \
        'Spacing)' in logged
