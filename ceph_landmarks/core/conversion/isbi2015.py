"""The ISBI 2015 challenge dataset (Wang et al., 2016).

Layout::

    RawImage/TrainingData/001.bmp ... 150.bmp      -> split 'train'
    RawImage/Test1Data/151.bmp ... 300.bmp         -> split 'test1'
    RawImage/Test2Data/301.bmp ... 400.bmp         -> split 'test2'
    AnnotationsByMD/400_senior/NNN.txt             first 19 lines: x,y
    AnnotationsByMD/400_junior/NNN.txt

Pixel spacing is 0.1 mm for every image. The text files hold the 19
landmarks in ISBI order (line ``k`` is landmark ``k``), then other lines
that are not landmarks and are ignored.
"""
import functools
import glob
import os.path as osp
from typing import Dict, List, Sequence

from ..io.image_io import read_image
from .defects import Defect
from .landmark_points import AnnotatorPoints, collect_landmarks
from .pipeline import Sample

__all__ = [
    'ISBI_SPLITS', 'ISBI_ANNOTATORS', 'read_isbi_points', 'isbi2015_samples'
]

#: Image folder of each official split.
ISBI_SPLITS = {
    'train': 'TrainingData',
    'test1': 'Test1Data',
    'test2': 'Test2Data'
}
#: Annotation folder of each annotator.
ISBI_ANNOTATORS = {'senior': '400_senior', 'junior': '400_junior'}
ISBI_SPACING = 0.1
NUM_LANDMARKS = 19


def read_isbi_points(path: str,
                     source: str,
                     annotator: str,
                     num_landmarks: int = NUM_LANDMARKS) -> AnnotatorPoints:
    """Read the first ``num_landmarks`` ``x,y`` lines of an ISBI file.

    Args:
        path (str): The text file.
        source (str): Its name in messages.
        annotator (str): Annotator name.
        num_landmarks (int): Landmark lines at the top of the file.

    Returns:
        AnnotatorPoints: Landmark ``k`` from line ``k`` (labels ``'1'`` to
        ``'19'``); a line that is not two numbers gives a ``bad_point``
        defect, a file with fewer lines ``missing_landmark``.
    """
    slot_labels = [str(k + 1) for k in range(num_landmarks)]
    with open(path, encoding='utf-8', errors='replace') as f:
        lines = [line.strip() for line in f][:num_landmarks]
    points = []
    for label, line in zip(slot_labels, lines):
        try:
            xy = [float(v) for v in line.replace(' ', '').split(',')]
        except ValueError:
            xy = None
        points.append((label, xy))
    return collect_landmarks(source, annotator, points, {
        label: k
        for k, label in enumerate(slot_labels)
    }, slot_labels)


def isbi2015_samples(root: str,
                     annotators: Sequence[str] = ('senior', 'junior')
                     ) -> List[Sample]:
    """Samples of the ISBI 2015 dataset, in its three official splits.

    Args:
        root (str): Folder holding ``RawImage`` and ``AnnotationsByMD``.
        annotators (Sequence[str]): ``'senior'`` and/or ``'junior'``;
            several are averaged by the conversion.

    Returns:
        list[Sample]: One sample per ``.bmp`` image, split by folder.

    Raises:
        ValueError: If a folder of the layout is missing or an annotator
            is unknown.
    """
    unknown = [a for a in annotators if a not in ISBI_ANNOTATORS]
    if unknown or not annotators:
        raise ValueError(f'unknown ISBI annotator(s) {unknown}; expected '
                         f'some of {list(ISBI_ANNOTATORS)}')
    ann_dirs: Dict[str, str] = {}
    for name in annotators:
        ann_dirs[name] = osp.join(root, 'AnnotationsByMD',
                                  ISBI_ANNOTATORS[name])
    image_dirs = {
        s: osp.join(root, 'RawImage', d)
        for s, d in ISBI_SPLITS.items()
    }
    for folder in list(ann_dirs.values()) + list(image_dirs.values()):
        if not osp.isdir(folder):
            raise ValueError(f'ISBI 2015 folder {folder} does not exist; '
                             f'expected the layout RawImage/'
                             f'{{TrainingData,Test1Data,Test2Data}} and '
                             f'AnnotationsByMD/{{400_senior,400_junior}} '
                             f'under {root}')
    samples = []
    for split, folder in image_dirs.items():
        for image_path in sorted(
                glob.glob(osp.join(glob.escape(folder), '*.bmp'))):
            stem = osp.splitext(osp.basename(image_path))[0]
            annotations, defects = [], []
            for name, ann_dir in ann_dirs.items():
                source = f'{ISBI_ANNOTATORS[name]}/{stem}.txt'
                path = osp.join(ann_dir, f'{stem}.txt')
                if osp.isfile(path):
                    annotations.append(read_isbi_points(path, source, name))
                else:
                    defects.append(
                        Defect(source, 'missing_annotation',
                               f'no {name} annotation file'))
            samples.append(
                Sample(
                    stem=stem,
                    split=split,
                    source=image_path,
                    load=functools.partial(read_image, image_path),
                    annotations=annotations,
                    spacing=ISBI_SPACING,
                    defects=defects))
    return samples
