"""Landmark sets shipped inside the package."""
import pytest
from mmpose.datasets.datasets.utils import parse_pose_metainfo

from ceph_landmarks.metainfo import (get_landmark_set, landmark_names,
                                     list_landmark_sets)


def test_isbi2015_names_in_order():
    names = landmark_names('isbi2015')
    assert len(names) == 19
    assert names[:4] == ['sella', 'nasion', 'orbitale', 'porion']
    assert names[10:12] == [
        'lower_incisal_incision', 'upper_incisal_incision'
    ]
    assert names[-1] == 'articulare'


@pytest.mark.parametrize('name', list_landmark_sets())
def test_every_landmark_set_parses_without_flip_pairs(name):
    parsed = parse_pose_metainfo(get_landmark_set(name))
    assert parsed['num_keypoints'] == len(landmark_names(name))
    assert parsed['flip_pairs'] == []
    assert len(set(landmark_names(name))) == parsed['num_keypoints']


def test_get_returns_a_copy():
    get_landmark_set('isbi2015')['keypoint_info'][0]['name'] = 'changed'
    assert landmark_names('isbi2015')[0] == 'sella'
