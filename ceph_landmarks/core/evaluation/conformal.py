"""Calibrated error radii per landmark: split-conformal prediction.

Method: split-conformal prediction (Vovk, Gammerman and Shafer, "Algorithmic
Learning in a Random World"; Lei, G'Sell, Rinaldo, Tibshirani and
Wasserman, "Distribution-Free Predictive Inference for Regression"). On
held-out predictions, a nonconformity score is computed per image and
landmark; its finite-sample quantile, the ``ceil((n + 1)(1 - alpha))``-th
smallest of ``n`` scores, bounds the score of a new exchangeable image with
probability at least ``1 - alpha``. Two score models are fitted per landmark:

* **constant**: the score is the radial error in mm, so the radius is one
  number per landmark;
* **adaptive** (normalised conformal scores, as in Lei et al.): the score
  is the radial error divided by a transform of a per-point difficulty
  signal the model gives (heatmap peak, coarse-to-refined shift, flip or
  ensemble disagreement), so the radius is ``scale_k * transform(d)``.

The adaptive model is kept only where cross-fitting (K-fold over images:
fit on the other folds, measure on the held-out one) shows a smaller mean
radius at the same coverage; otherwise the constant radius is kept.

The coverage guarantee is marginal (over images, per landmark) and holds
for images exchangeable with the calibration images: another scanner or
another population needs a new calibration.
"""
import math
from dataclasses import dataclass, field
from typing import Any, Dict, List, Mapping, Optional, Sequence, Tuple

import numpy as np

from ..log import get_logger
from .record_keys import check_keys

__all__ = [
    'DifficultySignal', 'DIFFICULTY_SIGNALS', 'MIN_ADAPTIVE_GAIN',
    'difficulty_signal', 'difficulty_transform', 'conformal_quantile',
    'coverage', 'RadiusCalibration', 'fit_radius_calibration',
    'compare_radius_models'
]

#: Version of the dictionary written by :meth:`RadiusCalibration.to_dict`.
CALIBRATION_VERSION = 1


@dataclass(frozen=True)
class DifficultySignal:
    """How a per-point difficulty signal scales the error radius.

    The radius of the adaptive model is ``scale_k * transform(d)``:

    * a signal that is higher on easier points (a confidence) is inverted:
      ``transform(d) = 1 / max(d, floor)``;
    * a signal that is higher on harder points (a distance in mm) is used
      as is, floored: ``transform(d) = max(d, floor)``.

    The floor keeps the radius away from zero (a distance of 0) and from
    infinity (a confidence of 0).

    Attributes:
        harder_when_higher (bool): True for a distance, False for a
            confidence.
        floor (float): Lower bound applied to the signal before the
            transform.
    """
    harder_when_higher: bool
    floor: float

    def transform(self, values: np.ndarray) -> np.ndarray:
        """The radius multiplier of each difficulty value (NaN stays NaN).

        Args:
            values (np.ndarray): Difficulty values, any shape.

        Returns:
            np.ndarray: Positive multipliers, the shape of ``values``.
        """
        values = np.asarray(values, dtype=np.float64)
        with np.errstate(invalid='ignore'):
            floored = np.maximum(values, self.floor)
        return floored if self.harder_when_higher else 1.0 / floored


#: Floor of a confidence (heatmap peak): radii grow at most 20 times.
CONFIDENCE_FLOOR = 0.05
#: Floor of a distance signal in mm: below it a point is not deemed easier.
DISTANCE_FLOOR_MM = 0.5

#: The known difficulty signals. Any other name ending in ``'_mm'`` is a
#: distance (higher = harder) with the floor :data:`DISTANCE_FLOOR_MM`.
DIFFICULTY_SIGNALS: Dict[str, DifficultySignal] = {
    # heatmap peak value: higher = easier
    'confidence': DifficultySignal(False, CONFIDENCE_FLOOR),
    # heatmap spread around the peak: higher = harder
    'heatmap_spread_mm': DifficultySignal(True, DISTANCE_FLOOR_MM),
    # distance between the coarse and the refined point: higher = harder
    'refine_shift_mm': DifficultySignal(True, DISTANCE_FLOOR_MM),
    # distance between the prediction and the flipped-image prediction
    'flip_disagreement_mm': DifficultySignal(True, DISTANCE_FLOOR_MM),
    # spread of an ensemble's predictions: higher = harder
    'ensemble_spread_mm': DifficultySignal(True, DISTANCE_FLOOR_MM),
}

#: The scaled radius replaces the constant one only when its cross-fitted
#: mean radius is at least this much (relative) smaller at the same
#: coverage: a radius that changes from image to image is harder to read
#: and to check than one number per landmark, and is worth it only for a
#: clear gain (issue 25's bar); a smaller gain is reported, not used.
MIN_ADAPTIVE_GAIN = 0.15


def difficulty_signal(name: str) -> DifficultySignal:
    """The direction and floor of the difficulty signal ``name``.

    Args:
        name (str): A key of :data:`DIFFICULTY_SIGNALS`, or any name ending
            in ``'_mm'`` (a distance).

    Returns:
        DifficultySignal: How the signal scales the radius.

    Raises:
        ValueError: If the name is unknown.
    """
    if name in DIFFICULTY_SIGNALS:
        return DIFFICULTY_SIGNALS[name]
    if isinstance(name, str) and name.endswith('_mm'):
        return DifficultySignal(True, DISTANCE_FLOOR_MM)
    raise ValueError(
        f'unknown difficulty signal {name!r}: expected one of '
        f'{sorted(DIFFICULTY_SIGNALS)} or a distance whose name ends in '
        f"'_mm'")


def difficulty_transform(name: str, values: np.ndarray) -> np.ndarray:
    """The radius multiplier of the difficulty signal ``name``.

    Args:
        name (str): The signal, see :func:`difficulty_signal`.
        values (np.ndarray): Its values, any shape.

    Returns:
        np.ndarray: ``1 / max(d, floor)`` for a confidence,
        ``max(d, floor)`` for a distance; NaN where ``values`` is NaN.
    """
    return difficulty_signal(name).transform(values)


def conformal_quantile(scores: np.ndarray, alpha: float) -> float:
    """The finite-sample split-conformal quantile of ``scores``.

    Args:
        scores (np.ndarray): Nonconformity scores, any shape; NaN (an
            unannotated landmark) is ignored.
        alpha (float): Miscoverage level in (0, 1); the quantile covers a
            new score with probability at least ``1 - alpha``.

    Returns:
        float: The ``ceil((n + 1)(1 - alpha))``-th smallest of the ``n``
        scores, or ``inf`` when that rank exceeds ``n`` (too few scores for
        this ``alpha``).

    Raises:
        ValueError: If ``alpha`` is not in (0, 1) or no score is given.

    Examples:
        >>> conformal_quantile(np.arange(1., 20.), 0.1)
        18.0
        >>> conformal_quantile(np.array([1., 2., np.nan]), 0.1)
        inf
    """
    alpha = _check_alpha(alpha, 'conformal_quantile')
    values = np.asarray(scores, dtype=np.float64).ravel()
    values = values[~np.isnan(values)]
    n = values.size
    if n == 0:
        raise ValueError('conformal_quantile: no scores (all NaN or empty)')
    # the small tolerance keeps an exact product, e.g. 20 * 0.9, an integer
    rank = int(math.ceil((n + 1) * (1.0 - alpha) - 1e-9))
    if rank > n:
        return math.inf
    return float(np.partition(values, rank - 1)[rank - 1])


def coverage(errors_mm: np.ndarray,
             radii: np.ndarray) -> Tuple[np.ndarray, float]:
    """The fraction of points whose error is within the radius.

    Args:
        errors_mm (np.ndarray): Radial errors ``[N, K]`` in mm; NaN (no
            ground truth) is ignored.
        radii (np.ndarray): Radii in mm, ``[K]`` (one per landmark) or
            ``[N, K]`` (one per image and landmark).

    Returns:
        tuple: ``per_landmark`` (np.ndarray ``[K]``, NaN for a landmark
        without errors) and ``overall`` (float, over every image and
        landmark with an error).

    Raises:
        ValueError: If the shapes do not agree or no error is given.

    Examples:
        >>> per, overall = coverage(np.array([[1., 3.], [2., np.nan]]),
        ...                         np.array([1.5, 2.5]))
        >>> per, overall
        (array([0.5, 0. ]), 0.3333333333333333)
    """
    errors = np.asarray(errors_mm, dtype=np.float64)
    radii = np.asarray(radii, dtype=np.float64)
    if errors.ndim != 2 or radii.shape not in (errors.shape, errors.shape[1:]):
        raise ValueError(f'coverage: expected errors [N, K] and radii [K] or '
                         f'[N, K], but got {errors.shape} and {radii.shape}')
    valid = ~np.isnan(errors)
    if not valid.any():
        raise ValueError('coverage: no errors (all NaN or empty)')
    with np.errstate(invalid='ignore'):
        covered = (errors <= radii) & valid
    counts = valid.sum(axis=0)
    with np.errstate(invalid='ignore', divide='ignore'):
        per_landmark = covered.sum(axis=0) / counts
    return per_landmark, float(covered.sum() / valid.sum())


@dataclass
class RadiusCalibration:
    """A fitted error radius per landmark, with its nominal coverage.

    The true point lies within :meth:`radius_mm` of the prediction with
    probability at least ``1 - alpha`` per landmark, for images like the
    calibration images (:attr:`fitted_on`).

    Attributes:
        alpha (float): Miscoverage level; the nominal coverage is
            ``1 - alpha``.
        landmark_names (list[str]): The ``K`` landmarks, in order.
        radii_mm (list[float]): The constant radius of each landmark, mm.
            Also the fallback of the adaptive radius where the difficulty
            of a point is missing (NaN).
        difficulty (str, optional): The difficulty signal the radius scales
            with (see :data:`DIFFICULTY_SIGNALS`), or None for the constant
            radius.
        scale (list[float], optional): Per landmark, the conformal quantile
            of ``error / transform(difficulty)``; None for the constant
            radius.
        fitted_on (str): Free text: which data the calibration was fitted
            on.
        num_calibration (int): Number of calibration images.
        candidates (list[dict]): The cross-fitted comparison of the score
            models (rows of :func:`compare_radius_models`), for reporting.
    """
    alpha: float
    landmark_names: List[str]
    radii_mm: List[float]
    difficulty: Optional[str] = None
    scale: Optional[List[float]] = None
    fitted_on: str = ''
    num_calibration: int = 0
    candidates: List[Dict[str, Any]] = field(default_factory=list)

    def __post_init__(self) -> None:
        for key, value in _check_fields(vars(self),
                                        'RadiusCalibration').items():
            setattr(self, key, value)

    @property
    def nominal_coverage(self) -> float:
        """float: ``1 - alpha``."""
        return 1.0 - self.alpha

    @property
    def adaptive(self) -> bool:
        """bool: Whether the radius scales with a difficulty signal."""
        return self.difficulty is not None

    def radius_mm(self,
                  difficulty_values: Optional[np.ndarray] = None
                  ) -> np.ndarray:
        """The radius of each landmark, in mm.

        Args:
            difficulty_values (np.ndarray, optional): The values of
                :attr:`difficulty`, ``[K]`` for one image or ``[N, K]``;
                required when the calibration is adaptive. A NaN value
                gets the constant radius of its landmark. For a constant
                calibration the values only set the output's shape.

        Returns:
            np.ndarray: ``[K]`` (or the shape of ``difficulty_values``).

        Raises:
            ValueError: If the calibration is adaptive and no difficulty is
                given, or the last axis is not ``K``.
        """
        radii = np.asarray(self.radii_mm, dtype=np.float64)
        if difficulty_values is None:
            if self.adaptive:
                raise ValueError(
                    f'this radius calibration scales with the difficulty '
                    f'signal {self.difficulty!r}: pass its values, one per '
                    f'landmark')
            return radii.copy()
        values = np.asarray(difficulty_values, dtype=np.float64)
        if values.ndim not in (1, 2) or values.shape[-1] != radii.size:
            raise ValueError(f'expected difficulty values [{radii.size}] or '
                             f'[N, {radii.size}], but got {values.shape}')
        if not self.adaptive:
            return np.broadcast_to(radii, values.shape).copy()
        adaptive = np.asarray(self.scale) * difficulty_transform(
            self.difficulty, values)
        return np.where(np.isnan(values), radii, adaptive)

    def to_dict(self) -> Dict[str, Any]:
        """A JSON-ready dictionary, read back by :meth:`from_dict`.

        Returns:
            dict: The fields, plus ``version``.
        """
        return dict(
            version=CALIBRATION_VERSION,
            alpha=float(self.alpha),
            landmark_names=list(self.landmark_names),
            radii_mm=[float(r) for r in self.radii_mm],
            difficulty=self.difficulty,
            scale=None
            if self.scale is None else [float(s) for s in self.scale],
            fitted_on=self.fitted_on,
            num_calibration=int(self.num_calibration),
            candidates=[{
                k: _json_value(v)
                for k, v in row.items()
            } for row in self.candidates])

    @classmethod
    def from_dict(cls,
                  d: Mapping[str, Any],
                  source: str = '<dict>') -> 'RadiusCalibration':
        """Read a calibration written by :meth:`to_dict`.

        Args:
            d (Mapping): The dictionary, e.g. loaded from JSON.
            source (str): Where it came from (a file name), named in the
                errors.

        Returns:
            RadiusCalibration: The calibration.

        Raises:
            ValueError: If a key is missing, unknown or invalid; the message
                names ``source`` and the key.
        """
        if not isinstance(d, Mapping):
            raise ValueError(f'{source}: a radius calibration must be a '
                             f'dictionary, but got {type(d).__name__}')
        required = {'alpha', 'landmark_names', 'radii_mm'}
        optional = {
            'version', 'difficulty', 'scale', 'fitted_on', 'num_calibration',
            'candidates'
        }
        check_keys(d, 'radius calibration', required, optional, source)
        version = d.get('version', CALIBRATION_VERSION)
        if version != CALIBRATION_VERSION:
            raise ValueError(
                f"{source}: radius calibration key 'version' is {version!r}, "
                f'but this package reads version {CALIBRATION_VERSION}')
        values = {k: v for k, v in d.items() if k != 'version'}
        values.setdefault('candidates', [])
        values = _check_fields(values, source)
        return cls(**values)


def _json_value(value: Any) -> Any:
    """A float that JSON can hold (None for inf / NaN); other values as is."""
    if isinstance(value, (float, np.floating)):
        return float(value) if math.isfinite(value) else None
    if isinstance(value, np.integer):
        return int(value)
    return value


def _check_alpha(alpha: Any, where: str) -> float:
    try:
        value = float(alpha)
    except (TypeError, ValueError):
        raise ValueError(f'{where}: alpha must be a number in (0, 1), but '
                         f'got {alpha!r}') from None
    if not 0.0 < value < 1.0:
        raise ValueError(f'{where}: alpha must be in (0, 1), but got '
                         f'{alpha!r}')
    return value


def _positive_list(value: Any, key: str, count: int,
                   source: str) -> List[float]:
    if not isinstance(value, (list, tuple, np.ndarray)) or len(value) != count:
        raise ValueError(f'{source}: radius calibration key {key!r} must be a '
                         f'list of {count} numbers, one per landmark')
    try:
        numbers = [float(v) for v in value]
    except (TypeError, ValueError):
        raise ValueError(f'{source}: radius calibration key {key!r} must hold '
                         f'numbers') from None
    if not all(math.isfinite(v) and v > 0 for v in numbers):
        raise ValueError(f'{source}: radius calibration key {key!r} must hold '
                         f'finite positive numbers, but got {numbers}')
    return numbers


def _check_fields(values: Dict[str, Any], source: str) -> Dict[str, Any]:
    """Check the fields of a :class:`RadiusCalibration`; return them."""
    out = dict(values)
    out['alpha'] = _check_alpha(
        values.get('alpha'), f"{source}: radius calibration key 'alpha'")
    names = values.get('landmark_names')
    if not isinstance(names, (list, tuple)) or not names or not all(
            isinstance(n, str)
            for n in names) or len(set(names)) != len(names):
        raise ValueError(f"{source}: radius calibration key 'landmark_names' "
                         f'must be a non-empty list of distinct strings')
    out['landmark_names'] = list(names)
    out['radii_mm'] = _positive_list(
        values.get('radii_mm'), 'radii_mm', len(names), source)
    difficulty = values.get('difficulty')
    scale = values.get('scale')
    if difficulty is None:
        if scale is not None:
            raise ValueError(f"{source}: radius calibration key 'scale' is "
                             f"set but 'difficulty' is not")
    else:
        try:
            difficulty_signal(difficulty)
        except ValueError as err:
            raise ValueError(f"{source}: radius calibration key "
                             f"'difficulty': {err}") from None
        if scale is None:
            raise ValueError(f"{source}: radius calibration key 'scale' is "
                             f"missing for the difficulty {difficulty!r}")
        out['scale'] = _positive_list(scale, 'scale', len(names), source)
    if not isinstance(values.get('fitted_on', ''), str):
        raise ValueError(f"{source}: radius calibration key 'fitted_on' must "
                         f'be a string')
    count = values.get('num_calibration', 0)
    if isinstance(count,
                  bool) or not isinstance(count,
                                          (int, np.integer)) or count < 0:
        raise ValueError(f"{source}: radius calibration key "
                         f"'num_calibration' must be a non-negative integer, "
                         f'but got {count!r}')
    out['num_calibration'] = int(count)
    rows = values.get('candidates', [])
    if not isinstance(rows, list) or not all(
            isinstance(r, dict) for r in rows):
        raise ValueError(f"{source}: radius calibration key 'candidates' "
                         f'must be a list of dictionaries')
    return out


def _check_inputs(
    errors_mm: np.ndarray, difficulties: Optional[Mapping[str, np.ndarray]]
) -> Tuple[np.ndarray, Dict[str, np.ndarray]]:
    errors = np.asarray(errors_mm, dtype=np.float64)
    if errors.ndim != 2 or errors.shape[0] < 2 or errors.shape[1] < 1:
        raise ValueError(f'expected errors_mm [N, K] with N >= 2 images, but '
                         f'got {errors.shape}')
    if np.any(errors[~np.isnan(errors)] < 0):
        raise ValueError('errors_mm holds negative values: expected radial '
                         'errors (distances) in mm')
    signals = {}
    for name, values in (difficulties or {}).items():
        difficulty_signal(name)  # refuses an unknown name
        values = np.asarray(values, dtype=np.float64)
        if values.shape != errors.shape:
            raise ValueError(f'difficulty {name!r}: expected {errors.shape} '
                             f'like errors_mm, but got {values.shape}')
        signals[name] = values
    return errors, signals


def _fit_model(errors: np.ndarray, signal: Optional[str],
               values: Optional[np.ndarray],
               alpha: float) -> Tuple[np.ndarray, Optional[np.ndarray]]:
    """Per landmark: the constant radii and, with a signal, the scales."""
    num = errors.shape[1]
    radii = np.array(
        [_quantile_or_inf(errors[:, k], alpha) for k in range(num)])
    if signal is None:
        return radii, None
    scores = errors / difficulty_transform(signal, values)
    scale = np.array(
        [_quantile_or_inf(scores[:, k], alpha) for k in range(num)])
    return radii, scale


def _quantile_or_inf(scores: np.ndarray, alpha: float) -> float:
    """:func:`conformal_quantile`, inf for a landmark with no score."""
    if np.isnan(scores).all():
        return math.inf
    return conformal_quantile(scores, alpha)


def _apply_model(radii: np.ndarray, scale: Optional[np.ndarray],
                 signal: Optional[str], values: Optional[np.ndarray],
                 num_images: int) -> np.ndarray:
    """The ``[num_images, K]`` radii of a fitted model."""
    if signal is None:
        return np.broadcast_to(radii, (num_images, radii.size))
    adaptive = scale * difficulty_transform(signal, values)
    return np.where(np.isnan(values), radii, adaptive)


def compare_radius_models(errors_mm: np.ndarray,
                          difficulties: Optional[Mapping[str,
                                                         np.ndarray]] = None,
                          alpha: float = 0.1,
                          folds: int = 5,
                          seed: int = 0) -> List[Dict[str, Any]]:
    """Cross-fitted coverage and mean radius of each radius model.

    The images are split into ``folds`` folds (a fixed permutation drawn
    with ``seed``); each model is fitted on the other folds and measured on
    the held-out one, and the held-out measurements are pooled.

    Args:
        errors_mm (np.ndarray): Radial errors ``[N, K]`` in mm, NaN where a
            landmark has no ground truth.
        difficulties (dict[str, np.ndarray], optional): Candidate
            difficulty signals, name to ``[N, K]`` values.
        alpha (float): Miscoverage level.
        folds (int): Number of folds (at most ``N``).
        seed (int): Seed of the fold assignment.

    Returns:
        list[dict]: One row per model, the constant one first: ``model``
        (``'constant'`` or the signal's name), ``coverage`` (pooled over
        images and landmarks), ``min_landmark_coverage``,
        ``mean_radius_mm`` (over the points with an error; inf when a fold
        had too few images for ``alpha``) and ``folds``.

    Raises:
        ValueError: If the inputs are malformed.
    """
    alpha = _check_alpha(alpha, 'compare_radius_models')
    errors, signals = _check_inputs(errors_mm, difficulties)
    num_images = errors.shape[0]
    folds = int(folds)
    if folds < 2:
        raise ValueError(f'folds must be at least 2, but got {folds}')
    folds = min(folds, num_images)
    order = np.random.default_rng(seed).permutation(num_images)
    parts = np.array_split(order, folds)
    models = [None] + list(signals)
    radii = {m: np.full(errors.shape, np.nan) for m in models}
    for held in parts:
        train = np.setdiff1d(order, held)
        for model in models:
            values = None if model is None else signals[model]
            fitted = _fit_model(errors[train], model,
                                None if values is None else values[train],
                                alpha)
            radii[model][held] = _apply_model(
                *fitted, model, None if values is None else values[held],
                held.size)
    valid = ~np.isnan(errors)
    rows = []
    for model in models:
        per_landmark, overall = coverage(errors, radii[model])
        rows.append(
            dict(
                model='constant' if model is None else model,
                coverage=overall,
                min_landmark_coverage=float(np.nanmin(per_landmark)),
                mean_radius_mm=float(radii[model][valid].mean()),
                folds=folds))
    return rows


def fit_radius_calibration(errors_mm: np.ndarray,
                           landmark_names: Sequence[str],
                           alpha: float = 0.1,
                           difficulties: Optional[Mapping[str,
                                                          np.ndarray]] = None,
                           fitted_on: str = '',
                           folds: int = 5,
                           seed: int = 0,
                           coverage_tolerance: float = 0.01,
                           min_gain: float = MIN_ADAPTIVE_GAIN
                           ) -> RadiusCalibration:
    """Fit the error radius of each landmark on held-out predictions.

    The constant radius is always fitted. Each candidate difficulty signal
    gets an adaptive model; the models are compared by
    :func:`compare_radius_models`, and an adaptive model replaces the
    constant one only if its cross-fitted coverage is at most
    ``coverage_tolerance`` below the constant one's and its mean radius is
    at least ``min_gain`` (relative) smaller; among those, the smallest
    mean radius wins. The chosen model is then refitted on all images.

    Args:
        errors_mm (np.ndarray): Radial errors ``[N, K]`` in mm of
            predictions on images the model did not train on (out-of-fold
            predictions), NaN where a landmark has no ground truth.
        landmark_names (Sequence[str]): The ``K`` landmark names.
        alpha (float): Miscoverage level; the nominal coverage is
            ``1 - alpha``. Defaults to 0.1 (90 %).
        difficulties (dict[str, np.ndarray], optional): Candidate
            difficulty signals, name (see :data:`DIFFICULTY_SIGNALS`) to
            ``[N, K]`` values, NaN where missing.
        fitted_on (str): Free text naming the calibration data.
        folds (int): Folds of the cross-fitted comparison.
        seed (int): Seed of the fold assignment.
        coverage_tolerance (float): How far (a fraction, 0.01 = 1 point)
            an adaptive model's coverage may fall below the constant one's.
        min_gain (float): Relative reduction of the mean radius an
            adaptive model needs to be chosen (default
            :data:`MIN_ADAPTIVE_GAIN`).

    Returns:
        RadiusCalibration: The calibration, with the comparison rows in
        :attr:`RadiusCalibration.candidates`.

    Raises:
        ValueError: If the inputs are malformed, or there are too few
            images for ``alpha`` (a radius would be infinite).
    """
    alpha = _check_alpha(alpha, 'fit_radius_calibration')
    errors, signals = _check_inputs(errors_mm, difficulties)
    names = list(landmark_names)
    if len(names) != errors.shape[1]:
        raise ValueError(f'got {len(names)} landmark names for errors_mm '
                         f'with {errors.shape[1]} landmarks')
    radii, _ = _fit_model(errors, None, None, alpha)
    if not np.isfinite(radii).all():
        short = [n for n, r in zip(names, radii) if not math.isfinite(r)]
        raise ValueError(
            f'too few calibration errors for alpha={alpha}: the radius of '
            f'{short} would be infinite (needs at least '
            f'{math.ceil((1 - alpha) / alpha)} errors per landmark)')
    rows = compare_radius_models(errors, signals, alpha, folds, seed)
    constant = rows[0]
    chosen = constant
    for row in rows[1:]:
        if row['coverage'] >= constant['coverage'] - coverage_tolerance \
                and row['mean_radius_mm'] <= (
                    1.0 - min_gain) * constant['mean_radius_mm'] \
                and row['mean_radius_mm'] < chosen['mean_radius_mm']:
            chosen = row
    for row in rows:
        row['chosen'] = row is chosen
    difficulty, scale = None, None
    if chosen is not constant:
        difficulty = chosen['model']
        _, scale = _fit_model(errors, difficulty, signals[difficulty], alpha)
        if not np.isfinite(scale).all():  # too few points with the signal
            difficulty, scale = None, None
            for row in rows:
                row['chosen'] = row is constant
    kept = next(row for row in rows if row['chosen'])
    get_logger().info(
        'error radius calibration: %s radius chosen (cross-fitted coverage '
        '%.3f, mean radius %.2f mm; constant: %.3f, %.2f mm)', difficulty
        or 'constant', kept['coverage'], kept['mean_radius_mm'],
        constant['coverage'], constant['mean_radius_mm'])
    return RadiusCalibration(
        alpha=alpha,
        landmark_names=names,
        radii_mm=[float(r) for r in radii],
        difficulty=difficulty,
        scale=None if scale is None else [float(s) for s in scale],
        fitted_on=fitted_on,
        num_calibration=int(errors.shape[0]),
        candidates=rows)
