"""The options of an inference command line that are not about the model.

``tools/infer.py`` (MMPose model) and the light runtime's command line
take the same inputs and output options, check them the same way, write
the same folder and print the same summary, with this code:

1. :func:`add_infer_arguments` adds ``INPUT...``, ``--out``,
   ``--overwrite``, ``--spacing`` / ``--spacing-csv``, ``--ann-file``,
   ``--labelme``, ``--report``, ``--review-below``, ``--review-radius``,
   ``--calibration`` / ``--no-calibration`` and ``--batch-size``;
2. :func:`check_infer_arguments` checks them after parsing (a bad one is a
   ``parser.error``: usage and exit status 2) and finds the images;
3. :func:`check_infer_output` refuses an unusable ``--out`` before the
   model is loaded;
4. :func:`predict_folder_from_args` writes the folder
   (:func:`~ceph_landmarks.core.writers.prediction_folder.predict_to_folder`);
5. :func:`infer_summary` gives the lines to print.
"""
import argparse
from typing import Callable, Iterable, Iterator, List, Optional, Tuple

from .calibration_lookup import add_calibration_arguments
from .ground_truth import load_ground_truth
from .io.inputs import collect_images, read_spacing_csv
from .writers.atomic_write import check_writable_dir
from .writers.labelme_export import DEFAULT_REVIEW_BELOW
from .writers.output_folder import check_output_folder
from .writers.prediction_folder import (FolderPredictor, InferenceOutcome,
                                        predict_to_folder)

__all__ = [
    'add_infer_arguments', 'check_infer_arguments', 'check_infer_output',
    'predict_folder_from_args', 'infer_summary'
]

#: Wraps the outcomes as they come, e.g. a progress bar.
Progress = Callable[[Iterator[InferenceOutcome]], Iterable[InferenceOutcome]]

#: What the summary says of the images with a quality verdict (a quality
#: check of the automatic landmarks, never a diagnosis).
_SUMMARY_VERDICT = dict(
    review='automatic landmarks need review',
    refuse='automatic landmarks not usable (not a lateral cephalogram in '
    'the expected orientation?)')


def add_infer_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the inputs and output options of an inference tool.

    Check the parsed options with :func:`check_infer_arguments`.

    Args:
        parser (argparse.ArgumentParser): The tool's parser; gains the
            positional ``inputs`` (``INPUT...``), ``--out`` (required),
            ``--overwrite``, ``--spacing MM [MM]`` or ``--spacing-csv FILE``,
            ``--ann-file``, ``--labelme``, ``--report``, ``--review-below``,
            ``--review-radius``, ``--calibration`` / ``--no-calibration``
            and ``--batch-size``.
    """
    parser.add_argument(
        'inputs',
        nargs='+',
        metavar='INPUT',
        help='image files, folders or glob patterns')
    parser.add_argument('--out', required=True, help='output folder')
    parser.add_argument(
        '--overwrite',
        action='store_true',
        help='replace the results of an earlier run in --out (refused '
        'otherwise): its CSV files and per-image files are removed first')
    spacing = parser.add_mutually_exclusive_group()
    spacing.add_argument(
        '--spacing',
        type=float,
        nargs='+',
        metavar='MM',
        help='pixel spacing of every image in mm/px: one value, or SX SY '
        '(overrides a DICOM header\'s, with a warning)')
    spacing.add_argument(
        '--spacing-csv',
        metavar='FILE',
        help='per-image spacing: CSV with columns image,spacing (or '
        'image,spacing_x,spacing_y)')
    parser.add_argument(
        '--ann-file',
        metavar='COCO_JSON',
        help='ground truth in the package\'s COCO-style JSON, matched to '
        'the images by path (two images matching one entry equally well '
        'are refused); its spacing is used where none is given')
    parser.add_argument(
        '--labelme',
        action='store_true',
        help='also write labelme/<stem>.json per image: the predicted points '
        'as a LabelMe file to correct and convert back')
    parser.add_argument(
        '--report',
        action='store_true',
        help='also write report/<stem>.html per image and report/index.html')
    parser.add_argument(
        '--review-below',
        type=float,
        default=DEFAULT_REVIEW_BELOW,
        metavar='C',
        help='--labelme and --report flag points with a heatmap confidence '
        f'below C for review (default {DEFAULT_REVIEW_BELOW})')
    parser.add_argument(
        '--review-radius',
        type=float,
        default=None,
        metavar='MM',
        help='--labelme and --report flag points whose calibrated error '
        'radius exceeds MM for review (default: not used; needs a '
        'calibrated model)')
    add_calibration_arguments(parser, 'apply')
    parser.add_argument(
        '--batch-size', type=int, default=1, help='images per forward pass')


def check_infer_arguments(parser: argparse.ArgumentParser,
                          args: argparse.Namespace) -> None:
    """Check the options of :func:`add_infer_arguments`; find the images.

    Sets ``args.images`` (:func:`~.io.inputs.collect_images` of
    ``args.inputs``) and ``args.spacing_table``
    (:func:`~.io.inputs.read_spacing_csv` of ``--spacing-csv``, else
    ``None``). A bad option, an input that finds no image or an unreadable
    spacing CSV is a ``parser.error`` (usage and exit status 2).

    Args:
        parser (argparse.ArgumentParser): The parser that
            :func:`add_infer_arguments` extended.
        args (argparse.Namespace): What it parsed.
    """
    if args.spacing is not None and len(args.spacing) > 2:
        parser.error(f'--spacing takes one or two values, but got '
                     f'{args.spacing}')
    if args.batch_size < 1:
        parser.error(f'--batch-size must be at least 1, but got '
                     f'{args.batch_size}')
    if args.review_radius is not None and not args.review_radius >= 0:
        parser.error(f'--review-radius must be a number of mm >= 0, but got '
                     f'{args.review_radius}')
    try:
        args.images = collect_images(args.inputs)
        args.spacing_table = read_spacing_csv(args.spacing_csv) \
            if args.spacing_csv else None
    except (OSError, ValueError) as err:
        parser.error(str(err))


def check_infer_output(args: argparse.Namespace) -> None:
    """Refuse ``--out`` before the model is loaded: a folder holding an
    earlier run's results without ``--overwrite``
    (:func:`~.writers.output_folder.check_output_folder`), or one that
    cannot be written (:func:`~.writers.atomic_write.check_writable_dir`).

    Args:
        args (argparse.Namespace): Options checked by
            :func:`check_infer_arguments`.

    Raises:
        FileExistsError: If ``--out`` holds earlier results and not
            ``--overwrite``, or ``--overwrite`` would replace a LabelMe
            file changed since it was written.
        OSError: ``--out <folder>: cannot write (<reason>)``.
    """
    check_output_folder(
        args.out,
        args.images,
        args.overwrite,
        labelme=args.labelme,
        report=args.report)
    check_writable_dir(args.out, '--out')


def predict_folder_from_args(predictor: FolderPredictor,
                             args: argparse.Namespace,
                             landmark_count: int,
                             progress: Optional[Progress] = None
                             ) -> List[InferenceOutcome]:
    """Predict every image of the options into ``--out``.

    Loads ``--ann-file`` (:func:`~.ground_truth.load_ground_truth`), then
    runs :func:`~.writers.prediction_folder.predict_to_folder` with the
    options.

    Args:
        predictor (FolderPredictor): The model.
        args (argparse.Namespace): Options checked by
            :func:`check_infer_arguments`.
        landmark_count (int): The model's number of landmarks, which an
            ``--ann-file`` must have.
        progress (callable, optional): Wraps the generator of outcomes,
            e.g. ``functools.partial(tqdm, total=len(args.images))``.

    Returns:
        list[InferenceOutcome]: One per image, in input order.

    Raises:
        FileNotFoundError: If ``--ann-file`` does not exist.
        ValueError: If ``--ann-file`` is invalid or two images match one of
            its entries equally well.
        FileExistsError: If ``--out`` holds earlier results and not
            ``--overwrite``.
    """
    truth = load_ground_truth(args.ann_file, landmark_count) \
        if args.ann_file else None
    outcomes = predict_to_folder(
        predictor,
        args.images,
        args.out,
        spacing=args.spacing,
        spacing_table=args.spacing_table,
        spacing_table_name=args.spacing_csv,
        ground_truth=truth,
        batch_size=args.batch_size,
        overwrite=args.overwrite,
        labelme=args.labelme,
        review_below=args.review_below,
        review_radius=args.review_radius,
        report=args.report)
    return list(progress(outcomes) if progress is not None else outcomes)


def infer_summary(outcomes: List[InferenceOutcome],
                  args: argparse.Namespace) -> Tuple[List[str], List[str]]:
    """What an inference tool prints at the end of the run.

    Args:
        outcomes (list[InferenceOutcome]): What
            :func:`predict_folder_from_args` returned.
        args (argparse.Namespace): Its options.

    Returns:
        tuple[list[str], list[str]]: The lines for stdout (how many images
        were predicted into which files; those without a pixel spacing;
        those without a calibration, so without error radii; those whose
        quality check asks for review, and those it finds unusable; with
        ``--ann-file``, those it does not hold) and for stderr (one
        ``FAILED: <error>`` per image that failed; the tool then exits
        with status 1).
    """
    done = [o for o in outcomes if o.ok]
    failed = [o for o in outcomes if not o.ok]
    extra = ', labelme/<stem>.json' if args.labelme else ''
    extra += ', report/<stem>.html and report/index.html' \
        if args.report else ''
    out = [
        f'Predicted {len(done)} of {len(outcomes)} images into {args.out} '
        '(landmarks.csv, measurements.csv, one JSON and overlay PNG per '
        f'image{extra})'
    ]
    no_spacing = [o.image for o in done if o.prediction.spacing is None]
    if no_spacing:
        out.append(f'No pixel spacing for {len(no_spacing)} image(s), mm '
                   f'columns left empty: {", ".join(no_spacing)}')
    no_calibration = [
        o.image for o in done if o.prediction.calibration is None
    ]
    if no_calibration:
        out.append(f'No calibration: no error radii for '
                   f'{len(no_calibration)} image(s) (the model was loaded '
                   'without a calibration file)')
    for verdict, words in _SUMMARY_VERDICT.items():
        flagged = [
            o.image for o in done if o.prediction.quality is not None
            and o.prediction.quality.verdict == verdict
        ]
        if flagged:
            out.append(f'Quality check: {words} on {len(flagged)} image(s): '
                       f'{", ".join(flagged)}')
    if args.ann_file:
        unmatched = [o.image for o in done if o.ground_truth is None]
        if unmatched:
            out.append(f'Not in {args.ann_file} ({len(unmatched)}), drawn '
                       f'without ground truth: {", ".join(unmatched)}')
    err = [f'FAILED: {o.error}' for o in failed]
    return out, err
