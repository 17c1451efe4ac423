"""How the command-line tools end on bad input: one ``error:`` line.

The package names the file or option at fault in its exceptions (a
``ValueError`` for a bad annotation, image or option value, an ``OSError``
for a missing or unreadable file, a
:class:`~ceph_landmarks.engine.checkpoint_loader.CheckpointError` for an
unusable checkpoint). A tool run through :func:`run_tool` prints such an
error as ``error: <message>`` on stderr and exits with status 1, instead of
a traceback through mmengine, torch or OpenCV. Other exceptions (bugs) keep
their traceback. ``CEPH_LANDMARKS_TRACEBACK=1`` shows the traceback of
every error, for a bug report.

An error raised in a ``DataLoader`` worker reaches the main process as
torch's ``Caught <Type> in DataLoader worker process N`` with the worker's
traceback as text; its last line (the original error) is what is printed.
The prefix mmengine's registry adds to an error raised while building an
object from a config (``class `X` in pkg/module.py:``) is left out.
"""
import argparse
import os
import os.path as osp
import re
import sys
from typing import Callable, Optional

from .engine.checkpoint_loader import CheckpointError
from .models.model_ensemble import ENSEMBLE_MODES

__all__ = [
    'add_cascade_arguments', 'check_output_file', 'user_error_message',
    'run_tool'
]

#: Exception types that report bad input, not a bug.
INPUT_ERRORS = (ValueError, OSError, CheckpointError)

# names of the same types (and the package's subclasses) as they appear at
# the end of a DataLoader worker's traceback text
_INPUT_ERROR_NAMES = ('ValueError', 'ImageReadError', 'CheckpointError',
                      'FileNotFoundError', 'PermissionError', 'OSError',
                      'IsADirectoryError')
# the prefix mmengine's registry adds to an error raised while building an
# object from a config ("class `X` in pkg/module.py: "), possibly nested
_REGISTRY_PREFIX = re.compile(r'^(class `\w+` in [\w/.-]+\.py: )+')


def add_cascade_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the options of a ``LandmarkCascade`` (refinement stage, flip
    test, ensemble mode) that ``tools/test.py`` and ``tools/infer.py``
    share.

    Args:
        parser (argparse.ArgumentParser): The tool's parser; gains
            ``--refine-config``, ``--refine-checkpoints``, ``--flip-test``
            and ``--ensemble``.
    """
    parser.add_argument(
        '--refine-config', help='config of the refinement stage')
    parser.add_argument(
        '--refine-checkpoints',
        nargs='+',
        default=[],
        metavar='CHECKPOINT',
        help='checkpoint(s) of the refinement stage')
    parser.add_argument(
        '--flip-test',
        action='store_true',
        help='average with the prediction on the mirrored image')
    parser.add_argument(
        '--ensemble',
        choices=ENSEMBLE_MODES,
        default='heatmap',
        help='how several checkpoints combine: average the heatmaps '
        '(default) or the decoded points')


def check_output_file(src: str, out: str, overwrite: bool) -> None:
    """Refuse to write a tool's ``--out`` file over its input, or over an
    existing file without ``--overwrite``.

    Args:
        src (str): The input file (never written).
        out (str): The file the tool is about to write.
        overwrite (bool): Whether an existing ``out`` may be replaced.

    Raises:
        FileExistsError: If ``out`` is ``src`` (links resolved) or exists
            and ``overwrite`` is false; the message names ``--out``.
    """
    if osp.realpath(src) == osp.realpath(out):
        raise FileExistsError(f'--out {out} is the input file; write to '
                              'another file')
    if osp.exists(out) and not overwrite:
        raise FileExistsError(f'--out {out} already exists; pass '
                              '--overwrite to replace it')


def user_error_message(err: BaseException) -> Optional[str]:
    """The message to print for an input error, ``None`` for a bug.

    Args:
        err (BaseException): The exception that ended the tool.

    Returns:
        str, optional: The message (for a DataLoader worker's error, the
        original error's message), ``None`` if ``err`` is not an input
        error.
    """
    text = str(err)
    if text.startswith('Caught ') and 'Original Traceback' in text:
        last = text.rstrip().splitlines()[-1]  # 'pkg.ImageReadError: msg'
        name, _, message = last.partition(': ')
        if name.rsplit('.', 1)[-1] in _INPUT_ERROR_NAMES and message:
            return message
        return None
    if isinstance(err, INPUT_ERRORS):
        return _REGISTRY_PREFIX.sub('', text)
    return None


def run_tool(main: Callable[[], Optional[int]]) -> None:
    """Run a tool's ``main`` and exit with its status.

    Args:
        main (Callable[[], int | None]): The tool; returns its exit status
            (``None`` for 0) or raises.

    Raises:
        SystemExit: Always: ``main``'s status, or ``error: <message>``
            (status 1) for an input error (see :func:`user_error_message`).
    """
    try:
        status = main()
    except Exception as err:  # noqa: BLE001 - sorted out below
        message = user_error_message(err)
        if message is None or os.environ.get('CEPH_LANDMARKS_TRACEBACK'):
            raise
        sys.exit(f'error: {message}')
    sys.exit(status or 0)
