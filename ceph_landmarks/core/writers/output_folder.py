"""The files of an inference run in its output folder, and the rule that
keeps two runs' results from mixing.

A run writes, per image, ``<stem>.json`` and ``<stem>_overlay.png``, with
``--labelme`` ``labelme/<stem>.json`` (and ``labelme/<stem>.png`` when the
image needed a rendition), with ``--report`` ``report/<stem>.html``; and
once per run ``landmarks.csv``, ``measurements.csv`` and, with
``--report``, ``report/index.html``. An image's earlier results are
recognised by the pair ``<stem>.json`` + ``<stem>_overlay.png``; the
LabelMe and report files of that stem belong to them. Other files are
the user's and are neither counted nor deleted.

A LabelMe file changed since the prediction (corrected in LabelMe: a point
moved, a ``review`` flag unticked, a description edited) is never deleted,
not even with ``overwrite``: the run is refused until it is moved out of
the folder. What was written is recorded in the file itself
(:data:`~.labelme_export.WRITTEN_KEY`); a file without that record (from
an older version) is compared with the prediction's points only.
"""
import glob
import json
import os.path as osp
from collections import Counter
from typing import List, Sequence

from .labelme_export import (LABELME_FOLDER, WRITTEN_KEY, labelme_digests,
                             point_in_image)

__all__ = [
    'REPORT_FOLDER', 'output_stems', 'check_output_folder', 'labelme_changes'
]

#: Sub-folder of the output folder holding the HTML report.
REPORT_FOLDER = 'report'
_RUN_FILES = ('landmarks.csv', 'measurements.csv')


def output_stems(images: Sequence[str]) -> List[str]:
    """A distinct output name for each image, from its file name.

    Args:
        images (Sequence[str]): Image paths.

    Returns:
        list[str]: The file name without extension; the second, third...
        image with the same name gets ``_2``, ``_3``...
    """
    seen: Counter = Counter()
    taken = set()
    stems = []
    for path in images:
        base = osp.splitext(osp.basename(path))[0]
        seen[base] += 1
        stem = base if seen[base] == 1 else f'{base}_{seen[base]}'
        while stem in taken:
            seen[base] += 1
            stem = f'{base}_{seen[base]}'
        taken.add(stem)
        stems.append(stem)
    return stems


#: What each part of :func:`~.labelme_export.labelme_digests` is, once
#: changed.
_CHANGES = dict(
    shapes='shapes added, removed or relabelled',
    points='points moved',
    flags='shape flags changed (e.g. review)',
    descriptions='descriptions changed',
    image_flags='image flags changed')


def labelme_changes(labelme_file: str, prediction_file: str) -> List[str]:
    """What changed in a LabelMe file since the prediction wrote it.

    A file recording what was written (:data:`~.labelme_export.WRITTEN_KEY`)
    is compared with that record: any change of labels, points, flags or
    descriptions counts. A file without one (written by an older version)
    is compared with the prediction's points only, a point predicted
    outside the image where the LabelMe file placed it
    (:func:`~.labelme_export.point_in_image`).

    Args:
        labelme_file (str): ``labelme/<stem>.json``.
        prediction_file (str): ``<stem>.json``.

    Returns:
        list[str]: What changed, in words (e.g. ``['points moved',
        'descriptions changed']``); empty when the file is as written.
        Unreadable files count as changed.
    """
    try:
        with open(labelme_file, encoding='utf-8') as f:
            record = json.load(f)
        shapes = record['shapes']
        written = record.get(WRITTEN_KEY)
        if written is not None:
            if not isinstance(written, dict):
                return [f'its {WRITTEN_KEY} record is not an object']
            now = labelme_digests(record)
            return [
                words for part, words in _CHANGES.items()
                if written.get(part) != now[part]
            ]
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as err:
        return [f'not readable as LabelMe JSON ({type(err).__name__})']
    return ['points moved'] if _points_moved(shapes, prediction_file) else []


def _points_moved(shapes: list, prediction_file: str) -> bool:
    """Whether a LabelMe file's points differ from the prediction's (or
    either cannot be read)."""
    try:
        with open(prediction_file, encoding='utf-8') as f:
            record = json.load(f)
        points = [shape['points'] for shape in shapes]
        predicted = [[
            list(
                point_in_image(lm['x'], lm['y'], record['width'],
                               record['height']))
        ] for lm in record['landmarks']]
    except (OSError, ValueError, KeyError, TypeError):
        return True
    return points != predicted


def _stem_files(out_dir: str, stem: str) -> List[str]:
    """The files a run may have written for one image."""
    files = [
        osp.join(out_dir, f'{stem}.json'),
        osp.join(out_dir, f'{stem}_overlay.png'),
        osp.join(out_dir, LABELME_FOLDER, f'{stem}.json'),
        osp.join(out_dir, REPORT_FOLDER, f'{stem}.html')
    ]
    try:  # the rendition is ours when our LabelMe file points at it
        with open(files[2], encoding='utf-8') as f:
            if json.load(f).get('imagePath') == f'{stem}.png':
                files.append(osp.join(out_dir, LABELME_FOLDER, f'{stem}.png'))
    except (OSError, ValueError, AttributeError):
        pass
    return files


def check_output_folder(out_dir: str,
                        images: Sequence[str] = (),
                        overwrite: bool = False,
                        labelme: bool = False,
                        report: bool = False) -> List[str]:
    """Refuse a folder holding an earlier run's results unless
    ``overwrite``.

    Args:
        out_dir (str): Output folder (need not exist).
        images (Sequence[str]): The images to predict, whose output files
            must not exist either.
        overwrite (bool): Whether earlier results may be replaced.
        labelme (bool): Whether the new run writes LabelMe files.
        report (bool): Whether the new run writes the HTML report.

    Returns:
        list[str]: The earlier outputs: ``landmarks.csv``,
        ``measurements.csv``, every ``<stem>.json`` with a
        ``<stem>_overlay.png`` beside it, with that overlay and the stem's
        LabelMe and report files, ``report/index.html`` after an earlier
        run, and any file the new run would write; other files are not
        counted.

    Raises:
        FileExistsError: If there are earlier outputs and not
            ``overwrite``, or a LabelMe file among them was corrected.
    """
    earlier_stems = [
        osp.basename(overlay)[:-len('_overlay.png')] for overlay in sorted(
            glob.glob(osp.join(glob.escape(out_dir), '*_overlay.png')))
        if osp.isfile(overlay[:-len('_overlay.png')] + '.json')
    ]
    candidates = [osp.join(out_dir, name) for name in _RUN_FILES]
    for stem in earlier_stems:
        candidates += _stem_files(out_dir, stem)
    index = osp.join(out_dir, REPORT_FOLDER, 'index.html')
    if report or earlier_stems:
        candidates.append(index)
    for stem in output_stems(images):
        candidates += _stem_files(out_dir, stem)[:2]
        if labelme:
            candidates += _stem_files(out_dir, stem)[2:3]
        if report:
            candidates.append(osp.join(out_dir, REPORT_FOLDER, f'{stem}.html'))
    earlier = [p for p in dict.fromkeys(candidates) if osp.isfile(p)]
    labelme_dir = osp.join(out_dir, LABELME_FOLDER)
    edited = [(p, labelme_changes(p, osp.join(out_dir, osp.basename(p))))
              for p in earlier
              if osp.dirname(p) == labelme_dir and p.endswith('.json')]
    edited = [(p, changes) for p, changes in edited if changes]
    if edited:
        more = f' (and {len(edited) - 1} more)' if len(edited) > 1 else ''
        path, changes = edited[0]
        raise FileExistsError(
            f'{path}{more} was changed since the prediction wrote it '
            f'({", ".join(changes)}; corrected in LabelMe?); move '
            f'{labelme_dir} out of {out_dir} first: corrections are never '
            'overwritten')
    if earlier and not overwrite:
        names = ', '.join(osp.relpath(path, out_dir) for path in earlier[:4])
        more = f' and {len(earlier) - 4} more' if len(earlier) > 4 else ''
        raise FileExistsError(
            f'{out_dir} already holds the results of an earlier run '
            f'({names}{more}); replace them all with --overwrite '
            '(overwrite=True) or choose another output folder')
    return earlier
