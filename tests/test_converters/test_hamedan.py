"""The LabelMe converter on the real Hamedan cephalograms, and a short
training run on the result.

Needs ``../shared/data/hamedan`` (100 images, two orthodontists, seven known
annotation defects listed in its README); skipped when it is absent. The
tests of the converted data are slow: the conversion of the 100 X-rays
takes seconds, the training a subprocess.
"""
import contextlib
import io
import json
import os.path as osp
import re

import numpy as np
import pytest
from PIL import Image

from ceph_landmarks.core.conversion import (ConversionError, convert_samples,
                                            labelme_samples)
from ceph_landmarks.core.metainfo import landmark_names
from ceph_landmarks.models import load_local_checkpoint
from data_converters import labelme as labelme_cli
from helpers import (HAMEDAN, TINY_HAMEDAN, data_options, last_run_scalars,
                     needs_hamedan, run_tool)

ANN_DIRS = [
    osp.join(HAMEDAN, 'annotations', a) for a in ('farhadifar', 'mollabashi')
]

pytestmark = needs_hamedan

#: The README's seven defects: file -> {(kind, label)}.
KNOWN_DEFECTS = {
    'farhadifar/002.json': {('duplicated_landmark', 'l17'),
                            ('missing_landmark', 'l18')},
    'mollabashi/002.json': {('duplicated_landmark', 'l11')},
    'mollabashi/009.json': {('duplicated_landmark', 'l15')},
    'mollabashi/010.json': {('duplicated_landmark', 'l12')},
    'mollabashi/064.json': {('duplicated_landmark', 'l7')},
    'mollabashi/086.json': {('missing_landmark', 'l16')},
    'mollabashi/098.json': {('duplicated_landmark', 'l5')},
}


@pytest.fixture(scope='module')
def converted(tmp_path_factory):
    """Both annotators, mean, invalid files skipped."""
    out = str(tmp_path_factory.mktemp('hamedan') / 'data')
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        result = labelme_cli.main([
            '--ann-dirs', *ANN_DIRS, '--spacing', '0.144', '--skip-invalid',
            '--out', out
        ])
    return out, result, printed.getvalue()


def load(out):
    images, anns = [], []
    for split in ('train', 'val'):
        with open(osp.join(out, 'annotations', f'{split}.json')) as f:
            coco = json.load(f)
        images += coco['images']
        anns += coco['annotations']
    return images, anns


def test_without_skip_invalid_every_duplicate_is_named(tmp_path):
    names = landmark_names('isbi2015')
    samples = labelme_samples(ANN_DIRS, names, spacing=0.144)
    with pytest.raises(ConversionError) as err:
        convert_samples(samples, str(tmp_path / 'out'), names,
                        ['train', 'val'])
    message = str(err.value)
    assert message.startswith('6 invalid input file(s):')
    for source, problems in KNOWN_DEFECTS.items():
        for kind, label in problems:
            if kind == 'duplicated_landmark':
                assert f"{source}: landmark label '{label}' appears 2 " \
                    'times' in message
    assert not osp.exists(tmp_path / 'out')


@pytest.mark.slow
def test_99_images_19_landmarks_inside_spacing_0144(converted):
    out, result, _ = converted
    images, anns = load(out)
    assert len(images) == len(anns) == 99  # 002: both files invalid
    assert result.skipped == ['002']
    assert result.split_counts == {'train': 79, 'val': 20}
    sizes = {img['id']: (img['width'], img['height']) for img in images}
    assert set(sizes.values()) == {(1340, 1671)}
    assert {img['spacing'] for img in images} == {0.144}
    for ann in anns:
        kp = np.array(ann['keypoints']).reshape(-1, 3)
        assert kp.shape == (19, 3) and (kp[:, 2] == 2).all()
        width, height = sizes[ann['image_id']]
        assert (kp[:, 0] >= 0).all() and (kp[:, 0] <= width).all()
        assert (kp[:, 1] >= 0).all() and (kp[:, 1] <= height).all()
        assert ann['bbox'] == [0, 0, width, height]


@pytest.mark.slow
def test_exactly_the_seven_known_defects(converted):
    out, result, printed = converted
    with open(osp.join(out, 'defects.json')) as f:
        report = json.load(f)['defects']
    found = {}
    for d in report:
        if d['severity'] != 'note':
            found.setdefault(d['file'], set()).update(
                (d['kind'], label) for label in d['labels'])
    assert found == KNOWN_DEFECTS
    actions = {(d['file'], d['kind']): d['action'] for d in report}
    assert actions[('mollabashi/009.json', 'duplicated_landmark')] == \
        'annotation file skipped'
    assert actions[('mollabashi/086.json', 'missing_landmark')] == \
        'taken from the other annotator(s)'
    assert 'Defects found: 7 annotation file(s) with defects, 1 note(s)' \
        in printed
    listed = [
        line.split(':')[0].strip() for line in printed.splitlines()
        if line.startswith('  ') and '.json:' in line
    ]
    assert listed == sorted(KNOWN_DEFECTS)  # one line per defective file


@pytest.mark.slow
def test_jpeg_named_tif_is_noted_and_decoded(converted):
    out, result, _ = converted
    notes = result.report.of_severity('note')
    assert [(osp.basename(d.source), d.detail) for d in notes
            ] == [('067.tif', 'JPEG data under a TIFF file name')]
    png = np.array(Image.open(osp.join(out, 'images', '067.png')))
    jpeg = np.array(Image.open(osp.join(HAMEDAN, 'images', '067.tif')))
    assert png.shape == (1671, 1340) and np.array_equal(png, jpeg)


@pytest.mark.slow
def test_interobserver_agreement_matches_the_readme(converted):
    _, result, printed = converted
    stats = result.interobserver('farhadifar', 'mollabashi')
    assert stats['images'] == 95  # both files valid
    assert 1.5 < stats['MRE'] < 1.9  # README: about 1.7 mm
    assert 68 < stats['SDR@2mm'] < 76  # README: about 72 %
    assert 90 < stats['SDR@4mm'] < 96  # README: about 93 %
    assert re.search(
        r'Inter-observer farhadifar vs mollabashi \(95 images, '
        r'\d+ landmark pairs\): MRE 1\.\d{3}', printed)


@pytest.mark.slow
def test_tiny_model_trains_on_converted_data(converted, tmp_path):
    out, _, _ = converted
    run_tool('train.py', TINY_HAMEDAN, '--work-dir', str(tmp_path),
             *data_options(out), 'train_dataloader.dataset.indices=8',
             'val_dataloader.dataset.indices=4')
    checkpoint = load_local_checkpoint(str(tmp_path / 'epoch_1.pth'))
    assert (checkpoint['meta']['epoch'], checkpoint['meta']['iter']) == (1, 2)
    validation, = [
        r for r in last_run_scalars(str(tmp_path)) if 'ceph/MRE' in r
    ]
    assert 0 < validation['ceph/MRE'] and 'ceph/SDR@2mm' in validation
