"""How the command-line tools run (:func:`run_tool`: one ``error:`` line
on bad input, see :mod:`ceph_landmarks.core.input_errors`), and the options
that name a model, the same in every tool that loads one
(:func:`add_cascade_arguments`).

The module imports no torch (the converters end through :func:`run_tool`
and need none).
"""
import argparse
import contextlib
import os.path as osp
import sys
from typing import Callable

from ..core.input_errors import CHECKPOINT_LOADER, exit_on_input_error

__all__ = [
    'add_cascade_arguments', 'check_cascade_arguments', 'check_output_file',
    'run_tool'
]


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
            (status 1) for an input error (see
            :func:`ceph_landmarks.core.input_errors.user_error_message`).
    """
    with exit_on_input_error(), _package_checkpoint_loader():
        status = main()
    sys.exit(status if isinstance(status, int) else 0)


def _package_checkpoint_loader() -> contextlib.AbstractContextManager:
    """The package's ``package_checkpoint_loader`` (mmengine loads local
    checkpoints with the package's loader while a tool runs), once its
    module is imported: it is wherever the package's MMPose layer is (a
    converter in an environment without torch has none)."""
    loader = sys.modules.get(CHECKPOINT_LOADER)
    return loader.package_checkpoint_loader() if loader \
        else contextlib.nullcontext()
