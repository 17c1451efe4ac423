"""How a command line ends on bad input: one ``error:`` line, status 1.

The package names the file or option at fault in its exceptions (a
``ValueError`` for a bad annotation, image, option value or exported model,
an ``OSError`` for a missing or unreadable file, a
:class:`~ceph_landmarks.models.checkpoint_loader.CheckpointError` for an
unusable checkpoint). Inside :func:`exit_on_input_error` such an error is
printed as ``error: <message>`` on stderr and the program exits with status
1, instead of a traceback through mmengine, torch, onnxruntime or OpenCV.
Other exceptions (bugs) keep their traceback.
``CEPH_LANDMARKS_TRACEBACK=1`` shows the traceback of every error, for a
bug report.

An error raised in a ``DataLoader`` worker reaches the main process as
torch's ``Caught <Type> in DataLoader worker process N`` with the worker's
traceback as text; its last line (the original error) is what is printed.
The prefix mmengine's registry adds to an error raised while building an
object from a config (``class `X` in pkg/module.py:``) is left out.

Torch-free: the tools (``ceph_landmarks.cli.run_tool``), the converters and
the light runtime's command line end through it.
"""
import contextlib
import os
import re
import sys
from typing import Iterator, Optional, Tuple, Type

__all__ = [
    'INPUT_ERRORS', 'CHECKPOINT_LOADER', 'exit_on_input_error',
    'user_error_message'
]

#: Exception types that report bad input, not a bug; with them the
#: package's ``CheckpointError`` (see :func:`_input_error_types`).
INPUT_ERRORS = (ValueError, OSError)
#: The module of ``CheckpointError``. Not imported here: it imports torch,
#: and the converters, which end through :func:`run_tool`, do not need it.
CHECKPOINT_LOADER = 'ceph_landmarks.models.checkpoint_loader'

# names of the same types (and the package's subclasses) as they appear at
# the end of a DataLoader worker's traceback text
_INPUT_ERROR_NAMES = ('ValueError', 'ImageReadError', 'CheckpointError',
                      'FileNotFoundError', 'PermissionError', 'OSError',
                      'IsADirectoryError')
# the prefix mmengine's registry adds to an error raised while building an
# object from a config ("class `X` in pkg/module.py: "), possibly nested
_REGISTRY_PREFIX = re.compile(r'^(class `\w+` in [\w/.-]+\.py: )+')


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
    loader = sys.modules.get(CHECKPOINT_LOADER)
    return INPUT_ERRORS + ((loader.CheckpointError, ) if loader else ())


@contextlib.contextmanager
def exit_on_input_error() -> Iterator[None]:
    """End with ``error: <message>`` (status 1) on an input error raised in
    the block, as ``ceph_landmarks.cli.run_tool`` does; for a ``main`` that
    tests call directly (the converters') and the runtime's command line.

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
