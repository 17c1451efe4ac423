"""Reference norms: one per measurement, with a source; the comparison."""
import math

import numpy as np
import pytest

from ceph_landmarks.core.evaluation import NORMS, classify_deviation
from ceph_landmarks.core.evaluation.cephalometric_geometry import \
    signed_distance
from ceph_landmarks.core.evaluation.cephalometric_measurements import \
    MEASUREMENT_SPECS
from ceph_landmarks.core.evaluation.cephalometric_norms import deviation_flag


def test_every_measurement_has_a_norm_with_a_source():
    keys = [spec.key for spec in MEASUREMENT_SPECS]
    assert len(set(keys)) == len(keys)
    assert sorted(NORMS) == sorted(keys)
    for key, norm in NORMS.items():
        assert norm.source, key
        if key in ('Ar-A', 'Ar-Gn'):  # substitutes: no published norm
            assert math.isnan(norm.mean) and 'no published norm' in \
                norm.source
        else:
            assert norm.sd > 0, key
            assert any(
                year in norm.source for year in ('1948', '1953', '1954',
                                                 '1968', '1972', '1984')), key


def test_classify_deviation_boundaries():
    assert classify_deviation(82 + 2, 82, 2) == 'within'  # inclusive
    assert classify_deviation(82 - 3, 82, 2) == 'outside 1 SD'
    assert classify_deviation(82 + 4, 82, 2) == 'outside 1 SD'
    assert classify_deviation(82 + 4.01, 82, 2) == 'outside 2 SD'
    assert classify_deviation(None, 82, 2) is None
    assert classify_deviation(float('nan'), 82, 2) is None
    assert classify_deviation(80, float('nan'), float('nan')) is None


def test_deviation_flag_wording():
    assert deviation_flag('within') == ''
    assert deviation_flag(None) == ''
    assert deviation_flag('outside 2 SD') == \
        'outside the reference range (mean +- 2 SD)'
    with pytest.raises(ValueError, match="but got 'Class II'"):
        deviation_flag('Class II')


def test_signed_distance_needs_a_side():
    line = np.array([0., 0.]), np.array([0., 10.])
    assert signed_distance(
        np.array([-2., 3.]), *line, np.array([-1., 0.]),
        'line') == pytest.approx(2.0)
    with pytest.raises(
            ValueError, match='line: the forward direction is '
            'parallel'):
        signed_distance(np.array([1., 1.]), *line, np.array([0., 1.]), 'line')
