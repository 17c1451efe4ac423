"""Predict on many image files and write the results into a folder.

Files written into ``out_dir``:

* ``<stem>.json``: the prediction of one image (:meth:`ImagePrediction.to_dict`
  plus ``ground_truth`` when an annotation is given, else ``null``).
* ``<stem>_overlay.png``: the image with the labelled landmarks (and the
  ground truth with error lines); with a calibration, a circle of each
  landmark's error radius, and in the title the verdict of the image's
  quality check when it is not ``ok``.
* ``landmarks.csv``: one row per image and landmark: ``image, landmark, x,
  y, x_mm, y_mm, confidence, spacing_source, radius_mm, radius_px`` (mm
  columns empty without a spacing; the radius columns, the calibrated
  error radius (:attr:`~ceph_landmarks.core.prediction.Landmark.radius_mm`),
  empty without a calibration, ``radius_px`` also without a spacing).
* ``measurements.csv``: one row per image and cephalometric measurement
  (:class:`~ceph_landmarks.core.evaluation.MeasurementResult`):
  ``image, analysis, measurement`` (its key, e.g. ``SNA``), ``value, unit``
  (``deg``, ``mm`` or ``%``), ``norm_mean, norm_sd`` (the reference norm;
  empty where none is published), ``deviation`` (``within``, ``outside 1
  SD``, ``outside 2 SD``, empty without a value or norm), ``flag`` (its
  wording), and with an annotation ``ground_truth`` (the true value) and
  ``error`` (predicted minus true), and ``uncertainty`` (the standard
  deviation of the value propagated from the error radii; empty without a
  calibration); empty where undefined.
* with ``labelme=True``, ``labelme/<stem>.json`` (and ``labelme/<stem>.png``
  for an image LabelMe cannot show): the prediction as a LabelMe file to
  correct (:mod:`.labelme_export`): points to check flagged ``review``
  (confidence below ``review_below``, error radius above
  ``review_radius``), the quality verdict in the image flags.
* with ``report=True``, ``report/<stem>.html`` (a self-contained page:
  a banner when the quality check asks for review or finds the image
  unusable, overlay, landmarks in px and mm with confidence and error
  radius, analyses with norms, flags and uncertainties, errors against the
  ground truth) and ``report/index.html`` linking them, with each image's
  verdict (:mod:`.report_export`).

Without a calibration (:attr:`ImagePrediction.calibration` ``None``) the
radius columns are empty and the report says ``no calibration: no error
radii``.

``<stem>`` is the image's file name without extension, with ``_2``,
``_3``... added when two inputs share it. An image that cannot be read is
not fatal: it is reported in its :class:`InferenceOutcome` and the run goes
on with the next one.

A folder that already holds these files from an earlier run is refused,
unless ``overwrite=True``: then every earlier output is removed first, so
no earlier result stays mixed with the new ones; files that are not
outputs are kept (:func:`.output_folder.check_output_folder`).
"""
import csv
import functools
import json
import os
import os.path as osp
from dataclasses import dataclass, field
from typing import (Callable, Dict, Iterator, List, Optional, Protocol,
                    Sequence, Tuple)

import cv2
import numpy as np

from ..ground_truth import (GroundTruth, compare_with_ground_truth,
                            match_ground_truth)
from ..io.batch_inputs import ImageInput
from ..io.inputs import Spacing, load_image, normalize_spacing
from ..io.spacing_source import resolve_spacing
from ..log import get_logger
from ..prediction import ImagePrediction
from .labelme_export import (DEFAULT_REVIEW_BELOW, ReviewRule,
                             write_labelme_file)
from .output_folder import REPORT_FOLDER, check_output_folder, output_stems
from .overlay import draw_landmark_overlay
from .report_export import index_entry, write_index, write_report_page

__all__ = [
    'LANDMARK_COLUMNS', 'MEASUREMENT_COLUMNS', 'FolderPredictor',
    'InferenceOutcome', 'predict_to_folder'
]

#: Columns of ``landmarks.csv``.
LANDMARK_COLUMNS = ('image', 'landmark', 'x', 'y', 'x_mm', 'y_mm',
                    'confidence', 'spacing_source', 'radius_mm', 'radius_px')
#: Columns of ``measurements.csv``.
MEASUREMENT_COLUMNS = ('image', 'analysis', 'measurement', 'value', 'unit',
                       'norm_mean', 'norm_sd', 'deviation', 'flag',
                       'ground_truth', 'error', 'uncertainty')


class FolderPredictor(Protocol):
    """What :func:`predict_to_folder` needs of a predictor: the MMPose
    :class:`~ceph_landmarks.apis.LandmarkPredictor` and the light runtime's
    both have it.

    Attributes:
        labels (Sequence[str]): Short landmark labels for the overlays, in
            channel order.
    """
    labels: Sequence[str]

    def predict_batch(
        self,
        images: Sequence[ImageInput],
        spacings: Optional[Sequence[Optional[Spacing]]] = None,
        sources: Optional[Sequence[str]] = None,
        batch_size: int = 8,
        spacing_sources: Optional[Sequence[Optional[str]]] = None
    ) -> List[ImagePrediction]:
        """Predict the landmarks of many images, in input order (the
        arguments are checked by
        :func:`~ceph_landmarks.core.io.batch_inputs.check_batch_inputs`)."""


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


#: What the overlay's title says of a quality verdict other than ``ok``.
_TITLE_VERDICT = dict(
    review='landmarks need review', refuse='landmarks not usable')


def _fmt(value: Optional[float]) -> str:
    return '' if value is None or not np.isfinite(value) else f'{value:.6g}'


def predict_to_folder(predictor: FolderPredictor,
                      images: Sequence[str],
                      out_dir: str,
                      spacing: Optional[Spacing] = None,
                      spacing_table: Optional[Dict[str, Tuple[float,
                                                              float]]] = None,
                      ground_truth: Optional[Dict[str, GroundTruth]] = None,
                      batch_size: int = 1,
                      overwrite: bool = False,
                      spacing_table_name: Optional[str] = None,
                      labelme: bool = False,
                      review_below: float = DEFAULT_REVIEW_BELOW,
                      report: bool = False,
                      review_radius: Optional[float] = None
                      ) -> Iterator[InferenceOutcome]:
    """Predict every image and write JSON, overlays and CSVs into a folder.

    Returns a generator that yields one :class:`InferenceOutcome` per image,
    in input order, as soon as the image's files are written (wrap it in a
    progress bar). The CSV files are complete when it is exhausted. The
    arguments and the folder are checked, and with ``overwrite`` the
    earlier results removed, when this function is called.

    Args:
        predictor (FolderPredictor): The model, e.g. a
            :class:`~ceph_landmarks.apis.LandmarkPredictor`.
        images (Sequence[str]): Image files.
        out_dir (str): Output folder, created if needed.
        spacing (float | tuple[float, float], optional): Pixel spacing of
            every image in mm/px; it overrides a DICOM header's (logged).
        spacing_table (dict, optional): Spacings by image name
            (:func:`~ceph_landmarks.core.io.inputs.read_spacing_csv`), used
            when ``spacing`` is ``None``.
        ground_truth (dict[str, GroundTruth], optional): Annotations by
            ``file_name``
            (:func:`~ceph_landmarks.core.ground_truth.load_ground_truth`),
            matched to the images by path (:func:`match_ground_truth`);
            their spacing is used for images that get none from
            ``spacing``, the table or their DICOM header
            (:func:`~ceph_landmarks.core.io.spacing_source.resolve_spacing`).
        batch_size (int): Images per forward pass.
        overwrite (bool): Replace the results of an earlier run in
            ``out_dir`` (:func:`check_output_folder`) instead of refusing
            them.
        spacing_table_name (str, optional): The spacing table's file,
            recorded as the spacing source.
        labelme (bool): Also write ``labelme/<stem>.json`` per image
            (:func:`~.labelme_export.write_labelme_file`).
        review_below (float): LabelMe points and report rows with a lower
            confidence are flagged for review.
        report (bool): Also write ``report/<stem>.html`` per image and
            ``report/index.html`` (:mod:`.report_export`); the index is
            written when the generator is exhausted.
        review_radius (float, optional): LabelMe points and report rows
            whose calibrated error radius exceeds this many mm are flagged
            for review too; ``None``: not used (nor without a calibration).

    Returns:
        Iterator[InferenceOutcome]: The result of each image.

    Raises:
        ValueError: If ``spacing`` or ``review_radius`` is invalid, or two
            images match one annotation entry equally well
            (:func:`match_ground_truth`).
        FileExistsError: If ``out_dir`` holds earlier results and not
            ``overwrite``.
    """
    spacing = normalize_spacing(spacing)
    if review_radius is not None and not review_radius >= 0:
        raise ValueError(f'review_radius must be a number of mm >= 0, but '
                         f'got {review_radius}')
    truths = match_ground_truth(images, ground_truth or {})
    earlier = check_output_folder(
        out_dir, images, overwrite, labelme=labelme, report=report)
    for path in earlier:
        os.remove(path)
    if earlier:
        get_logger().warning(
            f'Removed the {len(earlier)} result files of an earlier run '
            f'from {out_dir} (overwrite)')
    os.makedirs(out_dir or os.curdir, exist_ok=True)
    writer = _FolderWriter(out_dir, predictor.labels,
                           ReviewRule(review_below, review_radius), labelme,
                           report)
    spacing_of = functools.partial(
        resolve_spacing,
        spacing=spacing,
        spacing_table=spacing_table,
        table_name=spacing_table_name)
    return _predict_to_folder(predictor, images, writer, spacing_of, truths,
                              batch_size)


def _predict_to_folder(predictor: FolderPredictor, images: Sequence[str],
                       writer: '_FolderWriter', spacing_of: Callable,
                       ground_truth: Sequence[Optional[GroundTruth]],
                       batch_size: int) -> Iterator[InferenceOutcome]:
    """The generator of :func:`predict_to_folder`."""
    stems = output_stems(images)
    with writer:
        for start in range(0, len(images), batch_size):
            chunk = range(start, min(start + batch_size, len(images)))
            loaded, failed, truths, resolved = {}, {}, {}, []
            for i in chunk:
                truths[i] = ground_truth[i]
                try:
                    loaded[i] = load_image(images[i])
                    resolved.append(spacing_of(images[i], truth=truths[i]))
                except (OSError, ValueError) as err:
                    loaded.pop(i, None)
                    failed[i] = str(err)
            ids = list(loaded)  # readable images of this chunk
            results = predictor.predict_batch(
                [loaded[i] for i in ids],
                spacings=[s for s, _ in resolved],
                sources=[images[i] for i in ids],
                batch_size=batch_size,
                spacing_sources=[src for _, src in resolved])
            predictions = dict(zip(ids, results))
            for i in chunk:
                if i in failed:
                    yield writer.failed(images[i], failed[i])
                    continue
                yield writer.write(predictions[i], loaded[i], truths[i],
                                   stems[i])
            writer.flush()
        writer.finish()


class _FolderWriter:
    """Writes the files of each image and the rows of the CSV files.

    Args:
        out_dir (str): The output folder.
        labels (Sequence[str]): Short landmark labels for the overlays.
        review (ReviewRule): Which points are flagged for review
            (LabelMe files, report).
        labelme (bool): Write the LabelMe files.
        report (bool): Write the report pages and index.
    """

    def __init__(self, out_dir: str, labels: Sequence[str], review: ReviewRule,
                 labelme: bool, report: bool) -> None:
        self.out_dir = out_dir
        self.labels = labels
        self.review = review
        self.labelme = labelme
        self.report_dir = osp.join(out_dir, REPORT_FOLDER) if report else None
        self.index: List[dict] = []

    def __enter__(self) -> '_FolderWriter':
        if self.report_dir:
            os.makedirs(self.report_dir, exist_ok=True)
        self._files = [
            open(osp.join(self.out_dir, name), 'w', newline='')
            for name in ('landmarks.csv', 'measurements.csv')
        ]
        self.lm_csv, self.ms_csv = (csv.writer(f) for f in self._files)
        self.lm_csv.writerow(LANDMARK_COLUMNS)
        self.ms_csv.writerow(MEASUREMENT_COLUMNS)
        return self

    def __exit__(self, *exc_info) -> None:
        for f in self._files:
            f.close()

    def flush(self) -> None:
        """Flush the CSV files (after each batch)."""
        for f in self._files:
            f.flush()

    def finish(self) -> None:
        """Write the report's index (after the last image)."""
        if self.report_dir:
            write_index(self.report_dir, self.index)

    def failed(self, image: str, error: str) -> InferenceOutcome:
        """Record an image that could not be predicted."""
        self.index.append(index_entry(image, None, error=error))
        return InferenceOutcome(image, error=error)

    def write(self, prediction: ImagePrediction, image: np.ndarray,
              truth: Optional[GroundTruth], stem: str) -> InferenceOutcome:
        """Write the files and CSV rows of one image."""
        comparison = compare_with_ground_truth(prediction, truth) \
            if truth is not None else None
        record = prediction.to_dict()
        record['ground_truth'] = comparison
        json_file = osp.join(self.out_dir, f'{stem}.json')
        with open(json_file, 'w') as f:
            json.dump(record, f, indent=2)
        overlay_file, overlay_png = self._write_overlay(
            prediction, image, truth, comparison, stem)
        files = [json_file, overlay_file]
        if self.labelme:
            files += write_labelme_file(
                prediction,
                image,
                self.out_dir,
                stem,
                self.review.below,
                review_radius=self.review.radius)
        if self.report_dir:
            files.append(
                write_report_page(
                    self.report_dir,
                    stem,
                    prediction,
                    overlay_png,
                    comparison,
                    self.review.below,
                    review_radius=self.review.radius))
            self.index.append(
                index_entry(prediction.image, stem, prediction, comparison))
        self._write_rows(prediction, comparison)
        return InferenceOutcome(
            prediction.image,
            prediction=prediction,
            ground_truth=comparison,
            files=files)

    def _write_overlay(self, prediction: ImagePrediction, image: np.ndarray,
                       truth: Optional[GroundTruth],
                       comparison: Optional[dict],
                       stem: str) -> Tuple[str, bytes]:
        """Draw the landmarks (and the ground truth) on the image; return
        the file written and its bytes."""
        title = osp.basename(prediction.image)
        quality = prediction.quality
        if quality is not None and quality.verdict in _TITLE_VERDICT:
            title += f'  [{_TITLE_VERDICT[quality.verdict]}]'
        if comparison is not None:
            if comparison['MRE_mm'] is not None:
                title += f'  MRE {comparison["MRE_mm"]:.2f} mm'
            title += '  (red: predicted, green: ground truth)'
        radii = [lm.radius_px for lm in prediction.landmarks]
        if any(r is not None for r in radii):
            title += '  circles: error radii'
        overlay = draw_landmark_overlay(
            image,
            prediction.keypoints,
            self.labels,
            gt_keypoints=truth.keypoints if truth is not None else None,
            gt_visible=truth.visible if truth is not None else None,
            title=title,
            radii_px=radii)
        overlay_file = osp.join(self.out_dir, f'{stem}_overlay.png')
        encoded, png = cv2.imencode('.png', overlay)
        if not encoded:
            raise OSError(f'cannot encode the overlay of {prediction.image}')
        with open(overlay_file, 'wb') as f:
            f.write(png.tobytes())
        return overlay_file, png.tobytes()

    def _write_rows(self, prediction: ImagePrediction,
                    comparison: Optional[dict]) -> None:
        """The rows of one image in ``landmarks.csv`` and
        ``measurements.csv``."""
        for lm in prediction.landmarks:
            self.lm_csv.writerow([
                prediction.image, lm.name, f'{lm.x:.3f}', f'{lm.y:.3f}',
                _fmt(lm.x_mm),
                _fmt(lm.y_mm), f'{lm.confidence:.4f}',
                prediction.spacing_source or '',
                _fmt(lm.radius_mm),
                _fmt(lm.radius_px)
            ])
        truth = comparison['measurements'] if comparison else {}
        errors = comparison['measurement_errors'] if comparison else {}
        for m in prediction.measurements:
            self.ms_csv.writerow([
                prediction.image, m.analysis, m.key,
                _fmt(m.value), m.unit,
                _fmt(m.norm_mean),
                _fmt(m.norm_sd), m.deviation or '', m.flag,
                _fmt(truth.get(m.key)),
                _fmt(errors.get(m.key)),
                _fmt(m.uncertainty)
            ])
