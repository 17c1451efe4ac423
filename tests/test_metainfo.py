"""Landmark sets shipped inside the package."""
import pytest
from mmpose.datasets.datasets.utils import parse_pose_metainfo

from ceph_landmarks.core.metainfo import (get_landmark_set, landmark_labels,
                                          landmark_names, list_landmark_sets)


def test_isbi2015_names_in_order():
    names = landmark_names('isbi2015')
    assert len(names) == 19
    assert names[:4] == ['sella', 'nasion', 'orbitale', 'porion']
    assert names[10:12] == ['lower_incisal_incision', 'upper_incisal_incision']
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


def test_landmark_labels_are_abbreviations_of_known_sets():
    meta = parse_pose_metainfo(get_landmark_set('isbi2015'))
    labels = landmark_labels(meta)
    assert labels[:4] == ['S', 'N', 'Or', 'Po'] and len(labels) == 19
    # renamed landmarks: the names themselves
    meta['keypoint_id2name'] = {0: 'a', 1: 'b'}
    assert landmark_labels(meta) == ['a', 'b']


def _abbreviations(name):
    info = get_landmark_set(name)['keypoint_info']
    return [info[k]['abbr'] for k in sorted(info)]


def test_shipped_landmark_sets():
    assert {'isbi2015', 'isbi2015_p1p2', 'cldetection2023',
            'aariz'} <= set(list_landmark_sets())


def test_cldetection2023_is_isbi_then_19_more():
    names = landmark_names('cldetection2023')
    assert len(names) == 38
    assert names[:19] == landmark_names('isbi2015')
    assert _abbreviations('cldetection2023')[19:] == [
        'D', 'U1A', 'L1A', 'Cm', 'Ptm', 'Co', 'Prn', 'Ba', 'PT', 'Bo', "UL'",
        "LL'", "Gn'", "Me'", 'G', "N'", 'C', 'U6', 'L6'
    ]


def test_isbi2015_p1p2_appends_two_points():
    assert landmark_names(
        'isbi2015_p1p2') == landmark_names('isbi2015') + ['p1', 'p2']


def test_aariz_symbols_titles_and_groups():
    from ceph_landmarks.core.metainfo.aariz import GROUPS, TITLES
    names = landmark_names('aariz')
    symbols = _abbreviations('aariz')
    assert len(names) == 29
    assert symbols[:4] == ['A', 'ANS', 'B', 'Me']
    assert symbols[-4:] == ['Ls', 'N`', 'Pog`', 'Sn']
    assert TITLES['lower_2nd_pm_cusp_tip'] == 'Lower 2nd PM Cusp Tip'
    assert sorted(GROUPS) == sorted(names)
    counts = {g: list(GROUPS.values()).count(g) for g in set(GROUPS.values())}
    assert counts == {'skeletal': 15, 'dental': 8, 'soft_tissue': 6}
