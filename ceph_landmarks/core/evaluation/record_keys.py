"""The keys of a record read from JSON: none missing, none unknown."""
from typing import AbstractSet, Mapping

__all__ = ['check_keys']


def check_keys(d: Mapping, what: str, required: AbstractSet[str],
               optional: AbstractSet[str], source: str) -> None:
    """Refuse a record with a missing or an unknown key.

    Args:
        d (Mapping): The record, e.g. loaded from JSON.
        what (str): What it is, for the message (``'shape model'``).
        required (AbstractSet[str]): Keys it must have.
        optional (AbstractSet[str]): Keys it may have.
        source (str): Where it came from (a file name).

    Raises:
        ValueError: ``'<source>: <what> has no key ...'`` or ``'... has an
            unknown key ...'``, naming the first in sorted order.
    """
    missing = sorted(set(required) - set(d))
    if missing:
        raise ValueError(f'{source}: {what} has no key {missing[0]!r}')
    unknown = sorted(set(d) - set(required) - set(optional))
    if unknown:
        raise ValueError(f'{source}: {what} has an unknown key '
                         f'{unknown[0]!r}')
