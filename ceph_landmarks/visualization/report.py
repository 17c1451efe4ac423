"""The evaluation report of a test run: plots and the worst images.

Files written into the report folder:

* ``per_landmark_mre.png``: MRE of each landmark, with its SD.
* ``sdr_curve.png``: success detection rate versus threshold.
* ``worst_{rank:02d}_{image}.png``: overlays of the images with the largest
  mean radial error, prediction and ground truth with error lines.
* ``per_image_errors.csv``: MRE and largest error of every image, worst
  first.
"""
import csv
import os.path as osp
from typing import List, Optional, Sequence

import cv2
import numpy as np
from mmengine.logging import MMLogger
from mmengine.utils import mkdir_or_exist

from ..core.evaluation import (per_image_mre, per_landmark_errors,
                               radial_errors_mm)
from ..core.writers.overlay import draw_landmark_overlay
from .plots import plot_per_landmark_mre, plot_sdr_curve

__all__ = ['write_evaluation_report']


def write_evaluation_report(pred: np.ndarray,
                            gt: np.ndarray,
                            mask: np.ndarray,
                            spacing: np.ndarray,
                            img_paths: Sequence[str],
                            names: Sequence[str],
                            out_dir: str,
                            labels: Optional[Sequence[str]] = None,
                            num_worst: int = 5) -> List[str]:
    """Write the plots, the worst images' overlays and a per-image table.

    Args:
        pred (np.ndarray[N, K, 2]): Predicted landmarks in pixels.
        gt (np.ndarray[N, K, 2]): True landmarks in pixels.
        mask (np.ndarray[N, K]): ``True`` where the ground truth exists.
        spacing (np.ndarray[N, 2]): Pixel spacing ``(sx, sy)`` in mm/px.
        img_paths (Sequence[str]): Image file of each of the ``N`` images.
        names (Sequence[str]): The ``K`` landmark names (plot labels).
        out_dir (str): Folder of the report, created if needed.
        labels (Sequence[str], optional): Short labels drawn on the
            overlays; defaults to ``names``.
        num_worst (int): How many of the worst images to draw.

    Returns:
        list[str]: Paths of the files written. An image file that cannot be
        read gets no overlay and a warning naming it.
    """
    logger = MMLogger.get_current_instance()
    mkdir_or_exist(out_dir)
    mask = np.asarray(mask, dtype=bool)
    errors = radial_errors_mm(pred, gt, spacing)  # (N, K)
    stats = per_landmark_errors(errors, mask, thresholds=())
    written = [
        plot_per_landmark_mre(names, stats['mre'], stats['std'],
                              osp.join(out_dir, 'per_landmark_mre.png')),
        plot_sdr_curve(errors, mask, osp.join(out_dir, 'sdr_curve.png')),
    ]

    image_mre = per_image_mre(errors, mask)  # (N, )
    image_max = np.where(mask, errors, -np.inf).max(axis=1)
    order = np.argsort(-np.nan_to_num(image_mre, nan=-1.0), kind='stable')
    table = osp.join(out_dir, 'per_image_errors.csv')
    with open(table, 'w', newline='') as f:
        writer = csv.writer(f)
        writer.writerow(['rank', 'image', 'MRE_mm', 'max_error_mm'])
        for rank, i in enumerate(order, 1):
            writer.writerow([
                rank, img_paths[i], f'{image_mre[i]:.4f}',
                f'{image_max[i]:.4f}' if np.isfinite(image_max[i]) else ''
            ])
    written.append(table)

    for rank, i in enumerate(order[:num_worst], 1):
        image = cv2.imread(img_paths[i], cv2.IMREAD_COLOR)
        if image is None:
            logger.warning(f'evaluation report: cannot read image '
                           f'{img_paths[i]!r}; its overlay is left out')
            continue
        overlay = draw_landmark_overlay(
            image,
            pred[i],
            labels if labels is not None else names,
            gt_keypoints=gt[i],
            gt_visible=mask[i],
            title=f'#{rank} {osp.basename(img_paths[i])}: MRE '
            f'{image_mre[i]:.2f} mm')
        stem = osp.splitext(osp.basename(img_paths[i]))[0]
        out_file = osp.join(out_dir, f'worst_{rank:02d}_{stem}.png')
        cv2.imwrite(out_file, overlay)
        written.append(out_file)
    return written
