"""The points of the cephalometric measurements, found by landmark name.

Each measurement names its points by a short key (``'S'``, ``'N'``,
``'Pog'``...); :data:`LANDMARK_ALIASES` lists the landmark names that the
package's landmark sets (``ceph_landmarks.core.metainfo``: ISBI 2015,
CL-Detection 2023, 'Aariz) use for each, so a measurement is available in
every set that has its points, whatever their channel order.
"""
from typing import Dict, Sequence, Tuple

__all__ = ['LANDMARK_ALIASES', 'resolve_landmarks']

#: Landmark names accepted for each point key, in order of preference.
LANDMARK_ALIASES: Dict[str, Tuple[str, ...]] = {
    'S': ('sella', ),
    'N': ('nasion', ),
    'A': ('subspinale', 'a_point'),
    'B': ('supramentale', 'b_point'),
    'Po': ('porion', ),
    'Or': ('orbitale', ),
    'Go': ('gonion', ),
    'Me': ('menton', ),
    'Pog': ('pogonion', ),
    'Gn': ('gnathion', ),
    'ANS': ('anterior_nasal_spine', ),
    'PNS': ('posterior_nasal_spine', ),
    'Ar': ('articulare', ),
    'Co': ('condylion', ),
    'U1': ('upper_incisal_incision', 'upper_incisor_tip'),
    'U1A': ('upper_incisor_apex', ),
    'L1': ('lower_incisal_incision', 'lower_incisor_tip'),
    'L1A': ('lower_incisor_apex', ),
    # soft tissue
    'Prn': ('pronasale', ),  # nose tip
    "Pog'": ('soft_tissue_pogonion', ),
    'UL': ('upper_lip', 'labrale_superius'),
    'LL': ('lower_lip', 'labrale_inferius'),
}


def resolve_landmarks(names: Sequence[str]) -> Dict[str, int]:
    """Channel index of each measurement point present in a landmark list.

    Args:
        names (Sequence[str]): Landmark names in channel order.

    Returns:
        dict[str, int]: Point key of :data:`LANDMARK_ALIASES` (``'S'``,
        ``'N'``...) to its channel; points absent from ``names`` are left
        out.

    Examples:
        >>> resolve_landmarks(['nasion', 'sella', 'p1'])
        {'S': 1, 'N': 0}
    """
    index = {name: k for k, name in enumerate(names)}
    found = {}
    for point, aliases in LANDMARK_ALIASES.items():
        for alias in aliases:
            if alias in index:
                found[point] = index[alias]
                break
    return found
