"""Benchmark variants: a precision and optional speed-ups, named by a string.

A variant name is ``'+'``-joined features, cumulative like the rows of a
speed-up table: a precision first (``fp32``, ``amp_bf16``, ``amp_fp16``),
then any of ``channels_last`` and ``compile`` in that order, e.g.
``amp_bf16+channels_last+compile``. Without a precision the variant is
``fp32`` (``channels_last`` means ``fp32+channels_last``).

* ``amp_*``: mixed precision, autocast to that dtype. The framework's
  training step uses mmengine's ``AmpOptimWrapper`` with its ``dtype``
  (which refuses to be built without an accelerator); the bare loop uses
  ``torch.autocast`` and a ``GradScaler`` for float16 only (bfloat16 has
  float32's exponent range and needs no loss scaling).
* ``channels_last``: weights and input batch in NHWC memory order.
* ``compile``: ``torch.compile`` of the step (the framework's
  ``train_step`` / ``test_step``, as the Runner's ``compile`` option does).

Examples:
    >>> parse_variant('amp_bf16+channels_last')
    Variant(name='amp_bf16+channels_last', amp_dtype=torch.bfloat16, \
channels_last=True, compile=False)
    >>> parse_variant('channels_last').name
    'fp32+channels_last'
"""
from dataclasses import dataclass
from typing import Dict, List, Optional

import torch

__all__ = ['Variant', 'parse_variant', 'default_variants', 'PRECISIONS']

#: Precision feature -> autocast dtype (``None``: no autocast, float32).
PRECISIONS: Dict[str, Optional[torch.dtype]] = {
    'fp32': None,
    'amp_bf16': torch.bfloat16,
    'amp_fp16': torch.float16,
}
#: Optional features, in the order a name lists them.
FEATURES = ('channels_last', 'compile')

#: Defaults: the cumulative table on CUDA; on CPU no AMP (mmengine refuses
#: it without an accelerator) and no compile (slow to build; ask for it).
CUDA_DEFAULTS = ('fp32', 'amp_bf16', 'amp_fp16', 'amp_bf16+channels_last',
                 'amp_bf16+channels_last+compile')
CPU_DEFAULTS = ('fp32', 'fp32+channels_last')


@dataclass(frozen=True)
class Variant:
    """One benchmark variant.

    Attributes:
        name (str): Canonical name (precision first).
        amp_dtype (torch.dtype, optional): Autocast dtype; ``None`` for
            float32 without autocast.
        channels_last (bool): NHWC weights and inputs.
        compile (bool): ``torch.compile`` the step.
    """
    name: str
    amp_dtype: Optional[torch.dtype] = None
    channels_last: bool = False
    compile: bool = False

    @property
    def amp(self) -> bool:
        """Whether the variant runs under autocast."""
        return self.amp_dtype is not None

    @property
    def amp_dtype_name(self) -> Optional[str]:
        """``'bfloat16'`` / ``'float16'`` (``AmpOptimWrapper``'s
        ``dtype``), ``None`` without AMP."""
        return None if self.amp_dtype is None else str(self.amp_dtype).replace(
            'torch.', '')


def parse_variant(name: str) -> Variant:
    """Parse a variant name (see the module docstring).

    Args:
        name (str): E.g. ``'fp32'``, ``'amp_bf16+channels_last+compile'``,
            ``'channels_last'``.

    Returns:
        Variant: The parsed variant, with its canonical name.

    Raises:
        ValueError: Naming the variant and the feature that is unknown,
            repeated or out of order.
    """
    parts = name.split('+')
    precision = parts.pop(0) if parts[0] in PRECISIONS else 'fp32'
    expected = (f'expected a precision ({", ".join(PRECISIONS)}) first, then '
                f'any of {", ".join(FEATURES)} in that order, joined by "+"')
    for part in parts:
        if part not in FEATURES:
            raise ValueError(f'benchmark variant {name!r}: unknown feature '
                             f'{part!r}; {expected}')
    if parts != sorted(set(parts), key=FEATURES.index):
        raise ValueError(f'benchmark variant {name!r}: features repeated or '
                         f'out of order; {expected}')
    return Variant('+'.join([precision, *parts]), PRECISIONS[precision],
                   'channels_last' in parts, 'compile' in parts)


def default_variants(device: str) -> List[str]:
    """The variants measured on ``device`` when none are asked for."""
    if device.startswith('cuda'):
        return list(CUDA_DEFAULTS)
    return list(CPU_DEFAULTS)
