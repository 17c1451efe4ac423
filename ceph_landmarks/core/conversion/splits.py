"""Seeded, reproducible train / val / test splits."""
from typing import Dict, List, Sequence

import numpy as np

__all__ = ['seeded_split', 'split_fractions']


def seeded_split(keys: Sequence[str], fractions: Dict[str, float],
                 seed: int) -> Dict[str, List[str]]:
    """Split keys at random, reproducibly, into named parts.

    The keys are sorted before shuffling, so the split depends only on the
    set of keys and the seed, not on the order they were listed in. Each
    part but the first gets ``round(n * fraction)`` keys; the first gets
    the rest. Converters split all the images they find *before* dropping
    invalid ones, so skipping a file does not move any other image to
    another split.

    Args:
        keys (Sequence[str]): Unique image keys (e.g. file stems).
        fractions (dict[str, float]): Part name to fraction, in order, the
            first part taking the remainder (e.g. ``{'train': 0.8, 'val':
            0.2}``). Fractions must be non-negative and sum to at most 1.
        seed (int): Seed of the shuffle.

    Returns:
        dict[str, list[str]]: The keys of each part, sorted.

    Raises:
        ValueError: If keys repeat or the fractions are invalid.

    Examples:
        >>> seeded_split([f'{i:03d}' for i in range(10)],
        ...              {'train': 0.8, 'val': 0.2}, seed=0)['val']
        ['003', '007']
    """
    if len(set(keys)) != len(keys):
        raise ValueError('seeded_split: keys must be unique')
    if not fractions:
        raise ValueError('seeded_split: no parts given')
    if any(f < 0
           for f in fractions.values()) or sum(fractions.values()) > 1 + 1e-9:
        raise ValueError('fractions must be non-negative and sum to at most '
                         f'1, but got {fractions}')
    ordered = sorted(keys)
    order = np.random.default_rng(seed).permutation(len(ordered))
    shuffled = [ordered[i] for i in order]
    names = list(fractions)
    sizes = {
        name: int(round(len(keys) * fractions[name]))
        for name in names[1:]
    }
    if sum(sizes.values()) > len(keys):
        raise ValueError(f'{len(keys)} keys are too few for {fractions}')
    sizes = {names[0]: len(keys) - sum(sizes.values()), **sizes}
    parts, start = {}, 0
    for name in names:
        parts[name] = sorted(shuffled[start:start + sizes[name]])
        start += sizes[name]
    return parts


def split_fractions(val_ratio: float,
                    test_ratio: float = 0.0) -> Dict[str, float]:
    """``{'train': rest, 'val': val_ratio, 'test': test_ratio}``.

    Parts with a zero fraction other than ``train`` are left out.

    Raises:
        ValueError: If a ratio is negative or they sum to 1 or more.
    """
    if val_ratio < 0 or test_ratio < 0 or val_ratio + test_ratio >= 1:
        raise ValueError('val and test ratios must be >= 0 and leave images '
                         f'for training, but got {val_ratio} and '
                         f'{test_ratio}')
    fractions = {'train': 1.0 - val_ratio - test_ratio}
    if val_ratio > 0:
        fractions['val'] = val_ratio
    if test_ratio > 0:
        fractions['test'] = test_ratio
    return fractions
