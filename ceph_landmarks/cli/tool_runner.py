"""How the command-line tools end on bad input (one ``error:`` line), and
the options that name a model, the same in every tool that loads one
(:func:`add_cascade_arguments`).

The package names the file or option at fault in its exceptions (a
``ValueError`` for a bad annotation, image or option value, an ``OSError``
for a missing or unreadable file, a
:class:`~ceph_landmarks.models.checkpoint_loader.CheckpointError` for an
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

The module imports no torch (the converters end through :func:`run_tool`
and need none).
"""
import argparse
import contextlib
import os
import os.path as osp
import re
import sys
from typing import Callable, Iterator, Optional, Tuple, Type

__all__ = [
    'add_cascade_arguments', 'check_cascade_arguments', 'check_output_file',
    'exit_on_input_error', 'user_error_message', 'run_tool'
]

#: Exception types that report bad input, not a bug; with them the
#: package's ``CheckpointError`` (see :func:`_input_error_types`).
INPUT_ERRORS = (ValueError, OSError)
#: The module of ``CheckpointError``. Not imported here: it imports torch,
#: and the converters, which end through :func:`run_tool`, do not need it.
_CHECKPOINT_LOADER = 'ceph_landmarks.models.checkpoint_loader'

# names of the same types (and the package's subclasses) as they appear at
# the end of a DataLoader worker's traceback text
_INPUT_ERROR_NAMES = ('ValueError', 'ImageReadError', 'CheckpointError',
                      'FileNotFoundError', 'PermissionError', 'OSError',
                      'IsADirectoryError')
# the prefix mmengine's registry adds to an error raised while building an
# object from a config ("class `X` in pkg/module.py: "), possibly nested
_REGISTRY_PREFIX = re.compile(r'^(class `\w+` in [\w/.-]+\.py: )+')


def add_cascade_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the options that name the model to load, the same in every tool
    that loads one (``tools/test.py``, ``tools/infer.py``) and as the
    keyword arguments of :class:`~ceph_landmarks.apis.LandmarkPredictor`.

    Several checkpoints, a refinement stage or the flip test make the model
    a ``LandmarkCascade`` (see ``ceph_landmarks.models.cascade_config``).
    Check the parsed options with :func:`check_cascade_arguments`.

    Args:
        parser (argparse.ArgumentParser): The tool's parser; gains
            ``--checkpoints C [C ...]`` (required), ``--refine-config``,
            ``--refine-checkpoints C [C ...]``, ``--ensemble`` and
            ``--flip-test``.
    """
    # imported here: the module imports torch (see _CHECKPOINT_LOADER)
    from ..models.model_ensemble import ENSEMBLE_MODES

    group = parser.add_argument_group('model')
    group.add_argument(
        '--checkpoints',
        nargs='+',
        required=True,
        metavar='CHECKPOINT',
        help='checkpoint(s) of CONFIG; several (folds, seeds) predict as '
        'one ensemble')
    group.add_argument(
        '--refine-config',
        metavar='CONFIG',
        help='config of the high-resolution refinement stage')
    group.add_argument(
        '--refine-checkpoints',
        nargs='+',
        metavar='CHECKPOINT',
        help='checkpoint(s) of --refine-config; several: an ensemble')
    group.add_argument(
        '--ensemble',
        choices=ENSEMBLE_MODES,
        default='heatmap',
        help='how several checkpoints combine: average the heatmaps '
        '(default) or the decoded points')
    group.add_argument(
        '--flip-test',
        action='store_true',
        help='average with the prediction on the mirrored image')


def check_cascade_arguments(parser: argparse.ArgumentParser,
                            args: argparse.Namespace) -> None:
    """Refuse a refinement config without its checkpoints, or the reverse
    (``parser.error``: usage and exit status 2).

    Args:
        parser (argparse.ArgumentParser): The parser that
            :func:`add_cascade_arguments` extended.
        args (argparse.Namespace): What it parsed.
    """
    if bool(args.refine_config) != bool(args.refine_checkpoints):
        parser.error('--refine-config and --refine-checkpoints go together')


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
    if isinstance(err, _input_error_types()):
        return _REGISTRY_PREFIX.sub('', text)
    return None


def _input_error_types() -> Tuple[Type[BaseException], ...]:
    """:data:`INPUT_ERRORS` and, once its module is imported (no instance
    exists before), the package's ``CheckpointError``."""
    loader = sys.modules.get(_CHECKPOINT_LOADER)
    return INPUT_ERRORS + ((loader.CheckpointError, ) if loader else ())


@contextlib.contextmanager
def exit_on_input_error() -> Iterator[None]:
    """End with ``error: <message>`` (status 1) on an input error raised in
    the block, as :func:`run_tool` does; for a ``main`` that tests call
    directly (the converters').

    Raises:
        SystemExit: ``error: <message>`` for an input error (see
            :func:`user_error_message`); other exceptions, and every one
            with ``CEPH_LANDMARKS_TRACEBACK=1``, pass unchanged.
    """
    try:
        yield
    except Exception as err:  # noqa: BLE001 - sorted out below
        message = user_error_message(err)
        if message is None or os.environ.get('CEPH_LANDMARKS_TRACEBACK'):
            raise
        sys.exit(f'error: {message}')


def run_tool(main: Callable[[], object]) -> None:
    """Run a tool's ``main`` and exit with its status.

    ``main`` runs inside ``package_checkpoint_loader``
    (:mod:`ceph_landmarks.models.checkpoint_loader`): mmengine's Runner
    loads a local checkpoint with the package's loader, which names the
    file of a refusal.

    Args:
        main (Callable[[], object]): The tool; returns its exit status (an
            int), or anything else for 0 (``None``; a converter returns its
            result for the tests), or raises.

    Raises:
        SystemExit: Always: ``main``'s status, or ``error: <message>``
            (status 1) for an input error (see :func:`user_error_message`).
    """
    with exit_on_input_error(), _package_checkpoint_loader():
        status = main()
    sys.exit(status if isinstance(status, int) else 0)


def _package_checkpoint_loader() -> contextlib.AbstractContextManager:
    """The package's ``package_checkpoint_loader`` (mmengine loads local
    checkpoints with the package's loader while a tool runs), once its
    module is imported: it is wherever the package's MMPose layer is (a
    converter in an environment without torch has none)."""
    loader = sys.modules.get(_CHECKPOINT_LOADER)
    return loader.package_checkpoint_loader() if loader \
        else contextlib.nullcontext()
