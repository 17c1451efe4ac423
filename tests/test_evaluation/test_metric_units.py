"""The unit of every metric key, as tools/demo.sh prints it."""
import pytest

from ceph_landmarks.core.evaluation import UNIT_SUFFIX, metric_unit
from ceph_landmarks.core.evaluation.cephalometric_measurements import \
    MEASUREMENT_SPECS


@pytest.mark.parametrize('key,unit', [
    ('ceph/MRE', 'mm'),
    ('MRE_std', 'mm'),
    ('ceph/MRE_image_se', 'mm'),
    ('ceph/SDR@2mm', '%'),
    ('SDR@2.5mm', '%'),
    ('ceph/SNA_MAE', 'deg'),
    ('ceph/angle_MAE', 'deg'),
    ('ceph/Wits_MAE_mm', 'mm'),
    ('ceph/collapsed_pairs', ''),
    ('ceph/coverage', 'fraction'),
    ('ceph/min_landmark_coverage', 'fraction'),
    ('ceph/mean_radius_mm', 'mm'),
])
def test_units_of_the_metric_keys(key, unit):
    assert metric_unit(key) == unit


@pytest.mark.parametrize('spec', MEASUREMENT_SPECS, ids=lambda s: s.key)
def test_every_measurement_error_key_gives_back_its_unit(spec):
    key = f'ceph/{spec.key}_MAE{UNIT_SUFFIX[spec.unit]}'
    assert metric_unit(key) == spec.unit
