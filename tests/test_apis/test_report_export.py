"""predict_to_folder(report=True): a page per image and an index, read
back from the HTML; the output-folder rule covers the report files."""
import base64
import os.path as osp
import shutil

import cv2
import numpy as np
import pytest

from ceph_landmarks.apis import (LandmarkPredictor, load_ground_truth,
                                 predict_to_folder)
from ceph_landmarks.core.evaluation import supported_measurements
from ceph_landmarks.core.metainfo import landmark_names
from helpers import (TINY_CONFIG, chromium_or_skip, read_html_page, run_tool,
                     screenshot)

KEYS = supported_measurements(landmark_names('isbi2015'))


@pytest.fixture(scope='module')
def predictor(untrained_checkpoint):
    return LandmarkPredictor(TINY_CONFIG, untrained_checkpoint)


@pytest.fixture
def inputs(tiny_data, tmp_path):
    folder = tmp_path / 'in'
    folder.mkdir()
    for i in (0, 1):
        shutil.copy(
            osp.join(tiny_data, 'images', f'val_000{i}.png'),
            folder / f'val_000{i}.png')
    (folder / 'broken.png').write_bytes(b'\x89PNG\r\n\x1a\n')
    images = [
        str(folder / n) for n in ('val_0000.png', 'broken.png', 'val_0001.png')
    ]
    truth = load_ground_truth(
        osp.join(tiny_data, 'annotations', 'val.json'), 19)
    return images, truth


def test_report_pages_and_index(predictor, inputs, tmp_path):
    images, truth = inputs
    out = tmp_path / 'out'
    outcomes = list(
        predict_to_folder(
            predictor, images, str(out), ground_truth=truth, report=True))
    assert [o.ok for o in outcomes] == [True, False, True]
    index = read_html_page(str(out / 'report' / 'index.html'))
    rows = index.tables['images']
    assert [r[0] for r in rows[1:]] == [osp.basename(p) for p in images]
    assert index.links == ['val_0000.html', 'val_0001.html']
    assert 'cannot read image' in rows[2][-1]

    page = read_html_page(str(out / 'report' / 'val_0000.html'))
    prediction = outcomes[0].prediction
    landmarks = page.tables['landmarks']
    assert [r[1] for r in landmarks[1:]] == prediction.names
    assert float(landmarks[1][2]) == pytest.approx(
        prediction.landmarks[0].x, abs=0.05)
    reviewed = [lm.confidence < 0.5 for lm in prediction.landmarks]
    assert [c == 'review'
            for c in page.row_classes['landmarks'][1:]] == reviewed
    analyses = page.tables['analyses']
    assert analyses[0][-2:] == ['Ground truth', 'Error']
    assert [r[1] for r in analyses[1:]
            ] == [m.name for m in prediction.measurements]
    assert len(analyses) - 1 == len(KEYS)
    assert 'errors' in page.tables  # ground truth given
    assert 'Pixel spacing: 0.1 mm/px (from annotation file' in page.text
    # the embedded overlay is the overlay file
    png = base64.b64decode(page.images[0].split(',', 1)[1])
    assert png == (out / 'val_0000_overlay.png').read_bytes()
    assert page.links == ['index.html']
    # no calibration: said instead of a radius; no quality check
    assert 'Error radius: no calibration: no error radii' in page.text
    assert {r[7:9] == ['\u2014', '\u2014'] for r in landmarks[1:]} == {True}
    assert 'Quality check of the landmarks: not run' in index.text


def test_report_files_are_replaced_only_with_overwrite(predictor, inputs,
                                                       tmp_path):
    images, _ = inputs
    out = tmp_path / 'out'
    list(predict_to_folder(predictor, images, str(out), report=True))
    (out / 'report' / 'mine.css').write_text('kept')
    with pytest.raises(FileExistsError, match='already holds the results'):
        predict_to_folder(predictor, images[:1], str(out))
    list(
        predict_to_folder(
            predictor, images[:1], str(out), report=True, overwrite=True))
    assert sorted(p.name for p in (out / 'report').iterdir()) == [
        'index.html', 'mine.css', 'val_0000.html'
    ]


@pytest.mark.slow
def test_infer_tool_report_renders(untrained_checkpoint, tiny_data, tmp_path):
    out = tmp_path / 'out'
    run_tool('infer.py', TINY_CONFIG,
             osp.join(tiny_data, 'images',
                      'val_0000.png'), '--checkpoints', untrained_checkpoint,
             '--out', str(out), '--report', '--spacing', '0.1')
    page = out / 'report' / 'val_0000.html'
    assert read_html_page(str(page)).tables['analyses']
    shot = screenshot(chromium_or_skip(), str(page), str(tmp_path / 'p.png'))
    pixels = cv2.imread(shot)
    assert pixels is not None and pixels.shape[:2] == (1600, 1200)
    assert len(np.unique(pixels.reshape(-1, 3), axis=0)) > 50
