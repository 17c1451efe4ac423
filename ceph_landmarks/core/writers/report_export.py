"""Predictions as HTML report pages (``tools/infer.py --report``).

``report/<stem>.html`` per image (a banner when the image's quality check
asks for review or finds it unusable, the overlay, landmark table in px
and mm with confidence, error radius and review marks, the cephalometric
analyses with norms, flags and uncertainties, and with ground truth the
errors) and ``report/index.html`` linking them with each image's verdict,
written by :mod:`ceph_landmarks.core.writers.html_report`; this module
turns a prediction into its rows.
"""
import os.path as osp
from typing import List, Optional

from ..prediction import ImagePrediction
from .html_report import write_html_report, write_report_index
from .labelme_export import ReviewRule

__all__ = [
    'report_landmark_rows', 'report_analysis_rows', 'write_report_page',
    'index_entry', 'write_index'
]

#: Deviations counted as flagged in the index.
_FLAGGED = ('outside 1 SD', 'outside 2 SD')


def report_landmark_rows(prediction: ImagePrediction,
                         comparison: Optional[dict],
                         review_below: float,
                         review_radius: Optional[float] = None) -> List[dict]:
    """The landmark table of one image.

    Args:
        prediction (ImagePrediction): The prediction.
        comparison (dict, optional): :func:`compare_with_ground_truth`'s
            result, ``None`` without ground truth.
        review_below (float): Points with a lower confidence are marked
            for review.
        review_radius (float, optional): Points whose error radius exceeds
            this many mm are marked too; ``None``: not used.

    Returns:
        list[dict]: ``name, x, y, x_mm, y_mm, confidence, radius_mm,
        radius_px, review`` and,
        with ground truth, ``gt_x, gt_y`` (``None`` where not annotated),
        ``error_px, error_mm``.
    """
    rule = ReviewRule(review_below, review_radius)
    rows = []
    truth = comparison['landmarks'] if comparison else [None] * len(
        prediction.landmarks)
    for lm, true in zip(prediction.landmarks, truth):
        row = dict(
            name=lm.name,
            x=lm.x,
            y=lm.y,
            x_mm=lm.x_mm,
            y_mm=lm.y_mm,
            confidence=lm.confidence,
            radius_mm=lm.radius_mm,
            radius_px=lm.radius_px,
            review=rule.needs_review(lm))
        if true is not None:
            seen = true['visible']
            row.update(
                gt_x=true['x'] if seen else None,
                gt_y=true['y'] if seen else None,
                error_px=true['error_px'],
                error_mm=true['error_mm'])
        rows.append(row)
    return rows


def report_analysis_rows(prediction: ImagePrediction,
                         comparison: Optional[dict]) -> List[dict]:
    """The analyses table of one image: each
    :meth:`MeasurementResult.to_dict` (with its ``uncertainty``), with
    ground truth plus
    ``ground_truth`` and ``error`` (predicted minus true)."""
    rows = []
    for m in prediction.measurements:
        row = m.to_dict()
        if comparison is not None:
            row.update(
                ground_truth=comparison['measurements'].get(m.key),
                error=comparison['measurement_errors'].get(m.key))
        rows.append(row)
    return rows


def write_report_page(report_dir: str,
                      stem: str,
                      prediction: ImagePrediction,
                      overlay_png: bytes,
                      comparison: Optional[dict],
                      review_below: float,
                      review_radius: Optional[float] = None) -> str:
    """Write ``<report_dir>/<stem>.html``.

    Args:
        report_dir (str): The report folder (must exist).
        stem (str): Output name of the image.
        prediction (ImagePrediction): The prediction.
        overlay_png (bytes): The overlay, PNG encoded.
        comparison (dict, optional): The comparison with ground truth.
        review_below (float): Confidence below which a point is marked.
        review_radius (float, optional): Error radius in mm above which a
            point is marked; ``None``: not used.

    Returns:
        str: The file written.
    """
    landmarks = report_landmark_rows(prediction, comparison, review_below,
                                     review_radius)
    rule = f'confidence below {review_below:g}'
    if review_radius is not None:
        rule += f' or error radius above {review_radius:g} mm'
    quality = prediction.quality
    summary = {
        'Image file':
        prediction.image,
        'Size (px)':
        f'{prediction.width} x {prediction.height}',
        f'Landmarks to review ({rule})':
        sum(row['review'] for row in landmarks),
        'Quality check of the landmarks':
        quality.verdict if quality is not None else 'not run',
    }
    if comparison is not None:
        summary['MRE (mm)'] = comparison['MRE_mm']
        summary['MRE (px)'] = comparison['MRE_px']
    return write_html_report(
        osp.join(report_dir, f'{stem}.html'),
        image_name=osp.basename(prediction.image),
        overlay_png=overlay_png,
        landmarks=landmarks,
        analyses=report_analysis_rows(prediction, comparison),
        spacing=prediction.spacing,
        spacing_source=prediction.spacing_source,
        summary=summary,
        index_href='index.html',
        quality=None if quality is None else quality.to_dict(),
        calibration=prediction.calibration)


def index_entry(image: str,
                stem: Optional[str],
                prediction: Optional[ImagePrediction] = None,
                comparison: Optional[dict] = None,
                error: Optional[str] = None) -> dict:
    """The index row of one image (``stem`` ``None`` when it failed), with
    its quality ``verdict`` (``None`` when not checked)."""
    quality = prediction.quality if prediction else None
    return dict(
        image=osp.basename(image),
        href=f'{stem}.html' if stem else None,
        mre_mm=comparison['MRE_mm'] if comparison else None,
        num_flagged=sum(
            m.deviation in _FLAGGED
            for m in prediction.measurements) if prediction else None,
        verdict=quality.verdict if quality is not None else None,
        error=error)


def write_index(report_dir: str, entries: List[dict]) -> str:
    """Write ``<report_dir>/index.html`` from :func:`index_entry` rows."""
    return write_report_index(osp.join(report_dir, 'index.html'), entries)
