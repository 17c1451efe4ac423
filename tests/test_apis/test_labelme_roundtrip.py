"""Pre-annotation: predictions written as LabelMe files come back through
the LabelMe converter exactly (landmark order, coordinates, spacing)."""
import dataclasses
import json
import logging
import os.path as osp

import cv2
import numpy as np
import pytest
from mmengine.logging import MMLogger

from ceph_landmarks.apis import (LandmarkPredictor, labelme_labels,
                                 predict_to_folder)
from ceph_landmarks.core.metainfo import landmark_names
from ceph_landmarks.core.prediction import QualityCheck
from ceph_landmarks.core.writers.labelme_export import WRITTEN_KEY
from ceph_landmarks.core.writers.output_folder import labelme_changes
from data_converters import labelme as labelme_cli
from helpers import TINY_CONFIG, load_split, run_tool, write_dicom

NAMES = landmark_names('isbi2015')


@pytest.fixture(scope='module')
def predictor(untrained_checkpoint):
    return LandmarkPredictor(TINY_CONFIG, untrained_checkpoint)


@pytest.fixture
def images(tiny_data, tmp_path):
    """An 8-bit PNG LabelMe opens, and the same image as 12-bit data in a
    16-bit PNG, which it cannot show as the model sees it.

    Square: the model's square input then covers the image and nothing
    more, so that even random weights predict inside the image.
    """
    folder = tmp_path / 'xrays'
    folder.mkdir()
    grey = cv2.imread(
        osp.join(tiny_data, 'images', 'val_0000.png'),
        cv2.IMREAD_GRAYSCALE)[:96, :96]
    eight, deep = str(folder / 'plain.png'), str(folder / 'deep.png')
    cv2.imwrite(eight, grey)
    cv2.imwrite(deep, grey.astype(np.uint16) * 16)  # max 4080: 12-bit data
    return [eight, deep]


def convert(labelme_dir, out, *extra):
    """Run the LabelMe converter's command line; COCO of all images."""
    labelme_cli.main([
        '--ann-dirs',
        str(labelme_dir), '--out',
        str(out), '--landmark-set', 'isbi2015', '--val-ratio', '0', *extra
    ])
    coco = load_split(str(out), 'train')
    names = {img['id']: img for img in coco['images']}
    return {
        names[ann['image_id']]['file_name']:
        (np.array(ann['keypoints']).reshape(-1, 3),
         names[ann['image_id']]['spacing'])
        for ann in coco['annotations']
    }


def test_infer_labelme_convert_gives_the_prediction_back(
        predictor, images, tmp_path):
    out = tmp_path / 'results'
    outcomes = list(
        predict_to_folder(
            predictor, images, str(out), spacing=(0.1, 0.12), labelme=True))
    assert all(o.ok for o in outcomes)
    # LabelMe 5 content; the image LabelMe can open is referenced, the
    # 16-bit one gets an 8-bit rendition of the model's input
    plain = json.load(open(out / 'labelme' / 'plain.json'))
    assert plain['imagePath'] == '../../xrays/plain.png'
    assert osp.isfile(osp.join(out, 'labelme', plain['imagePath']))
    assert plain['imageData'] is None and plain['flags'] == {}
    height, width = cv2.imread(images[0]).shape[:2]
    assert (plain['imageWidth'], plain['imageHeight']) == (width, height)
    assert plain['spacing'] == [0.1, 0.12]
    assert plain['spacing_source'] == '--spacing'
    shape = plain['shapes'][0]
    assert set(shape) == {
        'label', 'points', 'group_id', 'description', 'shape_type', 'flags',
        'mask'
    }
    assert shape['shape_type'] == 'point' and shape['group_id'] is None
    deep = json.load(open(out / 'labelme' / 'deep.json'))
    assert deep['imagePath'] == 'deep.png'
    rendition = cv2.imread(
        str(out / 'labelme' / 'deep.png'), cv2.IMREAD_UNCHANGED)
    assert rendition.dtype == np.uint8 and rendition.shape == (height, width)
    assert abs(
        rendition.astype(int) -
        cv2.imread(images[0], cv2.IMREAD_GRAYSCALE)).max() <= 1

    coco = convert(out / 'labelme', tmp_path / 'dataset')
    assert sorted(coco) == ['deep.png', 'plain.png']
    for outcome in outcomes:
        name = osp.basename(outcome.image)
        keypoints, spacing = coco[name]
        # the converter stores 1/1000 px: the same numbers, in the same
        # order; points predicted outside the image come back on its edge
        pred = outcome.prediction.keypoints
        inside = (pred >= 0).all(1) & (pred <= 96).all(1)
        assert inside.sum() >= 10
        assert keypoints[inside, :2].tolist() == np.round(pred[inside],
                                                          3).tolist()
        assert keypoints[~inside, :2].tolist() == np.clip(
            pred[~inside], 0, 96).tolist()
        assert (keypoints[:, 2] == 2).all()
        assert spacing == [0.1, 0.12]
    assert outcomes[0].prediction.names == NAMES


def test_labels_descriptions_and_review_flags(predictor, images, tmp_path):
    out = tmp_path / 'results'
    [outcome] = predict_to_folder(
        predictor, images[:1], str(out), labelme=True, review_below=0.5)
    shapes = json.load(open(out / 'labelme' / 'plain.json'))['shapes']
    assert [s['label'] for s in shapes] == [f'l{k + 1}' for k in range(19)]
    assert labelme_labels(19) == [s['label'] for s in shapes]
    checked = 0
    for shape, lm in zip(shapes, outcome.prediction.landmarks):
        if not (0 <= lm.x <= 96 and 0 <= lm.y <= 96):
            continue  # on the edge (next test)
        assert shape['points'] == [[lm.x, lm.y]]
        assert shape['description'] == (
            f'{lm.name}, confidence {lm.confidence:.3f}')
        assert shape['flags'] == ({
            'review': True
        } if lm.confidence < 0.5 else {})
        checked += 1
    assert checked >= 10
    # no spacing given: recorded as unknown, and the converter says so
    record = json.load(open(out / 'labelme' / 'plain.json'))
    assert record['spacing'] is None and record['spacing_source'] is None
    with pytest.raises(
            SystemExit, match='no spacing: the LabelMe file '
            'records none'):
        convert(out / 'labelme', tmp_path / 'dataset')


def test_review_threshold_flags_every_point_below_it(predictor, images,
                                                     tmp_path):
    out = tmp_path / 'results'
    list(
        predict_to_folder(
            predictor, images[:1], str(out), labelme=True, review_below=2.0))
    shapes = json.load(open(out / 'labelme' / 'plain.json'))['shapes']
    assert all(s['flags'] == {'review': True} for s in shapes)


def test_explicit_spacing_overrides_the_recorded_one(predictor, images,
                                                     tmp_path):
    out = tmp_path / 'results'
    list(
        predict_to_folder(
            predictor, images[:1], str(out), spacing=0.1, labelme=True))
    logged = []
    handler = logging.Handler(logging.WARNING)
    handler.emit = lambda record: logged.append(record.getMessage())
    logger = MMLogger.get_current_instance()
    logger.addHandler(handler)
    try:
        coco = convert(out / 'labelme', tmp_path / 'dataset', '--spacing',
                       '0.2')
    finally:
        logger.removeHandler(handler)
    assert coco['plain.png'][1] == 0.2
    assert ('The spacing given overrides the one recorded in the LabelMe '
            'files of 1 image(s): plain: [0.1, 0.1] -> [0.2, 0.2]') in logged


def test_corrected_labelme_files_are_never_overwritten(predictor, images,
                                                       tmp_path):
    out = tmp_path / 'results'
    list(predict_to_folder(predictor, images, str(out), labelme=True))
    (out / 'labelme' / 'notes.txt').write_text('mine')
    with pytest.raises(FileExistsError, match='already holds the results'):
        predict_to_folder(predictor, images, str(out), labelme=True)
    # overwrite replaces the earlier LabelMe files and the rendition
    list(
        predict_to_folder(
            predictor, images[:1], str(out), labelme=True, overwrite=True))
    assert sorted(p.name for p in (out / 'labelme').iterdir()) == [
        'notes.txt', 'plain.json'
    ]
    # a point moved in LabelMe: refused even with overwrite
    path = out / 'labelme' / 'plain.json'
    record = json.load(open(path))
    record['shapes'][3]['points'] = [[10.0, 20.0]]
    path.write_text(json.dumps(record))
    with pytest.raises(
            FileExistsError,
            match=r'plain.json was changed since the prediction wrote it '
            r'\(points moved; corrected in LabelMe\?\)'):
        predict_to_folder(
            predictor, images[:1], str(out), labelme=True, overwrite=True)
    assert json.load(open(path)) == record


def test_reviewed_flags_and_notes_are_never_overwritten(
        predictor, images, tmp_path):
    """Review work without a moved point (a review box unticked, a note
    added) is recorded against the digests written with the file; a file
    saved again unchanged (as LabelMe rewrites it) is replaced."""
    out = tmp_path / 'results'
    list(predict_to_folder(predictor, images[:1], str(out), labelme=True))
    path = out / 'labelme' / 'plain.json'
    record = json.load(open(path))
    assert set(record[WRITTEN_KEY]) == {
        'shapes', 'points', 'flags', 'descriptions', 'image_flags'
    }
    # saved again by LabelMe, content unchanged: keys in its order,
    # unknown keys kept, shapes' extra keys rewritten
    resaved = dict(record, version='5.5.0', imageData=None)
    for shape in resaved['shapes']:
        shape['mask'] = None
    path.write_text(json.dumps(resaved, ensure_ascii=False, indent=2))
    assert labelme_changes(str(path), str(out / 'plain.json')) == []
    list(
        predict_to_folder(
            predictor, images[:1], str(out), labelme=True, overwrite=True))
    # the reviewer unticks a flag and adds a note: refused
    record = json.load(open(path))
    record['shapes'][0]['flags'] = {'review': False}
    record['shapes'][1]['description'] += '; checked, fine'
    path.write_text(json.dumps(record, indent=2))
    before = path.read_bytes()
    with pytest.raises(
            FileExistsError,
            match=r'plain.json was changed since the prediction wrote it '
            r'\(shape flags changed \(e.g. review\), descriptions '
            r'changed; corrected in LabelMe\?\)'):
        predict_to_folder(
            predictor, images[:1], str(out), labelme=True, overwrite=True)
    assert path.read_bytes() == before
    # a file without the record (an older version's) keeps the old rule:
    # only moved points protect it
    del record[WRITTEN_KEY]
    path.write_text(json.dumps(record, indent=2))
    assert labelme_changes(str(path), str(out / 'plain.json')) == []
    record['shapes'][2]['points'] = [[1.0, 2.0]]
    path.write_text(json.dumps(record, indent=2))
    assert labelme_changes(str(path),
                           str(out / 'plain.json')) == ['points moved']


def test_points_outside_the_image_go_to_its_edge_for_review(
        predictor, tiny_data, tmp_path):
    # a narrow image: the square model input reaches past its sides
    image = osp.join(tiny_data, 'images', 'val_0000.png')
    out = tmp_path / 'results'
    [outcome] = predict_to_folder(
        predictor, [image], str(out), labelme=True, review_below=0.0)
    pred = outcome.prediction
    outside = [
        k for k, lm in enumerate(pred.landmarks)
        if not (0 <= lm.x <= pred.width and 0 <= lm.y <= pred.height)
    ]
    assert outside  # random weights: some are
    shapes = json.load(open(out / 'labelme' / 'val_0000.json'))['shapes']
    for k, (shape, lm) in enumerate(zip(shapes, pred.landmarks)):
        x, y = shape['points'][0]
        assert 0 <= x <= pred.width and 0 <= y <= pred.height
        if k in outside:
            assert shape['flags'] == {'review': True}
            assert 'predicted outside the image at' in shape['description']
        else:
            assert (x, y) == (lm.x, lm.y) and shape['flags'] == {}
    # not taken for a correction: overwrite replaces it
    list(
        predict_to_folder(
            predictor, [image], str(out), labelme=True, overwrite=True))


class Calibrated:
    """A predictor's points with error radii (0.5 to 5 mm) and a quality
    verdict, as a calibrated model gives them."""

    def __init__(self, predictor, verdict):
        self.labels = predictor.labels
        self.predictor = predictor
        self.verdict = verdict

    def predict_batch(self, images, **kwargs):
        results = []
        for prediction in self.predictor.predict_batch(images, **kwargs):
            radii = np.linspace(0.5, 5.0, len(prediction.landmarks))
            results.append(
                dataclasses.replace(
                    prediction,
                    landmarks=[
                        dataclasses.replace(lm, radius_mm=r, radius_px=r * 10)
                        for lm, r in zip(prediction.landmarks, radii)
                    ],
                    quality=QualityCheck(self.verdict,
                                         ['landmarks implausible']),
                    calibration='90 % error radii, test'))
        return results


def test_calibrated_labelme_files_convert_back(predictor, images, tmp_path):
    """Radius in the descriptions and review flags, the verdict in the
    image flags and a top-level ``quality``: the converter reads the
    points back unchanged."""
    out = tmp_path / 'results'
    outcomes = list(
        predict_to_folder(
            Calibrated(predictor, 'review'),
            images,
            str(out),
            spacing=0.1,
            labelme=True,
            review_below=0.0,
            review_radius=3.0))
    record = json.load(open(out / 'labelme' / 'plain.json'))
    assert record['flags'] == {'quality_review': True}
    assert record['quality']['verdict'] == 'review'
    assert record['calibration'] == '90 % error radii, test'
    radii = np.linspace(0.5, 5.0, 19)
    pred = outcomes[0].prediction
    for shape, lm, radius in zip(record['shapes'], pred.landmarks, radii):
        assert f', error radius {radius:.2f} mm' in shape['description']
        if 0 <= lm.x <= 96 and 0 <= lm.y <= 96:
            assert shape['flags'] == ({'review': True} if radius > 3.0 else {})
    assert labelme_changes(
        str(out / 'labelme' / 'plain.json'), str(out / 'plain.json')) == []
    coco = convert(out / 'labelme', tmp_path / 'dataset')
    for outcome in outcomes:
        keypoints, spacing = coco[osp.basename(outcome.image)]
        inside = (outcome.prediction.keypoints
                  >= 0).all(1) & (outcome.prediction.keypoints <= 96).all(1)
        assert keypoints[inside, :2].tolist() == np.round(
            outcome.prediction.keypoints[inside], 3).tolist()
        assert spacing == 0.1


@pytest.mark.slow
def test_infer_tool_labelme_round_trip(untrained_checkpoint, images, tmp_path):
    out = tmp_path / 'results'
    proc = run_tool('infer.py', TINY_CONFIG,
                    *images, '--checkpoints', untrained_checkpoint, '--out',
                    str(out), '--spacing', '0.1', '--labelme',
                    '--review-below', '0.3')
    assert 'labelme/<stem>.json' in proc.stdout
    coco = convert(out / 'labelme', tmp_path / 'dataset')
    for name in ('plain', 'deep'):
        record = json.load(open(out / f'{name}.json'))
        assert record['spacing_source'] == '--spacing'
        keypoints, spacing = coco[f'{name}.png']
        # inside the image exactly, else on its edge
        assert keypoints[:, :2].tolist() == [[
            round(min(max(lm[c], 0), 96), 3) for c in 'xy'
        ] for lm in record['landmarks']]
        assert spacing == 0.1


@pytest.mark.slow
def test_infer_tool_on_dicom_scans(untrained_checkpoint, images, tmp_path):
    """``tools/infer.py CONFIG 'scans/*.dcm' --checkpoints CKPT --out DIR
    --labelme
    --report``: the header's spacing reaches every output and comes back
    through the converter."""
    grey = cv2.imread(images[0], cv2.IMREAD_GRAYSCALE)
    write_dicom(
        str(tmp_path / 'scans' / 'p1.dcm'),
        (4095 - grey.astype(np.uint16) * 16),
        bits_stored=12,
        photometric='MONOCHROME1',
        imager_pixel_spacing=(0.1584, 0.1584),
        magnification=1.1)
    out = tmp_path / 'results'
    run_tool('infer.py', TINY_CONFIG, str(tmp_path / 'scans' / '*.dcm'),
             '--checkpoints', untrained_checkpoint, '--out', str(out),
             '--labelme', '--report')
    source = 'DICOM Imager Pixel Spacing / magnification 1.1'
    record = json.load(open(out / 'p1.json'))
    assert record['spacing'] == pytest.approx([0.144, 0.144])
    assert record['spacing_source'] == source
    labelme = json.load(open(out / 'labelme' / 'p1.json'))
    assert labelme['imagePath'] == 'p1.png'  # LabelMe cannot open DICOM
    assert labelme['spacing_source'] == source
    assert source in (out / 'report' / 'p1.html').read_text()
    keypoints, spacing = convert(out / 'labelme',
                                 tmp_path / 'dataset')['p1.png']
    assert spacing == pytest.approx(0.144)
    assert keypoints[:, :2].tolist() == [[
        round(min(max(lm[c], 0), 96), 3) for c in 'xy'
    ] for lm in record['landmarks']]
