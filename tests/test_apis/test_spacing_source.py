"""Where each image's spacing comes from, in inference outputs: given,
spacing CSV, DICOM header, annotation file or none."""
import csv
import json
import logging
import os.path as osp

import cv2
import numpy as np
import pytest
from mmengine.logging import MMLogger

from ceph_landmarks.apis import (LandmarkPredictor, collect_images,
                                 load_ground_truth, predict_to_folder,
                                 read_spacing_csv)
from helpers import TINY_CONFIG, write_dicom


@pytest.fixture(scope='module')
def predictor(untrained_checkpoint):
    return LandmarkPredictor(TINY_CONFIG, untrained_checkpoint)


@pytest.fixture
def folder(tiny_data, tmp_path):
    """A PNG, and a 12-bit MONOCHROME2 DICOM with Pixel Spacing 0.12 mm
    between rows, 0.1 mm between columns."""
    root = tmp_path / 'scans'
    grey = cv2.imread(
        osp.join(tiny_data, 'images', 'val_0000.png'), cv2.IMREAD_GRAYSCALE)
    root.mkdir()
    cv2.imwrite(str(root / 'b.png'), grey)
    write_dicom(
        str(root / 'a.dcm'),
        grey.astype(np.uint16) * 16,
        bits_stored=12,
        pixel_spacing=(0.12, 0.1))
    (root / 'notes.txt').write_text('not an image')
    return root


class LogLines:
    """Collects the messages of the current MMLogger at WARNING and up."""

    def __enter__(self):
        self.lines = []
        self.handler = logging.Handler(logging.WARNING)
        self.handler.emit = lambda r: self.lines.append(r.getMessage())
        MMLogger.get_current_instance().addHandler(self.handler)
        return self.lines

    def __exit__(self, *exc_info):
        MMLogger.get_current_instance().removeHandler(self.handler)


def test_folder_with_dicom_records_the_header_spacing(predictor, folder,
                                                      tmp_path):
    images = collect_images([str(folder)])
    assert [osp.basename(p) for p in images] == ['a.dcm', 'b.png']
    out = tmp_path / 'out'
    outcomes = list(
        predict_to_folder(predictor, images, str(out), labelme=True))
    dicom, png = (o.prediction for o in outcomes)
    assert dicom.spacing == (0.1, 0.12)
    assert dicom.spacing_source == 'DICOM Pixel Spacing'
    assert png.spacing is None and png.spacing_source is None
    assert json.load(open(out / 'a.json'))['spacing_source'] == \
        'DICOM Pixel Spacing'
    rows = list(csv.DictReader(open(out / 'landmarks.csv')))
    assert {(osp.basename(r['image']), r['spacing_source'])
            for r in rows} == {('a.dcm', 'DICOM Pixel Spacing'), ('b.png', '')}
    dcm_row = next(r for r in rows if r['image'].endswith('a.dcm'))
    assert float(dcm_row['y_mm']) == pytest.approx(
        float(dcm_row['y']) * 0.12, abs=1e-3)
    # LabelMe cannot open DICOM: an 8-bit rendition, and the spacing kept
    labelme = json.load(open(out / 'labelme' / 'a.json'))
    assert labelme['imagePath'] == 'a.png'
    assert labelme['spacing'] == [0.1, 0.12]
    assert labelme['spacing_source'] == 'DICOM Pixel Spacing'
    rendition = cv2.imread(
        str(out / 'labelme' / 'a.png'), cv2.IMREAD_UNCHANGED)
    assert rendition.dtype == np.uint8 and rendition.ndim == 2


def test_given_spacing_overrides_the_header_and_says_so(
        predictor, folder, tmp_path):
    images = [str(folder / 'a.dcm'), str(folder / 'b.png')]
    with LogLines() as lines:
        outcomes = list(
            predict_to_folder(
                predictor, images, str(tmp_path / 'out'), spacing=0.144))
    assert [(o.prediction.spacing, o.prediction.spacing_source)
            for o in outcomes] == [((0.144, 0.144), '--spacing')] * 2
    assert lines == [
        f'{images[0]}: the spacing from --spacing, [0.144, 0.144] mm/px, '
        'overrides the one in its header, [0.1, 0.12] mm/px (DICOM Pixel '
        'Spacing)'
    ]


def test_spacing_csv_and_annotation_file_are_named(predictor, tiny_data,
                                                   tmp_path):
    table = tmp_path / 'spacing.csv'
    table.write_text('image,spacing\nval_0000.png,0.2\n')
    ann_file = osp.join(tiny_data, 'annotations', 'val.json')
    images = [
        osp.join(tiny_data, 'images', f'val_000{i}.png') for i in range(2)
    ]
    outcomes = list(
        predict_to_folder(
            predictor,
            images,
            str(tmp_path / 'out'),
            spacing_table=read_spacing_csv(str(table)),
            spacing_table_name=str(table),
            ground_truth=load_ground_truth(ann_file, 19)))
    assert [(o.prediction.spacing, o.prediction.spacing_source)
            for o in outcomes] == [
                ((0.2, 0.2), f'spacing CSV {table}'),
                ((0.1, 0.1), f'annotation file {ann_file}'),
            ]


def test_predict_on_a_dicom_uses_its_header(predictor, folder):
    result = predictor.predict(str(folder / 'a.dcm'))
    assert result.spacing == (0.1, 0.12)
    assert result.spacing_source == 'DICOM Pixel Spacing'
    lm = result.landmarks[0]
    assert lm.x_mm == pytest.approx(lm.x * 0.1)
    given = predictor.predict(str(folder / 'a.dcm'), spacing=0.2)
    assert given.spacing_source == 'spacing argument'
    assert np.array_equal(given.keypoints, result.keypoints)
    png = predictor.predict(str(folder / 'b.png'))
    assert png.spacing is None and png.spacing_source is None


def test_monochrome1_dicom_equals_the_png_with_its_spacing(
        predictor, tiny_data, tmp_path):
    """A 12-bit MONOCHROME1 DICOM with Imager Pixel Spacing 0.1584 mm and
    magnification 1.1 predicts what its 8-bit PNG does with --spacing
    0.144: the same landmarks and measurements, the spacing from the
    header."""
    png = osp.join(tiny_data, 'images', 'val_0000.png')
    grey = cv2.imread(png, cv2.IMREAD_GRAYSCALE).astype(np.float64)
    stored = 4095 - np.round(grey * 4095 / 255)  # 0 is white
    dcm = write_dicom(
        str(tmp_path / 'scan.dcm'),
        stored.astype(np.uint16),
        bits_stored=12,
        photometric='MONOCHROME1',
        imager_pixel_spacing=(0.1584, 0.1584),
        magnification=1.1)
    from_dicom = predictor.predict(dcm)
    from_png = predictor.predict(png, spacing=0.144)
    assert from_dicom.spacing == pytest.approx((0.144, 0.144))
    assert from_dicom.spacing_source == \
        'DICOM Imager Pixel Spacing / magnification 1.1'
    np.testing.assert_array_equal(from_dicom.keypoints, from_png.keypoints)
    for a, b in zip(from_dicom.measurements, from_png.measurements):
        assert a.key == b.key
        assert (a.value is None) == (b.value is None)
        if a.value is not None:
            assert a.value == pytest.approx(b.value, rel=1e-9)
