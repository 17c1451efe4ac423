"""Is a predicted landmark configuration plausible? A check without labels.

Method: a point distribution model of the landmark configuration (Cootes,
Taylor, Cooper and Graham, "Active Shape Models - Their Training and
Application"), built on Procrustes shape analysis (Gower, "Generalized
Procrustes Analysis"; Dryden and Mardia, "Statistical Shape Analysis"):

1. the training configurations are aligned by generalised Procrustes
   analysis (translation, uniform scale and rotation, no reflection;
   iterated until the mean shape stops changing), each scaled to unit
   centroid size; the mean is turned so that the training shapes' mean
   rotation onto it is zero, i.e. it keeps the images' usual orientation;
2. principal component analysis of the aligned shapes keeps the fewest
   components that explain :data:`VARIANCE_KEPT` of the variance (at most
   ``N - 2`` and one less than the ``2K - 4`` dimensions of the shape
   space), as in probabilistic PCA (Tipping and Bishop, "Probabilistic
   Principal Component Analysis") the variance left over is spread evenly
   over the remaining dimensions, and each kept variance is regularised by
   adding that residual variance;
3. the distance of a new configuration is the square root of its
   Mahalanobis distance in the kept components plus its squared residual
   off them divided by the residual variance: a shape unlike every
   training shape scores high even where the components do not see it;
4. the thresholds come from leave-one-out distances of the training shapes
   (each refitted without itself, then scored): ``review`` is their
   :data:`REVIEW_PERCENTILE`-th percentile, ``refuse`` is
   :data:`REFUSE_FACTOR` times ``review``.

Separately, the rotation that aligns a configuration to the mean shape is
checked: a lateral cephalogram turned by more than
:data:`MAX_ROTATION_DEG` degrees is not in the expected orientation, and
is refused.

The verdict is a quality check of the prediction, never a diagnosis.
"""
import math
from dataclasses import dataclass, field
from typing import Any, Dict, List, Mapping, Sequence, Tuple

import numpy as np

from .record_keys import check_keys

__all__ = [
    'procrustes_align', 'ShapeModel', 'ShapeVerdict', 'assess_shape',
    'VARIANCE_KEPT', 'REVIEW_PERCENTILE', 'REFUSE_FACTOR', 'MAX_ROTATION_DEG'
]

#: Fraction of the aligned shapes' variance the kept components explain.
VARIANCE_KEPT = 0.98
#: Percentile of the leave-one-out training distances above which a
#: configuration is flagged for review.
REVIEW_PERCENTILE = 99.0
#: The refuse threshold, as a multiple of the review threshold.
REFUSE_FACTOR = 2.0
#: Largest rotation (degrees) from the training orientation that is not
#: refused.
MAX_ROTATION_DEG = 30.0
#: Fewest training shapes :meth:`ShapeModel.fit` accepts.
MIN_TRAINING_SHAPES = 10
#: Version of the dictionary written by :meth:`ShapeModel.to_dict`.
SHAPE_MODEL_VERSION = 1


def _as_complex(shape: np.ndarray, what: str) -> np.ndarray:
    """``[K, 2]`` points as ``K`` complex numbers ``x + iy``."""
    points = np.asarray(shape, dtype=np.float64)
    if points.ndim != 2 or points.shape[1] != 2 or points.shape[0] < 3:
        raise ValueError(f'{what}: expected [K, 2] points with K >= 3, but '
                         f'got {points.shape}')
    if not np.isfinite(points).all():
        raise ValueError(f'{what}: the points must be finite (no NaN)')
    return points[:, 0] + 1j * points[:, 1]


def _as_points(z: np.ndarray) -> np.ndarray:
    return np.stack([z.real, z.imag], axis=-1)


def _align_complex(z: np.ndarray, w: np.ndarray) -> Tuple[np.ndarray, complex]:
    """Least-squares similarity of centred ``z`` onto centred ``w``.

    With ``a = <z, w> / <z, z>`` (complex inner product), ``a * z`` is the
    rotation and uniform scaling of ``z`` closest to ``w``; a complex factor
    cannot reflect.
    """
    size = np.vdot(z, z).real
    if size <= 1e-24:
        raise ValueError('all landmarks lie at one point: the configuration '
                         'has no shape')
    factor = np.vdot(z, w) / size
    return factor * z, complex(factor)


def procrustes_align(shape: np.ndarray,
                     reference: np.ndarray) -> Tuple[np.ndarray, float, float]:
    """Align ``shape`` onto ``reference`` by a similarity transform.

    Translation, uniform scale and rotation (never a reflection) chosen to
    minimise the summed squared distances to ``reference``.

    Args:
        shape (np.ndarray): ``[K, 2]`` points (x, y).
        reference (np.ndarray): ``[K, 2]`` points, the same landmarks.

    Returns:
        tuple: ``aligned`` (np.ndarray ``[K, 2]``, ``shape`` moved onto
        ``reference``), ``rotation_deg`` (float in (-180, 180], the angle
        that turns ``shape`` onto ``reference``; positive turns +x towards
        +y, which is clockwise on screen for image coordinates whose y axis
        points down) and ``scale`` (float, the uniform scale applied).

    Raises:
        ValueError: If the shapes differ, hold NaN, or all points of one
            of them coincide.

    Examples:
        >>> ref = np.array([[0., 0.], [2., 0.], [0., 1.]])
        >>> turned = np.array([[0., 0.], [0., 4.], [-2., 0.]])
        >>> aligned, angle, scale = procrustes_align(turned, ref)
        >>> np.allclose(aligned, ref), round(angle, 6), scale
        (True, -90.0, 0.5)
    """
    z = _as_complex(shape, 'procrustes_align shape')
    w = _as_complex(reference, 'procrustes_align reference')
    if z.shape != w.shape:
        raise ValueError(f'procrustes_align: shape has {z.size} points but '
                         f'reference has {w.size}')
    centre = w.mean()
    aligned, factor = _align_complex(z - z.mean(), w - centre)
    if np.vdot(w - centre, w - centre).real <= 1e-24:
        raise ValueError('procrustes_align: all points of the reference '
                         'coincide')
    return (_as_points(aligned + centre), _rotation_deg(factor),
            float(abs(factor)))


def _rotation_deg(factor: complex) -> float:
    angle = math.degrees(math.atan2(factor.imag, factor.real))
    return 180.0 if angle == -180.0 else angle


def _unit_shapes(shapes: np.ndarray) -> np.ndarray:
    """Centred, unit centroid size complex shapes ``[N, K]``."""
    z = shapes - shapes.mean(axis=1, keepdims=True)
    sizes = np.sqrt((np.abs(z)**2).sum(axis=1, keepdims=True))
    if (sizes <= 1e-12).any():
        bad = int(np.flatnonzero(sizes.ravel() <= 1e-12)[0])
        raise ValueError(f'training shape {bad}: all landmarks lie at one '
                         f'point')
    return z / sizes


def _generalised_procrustes(z: np.ndarray,
                            max_iter: int = 100,
                            tol: float = 1e-12
                            ) -> Tuple[np.ndarray, np.ndarray]:
    """Generalised Procrustes analysis of unit complex shapes ``[N, K]``.

    Returns the aligned shapes (each rotated onto the mean and rescaled to
    unit size, ``[N, K]``) and their mean (``[K]``), turned so that the
    training shapes' circular mean rotation onto it is zero.
    """
    mean = z[0]
    for _ in range(max_iter):
        factors = (np.conj(z) * mean).sum(axis=1)  # |z_i| = 1
        new = (factors[:, None] * z).mean(axis=0)
        new = new / np.linalg.norm(new)
        turn = np.vdot(new, mean)  # keep the previous orientation
        new = new * turn / abs(turn)
        done = np.linalg.norm(new - mean) < tol
        mean = new
        if done:
            break
    factors = (np.conj(z) * mean).sum(axis=1)
    spin = np.sum(factors / np.abs(factors))
    mean = mean * np.conj(spin) / abs(spin)
    rotations = (np.conj(z) * mean).sum(axis=1)
    rotations = rotations / np.abs(rotations)
    return rotations[:, None] * z, mean


def _to_vectors(z: np.ndarray) -> np.ndarray:
    """Complex ``[..., K]`` to real ``[..., 2K]`` (x0, y0, x1, y1, ...)."""
    return _as_points(z).reshape(*z.shape[:-1], 2 * z.shape[-1])


@dataclass
class _Fit:
    mean_shape: np.ndarray  # [K, 2]
    components: np.ndarray  # [r, 2K]
    variances: np.ndarray  # [r]
    residual_variance: float


def _fit_pdm(shapes_c: np.ndarray, variance_kept: float) -> _Fit:
    """Procrustes mean and regularised PCA of complex shapes ``[N, K]``."""
    num, count = shapes_c.shape
    aligned, _ = _generalised_procrustes(_unit_shapes(shapes_c))
    vectors = _to_vectors(aligned)
    centre = vectors.mean(axis=0)
    _, singular, vt = np.linalg.svd(vectors - centre, full_matrices=False)
    eigen = singular**2 / (num - 1)
    dims = 2 * count - 4
    eigen = eigen[:dims]
    total = float(eigen.sum())
    if total <= 0:
        raise ValueError('the training shapes are all identical')
    explained = np.cumsum(eigen) / total
    kept = int(np.searchsorted(explained, variance_kept - 1e-12) + 1)
    kept = max(1, min(kept, num - 2, dims - 1))
    floor = 1e-3 * total / dims
    residual = max(float(eigen[kept:].sum()) / (dims - kept), floor)
    return _Fit(
        mean_shape=centre.reshape(count, 2),
        components=vt[:kept],
        variances=eigen[:kept] + residual,
        residual_variance=residual)


def _pdm_distance(fit: _Fit, shape_c: np.ndarray) -> Tuple[float, float]:
    """Distance and rotation (degrees) of one complex shape ``[K]``."""
    mean = fit.mean_shape[:, 0] + 1j * fit.mean_shape[:, 1]
    aligned, factor = _align_complex(shape_c - shape_c.mean(), mean)
    aligned = aligned / np.linalg.norm(aligned)
    offset = _to_vectors(aligned) - fit.mean_shape.ravel()
    coords = fit.components @ offset
    residual = offset - coords @ fit.components
    squared = float(
        np.sum(coords**2 / fit.variances) +
        residual @ residual / fit.residual_variance)
    return math.sqrt(squared), _rotation_deg(factor)


@dataclass(eq=False)
class ShapeModel:
    """A statistical model of plausible landmark configurations.

    Build it with :meth:`fit`; read and write it with :meth:`from_dict` and
    :meth:`to_dict`.

    Attributes:
        landmark_names (list[str]): The ``K`` landmarks, in order.
        mean_shape (np.ndarray): ``[K, 2]``, the mean of the aligned
            training shapes (centred, about unit centroid size, in the
            training images' orientation).
        components (np.ndarray): ``[r, 2K]``, the kept principal
            components (rows, orthonormal) of the aligned shapes, flattened
            as ``(x0, y0, x1, y1, ...)``.
        variances (np.ndarray): ``[r]``, the regularised variance of each
            component.
        residual_variance (float): Variance per dimension off the kept
            components.
        thresholds (dict): ``review`` and ``refuse`` distances.
        max_rotation_deg (float): Largest rotation from the training
            orientation that is not refused.
        num_training (int): Number of training shapes.
        fitted_on (str): Free text: which data the model was fitted on.
        loo_distances (np.ndarray): The training shapes' leave-one-out
            distances, set by :meth:`fit` (empty after :meth:`from_dict`:
            not stored).
    """
    landmark_names: List[str]
    mean_shape: np.ndarray
    components: np.ndarray
    variances: np.ndarray
    residual_variance: float
    thresholds: Dict[str, float]
    max_rotation_deg: float = MAX_ROTATION_DEG
    num_training: int = 0
    fitted_on: str = ''
    loo_distances: np.ndarray = field(
        default_factory=lambda: np.zeros(0), repr=False)

    def __post_init__(self) -> None:
        for key, value in _check_model_fields(vars(self),
                                              'ShapeModel').items():
            setattr(self, key, value)

    @classmethod
    def fit(cls,
            shapes: np.ndarray,
            landmark_names: Sequence[str],
            variance_kept: float = VARIANCE_KEPT,
            review_percentile: float = REVIEW_PERCENTILE,
            refuse_factor: float = REFUSE_FACTOR,
            max_rotation_deg: float = MAX_ROTATION_DEG,
            fitted_on: str = '') -> 'ShapeModel':
        """Fit the model and its thresholds on training configurations.

        Args:
            shapes (np.ndarray): ``[N, K, 2]`` landmark configurations (in
                pixels or mm; position, size and rotation are removed),
                ``N >= 10``, no NaN.
            landmark_names (Sequence[str]): The ``K`` landmark names.
            variance_kept (float): Fraction of the variance the kept
                principal components explain.
            review_percentile (float): Percentile of the leave-one-out
                distances that sets the ``review`` threshold.
            refuse_factor (float): ``refuse`` is this multiple of
                ``review`` (above 1).
            max_rotation_deg (float): Rotation above which a configuration
                is refused.
            fitted_on (str): Free text naming the training data.

        Returns:
            ShapeModel: The fitted model; :attr:`loo_distances` holds the
            training shapes' leave-one-out distances.

        Raises:
            ValueError: If the shapes are malformed or too few.
        """
        points = np.asarray(shapes, dtype=np.float64)
        names = list(landmark_names)
        if points.ndim != 3 or points.shape[2] != 2 or points.shape[1] < 3:
            raise ValueError(f'ShapeModel.fit: expected shapes [N, K, 2] '
                             f'with K >= 3, but got {points.shape}')
        num, count = points.shape[:2]
        if num < MIN_TRAINING_SHAPES:
            raise ValueError(f'ShapeModel.fit: needs at least '
                             f'{MIN_TRAINING_SHAPES} training shapes, but got '
                             f'{num}')
        if len(names) != count:
            raise ValueError(f'ShapeModel.fit: got {len(names)} landmark '
                             f'names for shapes with {count} landmarks')
        if not np.isfinite(points).all():
            bad = int(np.flatnonzero(~np.isfinite(points).all(axis=(1, 2)))[0])
            raise ValueError(f'ShapeModel.fit: training shape {bad} holds '
                             f'NaN or inf')
        if not 0.0 < variance_kept <= 1.0 or not 0.0 < review_percentile \
                <= 100.0 or refuse_factor <= 1.0:
            raise ValueError(
                f'ShapeModel.fit: expected variance_kept in (0, 1], '
                f'review_percentile in (0, 100] and refuse_factor > 1, but '
                f'got {variance_kept}, {review_percentile} and '
                f'{refuse_factor}')
        shapes_c = points[..., 0] + 1j * points[..., 1]
        full = _fit_pdm(shapes_c, variance_kept)
        keep = np.ones(num, dtype=bool)
        loo = np.empty(num)
        for i in range(num):
            keep[i] = False
            loo[i] = _pdm_distance(
                _fit_pdm(shapes_c[keep], variance_kept), shapes_c[i])[0]
            keep[i] = True
        review = float(np.percentile(loo, review_percentile))
        return cls(
            landmark_names=names,
            mean_shape=full.mean_shape,
            components=full.components,
            variances=full.variances,
            residual_variance=full.residual_variance,
            thresholds=dict(review=review, refuse=refuse_factor * review),
            max_rotation_deg=float(max_rotation_deg),
            num_training=num,
            fitted_on=fitted_on,
            loo_distances=loo)

    def _measure(self, shape: np.ndarray) -> Tuple[float, float]:
        z = _as_complex(shape, 'ShapeModel shape')
        if z.size != len(self.landmark_names):
            raise ValueError(f'ShapeModel: expected {len(self.landmark_names)}'
                             f' landmarks, but got {z.size}')
        fit = _Fit(self.mean_shape, self.components, self.variances,
                   self.residual_variance)
        return _pdm_distance(fit, z)

    def distance(self, shape: np.ndarray) -> float:
        """How unlike the training shapes a configuration is.

        Args:
            shape (np.ndarray): ``[K, 2]`` landmark positions.

        Returns:
            float: The square root of the Mahalanobis distance in the kept
            components plus the scaled squared residual off them (about
            ``sqrt(2K - 4)`` for a typical training-like shape).

        Raises:
            ValueError: If the shape is malformed, holds NaN or has all
                points at one place.
        """
        return self._measure(shape)[0]

    def rotation_deg(self, shape: np.ndarray) -> float:
        """The rotation that aligns a configuration to the mean shape.

        Args:
            shape (np.ndarray): ``[K, 2]`` landmark positions.

        Returns:
            float: Degrees in (-180, 180]; about 0 for an image in the
            training images' orientation, about +-90 or 180 for one turned
            on its side or upside down.
        """
        return self._measure(shape)[1]

    def to_dict(self) -> Dict[str, Any]:
        """A JSON-ready dictionary, read back by :meth:`from_dict`.

        Returns:
            dict: The model's fields (without the leave-one-out distances),
            plus ``version``.
        """
        return dict(
            version=SHAPE_MODEL_VERSION,
            landmark_names=list(self.landmark_names),
            mean_shape=self.mean_shape.tolist(),
            components=self.components.tolist(),
            variances=self.variances.tolist(),
            residual_variance=float(self.residual_variance),
            thresholds={
                k: float(v)
                for k, v in self.thresholds.items()
            },
            max_rotation_deg=float(self.max_rotation_deg),
            num_training=int(self.num_training),
            fitted_on=self.fitted_on)

    @classmethod
    def from_dict(cls,
                  d: Mapping[str, Any],
                  source: str = '<dict>') -> 'ShapeModel':
        """Read a model written by :meth:`to_dict`.

        Args:
            d (Mapping): The dictionary, e.g. loaded from JSON.
            source (str): Where it came from (a file name), named in the
                errors.

        Returns:
            ShapeModel: The model.

        Raises:
            ValueError: If a key is missing, unknown or invalid; the message
                names ``source`` and the key.
        """
        if not isinstance(d, Mapping):
            raise ValueError(f'{source}: a shape model must be a dictionary, '
                             f'but got {type(d).__name__}')
        required = {
            'landmark_names', 'mean_shape', 'components', 'variances',
            'residual_variance', 'thresholds'
        }
        optional = {'version', 'max_rotation_deg', 'num_training', 'fitted_on'}
        check_keys(d, 'shape model', required, optional, source)
        if d.get('version', SHAPE_MODEL_VERSION) != SHAPE_MODEL_VERSION:
            raise ValueError(
                f"{source}: shape model key 'version' is {d['version']!r}, "
                f'but this package reads version {SHAPE_MODEL_VERSION}')
        values = {k: v for k, v in d.items() if k != 'version'}
        return cls(**_check_model_fields(values, source))


def _check_model_fields(values: Dict[str, Any], source: str) -> Dict[str, Any]:
    """Check and convert the fields of a :class:`ShapeModel`.

    Returns the fields as the model holds them; raises ValueError naming
    ``source`` and the key on the first malformed one.
    """

    def fail(key: str, what: str) -> None:
        raise ValueError(f'{source}: shape model key {key!r} {what}')

    def number(key: str, default: Any = None) -> float:
        try:
            return float(values.get(key, default))
        except (TypeError, ValueError):
            fail(key, 'must be a number')

    def array(key: str) -> np.ndarray:
        try:
            return np.asarray(values.get(key), dtype=np.float64)
        except (TypeError, ValueError):
            fail(key, 'must hold numbers')

    out = dict(values)
    names = values.get('landmark_names')
    if not isinstance(names, (list, tuple)) or len(names) < 3 or not all(
            isinstance(n, str)
            for n in names) or len(set(names)) != len(names):
        fail('landmark_names', 'must be a list of at least 3 distinct '
             'strings')
    count = len(names)
    out['landmark_names'] = list(names)
    mean_shape = out['mean_shape'] = array('mean_shape')
    if mean_shape.shape != (count, 2) or not np.isfinite(mean_shape).all():
        fail(
            'mean_shape', f'must be {count} finite [x, y] points, but has '
            f'shape {mean_shape.shape}')
    if np.linalg.norm(mean_shape - mean_shape.mean(axis=0)) <= 1e-12:
        fail('mean_shape', 'has all points at one place')
    variances = out['variances'] = array('variances')
    if variances.ndim != 1 or variances.size < 1 or not np.isfinite(
            variances).all() or (variances <= 0).any():
        fail('variances', 'must be a non-empty list of positive numbers')
    rank = variances.size
    components = out['components'] = array('components')
    if components.shape != (rank,
                            2 * count) or not np.isfinite(components).all():
        fail(
            'components', f'must be {rank} rows (one per variance) of '
            f'{2 * count} numbers, but has shape {components.shape}')
    if not np.allclose(components @ components.T, np.eye(rank), atol=1e-6):
        fail('components', 'must be orthonormal rows')
    residual = out['residual_variance'] = number('residual_variance')
    if not (math.isfinite(residual) and residual > 0):
        fail('residual_variance', f'must be positive, but is {residual}')
    thresholds = values.get('thresholds')
    if not isinstance(thresholds, Mapping) or set(thresholds) != {
            'review', 'refuse'
    }:
        fail('thresholds', "must hold exactly 'review' and 'refuse'")
    try:
        thresholds = {k: float(v) for k, v in thresholds.items()}
    except (TypeError, ValueError):
        fail('thresholds', 'must hold numbers')
    if not (math.isfinite(thresholds['refuse'])
            and 0 < thresholds['review'] < thresholds['refuse']):
        fail(
            'thresholds', f'must satisfy 0 < review < refuse < inf, but '
            f'are {thresholds}')
    out['thresholds'] = thresholds
    rotation = out['max_rotation_deg'] = number('max_rotation_deg',
                                                MAX_ROTATION_DEG)
    if not 0 < rotation <= 180:
        fail('max_rotation_deg', f'must be in (0, 180], but is {rotation}')
    num = values.get('num_training', 0)
    if isinstance(num, bool) or not isinstance(num,
                                               (int, np.integer)) or num < 0:
        fail('num_training', f'must be a non-negative integer, but is '
             f'{num!r}')
    out['num_training'] = int(num)
    if not isinstance(values.get('fitted_on', ''), str):
        fail('fitted_on', 'must be a string')
    out['loo_distances'] = np.asarray(
        values.get('loo_distances', np.zeros(0)), dtype=np.float64)
    return out


@dataclass
class ShapeVerdict:
    """The plausibility check of one predicted configuration.

    Attributes:
        verdict (str): ``'ok'``, ``'review'`` (the configuration is unlike
            the training shapes: check the points) or ``'refuse'`` (not a
            lateral cephalogram in the expected orientation, or a
            configuration far from every training shape).
        distance (float): :meth:`ShapeModel.distance` (inf when all points
            coincide).
        rotation_deg (float): :meth:`ShapeModel.rotation_deg` (NaN when all
            points coincide).
        reasons (list[str]): Why it is not ``'ok'``, worded as a quality
            check of the prediction.
    """
    verdict: str
    distance: float
    rotation_deg: float
    reasons: List[str] = field(default_factory=list)

    def to_dict(self) -> Dict[str, Any]:
        """A JSON-ready dictionary (non-finite numbers as None).

        Returns:
            dict: ``verdict``, ``distance``, ``rotation_deg``, ``reasons``.
        """
        return dict(
            verdict=self.verdict,
            distance=self.distance if math.isfinite(self.distance) else None,
            rotation_deg=self.rotation_deg
            if math.isfinite(self.rotation_deg) else None,
            reasons=list(self.reasons))


def assess_shape(model: ShapeModel, shape: np.ndarray) -> ShapeVerdict:
    """Check a predicted landmark configuration against a shape model.

    Rules: a rotation beyond ``model.max_rotation_deg`` or a distance above
    ``model.thresholds['refuse']`` refuses; a distance above
    ``thresholds['review']`` asks for review; a configuration whose points
    all coincide is refused. The worst outcome wins and every rule that
    fired gives a reason.

    Args:
        model (ShapeModel): The fitted model.
        shape (np.ndarray): ``[K, 2]`` predicted landmark positions.

    Returns:
        ShapeVerdict: The verdict, the distance, the rotation and the
        reasons.

    Raises:
        ValueError: If the shape is malformed or holds NaN.
    """
    z = _as_complex(shape, 'assess_shape')
    if np.linalg.norm(z - z.mean()) <= 1e-12:
        return ShapeVerdict('refuse', math.inf, math.nan, [
            'all predicted landmarks lie at one point: the image is not a '
            'lateral cephalogram the model can read'
        ])
    distance, rotation = model._measure(shape)
    verdict, reasons = 'ok', []
    limit = model.max_rotation_deg
    if abs(rotation) > limit:
        verdict = 'refuse'
        reasons.append(
            f'landmark configuration turned by {rotation:.0f} degrees from '
            f'the expected orientation of a lateral cephalogram (refuse '
            f'beyond {limit:.0f})')
    review, refuse = model.thresholds['review'], model.thresholds['refuse']
    if distance > refuse:
        verdict = 'refuse'
        reasons.append(f'landmark configuration far from every training shape '
                       f'(distance {distance:.1f}, refuse above {refuse:.1f})')
    elif distance > review:
        verdict = 'refuse' if verdict == 'refuse' else 'review'
        reasons.append(
            f'landmark configuration unlike the training shapes (distance '
            f'{distance:.1f}, review above {review:.1f})')
    return ShapeVerdict(verdict, distance, rotation, reasons)
