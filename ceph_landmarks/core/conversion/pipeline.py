"""The conversion loop shared by every dataset converter.

A converter turns its source format into :class:`Sample` records (one per
image: how to load it, each annotator's landmarks, the spacing, the split)
and hands them to :func:`convert_samples`, which

1. refuses an existing non-empty output folder and, unless
   ``skip_invalid``, stops with a :class:`ConversionError` listing every
   invalid annotation found so far, before anything is written;
2. for each image, leaves out invalid annotation files, reads the image
   (by content), checks its size and that every point lies inside it,
   combines the annotators (:func:`combine_annotators`) and writes the PNG
   and its COCO record;
3. writes the annotation files and ``defects.json`` and moves the finished
   folder into place (:class:`StagedOutputDir`).

Problems found while reading images (unreadable file, point outside the
image) stop the conversion the same way, unless ``skip_invalid``.
"""
import os.path as osp
from dataclasses import dataclass, field
from typing import (Callable, Dict, Iterable, List, Optional, Sequence, Tuple,
                    Union)

import numpy as np

from ..evaluation import interobserver_agreement, sdr_key
from ..io.image_io import ImageReadError, LoadedImage
from ..writers.atomic_write import write_json
from .combine import combine_annotators
from .defects import ConversionError, Defect, DefectReport
from .landmark_points import AnnotatorPoints, points_outside_image
from .output import CocoDatasetWriter, StagedOutputDir

__all__ = ['Sample', 'ConversionResult', 'convert_samples']

Spacing = Union[float, Tuple[float, float]]

#: Hint appended to a :class:`ConversionError` by the command-line tools.
SKIP_HINT = ('Fix these files, or pass --skip-invalid to leave them out and '
             'list them in the defects report.')


@dataclass
class Sample:
    """One image to convert and everything known about it.

    Attributes:
        stem (str): Output file stem (``images/{stem}.png``), unique.
        split (str): Split the image goes to.
        source (str): The source image (a path, or e.g. ``stack.mha[3]``).
        load (Callable[[], LoadedImage], optional): Reads the image when
            called; ``None`` only together with an invalid image-level
            defect (e.g. ``missing_image``).
        annotations (list[AnnotatorPoints]): One entry per annotation file
            found for the image, invalid ones included (they are reported
            and left out).
        spacing (float | tuple[float, float], optional): mm/px; ``None``
            only together with a ``missing_spacing`` defect.
        defects (list[Defect]): Image-level defects (no annotation file of
            one annotator, no spacing, ...).
        expected_size (tuple[int, int], optional): ``(width, height)`` the
            annotation file claims; checked against the image.
    """
    stem: str
    split: str
    source: str
    load: Optional[Callable[[], LoadedImage]]
    annotations: List[AnnotatorPoints]
    spacing: Optional[Spacing]
    defects: List[Defect] = field(default_factory=list)
    expected_size: Optional[Tuple[int, int]] = None

    def known_defects(self) -> List[Defect]:
        """Defects found before reading the image, image-level first."""
        found = list(self.defects)
        if not self.annotations and not any(d.severity == 'invalid'
                                            for d in found):
            found.append(
                Defect(self.source, 'unannotated_image',
                       'no annotation file for this image'))
        for ann in self.annotations:
            found.extend(ann.defects)
        return found


@dataclass
class ConversionResult:
    """What a conversion wrote, skipped and found.

    Attributes:
        out_dir (str): The output folder.
        landmark_names (list[str]): Landmark names in channel order.
        annotation_files (dict[str, str]): Annotation file of each split.
        split_counts (dict[str, int]): Images written to each split.
        report (DefectReport): Every defect, with the action taken.
        skipped (list[str]): Stems of the images left out.
        visible (dict[str, np.ndarray]): Visibility ``[K]`` of each image
            written.
        annotators (dict[str, dict[str, AnnotatorPoints]]): For each image
            written, the annotations used, by annotator name.
        spacings (dict[str, float | tuple]): Spacing of each image written.
    """
    out_dir: str
    landmark_names: List[str]
    annotation_files: Dict[str, str]
    split_counts: Dict[str, int]
    report: DefectReport
    skipped: List[str]
    visible: Dict[str, np.ndarray]
    annotators: Dict[str, Dict[str, AnnotatorPoints]]
    spacings: Dict[str, Spacing]

    @property
    def num_images(self) -> int:
        return sum(self.split_counts.values())

    def annotator_names(self) -> List[str]:
        """Annotators seen in the images written, in order of appearance."""
        names: List[str] = []
        for by_name in self.annotators.values():
            names.extend(n for n in by_name if n not in names)
        return names

    def paired_points(
        self, annotator_a: str, annotator_b: str
    ) -> Tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Both annotators' landmarks on the images where both are valid.

        Args:
            annotator_a (str): First annotator.
            annotator_b (str): Second annotator.

        Returns:
            tuple: ``points_a``, ``points_b`` (np.ndarray[N, K, 2]),
            ``mask`` (np.ndarray[N, K], both placed the landmark) and
            ``spacing`` (np.ndarray[N, 2]) over the ``N`` images whose
            annotation files of both annotators were used.
        """
        stems = [
            s for s, by_name in self.annotators.items()
            if annotator_a in by_name and annotator_b in by_name
        ]
        num = len(self.landmark_names)
        points_a = np.zeros((len(stems), num, 2))
        points_b = np.zeros((len(stems), num, 2))
        mask = np.zeros((len(stems), num), dtype=bool)
        spacing = np.zeros((len(stems), 2))
        for i, stem in enumerate(stems):
            a = self.annotators[stem][annotator_a]
            b = self.annotators[stem][annotator_b]
            points_a[i], points_b[i] = a.coords, b.coords
            mask[i] = a.present & b.present
            spacing[i] = np.broadcast_to(self.spacings[stem], (2, ))
        return points_a, points_b, mask, spacing

    def interobserver(self, annotator_a: str,
                      annotator_b: str) -> Dict[str, float]:
        """Inter-observer MRE / SD / SDR between two annotators (mm, %).

        Only images where both annotation files are valid and only landmarks
        both annotators placed are compared. See
        :func:`~ceph_landmarks.core.evaluation.interobserver_agreement`.
        """
        points_a, points_b, mask, spacing = self.paired_points(
            annotator_a, annotator_b)
        stats = interobserver_agreement(points_a, points_b, mask, spacing)
        stats['images'] = len(mask)
        return stats

    def summary(self) -> str:
        """Closing summary of a conversion, as printed by the converters."""
        splits = ', '.join(f'{s}: {n}' for s, n in self.split_counts.items())
        num_k = len(self.landmark_names)
        total = num_k * self.num_images
        shown = sum(int(v.sum()) for v in self.visible.values())
        lines = [
            f'Images written: {self.num_images} ({splits}) -> {self.out_dir}',
            f'Landmarks per image: {num_k}; {shown} of {total} visible, '
            f'{total - shown} kept with visibility 0',
        ]
        if self.skipped:
            lines.append(f'Images skipped: {len(self.skipped)} '
                         f'({", ".join(self.skipped)})')
        annotation = self.report.by_source(self.report.annotation_defects())
        notes = self.report.of_severity('note')
        lines.append(
            f'Defects found: {len(annotation)} annotation file(s) with '
            f'defects, {len(notes)} note(s); report: '
            f'{osp.join(self.out_dir, "defects.json")}')
        for source, defects in list(annotation.items()) + [(n.source, [n])
                                                           for n in notes]:
            lines.append(f'  {source}: {_describe(defects)}')
        names = self.annotator_names()
        if len(names) >= 2:
            stats = self.interobserver(names[0], names[1])
            sdr = ' / '.join(f'{stats[sdr_key(t)]:.1f}'
                             for t in (2.0, 2.5, 3.0, 4.0))
            lines.append(
                f'Inter-observer {names[0]} vs {names[1]} '
                f'({stats["images"]} images, {stats["count"]} landmark '
                f'pairs): MRE {stats["MRE"]:.3f} +- {stats["MRE_std"]:.3f} '
                f'mm, SDR@2/2.5/3/4mm {sdr} %')
        return '\n'.join(lines)


def _describe(defects: Sequence[Defect]) -> str:
    """One line for the defects of one file: details, then action(s)."""
    actions = {d.action for d in defects}
    if len(actions) == 1:
        details = '; '.join(d.detail for d in defects)
        return f'{details} -> {actions.pop()}' if defects[0].action \
            else details
    return '; '.join(f'{d.detail} -> {d.action}' if d.action else d.detail
                     for d in defects)


def _missing_action(defect: Defect, ann: AnnotatorPoints,
                    visible: np.ndarray) -> str:
    """Action for landmarks one annotator left out, given the result."""
    filled = [visible[ann.labels.index(label)] for label in defect.labels]
    if all(filled):
        return 'taken from the other annotator(s)'
    if not any(filled):
        return 'kept with visibility 0'
    return 'kept with visibility 0 where no other annotator placed it'


class _Converter:
    """State of one run of :func:`convert_samples`."""

    def __init__(self, writer: CocoDatasetWriter, skip_invalid: bool,
                 hint: str) -> None:
        self.writer = writer
        self.skip_invalid = skip_invalid
        self.hint = hint
        self.report = DefectReport()
        self.skipped: List[str] = []
        self.visible: Dict[str, np.ndarray] = {}
        self.annotators: Dict[str, Dict[str, AnnotatorPoints]] = {}
        self.spacings: Dict[str, Spacing] = {}

    def _invalid(self, defect: Defect, found: List[Defect]) -> None:
        """Stop on an invalid input, or note it when skipping invalid."""
        if not self.skip_invalid:
            raise ConversionError([defect], self.hint)
        found.append(defect)

    def _load(self, sample: Sample,
              found: List[Defect]) -> Optional[LoadedImage]:
        """Read the image and check its size; ``None`` if unusable."""
        try:
            image = sample.load()
        except ImageReadError as err:
            self._invalid(
                Defect(err.source, 'unreadable_image', err.reason), found)
            return None
        if image.format_mismatch:
            found.append(
                Defect(
                    image.source,
                    'format_mismatch', f'{image.format} data under a '
                    f'{image.expected_format} file name',
                    action='decoded by content, written as PNG'))
        size = (image.width, image.height)
        if sample.expected_size and tuple(sample.expected_size) != size:
            self._invalid(
                Defect(
                    sample.source, 'size_mismatch',
                    f'image is {size[0]} x {size[1]} but the annotation '
                    f'says {sample.expected_size[0]} x '
                    f'{sample.expected_size[1]}'), found)
            return None
        return image

    def run(self, sample: Sample) -> None:
        """Convert one image, recording its defects with their actions."""
        usable = [a for a in sample.annotations if a.valid]
        dropped = [a for a in sample.annotations if not a.valid]
        found: List[Defect] = []  # defects found while reading the image
        image = None
        if usable and not any(d.severity == 'invalid' for d in sample.defects):
            image = self._load(sample, found)
        if image is not None:
            for ann in list(usable):
                outside = points_outside_image(ann, image.width, image.height)
                if outside is not None:
                    self._invalid(outside, found)
                    usable.remove(ann)
                    dropped.append(ann)
        written = image is not None and bool(usable)
        visible = None
        if written:
            coords, visible = combine_annotators(usable)
            self.writer.add(sample.split, sample.stem, image.pixels, coords,
                            visible, sample.spacing, sample.source)
            self.visible[sample.stem] = visible
            self.annotators[sample.stem] = {a.annotator: a for a in usable}
            self.spacings[sample.stem] = sample.spacing
        else:
            self.skipped.append(sample.stem)
        self._record(sample, dropped, found, written, visible)

    def _record(self, sample: Sample, dropped: List[AnnotatorPoints],
                found: List[Defect], written: bool,
                visible: Optional[np.ndarray]) -> None:
        """Add the sample's defects to the report with what was done."""
        dropped_sources = {a.source for a in dropped}
        for defect in sample.known_defects() + found:
            if defect.action:
                action = defect.action
            elif defect.source in dropped_sources:
                action = 'annotation file skipped'
                action += '' if written else '; image skipped'
            elif not written:
                action = 'image skipped'
            elif defect.kind == 'missing_landmark':
                ann = next(a for a in sample.annotations
                           if a.source == defect.source)
                action = _missing_action(defect, ann, visible)
            elif defect.kind == 'missing_annotation':
                action = 'image uses the other annotator(s)'
            else:
                action = ''
            self.report.add(defect.with_action(action))


def convert_samples(samples: Sequence[Sample],
                    out_dir: str,
                    landmark_names: Sequence[str],
                    splits: Sequence[str],
                    skip_invalid: bool = False,
                    description: str = '',
                    progress: Optional[Callable[[Iterable[Sample]],
                                                Iterable[Sample]]] = None,
                    hint: str = SKIP_HINT) -> ConversionResult:
    """Convert samples into a new dataset folder.

    Args:
        samples (Sequence[Sample]): The images, from a format reader.
        out_dir (str): New output folder.
        landmark_names (Sequence[str]): Landmark names in channel order.
        splits (Sequence[str]): Split names; each gets an annotation file.
        skip_invalid (bool): Leave invalid annotation files (and images
            left with none) out and report them, instead of stopping.
        description (str): ``info.description`` of the COCO files.
        progress (Callable, optional): Wraps the sample iterable, e.g.
            ``tqdm``.
        hint (str): Appended to the error listing invalid files.

    Returns:
        ConversionResult: Counts, the defects report and the annotations
        used (for the inter-observer agreement).

    Raises:
        FileExistsError: If ``out_dir`` exists and is not empty.
        ConversionError: If an input is invalid and ``skip_invalid`` is
            ``False``; nothing is written then.
    """
    StagedOutputDir.check_new(out_dir)
    stems = [s.stem for s in samples]
    if len(set(stems)) != len(stems):
        repeated = sorted({s for s in stems if stems.count(s) > 1})
        raise ValueError(f'several source images map to the same output '
                         f'name(s) {repeated}')
    if not skip_invalid:
        invalid = [
            d for s in samples for d in s.known_defects()
            if d.severity == 'invalid'
        ]
        if invalid:
            raise ConversionError(invalid, hint)
    with StagedOutputDir(out_dir) as root:
        writer = CocoDatasetWriter(root, landmark_names, splits, description)
        state = _Converter(writer, skip_invalid, hint)
        for sample in (progress(samples) if progress else samples):
            state.run(sample)
        files = writer.write()
        write_json(
            state.report.to_dict(), osp.join(root, 'defects.json'), indent=2)
    out = osp.abspath(out_dir)
    return ConversionResult(
        out_dir=out,
        landmark_names=list(landmark_names),
        annotation_files={
            s: osp.join(out, osp.relpath(p, root))
            for s, p in files.items()
        },
        split_counts={s: writer.num_images(s)
                      for s in splits},
        report=state.report,
        skipped=state.skipped,
        visible=state.visible,
        annotators=state.annotators,
        spacings=state.spacings)
