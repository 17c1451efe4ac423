"""Inter-observer agreement, checked against numbers computed by hand."""
import numpy as np
import pytest

from ceph_landmarks.core.evaluation import interobserver_agreement


def test_agreement_by_hand():
    a = np.zeros((2, 2, 2))
    b = np.array([
        [[30., 40.], [0., 10.]],  # 5.0 mm, 1.0 mm at 0.1 mm/px
        [[0., 30.], [99., 99.]]
    ])  # 1.5 mm at 0.05, masked out
    mask = np.array([[True, True], [True, False]])
    stats = interobserver_agreement(
        a, b, mask, np.array([0.1, 0.05]), thresholds=(1.0, 2.0))
    assert stats['MRE'] == pytest.approx(2.5)
    assert stats['MRE_std'] == pytest.approx(np.std([5.0, 1.0, 1.5]))
    assert stats['SDR@1mm'] == pytest.approx(100 / 3)
    assert stats['SDR@2mm'] == pytest.approx(200 / 3)
    assert stats['count'] == 3
    # symmetric, and per-axis spacing accepted
    swapped = interobserver_agreement(
        b,
        a,
        mask,
        np.array([[0.1, 0.1], [0.05, 0.05]]),
        thresholds=(1.0, 2.0))
    assert swapped == pytest.approx(stats)
