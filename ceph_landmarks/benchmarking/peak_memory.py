"""Peak memory of one measurement, reset before each one.

The figure is the most memory in use while the measured code runs, above
what was in use when it started, in MiB. Counting from the start level
means that what earlier measurements still hold (say the framework model,
kept alive to alternate its timing rounds with the bare loop's) is not
charged to the next one.

* CUDA: ``torch.cuda.reset_peak_memory_stats`` before,
  ``torch.cuda.max_memory_allocated`` after: memory held by tensors (the
  caching allocator's unused reserve is not counted).
* CPU (Linux): the kernel's resident-set high-water mark. Writing ``5`` to
  ``/proc/self/clear_refs`` resets it to the current resident set size, and
  ``VmHWM`` of ``/proc/self/status`` reads it. Before the reset, memory
  already freed is handed back to the system (``gc.collect`` and glibc's
  ``malloc_trim``), so that heap the previous measurement freed but the
  allocator kept cannot hide this measurement's allocations. Only this
  process counts (not DataLoader worker processes).
* CPU elsewhere (no ``/proc``, or the kernel refuses the reset): no figure
  (``None``). The only alternative, the process's lifetime maximum
  (``getrusage``), is never reset, so measurements taken one after the
  other could not be compared.

Examples:
    >>> import torch
    >>> with PeakMemory('cpu') as memory:
    ...     x = torch.ones(2**24)  # 64 MiB
    >>> memory.peak_mb >= 64  # where /proc/self/clear_refs works
    True
"""
import ctypes
import gc
import re
from functools import lru_cache
from typing import Callable, Optional

import torch

__all__ = ['PeakMemory', 'cpu_peak_available', 'peak_memory_method']

_CLEAR_REFS = '/proc/self/clear_refs'
_STATUS = '/proc/self/status'


def _status_kib(field: str) -> int:
    """A ``kB`` field (``VmHWM``, ``VmRSS``) of ``/proc/self/status``."""
    with open(_STATUS) as f:
        match = re.search(rf'^{field}:\s+(\d+) kB', f.read(), re.MULTILINE)
    if match is None:
        raise OSError(f'{_STATUS} has no {field} field')
    return int(match.group(1))


def _reset_high_water_mark() -> None:
    """Set the resident-set high-water mark to the current resident set."""
    with open(_CLEAR_REFS, 'w') as f:
        f.write('5')


@lru_cache(maxsize=None)
def _malloc_trim() -> Optional[Callable[[int], int]]:
    """glibc's ``malloc_trim``, or ``None`` with another C library."""
    try:
        return ctypes.CDLL(None).malloc_trim
    except (OSError, AttributeError):
        return None


def _release_freed_memory() -> None:
    """Hand memory already freed (Python garbage, heap the C allocator
    keeps) back to the system, so that it does not count as resident."""
    gc.collect()
    trim = _malloc_trim()
    if trim is not None:
        trim(0)


@lru_cache(maxsize=None)
def cpu_peak_available() -> bool:
    """Whether this system lets the resident-set high-water mark be reset
    and read (``/proc/self/clear_refs`` and ``VmHWM``)."""
    try:
        _reset_high_water_mark()
        _status_kib('VmHWM')
        _status_kib('VmRSS')
    except OSError:
        return False
    return True


def peak_memory_method(device: str) -> str:
    """How :class:`PeakMemory` measures on ``device``, in one sentence (or
    why it gives no figure), for a benchmark's output."""
    if device.startswith('cuda'):
        return ('CUDA memory held by tensors (max_memory_allocated, its peak '
                'reset before each measurement), above the level at the '
                'start of the measurement')
    if cpu_peak_available():
        return ('resident set size of this process (VmHWM of /proc/self/'
                'status, reset through /proc/self/clear_refs before each '
                'measurement, DataLoader workers not counted), above the '
                'level at the start of the measurement')
    return ('left out: this system cannot reset the resident-set peak '
            '(/proc/self/clear_refs), and the lifetime maximum would make '
            'measurements incomparable')


class PeakMemory:
    """Context manager: the peak memory of the code it encloses.

    Args:
        device (str): ``'cpu'``, ``'cuda'`` or ``'cuda:N'``.

    Attributes:
        peak_mb (float, optional): After the block, MiB in use at the peak
            above the level at its start; ``None`` on a CPU system that
            cannot reset the peak (see :func:`peak_memory_method`) or when
            the block raised.
    """

    def __init__(self, device: str) -> None:
        self.device = device
        self.cuda = device.startswith('cuda')
        self.peak_mb: Optional[float] = None
        self._start = 0

    def __enter__(self) -> 'PeakMemory':
        self.peak_mb = None
        if self.cuda:
            torch.cuda.synchronize(self.device)
            torch.cuda.reset_peak_memory_stats(self.device)
            self._start = torch.cuda.memory_allocated(self.device)
        elif cpu_peak_available():
            _release_freed_memory()
            _reset_high_water_mark()
            self._start = _status_kib('VmRSS') * 1024
        return self

    def __exit__(self, exc_type, *exc) -> None:
        if exc_type is not None:
            return
        if self.cuda:
            torch.cuda.synchronize(self.device)
            peak = torch.cuda.max_memory_allocated(self.device)
        elif cpu_peak_available():
            peak = _status_kib('VmHWM') * 1024
        else:
            return
        self.peak_mb = (peak - self._start) / 2**20
