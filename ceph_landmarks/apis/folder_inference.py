"""Predict on many image files and write the results into a folder.

Files written into ``out_dir``:

* ``<stem>.json``: the prediction of one image (:meth:`ImagePrediction.to_dict`
  plus ``ground_truth`` when an annotation is given, else ``null``).
* ``<stem>_overlay.png``: the image with the labelled landmarks (and the
  ground truth with error lines).
* ``landmarks.csv``: one row per image and landmark: ``image, landmark, x,
  y, x_mm, y_mm, confidence`` (mm columns empty without a spacing).
* ``measurements.csv``: one row per image and angle: ``image,
  measurement, degrees, ground_truth_degrees``.

``<stem>`` is the image's file name without extension, with ``_2``,
``_3``... added when two inputs share it. An image that cannot be read is
not fatal: it is reported in its :class:`InferenceOutcome` and the run goes
on with the next one.

A folder that already holds these files from an earlier run is refused,
unless ``overwrite=True``: then every earlier output (the two CSV files and
each ``<stem>.json`` beside a ``<stem>_overlay.png``) is removed first, so
no earlier result stays mixed with the new ones.
"""
import csv
import glob
import json
import logging
import os
import os.path as osp
from collections import Counter
from dataclasses import dataclass, field
from typing import Dict, Iterator, List, Optional, Sequence, Tuple

import cv2
import numpy as np
from mmengine.logging import print_log
from mmengine.utils import mkdir_or_exist

from ..visualization.overlay import draw_landmark_overlay
from .ground_truth import GroundTruth, compare_with_ground_truth
from .inputs import Spacing, load_image, lookup_spacing, normalize_spacing
from .prediction import ImagePrediction
from .predictor import LandmarkPredictor

__all__ = [
    'LANDMARK_COLUMNS', 'MEASUREMENT_COLUMNS', 'InferenceOutcome',
    'check_output_folder', 'output_stems', 'predict_to_folder'
]

#: Columns of ``landmarks.csv``.
LANDMARK_COLUMNS = ('image', 'landmark', 'x', 'y', 'x_mm', 'y_mm',
                    'confidence')
#: Columns of ``measurements.csv``.
MEASUREMENT_COLUMNS = ('image', 'measurement', 'degrees',
                       'ground_truth_degrees')


@dataclass
class InferenceOutcome:
    """What happened to one input image.

    Attributes:
        image (str): The image path.
        prediction (ImagePrediction, optional): ``None`` if it failed.
        error (str, optional): Why it failed (names the file).
        ground_truth (dict, optional): Comparison with the annotation
            (:func:`compare_with_ground_truth`), ``None`` without one.
        files (list[str]): Files written for this image.
    """
    image: str
    prediction: Optional[ImagePrediction] = None
    error: Optional[str] = None
    ground_truth: Optional[dict] = None
    files: List[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """Whether the image was predicted."""
        return self.error is None


def output_stems(images: Sequence[str]) -> List[str]:
    """A distinct output name for each image, from its file name.

    Args:
        images (Sequence[str]): Image paths.

    Returns:
        list[str]: The file name without extension; the second, third...
        image with the same name gets ``_2``, ``_3``...
    """
    seen: Counter = Counter()
    taken = set()
    stems = []
    for path in images:
        base = osp.splitext(osp.basename(path))[0]
        seen[base] += 1
        stem = base if seen[base] == 1 else f'{base}_{seen[base]}'
        while stem in taken:
            seen[base] += 1
            stem = f'{base}_{seen[base]}'
        taken.add(stem)
        stems.append(stem)
    return stems


def check_output_folder(out_dir: str,
                        images: Sequence[str] = (),
                        overwrite: bool = False) -> List[str]:
    """Refuse a folder holding an earlier run's results unless
    ``overwrite``.

    Args:
        out_dir (str): Output folder (need not exist).
        images (Sequence[str]): The images to predict, whose output files
            must not exist either.
        overwrite (bool): Whether earlier results may be replaced.

    Returns:
        list[str]: The earlier outputs: ``landmarks.csv``,
        ``measurements.csv``, every ``<stem>.json`` with a
        ``<stem>_overlay.png`` beside it (and that overlay), and any file
        the new run would write; other files are not counted.

    Raises:
        FileExistsError: If there are earlier outputs and not ``overwrite``.
    """
    earlier = [
        osp.join(out_dir, name)
        for name in ('landmarks.csv', 'measurements.csv')
        if osp.isfile(osp.join(out_dir, name))
    ]
    for overlay in sorted(
            glob.glob(osp.join(glob.escape(out_dir), '*_overlay.png'))):
        record = overlay[:-len('_overlay.png')] + '.json'
        if osp.isfile(record):
            earlier += [record, overlay]
    for stem in output_stems(images):
        for name in (f'{stem}.json', f'{stem}_overlay.png'):
            path = osp.join(out_dir, name)
            if osp.isfile(path) and path not in earlier:
                earlier.append(path)
    if earlier and not overwrite:
        names = ', '.join(osp.basename(path) for path in earlier[:4])
        more = f' and {len(earlier) - 4} more' if len(earlier) > 4 else ''
        raise FileExistsError(
            f'{out_dir} already holds the results of an earlier run '
            f'({names}{more}); replace them all with --overwrite '
            '(overwrite=True) or choose another output folder')
    return earlier


def _fmt(value: Optional[float]) -> str:
    return '' if value is None or not np.isfinite(value) else f'{value:.6g}'


def _resolve_spacing(image: str, spacing: Optional[Tuple[float, float]],
                     spacing_table: Optional[Dict[str, Tuple[float, float]]],
                     truth: Optional[GroundTruth]
                     ) -> Optional[Tuple[float, float]]:
    """Spacing of one image: explicit, else from the table, else the
    annotation file's, else unknown."""
    if spacing is not None:
        return spacing
    if spacing_table is not None:
        found = lookup_spacing(spacing_table, image)
        if found is not None:
            return found
    return truth.spacing if truth is not None else None


def predict_to_folder(predictor: LandmarkPredictor,
                      images: Sequence[str],
                      out_dir: str,
                      spacing: Optional[Spacing] = None,
                      spacing_table: Optional[Dict[str, Tuple[float,
                                                              float]]] = None,
                      ground_truth: Optional[Dict[str, GroundTruth]] = None,
                      batch_size: int = 1,
                      overwrite: bool = False) -> Iterator[InferenceOutcome]:
    """Predict every image and write JSON, overlays and CSVs into a folder.

    Returns a generator that yields one :class:`InferenceOutcome` per image,
    in input order, as soon as the image's files are written (wrap it in a
    progress bar). The CSV files are complete when it is exhausted. The
    arguments and the folder are checked, and with ``overwrite`` the
    earlier results removed, when this function is called.

    Args:
        predictor (LandmarkPredictor): The model.
        images (Sequence[str]): Image files.
        out_dir (str): Output folder, created if needed.
        spacing (float | tuple[float, float], optional): Pixel spacing of
            every image in mm/px.
        spacing_table (dict, optional): Spacings by image name
            (:func:`~ceph_landmarks.apis.read_spacing_csv`), used when
            ``spacing`` is ``None``.
        ground_truth (dict[str, GroundTruth], optional): Annotations by
            image file name (:func:`load_ground_truth`); their spacing is
            used for images that get none from ``spacing`` or the table.
        batch_size (int): Images per forward pass.
        overwrite (bool): Replace the results of an earlier run in
            ``out_dir`` (:func:`check_output_folder`) instead of refusing
            them.

    Returns:
        Iterator[InferenceOutcome]: The result of each image.

    Raises:
        ValueError: If ``spacing`` is invalid.
        FileExistsError: If ``out_dir`` holds earlier results and not
            ``overwrite``.
    """
    spacing = normalize_spacing(spacing)
    earlier = check_output_folder(out_dir, images, overwrite)
    for path in earlier:
        os.remove(path)
    if earlier:
        print_log(
            f'Removed the {len(earlier)} result files of an earlier run '
            f'from {out_dir} (overwrite)',
            logger='current',
            level=logging.WARNING)
    mkdir_or_exist(out_dir)
    return _predict_to_folder(predictor, images, out_dir, spacing,
                              spacing_table, ground_truth or {}, batch_size)


def _predict_to_folder(predictor: LandmarkPredictor, images: Sequence[str],
                       out_dir: str, spacing: Optional[Tuple[float, float]],
                       spacing_table: Optional[Dict[str, Tuple[float, float]]],
                       ground_truth: Dict[str, GroundTruth],
                       batch_size: int) -> Iterator[InferenceOutcome]:
    """The generator of :func:`predict_to_folder`."""
    stems = output_stems(images)
    with open(osp.join(out_dir, 'landmarks.csv'), 'w', newline='') as lm_f, \
            open(osp.join(out_dir, 'measurements.csv'), 'w',
                 newline='') as ms_f:
        lm_csv = csv.writer(lm_f)
        ms_csv = csv.writer(ms_f)
        lm_csv.writerow(LANDMARK_COLUMNS)
        ms_csv.writerow(MEASUREMENT_COLUMNS)
        for start in range(0, len(images), batch_size):
            chunk = range(start, min(start + batch_size, len(images)))
            loaded, failed = {}, {}
            for i in chunk:
                try:
                    loaded[i] = load_image(images[i])
                except (OSError, ValueError) as err:
                    failed[i] = str(err)
            ids = list(loaded)  # readable images of this chunk
            truths = {
                i: ground_truth.get(osp.basename(images[i]))
                for i in ids
            }
            spacings = [
                _resolve_spacing(images[i], spacing, spacing_table, truths[i])
                for i in ids
            ]
            results = predictor.predict_batch([loaded[i] for i in ids],
                                              spacings=spacings,
                                              sources=[images[i] for i in ids],
                                              batch_size=batch_size)
            predictions = dict(zip(ids, results))
            for i in chunk:
                if i in failed:
                    yield InferenceOutcome(images[i], error=failed[i])
                    continue
                yield _write_outputs(predictions[i], loaded[i], truths[i],
                                     stems[i], out_dir, predictor.labels,
                                     lm_csv, ms_csv)
            lm_f.flush()
            ms_f.flush()


def _write_outputs(prediction: ImagePrediction, image: np.ndarray,
                   truth: Optional[GroundTruth], stem: str, out_dir: str,
                   labels: Sequence[str], lm_csv: csv.writer,
                   ms_csv: csv.writer) -> InferenceOutcome:
    """Write the JSON, the overlay and the CSV rows of one image."""
    comparison = compare_with_ground_truth(prediction, truth) \
        if truth is not None else None
    record = prediction.to_dict()
    record['ground_truth'] = comparison
    json_file = osp.join(out_dir, f'{stem}.json')
    with open(json_file, 'w') as f:
        json.dump(record, f, indent=2)

    title = osp.basename(prediction.image)
    if comparison is not None:
        if comparison['MRE_mm'] is not None:
            title += f'  MRE {comparison["MRE_mm"]:.2f} mm'
        title += '  (red: predicted, green: ground truth)'
    overlay = draw_landmark_overlay(
        image,
        prediction.keypoints,
        labels,
        gt_keypoints=truth.keypoints if truth is not None else None,
        gt_visible=truth.visible if truth is not None else None,
        title=title)
    overlay_file = osp.join(out_dir, f'{stem}_overlay.png')
    if not cv2.imwrite(overlay_file, overlay):
        raise OSError(f'cannot write {overlay_file}')

    for lm in prediction.landmarks:
        lm_csv.writerow([
            prediction.image, lm.name, f'{lm.x:.3f}', f'{lm.y:.3f}',
            _fmt(lm.x_mm),
            _fmt(lm.y_mm), f'{lm.confidence:.4f}'
        ])
    true_angles = comparison['measurements'] if comparison else {}
    for key, value in prediction.measurements.items():
        ms_csv.writerow(
            [prediction.image, key,
             _fmt(value),
             _fmt(true_angles.get(key))])
    return InferenceOutcome(
        prediction.image,
        prediction=prediction,
        ground_truth=comparison,
        files=[json_file, overlay_file])
