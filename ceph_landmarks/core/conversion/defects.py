"""Annotation and image defects found while converting a dataset.

Every problem a converter meets is a :class:`Defect`: what is wrong, in
which file, for which landmark labels. Its ``kind`` fixes how serious it is:

* ``invalid``: the annotation file (or image) cannot be used as it is, e.g.
  a label placed twice: which of the two points is the landmark is unknown.
  A conversion stops with :class:`ConversionError` listing every invalid
  defect, unless the user asks to skip invalid files, in which case the
  file is left out and the defect is listed in the report with that action.
* ``missing``: something is absent but the rest is usable, e.g. a landmark
  nobody placed: it is kept with visibility 0 (excluded from loss and
  metric) and reported.
* ``note``: handled and harmless, but worth knowing, e.g. JPEG bytes in a
  ``.tif`` file (decoded by content).
"""
import dataclasses
from collections import OrderedDict
from dataclasses import dataclass
from typing import Dict, Iterable, List, Optional, Tuple

__all__ = ['Defect', 'DefectReport', 'ConversionError', 'DEFECT_KINDS']

#: Defect kinds and their severity.
DEFECT_KINDS = {
    'duplicated_landmark': 'invalid',
    'unknown_label': 'invalid',
    'unreadable_annotation': 'invalid',
    'bad_point': 'invalid',
    'outside_image': 'invalid',
    'size_mismatch': 'invalid',
    'unreadable_image': 'invalid',
    'missing_image': 'invalid',
    'missing_spacing': 'invalid',
    'unannotated_image': 'invalid',
    'missing_landmark': 'missing',
    'missing_annotation': 'missing',
    'format_mismatch': 'note',
}


@dataclass(frozen=True)
class Defect:
    """One problem in one source file.

    Attributes:
        source (str): The file, e.g. ``'mollabashi/002.json'``.
        kind (str): One of :data:`DEFECT_KINDS`.
        detail (str): What is wrong, in words.
        labels (tuple[str]): Landmark labels concerned, as the source names
            them (e.g. ``('l11',)``); empty for whole-file problems.
        action (str): What the converter did about it (filled in by the
            conversion, e.g. ``'annotation file skipped'``).
    """
    source: str
    kind: str
    detail: str
    labels: Tuple[str, ...] = ()
    action: str = ''

    def __post_init__(self) -> None:
        if self.kind not in DEFECT_KINDS:
            raise ValueError(f'unknown defect kind {self.kind!r}; expected '
                             f'one of {sorted(DEFECT_KINDS)}')
        object.__setattr__(self, 'labels', tuple(self.labels))

    @property
    def severity(self) -> str:
        """``'invalid'``, ``'missing'`` or ``'note'``."""
        return DEFECT_KINDS[self.kind]

    def with_action(self, action: str) -> 'Defect':
        """A copy of the defect with ``action`` set."""
        return dataclasses.replace(self, action=action)

    def to_dict(self) -> dict:
        """JSON-ready form, as written in the defects report."""
        return dict(
            file=self.source,
            kind=self.kind,
            severity=self.severity,
            labels=list(self.labels),
            detail=self.detail,
            action=self.action)

    def __str__(self) -> str:
        text = f'{self.source}: {self.detail}'
        return f'{text} -> {self.action}' if self.action else text


class ConversionError(ValueError):
    """Invalid input that stops a conversion; lists every invalid defect.

    Args:
        defects (Iterable[Defect]): The invalid defects.
        hint (str): How to get past them (e.g. the ``--skip-invalid`` flag).
    """

    def __init__(self, defects: Iterable[Defect], hint: str = '') -> None:
        self.defects = list(defects)
        lines = [f'{len(self.defects)} invalid input file(s):']
        lines += [f'  {d}' for d in self.defects]
        if hint:
            lines.append(hint)
        super().__init__('\n'.join(lines))


class DefectReport:
    """The defects of one conversion, in the order they were found."""

    def __init__(self) -> None:
        self._defects: List[Defect] = []

    def add(self, defect: Defect) -> None:
        """Record a defect (with its action already set)."""
        self._defects.append(defect)

    def __iter__(self):
        return iter(self._defects)

    def __len__(self) -> int:
        return len(self._defects)

    def of_severity(self, severity: str) -> List[Defect]:
        """Defects of one severity (``invalid``, ``missing`` or ``note``)."""
        return [d for d in self._defects if d.severity == severity]

    def annotation_defects(self) -> List[Defect]:
        """Invalid and missing defects: everything but notes."""
        return [d for d in self._defects if d.severity != 'note']

    def by_source(
        self,
        defects: Optional[Iterable[Defect]] = None
    ) -> 'OrderedDict[str, List[Defect]]':
        """Defects (all, or the given ones) grouped by source file, in
        order of discovery."""
        grouped: Dict[str, List[Defect]] = OrderedDict()
        for defect in self._defects if defects is None else defects:
            grouped.setdefault(defect.source, []).append(defect)
        return grouped

    def to_dict(self) -> dict:
        """JSON-ready report: counts per severity and every defect."""
        counts = {
            s: len(self.of_severity(s))
            for s in ('invalid', 'missing', 'note')
        }
        return dict(
            num_defects=len(self._defects),
            num_files=len(self.by_source()),
            counts=counts,
            defects=[d.to_dict() for d in self._defects])
