"""Landmark sets shipped with the package, selectable by name.

Each landmark set is a module of this folder that defines ``dataset_info``
in MMPose's metainfo format. They are loaded by absolute module name, so
they are found wherever the user runs from.
"""
import copy
import importlib
import pkgutil
from typing import List

__all__ = [
    'get_landmark_set', 'list_landmark_sets', 'landmark_names',
    'landmark_labels'
]


def list_landmark_sets() -> List[str]:
    """Names of the landmark sets shipped with the package."""
    return sorted(
        m.name for m in pkgutil.iter_modules(__path__)
        if not m.name.startswith('_'))


def get_landmark_set(name: str) -> dict:
    """Return a copy of the MMPose metainfo of a landmark set.

    Args:
        name (str): Landmark set name, e.g. ``'isbi2015'``.

    Returns:
        dict: Metainfo with ``dataset_name``, ``keypoint_info``,
        ``skeleton_info``, ``joint_weights`` and ``sigmas``, ready for
        ``mmpose.datasets.datasets.utils.parse_pose_metainfo``.

    Raises:
        KeyError: If no landmark set of that name exists.

    Examples:
        >>> info = get_landmark_set('isbi2015')
        >>> len(info['keypoint_info'])
        19
    """
    available = list_landmark_sets()
    if name not in available:
        raise KeyError(f'Unknown landmark set {name!r}; available landmark '
                       f'sets are {available}')
    module = importlib.import_module(f'{__name__}.{name}')
    return copy.deepcopy(module.dataset_info)


def landmark_names(name: str) -> List[str]:
    """Landmark names of a landmark set, in channel order."""
    info = get_landmark_set(name)['keypoint_info']
    return [info[i]['name'] for i in sorted(info)]


def landmark_labels(dataset_meta: dict) -> List[str]:
    """Short labels of the landmarks of a parsed MMPose metainfo.

    The abbreviations of the package's landmark set (``S``, ``N``,
    ``Or``...) when ``dataset_name`` names one with the same landmark names,
    otherwise the landmark names themselves.

    Args:
        dataset_meta (dict): Parsed metainfo with ``keypoint_id2name`` and
            optionally ``dataset_name``.

    Returns:
        list[str]: One label per landmark, in channel order.
    """
    id2name = dataset_meta['keypoint_id2name']
    names = [id2name[k] for k in sorted(id2name)]
    set_name = dataset_meta.get('dataset_name')
    if set_name in list_landmark_sets() and landmark_names(set_name) == names:
        info = get_landmark_set(set_name)['keypoint_info']
        return [info[k].get('abbr') or info[k]['name'] for k in sorted(info)]
    return names
