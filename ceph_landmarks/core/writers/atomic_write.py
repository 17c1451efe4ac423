"""Writing a user-named output file: checked first, then written whole.

A tool that writes a file the user named (``--out``) calls
:func:`check_writable` before any long work, so that a folder it cannot
write (read-only, a path through a regular file) is reported at once, in
one line naming the path, instead of by torch or ``open`` at the end of
the run. The file itself is written through :func:`atomic_write` (or
:func:`write_json`): into a temporary file in the same folder, moved over
the final name with ``os.replace`` only when complete, so that the final
name never holds half a file and an earlier file there stays untouched
when writing fails.

Missing parent folders are created, as ``mmengine.dump`` does.

This module imports neither torch nor OpenMMLab.

Examples:
    >>> check_writable('work_dirs/x.pth', '--out')  # doctest: +SKIP
    >>> with atomic_write('work_dirs/x.pth') as tmp:  # doctest: +SKIP
    ...     torch.save(weights, tmp)
"""
import contextlib
import json
import math
import os
import os.path as osp
import secrets
from typing import Any, Callable, Iterator, Optional, Tuple, TypeVar

__all__ = [
    'check_writable', 'check_writable_dir', 'atomic_write', 'write_json',
    'strict_json', 'create_new'
]

T = TypeVar('T')


def create_new(folder: str, prefix: str, suffix: str,
               create: Callable[[str], T]) -> Tuple[str, T]:
    """Create a file or folder under a new random name, as tempfile does.

    Args:
        folder (str): Where to create it.
        prefix (str): Start of the name.
        suffix (str): End of the name.
        create (Callable[[str], T]): Creates the given path, raising
            ``FileExistsError`` if it exists (``os.mkdir``, ``os.open`` with
            ``O_EXCL``); the mode it passes is reduced by the umask.

    Returns:
        tuple[str, T]: The path and what ``create`` returned.
    """
    for _ in range(100):
        path = osp.join(folder, f'{prefix}{secrets.token_hex(4)}{suffix}')
        try:
            return path, create(path)
        except FileExistsError:
            continue
    raise FileExistsError(f'no free name {prefix}*{suffix} in {folder}')


def _nearest_existing(folder: str) -> str:
    """``folder`` or its nearest ancestor that exists (maybe as a file)."""
    while not osp.lexists(folder):
        parent = osp.dirname(folder)
        if parent == folder:
            break
        folder = parent
    return folder


def _cannot_write(path: str,
                  reason: str,
                  option: Optional[str],
                  error: type = OSError) -> OSError:
    where = f'{option} {path}' if option else path
    return error(f'{where}: cannot write ({reason})')


def _probe(folder: str, shown: str, option: Optional[str]) -> None:
    """Create and remove a temporary file in ``folder`` or, where it does
    not exist yet, its nearest existing ancestor (where the missing folders
    would be created); the message names ``shown``."""
    existing = _nearest_existing(folder)
    if not osp.isdir(existing):
        raise _cannot_write(shown, f'{existing} is a file, not a folder',
                            option, NotADirectoryError)
    probe = osp.join(existing, f'.write-test-{secrets.token_hex(4)}.tmp')
    try:
        fd = os.open(probe, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except OSError as err:
        raise _cannot_write(shown, f'{existing}: {err.strerror or err}',
                            option, type(err)) from None
    os.close(fd)
    os.remove(probe)


def check_writable(path: str, option: Optional[str] = None) -> None:
    """Raise unless a file can be written at ``path``.

    The folder that will hold it (or, where that does not exist yet, its
    nearest existing ancestor, in which :func:`atomic_write` creates the
    missing folders) must be a folder in which a file can be created: a
    temporary file is created and removed there, which is the only test
    that holds for read-only mounts, ACLs and root alike. An existing
    ``path`` is not checked for being replaceable (see
    ``ceph_landmarks.cli.check_output_file`` for ``--overwrite``).

    Args:
        path (str): The file about to be written.
        option (str, optional): The option that named it, e.g. ``'--out'``,
            put before the path in the message.

    Raises:
        OSError: ``<option> <path>: cannot write (<reason>)``:
            ``IsADirectoryError`` if ``path`` is a folder,
            ``NotADirectoryError`` if a parent is a file, otherwise the
            type of the error creating the temporary file
            (``PermissionError``, ``OSError`` for a read-only file system).
    """
    if osp.isdir(path):
        raise _cannot_write(path, 'it is a folder', option, IsADirectoryError)
    _probe(osp.dirname(osp.abspath(path)), path, option)


def check_writable_dir(folder: str,
                       option: Optional[str] = None,
                       name: Optional[str] = None) -> None:
    """Raise unless files can be written into ``folder`` (made if missing).

    Args:
        folder (str): The output folder: an existing one is probed itself,
            a missing one in its nearest existing ancestor.
        option (str, optional): The option that named it, e.g. ``'--out'``.
        name (str, optional): What the message names instead of
            ``folder`` (a staged output probes the parent of its folder).

    Raises:
        OSError: ``<option> <name>: cannot write (<reason>)``, as
            :func:`check_writable`; ``NotADirectoryError`` if ``folder``
            is a file.
    """
    shown = folder if name is None else name
    if osp.lexists(folder) and not osp.isdir(folder):
        raise _cannot_write(shown, f'{folder} is a file, not a folder', option,
                            NotADirectoryError)
    _probe(osp.abspath(folder), shown, option)


@contextlib.contextmanager
def atomic_write(path: str, option: Optional[str] = None) -> Iterator[str]:
    """Give a temporary file name to write ``path`` to; move it into place
    when the block succeeds.

    The temporary file (``.NAME.XXXXXXXX.tmp`` in the same folder, so that
    the move is a rename) is created empty with the mode ``open`` gives
    (0o666 less the umask). After the block it is flushed to disk and
    renamed over ``path`` with ``os.replace``; if the block raises, it is
    removed and ``path`` is left as it was.

    Args:
        path (str): The final file.
        option (str, optional): The option that named it, for the message
            of :func:`check_writable`, which runs first.

    Yields:
        str: The temporary file to write (e.g. ``torch.save(obj, tmp)``).

    Raises:
        OSError: See :func:`check_writable`.
    """
    check_writable(path, option)
    folder = osp.dirname(osp.abspath(path))
    os.makedirs(folder, exist_ok=True)
    tmp, fd = create_new(
        folder, f'.{osp.basename(path)}.', '.tmp',
        lambda p: os.open(p, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666))
    os.close(fd)
    try:
        yield tmp
        with open(tmp, 'rb+') as f:
            os.fsync(f.fileno())
        os.replace(tmp, path)
    finally:
        if osp.lexists(tmp):
            os.remove(tmp)


def strict_json(obj: Any) -> Any:
    """``obj`` with every non-finite float (NaN, inf) as ``None``.

    JSON has no NaN: Python writes ``NaN``, which strict readers (browsers,
    ``jq``, most languages' parsers) refuse. Numpy scalars and arrays
    become Python numbers and lists; tuples become lists.

    Examples:
        >>> strict_json({'MRE': float('nan'), 'SDR': [1.0, float('inf')]})
        {'MRE': None, 'SDR': [1.0, None]}
    """
    if isinstance(obj, dict):
        return {k: strict_json(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [strict_json(v) for v in obj]
    if hasattr(obj, 'tolist') and callable(obj.tolist):  # numpy
        return strict_json(obj.tolist())
    if isinstance(obj, float) and not math.isfinite(obj):
        return None
    return obj


def write_json(obj: Any,
               path: str,
               indent: Optional[int] = None,
               option: Optional[str] = None) -> None:
    """Write strict JSON (:func:`strict_json`: NaN and inf as ``null``)
    through :func:`atomic_write`.

    Args:
        obj (Any): JSON-serialisable data.
        path (str): Destination file.
        indent (int, optional): Passed to :func:`json.dump`.
        option (str, optional): See :func:`check_writable`.
    """
    with atomic_write(path, option) as tmp:
        with open(tmp, 'w', encoding='utf-8') as f:
            json.dump(strict_json(obj), f, indent=indent, allow_nan=False)
