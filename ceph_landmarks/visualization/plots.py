"""Evaluation plots as PNG files: per-landmark MRE and the SDR curve.

Drawn with matplotlib's object API on an Agg canvas (no ``pyplot``, so no
global backend is switched and no window can open). matplotlib is imported
when a figure is drawn, not with the package.
"""
from typing import TYPE_CHECKING, Optional, Sequence

import numpy as np

from ..core.evaluation import success_detection_rates

if TYPE_CHECKING:
    from matplotlib.figure import Figure

__all__ = ['plot_per_landmark_mre', 'plot_sdr_curve']


def _figure(width: float, height: float) -> 'Figure':
    """A new figure of ``width`` x ``height`` inches on an Agg canvas."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width, height))
    FigureCanvasAgg(fig)
    return fig


def _save(fig: 'Figure', out_file: str) -> str:
    fig.tight_layout()
    fig.savefig(out_file, dpi=100)
    return out_file


def plot_per_landmark_mre(names: Sequence[str],
                          mre: np.ndarray,
                          std: np.ndarray,
                          out_file: str,
                          title: Optional[str] = None) -> str:
    """Bar chart of the mean radial error of each landmark.

    Args:
        names (Sequence[str]): ``K`` landmark names (x-axis labels).
        mre (np.ndarray[K]): MRE of each landmark in mm (``nan`` for a
            landmark without ground truth: no bar).
        std (np.ndarray[K]): Standard deviation in mm, drawn as error bars.
        out_file (str): PNG file to write.
        title (str, optional): Figure title.

    Returns:
        str: ``out_file``.
    """
    mre = np.asarray(mre, dtype=np.float64)
    std = np.asarray(std, dtype=np.float64)
    fig = _figure(max(6.0, 0.35 * len(names) + 2), 4.5)
    ax = fig.add_subplot()
    x = np.arange(len(names))
    ax.bar(
        x,
        np.nan_to_num(mre),
        yerr=np.nan_to_num(std),
        capsize=2,
        color='tab:blue',
        ecolor='grey')
    pooled = np.nanmean(mre) if np.isfinite(mre).any() else np.nan
    if np.isfinite(pooled):
        ax.axhline(
            pooled,
            color='tab:red',
            linestyle='--',
            linewidth=1,
            label=f'mean of landmarks {pooled:.2f} mm')
        ax.legend(loc='upper left')
    ax.set_xticks(x)
    ax.set_xticklabels(names, rotation=70, ha='right', fontsize=8)
    ax.set_ylabel('mean radial error (mm)')
    ax.set_title(title or 'Mean radial error per landmark')
    ax.grid(axis='y', alpha=0.3)
    return _save(fig, out_file)


def plot_sdr_curve(errors: np.ndarray,
                   mask: np.ndarray,
                   out_file: str,
                   max_threshold: float = 10.0,
                   marks: Sequence[float] = (2.0, 2.5, 3.0, 4.0),
                   title: Optional[str] = None) -> str:
    """Success detection rate as a function of the threshold.

    The fraction of valid landmarks with a radial error at most ``t`` mm
    (see :func:`~ceph_landmarks.core.evaluation.success_detection_rates`)
    for ``t`` from 0 to ``max_threshold``, with the challenge thresholds
    ``marks`` marked and labelled.

    Args:
        errors (np.ndarray[N, K]): Radial errors in mm.
        mask (np.ndarray[N, K]): ``True`` for landmarks to count.
        out_file (str): PNG file to write.
        max_threshold (float): Right end of the threshold axis in mm.
        marks (Sequence[float]): Thresholds to mark, in mm.
        title (str, optional): Figure title.

    Returns:
        str: ``out_file``.
    """
    thresholds = np.linspace(0.0, max_threshold, 201)
    rates = success_detection_rates(errors, mask, thresholds)
    fig = _figure(6, 4.5)
    ax = fig.add_subplot()
    ax.plot(thresholds, rates, color='tab:blue')
    marked = success_detection_rates(errors, mask, marks)
    ax.plot(marks, marked, 'o', color='tab:red')
    ax.text(
        0.97,
        0.03,
        '\n'.join(f'SDR@{t:g}mm: {rate:.1f}%'
                  for t, rate in zip(marks, marked)),
        transform=ax.transAxes,
        ha='right',
        va='bottom',
        fontsize=9,
        bbox=dict(facecolor='white', edgecolor='grey', alpha=0.9))
    ax.set_xlim(0, max_threshold)
    ax.set_ylim(0, 100)
    ax.set_xlabel('threshold (mm)')
    ax.set_ylabel('success detection rate (%)')
    ax.set_title(title or 'SDR versus threshold')
    ax.grid(alpha=0.3)
    return _save(fig, out_file)
