"""The unit of each metric key the package's metrics report.

One convention for every reader of a metrics file (``tools/test.py
--out``, ``tools/demo.sh``'s summary): the radial-error keys are in mm
(``MRE``, ``MRE_std``, ``MRE_image_se``), the detection rates in percent
(``SDR@2mm``), the measurement errors carry their unit as a suffix
(:data:`UNIT_SUFFIX`: ``SNA_MAE`` in degrees, ``Wits_MAE_mm``,
``Facial_height_ratio_MAE_pct``), the error radii's coverage
(``coverage``, ``min_landmark_coverage``) is a fraction and their mean
(``mean_radius_mm``) in mm, and counts (``collapsed_pairs``) have none. A
``ceph/`` prefix is ignored.
"""
__all__ = ['UNIT_SUFFIX', 'metric_unit']

#: Metric key suffix of a measurement error of each unit; angles keep the
#: plain ``{key}_MAE``.
UNIT_SUFFIX = {'deg': '', 'mm': '_mm', '%': '_pct'}


def metric_unit(key: str) -> str:
    """The unit of a metric key.

    Args:
        key (str): A metric key, with or without its ``ceph/`` prefix.

    Returns:
        str: ``'mm'``, ``'%'``, ``'deg'``, ``'fraction'``, or ``''`` for a
        count.

    Examples:
        >>> [metric_unit(k) for k in ('ceph/MRE', 'SDR@2mm', 'SNA_MAE',
        ...                           'Wits_MAE_mm', 'collapsed_pairs')]
        ['mm', '%', 'deg', 'mm', '']
        >>> [metric_unit(k) for k in ('ceph/coverage', 'mean_radius_mm')]
        ['fraction', 'mm']
    """
    name = key.rsplit('/', 1)[-1]
    if name.startswith('MRE') or name == 'mean_radius_mm':
        return 'mm'
    if name in ('coverage', 'min_landmark_coverage'):
        return 'fraction'
    if name.startswith('SDR@'):
        return '%'
    for unit, suffix in UNIT_SUFFIX.items():
        if suffix and name.endswith(f'_MAE{suffix}'):
            return unit
    return 'deg' if name.endswith('_MAE') else ''
