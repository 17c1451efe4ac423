"""Builds MMPose metainfo dicts from landmark lists."""
import colorsys
from typing import Dict, List, Sequence, Tuple

Landmark = Tuple[str, str]  # (name, abbreviation)


def _colour(i: int, n: int) -> List[int]:
    r, g, b = colorsys.hsv_to_rgb(i / max(n, 1), 0.9, 1.0)
    return [int(255 * b), int(255 * g), int(255 * r)]  # BGR


def make_dataset_info(dataset_name: str,
                      landmarks: Sequence[Landmark],
                      skeleton: Sequence[Tuple[str, str]] = (),
                      paper_info: Dict[str, str] = None) -> dict:
    """MMPose metainfo for a cephalometric landmark list.

    Lateral cephalograms have no left/right pairs, so no landmark has a
    ``swap`` partner (a horizontal flip is never a valid augmentation).
    ``sigmas`` are only used by MMPose's OKS code; they are a uniform 0.025
    and play no part in the cephalometric metric.

    Args:
        dataset_name (str): Name of the landmark set.
        landmarks (Sequence[tuple[str, str]]): ``(name, abbreviation)`` in
            channel order.
        skeleton (Sequence[tuple[str, str]]): Pairs of names to draw as
            lines in visualisations.
        paper_info (dict, optional): Citation of the landmark set.

    Returns:
        dict: ``dataset_name``, ``paper_info``, ``keypoint_info``,
        ``skeleton_info``, ``joint_weights`` and ``sigmas``.
    """
    names = [name for name, _ in landmarks]
    if len(set(names)) != len(names):
        raise ValueError(f'{dataset_name}: duplicated landmark names')
    n = len(landmarks)
    return dict(
        dataset_name=dataset_name,
        paper_info=dict(paper_info or {}),
        keypoint_info={
            i:
            dict(
                name=name,
                id=i,
                color=_colour(i, n),
                type='',
                swap='',
                abbr=abbr)
            for i, (name, abbr) in enumerate(landmarks)
        },
        skeleton_info={
            i: dict(link=link, id=i, color=[200, 200, 200])
            for i, link in enumerate(skeleton)
        },
        joint_weights=[1.0] * n,
        sigmas=[0.025] * n,
    )
