"""Argument checks shared by the photometric transforms."""
from typing import Sequence, Tuple


def check_probability(prob: float) -> float:
    """Return ``prob`` as a float, or raise if it is outside [0, 1]."""
    if not 0.0 <= prob <= 1.0:
        raise ValueError(f'prob must be in [0, 1], but got {prob}')
    return float(prob)


def check_range(name: str,
                value: Sequence[float],
                minimum: float = 0.0) -> Tuple[float, float]:
    """Return a ``(low, high)`` range, or raise naming the bad argument.

    Args:
        name (str): The argument's name, for the error message.
        value (Sequence[float]): Two numbers, ``low <= high``.
        minimum (float): ``low`` must be greater than this.

    Returns:
        tuple[float, float]: ``(low, high)``.
    """
    if len(value) != 2:
        raise ValueError(f'{name} must be (low, high), but got {value!r}')
    low, high = float(value[0]), float(value[1])
    if not minimum < low <= high:
        raise ValueError(
            f'{name} must satisfy {minimum} < low <= high, but got {value!r}')
    return low, high
