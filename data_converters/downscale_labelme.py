"""Write a downscaled copy of a LabelMe dataset (images and annotations).

A compact copy travels where the full-resolution images are too big (a
machine with no network, a test fixture): the Hamedan development set (100
X-rays, two annotators) takes 60 MB at 1340 x 1671 px, 25 MB at scale 0.5.

Reads:
    every LabelMe folder ``SRC/annotations/*/`` (``--src``) or the folders
    given (``--ann-dirs``, one per annotator, as
    ``data_converters/labelme.py`` takes them), and the images their
    ``imagePath`` names (relative to the JSON file).
Writes (into ``--out``, new or empty; an earlier copy only with
``--overwrite``):
    ``images/{stem}.png`` (shrunk by ``--scale`` with ``cv2.INTER_AREA``,
    lossless, same pixel type; an image under a wrong extension, such as
    the Hamedan JPEG ``067.tif``, becomes ``067.png``),
    ``annotations/{annotator}/{name}.json`` (every point times ``--scale``,
    ``imagePath`` / ``imageWidth`` / ``imageHeight`` updated, everything
    else, annotation defects included, unchanged), ``spacing_mm.txt``
    (``--spacing / --scale``, with ``--spacing``) and ``README.md``. See
    ``ceph_landmarks.core.conversion.downscale``.

Example (the Hamedan set at half resolution, 0.288 mm/px)::

    python data_converters/downscale_labelme.py \\
        --src ../shared/data/hamedan --out data/hamedan_compact \\
        --scale 0.5 --spacing 0.144

then convert the copy as its README says::

    python data_converters/labelme.py \\
        --ann-dirs data/hamedan_compact/annotations/farhadifar \\
                   data/hamedan_compact/annotations/mollabashi \\
        --spacing 0.288 --skip-invalid --out data/hamedan_small
"""
import argparse
import functools
import glob
import os.path as osp
import shlex
import sys
from typing import List, Optional

from tqdm import tqdm

from ceph_landmarks.cli import run_tool
from ceph_landmarks.core.conversion import (DownscaleResult,
                                            downscale_labelme_folders)
from ceph_landmarks.core.input_errors import exit_on_input_error


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description='Write a copy of LabelMe folders with the images '
        'shrunk by a factor and every point scaled with them.')
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument(
        '--src',
        help='dataset folder whose annotations/*/ folders hold the LabelMe '
        'files, one folder per annotator')
    source.add_argument(
        '--ann-dirs',
        nargs='+',
        help='LabelMe JSON folder(s), one per annotator')
    parser.add_argument(
        '--out',
        required=True,
        help='new output folder (or an earlier copy, with --overwrite)')
    parser.add_argument(
        '--scale',
        type=float,
        required=True,
        help='resize factor in (0, 1], e.g. 0.5 for half the width and '
        'height')
    parser.add_argument(
        '--spacing',
        type=float,
        help='pixel spacing of the source images, mm/px; the copy\'s '
        '(spacing / scale) is printed and written to spacing_mm.txt '
        '(default: none; a "spacing" recorded in a LabelMe file is scaled)')
    parser.add_argument(
        '--overwrite',
        action='store_true',
        help='replace an earlier copy in --out (refused otherwise)')
    return parser.parse_args(argv)


def main(argv: Optional[List[str]] = None) -> DownscaleResult:
    """Write the copy, print its summary and return its result.

    Bad input (an unreadable file, a bad option value) ends in
    ``SystemExit('error: <message>')``, as under
    :func:`ceph_landmarks.cli.run_tool`.
    """
    args = parse_args(argv)
    ann_dirs = args.ann_dirs
    if args.src is not None:
        ann_dirs = sorted(
            d for d in glob.glob(
                osp.join(glob.escape(args.src), 'annotations', '*'))
            if osp.isdir(d))
        if not ann_dirs:
            raise SystemExit(f'error: no annotator folder in '
                             f'{osp.join(args.src, "annotations")}')
    given = sys.argv[1:] if argv is None else list(argv)
    # the README records how to make the copy again (in a new folder)
    command = shlex.join(['python', 'data_converters/downscale_labelme.py'] +
                         [a for a in given if a != '--overwrite'])
    with exit_on_input_error():
        result = downscale_labelme_folders(
            ann_dirs,
            args.out,
            args.scale,
            spacing=args.spacing,
            overwrite=args.overwrite,
            source=args.src,
            command=command,
            progress=functools.partial(tqdm, desc='downscale', unit='file'))
    print(result.summary())
    return result


if __name__ == '__main__':
    run_tool(main)
