"""Which calibration a predictor uses: the one beside its checkpoints, a
given file, or none; and the options that choose it."""
import argparse
import os
import os.path as osp
from typing import Collection, Optional, Sequence, Union

from .evaluation.radius_coverage import check_radius_signal
from .log import get_logger
from .model_calibration import (CALIBRATION_FILE, ModelCalibration,
                                load_calibration)

__all__ = [
    'AUTO', 'CalibrationChoice', 'add_calibration_arguments',
    'find_calibration'
]

#: Use :data:`~.model_calibration.CALIBRATION_FILE` beside the model when
#: there is one.
AUTO = 'auto'
#: ``'auto'``, a file (or its folder), a loaded calibration or ``None``.
CalibrationChoice = Union[None, str, os.PathLike, ModelCalibration]


def add_calibration_arguments(parser: argparse.ArgumentParser,
                              use: str) -> None:
    """Add ``--calibration FILE`` and ``--no-calibration``, the same in
    every tool that loads a model (``args.calibration``: ``'auto'``, the
    file, or ``None``).

    Args:
        parser (argparse.ArgumentParser): The tool's parser.
        use (str): What the tool does with it, e.g. ``'apply'``.
    """
    group = parser.add_mutually_exclusive_group()
    group.add_argument(
        '--calibration',
        metavar='FILE',
        default=AUTO,
        help=f'error radii and quality check to {use} (tools/calibrate.py); '
        f'default: {CALIBRATION_FILE} beside the model (its first '
        'checkpoint, or in the export), if there is one')
    group.add_argument(
        '--no-calibration',
        dest='calibration',
        action='store_const',
        const=None,
        help='no calibration: no error radii, no quality check')


def find_calibration(
    choice: CalibrationChoice,
    beside: Optional[str],
    landmark_names: Sequence[str],
    signals: Collection[str] = ('confidence', )
) -> Optional[ModelCalibration]:
    """The calibration a predictor applies.

    Args:
        choice (CalibrationChoice): ``'auto'``: the calibration file in the
            folder ``beside`` if there is one; a path: that file (or the
            file in that folder), which must exist; a
            :class:`ModelCalibration`: itself; ``None``: none.
        beside (str, optional): The model's folder (of its first
            checkpoint, or the export).
        landmark_names (Sequence[str]): The model's landmarks, which the
            calibration must name in the same order.
        signals (Collection[str]): The difficulty signals the model's
            predictions carry (``'refine_shift_mm'`` only with a
            refinement stage); a calibration scaled by another is refused
            here, not at the first prediction.

    Returns:
        ModelCalibration, optional: ``None`` when there is none; the
        choice is logged either way, so that a prediction without radii
        says why.

    Raises:
        OSError: If a given file does not exist or cannot be read.
        ValueError: If the file is not a valid calibration, is one of
            other landmarks, or scales its radii with a signal not in
            ``signals``.
    """
    logger = get_logger()
    if choice is None:
        logger.info('no calibration (calibration=None): predictions carry '
                    'no error radii')
        return None
    if isinstance(choice, ModelCalibration):
        calibration = _same_landmarks(choice, 'the calibration given',
                                      landmark_names)
        check_radius_signal(calibration.radius, signals,
                            'the calibration given')
        return calibration
    if choice == AUTO:
        path = osp.join(beside, CALIBRATION_FILE) if beside else None
        if path is None or not osp.isfile(path):
            logger.info(f'no {CALIBRATION_FILE} beside the model '
                        f'({beside}): predictions carry no error radii')
            return None
    else:
        path = os.fspath(choice)
    calibration = _same_landmarks(load_calibration(path), path, landmark_names)
    check_radius_signal(calibration.radius, signals, path)
    logger.info(f'calibration {path}: {calibration.description}')
    return calibration


def _same_landmarks(calibration: ModelCalibration, source: str,
                    landmark_names: Sequence[str]) -> ModelCalibration:
    """The calibration, if it is of the model's landmarks."""
    if calibration.landmark_names != list(landmark_names):
        raise ValueError(
            f'{source}: a calibration of other landmarks '
            f'({len(calibration.landmark_names)}: '
            f'{", ".join(calibration.landmark_names[:3])}...) than the '
            f'model\'s ({len(landmark_names)}: '
            f'{", ".join(list(landmark_names)[:3])}...); calibrate this '
            'model (tools/calibrate.py)')
    return calibration
