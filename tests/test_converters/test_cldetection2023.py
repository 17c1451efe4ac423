"""CL-Detection 2023 converter on a 3-image .mha stack written here."""
import json
import os.path as osp

import numpy as np
import pytest
from PIL import Image

from ceph_landmarks.core.conversion import MhaStack, remove_zero_padding
from data_converters import cldetection2023 as cl_cli
from helpers import build_dataset, keypoints_by_file, load_defects, load_split

# the CL-Detection 2023 converter's reader; left out of the offline bundle
sitk = pytest.importorskip('SimpleITK', reason='SimpleITK is not installed')

PADDED = (40, 50)  # stack H x W
SIZES = [(30, 45), (40, 20), (12, 50)]  # (H, W) of each image
SCALES = ['0.1', '0.125', '0.1']


def image(index, height, width):
    """RGB X-ray-like image (three equal channels), no zero pixel."""
    grey = (np.arange(height * width).reshape(height, width) * 7 +
            index * 31) % 250 + 1
    return np.repeat(grey[..., None], 3, axis=2).astype(np.uint8)


def points(index, height, width):
    rng = np.random.default_rng(index)
    return np.round(rng.uniform([0, 0], [width - 1, height - 1], size=(38, 2)))


@pytest.fixture
def data(tmp_path):
    stack = np.zeros((3, *PADDED, 3), np.uint8)
    labels = []
    for i, (h, w) in enumerate(SIZES):
        stack[i, :h, :w] = image(i, h, w)
        for k, (x, y) in enumerate(points(i, h, w)):
            labels.append(
                dict(name=str(k + 1), point=[x, y, i + 1], scale=SCALES[i]))
    stack_path = str(tmp_path / 'train_stack.mha')
    sitk.WriteImage(sitk.GetImageFromArray(stack, isVector=True), stack_path)
    labels_path = tmp_path / 'train-gt.json'
    labels_path.write_text(
        json.dumps(
            dict(name='Landmarks', type='Multiple points', points=labels)))
    return stack_path, labels_path


def run(data, out, *extra):
    stack, labels = data
    return cl_cli.main([
        '--stack', stack, '--labels',
        str(labels), '--out',
        str(out), '--val-ratio', '0.34', '--test-ratio', '0.33', *extra
    ])


def test_slices_unpadded_spacing_and_split(data, tmp_path, monkeypatch):
    # the volume is only ever read one 2-D slice at a time
    def whole_volume(*args, **kwargs):
        raise AssertionError('sitk.ReadImage reads the whole volume')

    shapes = []
    to_array = sitk.GetArrayFromImage
    monkeypatch.setattr(sitk, 'ReadImage', whole_volume)
    monkeypatch.setattr(
        sitk, 'GetArrayFromImage',
        lambda img: shapes.append(img.GetDimension()) or to_array(img))
    out = tmp_path / 'out'
    result = run(data, out)
    assert shapes == [2, 2, 2]
    assert result.split_counts == {'train': 1, 'val': 1, 'test': 1}
    kps = keypoints_by_file(str(out), ['train', 'val', 'test'])
    spacing = {}
    for split in ('train', 'val', 'test'):
        for img in load_split(str(out), split)['images']:
            spacing[img['file_name']] = img['spacing']
    for i, (h, w) in enumerate(SIZES):
        name = f'{i + 1:03d}.png'
        pixels = np.array(Image.open(out / 'images' / name))
        assert pixels.shape == (h, w)  # padding removed, grey
        assert np.array_equal(pixels, image(i, h, w)[..., 0])
        np.testing.assert_allclose(kps[name][:, :2], points(i, h, w))
        assert spacing[name] == float(SCALES[i])
    # what the training dataset reads: 38 landmarks, the image's spacing
    info = build_dataset(str(out), 'train', 'cldetection2023')[0]
    assert info['keypoints'].shape == (1, 38, 2)
    assert info['spacing'] == float(SCALES[int(info['img_path'][-7:-4]) - 1])
    # same seed, same split
    again = run(data, tmp_path / 'again')
    assert load_split(str(tmp_path / 'again'),
                      'val')['images'][0]['file_name'] == load_split(
                          str(out), 'val')['images'][0]['file_name']
    assert again.num_images == 3


def test_remove_zero_padding_keeps_inner_zeros():
    pixels = np.zeros((6, 7), np.uint8)
    pixels[0, 0] = 1
    pixels[3, 4] = 2  # inner zeros above/left of the last non-zero stay
    assert remove_zero_padding(pixels).shape == (4, 5)
    with pytest.raises(ValueError, match='all zero'):
        remove_zero_padding(np.zeros((3, 3)), 'x.mha[image 1]')


def _edit_labels(labels_path, fn):
    data = json.loads(labels_path.read_text())
    data['points'] = fn(data['points'])
    labels_path.write_text(json.dumps(data))


def test_missing_landmark_kept_invisible(data, tmp_path):
    _edit_labels(
        data[1], lambda pts:
        [p for p in pts if not (p['point'][2] == 2 and p['name'] == '38')])
    out = tmp_path / 'out'
    run(data, out)
    kp = keypoints_by_file(str(out), ['train', 'val', 'test'])['002.png']
    assert kp[37].tolist() == [0, 0, 0] and (kp[:37, 2] == 2).all()
    assert [
        (d['file'], d['labels'], d['action']) for d in load_defects(str(out))
    ] == [('train-gt.json[image 2]', ['38'], 'kept with visibility 0')]


def test_duplicate_outside_and_scale_defects(data, tmp_path):
    labels = data[1]
    original = labels.read_text()
    _edit_labels(labels, lambda pts: pts + [dict(pts[0], point=[1, 1, 1])])
    with pytest.raises(
            SystemExit,
            match=r"train-gt.json\[image 1\]: "
            r"landmark label '1' appears 2 times"):
        run(data, tmp_path / 'out')
    result = run(data, tmp_path / 'out', '--skip-invalid')
    assert result.skipped == ['001'] and result.num_images == 2

    labels.write_text(original)  # a point in the padding of image 2
    _edit_labels(
        labels, lambda pts: [
            dict(p, point=[30, 5, 2])
            if p['point'][2] == 2 and p['name'] == '7' else p for p in pts
        ])
    with pytest.raises(
            SystemExit,
            match=r"train-gt.json\[image 2\]: "
            r"point\(s\) outside the 20 x 40 image: 7 at"):
        run(data, tmp_path / 'o2')

    labels.write_text(original)
    _edit_labels(
        labels, lambda pts:
        [dict(p, scale='n/a') if p['point'][2] == 3 else p for p in pts])
    with pytest.raises(
            SystemExit,
            match=r'image 3\]: expected one positive '
            r'"scale" for all points'):
        run(data, tmp_path / 'o3')
    assert not any(osp.exists(tmp_path / o) for o in ('o2', 'o3'))


def test_labels_beyond_the_stack_and_bad_file(data, tmp_path):
    stack, labels = data
    _edit_labels(labels, lambda pts: pts + [dict(pts[0], point=[1, 1, 9])])
    with pytest.raises(
            SystemExit,
            match=r'points on image\(s\) \[9\], but '
            r'.*holds 3 images'):
        run(data, tmp_path / 'out')
    labels.write_text('[]')
    with pytest.raises(
            SystemExit, match='expected a JSON object with a '
            '"points" list'):
        run(data, tmp_path / 'out')
    assert len(MhaStack(stack)) == 3
