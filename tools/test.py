"""Evaluate a checkpoint with the mmengine Runner.

Usage:
    python tools/test.py CONFIG --checkpoints C [C ...]
        [--refine-config CFG --refine-checkpoints C [C ...]]
        [--ensemble heatmap|points] [--flip-test] [--data-root DIR]
        [--work-dir DIR] [--out FILE] [--dump FILE.pkl] [--show-dir DIR]
        [--report [DIR]] [--calibration FILE | --no-calibration]
        [--cfg-options key=value ...]

The model options are those of ``tools/infer.py`` and of
``LandmarkPredictor`` (``ceph_landmarks.cli.add_cascade_arguments``).
Several checkpoints of CONFIG (folds, seeds) are tested as an ensemble,
``--refine-config`` adds the high-resolution refinement stage and
``--flip-test`` averages with the mirrored images: the model is then a
``LandmarkCascade`` (see ``ceph_landmarks.models.cascade_config``), so the
metrics, the dump and the report see the combined, refined points.
``--data-root`` points every dataloader at a data folder
(``ceph_landmarks.cli.set_data_root``); ``--cfg-options`` apply to CONFIG
after it.

The checkpoint is loaded with ``torch.load(weights_only=True)``; the numpy
and mmengine objects of a Runner checkpoint are allow-listed by the package.
A checkpoint that is missing, empty, truncated or refused, a bad option
(a ``--cfg-options`` key the config does not have, see
``ceph_landmarks.cli.cfg_options``) and an ``--out``, ``--dump`` or
``--report`` that cannot be written end in one ``error:`` line and exit
status 1, before the model is built. ``--out`` is strict JSON: an
undefined metric (NaN) is ``null``.

Error radii: with a calibration (``ceph_landmarks.core.model_calibration``,
written by ``tools/calibrate.py``: ``calibration.json`` beside the first
checkpoint, found there, or --calibration FILE; --no-calibration for none;
the same options as ``tools/infer.py``) the test also says how well its
error radii hold on the test set: ``ceph/coverage`` (the fraction of
annotated points within their radius, to compare with the calibration's
nominal coverage, e.g. 0.9), ``ceph/min_landmark_coverage`` and
``ceph/mean_radius_mm`` (also in ``--out``), and the per-landmark table
(``per_landmark_errors.csv``) gains ``coverage`` and ``mean_radius_mm``
columns. Each point's radius comes from the calibration's radius model:
constant, scaled by the predicted confidence, or by the refinement shift
(the distance in mm between the first stage's point and the refined one:
needs --refine-config). It holds for test images like the calibration's,
and only for images the calibration was not fitted on (test on held-out
data). A calibration of other landmarks than the model's, or one needing
a signal the model does not give, ends in one ``error:`` line naming the
file, before the model is built. Without a calibration the metrics are
those above, and the log says that no coverage is reported. See
``ceph_landmarks.core.evaluation.radius_coverage``.
"""
import argparse
import os
import os.path as osp
from typing import Optional

from mmengine.config import Config, DictAction
from mmengine.dist import is_main_process
from mmengine.hooks import Hook
from mmengine.runner import Runner

from ceph_landmarks.cli import (add_cascade_arguments, add_data_root_argument,
                                check_cascade_arguments, run_tool,
                                set_data_root)
from ceph_landmarks.cli.cfg_options import check_cfg_options
from ceph_landmarks.core.calibration_lookup import (AUTO,
                                                    add_calibration_arguments,
                                                    find_calibration)
from ceph_landmarks.core.evaluation.radius_coverage import check_radius_signal
from ceph_landmarks.core.log import get_logger
from ceph_landmarks.core.model_calibration import CALIBRATION_FILE
from ceph_landmarks.core.writers.atomic_write import (check_writable,
                                                      check_writable_dir,
                                                      write_json)
from ceph_landmarks.models import cascade_config, config_dataset_meta
from ceph_landmarks.models.checkpoint_loader import \
    check_whole_image_checkpoint


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description='Test a cephalometric landmark model')
    parser.add_argument('config', help='test config file')
    add_cascade_arguments(parser)
    add_data_root_argument(parser)
    parser.add_argument('--work-dir', help='folder for the test logs')
    parser.add_argument(
        '--out', help='write the metrics (ceph/MRE, ...) to this JSON file')
    parser.add_argument(
        '--dump', help='dump the predictions to this .pkl file')
    parser.add_argument(
        '--report',
        nargs='?',
        const='',
        metavar='DIR',
        help='write the evaluation report (per-landmark MRE bar chart, SDR '
        'curve, overlays of the worst images) as PNG files into DIR '
        '(default: WORK_DIR/report)')
    parser.add_argument(
        '--show-dir',
        help='save images with predicted landmarks into this folder '
        '(relative to the work dir\'s timestamp folder)')
    add_calibration_arguments(parser, 'measure on the test set')
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        action=DictAction,
        help='override config settings, as key=value pairs')
    parser.add_argument(
        '--launcher',
        choices=['none', 'pytorch', 'slurm', 'mpi'],
        default='none',
        help='job launcher (torchrun sets "pytorch")')
    parser.add_argument('--local_rank', '--local-rank', type=int, default=0)
    args = parser.parse_args()
    check_cascade_arguments(parser, args)
    os.environ.setdefault('LOCAL_RANK', str(args.local_rank))
    return args


def append_evaluator(cfg: Config, evaluator: dict) -> None:
    """Add a metric to the test evaluators."""
    evaluators = cfg.test_evaluator
    if not isinstance(evaluators, (list, tuple)):
        evaluators = [evaluators]
    cfg.test_evaluator = [*evaluators, evaluator]


def merge_args(cfg: Config, args: argparse.Namespace) -> Config:
    """Write the command-line options into the config."""
    cfg.launcher = args.launcher
    if args.data_root is not None:
        set_data_root(cfg, args.data_root)
    if args.cfg_options is not None:
        check_cfg_options(cfg, args.cfg_options, args.config)
        cfg.merge_from_dict(args.cfg_options)
    # --ensemble points with one checkpoint goes to the cascade, which says
    # that it has no effect
    if (len(args.checkpoints) > 1 or args.refine_config or args.flip_test
            or args.ensemble == 'points'):
        refine_cfg = (
            Config.fromfile(args.refine_config)
            if args.refine_config else None)
        cfg = cascade_config(cfg, args.checkpoints, refine_cfg,
                             args.refine_checkpoints or [], args.ensemble,
                             args.flip_test)
    else:
        check_whole_image_checkpoint(args.checkpoints[0])
        cfg.load_from = args.checkpoints[0]
    if args.work_dir is not None:
        cfg.work_dir = args.work_dir
    elif cfg.get('work_dir') is None:
        cfg.work_dir = osp.join('./work_dirs',
                                osp.splitext(osp.basename(args.config))[0])

    if args.show_dir is not None:
        cfg.default_hooks.visualization.enable = True
        cfg.default_hooks.visualization.out_dir = args.show_dir

    if args.dump is not None:
        if not args.dump.endswith(('.pkl', '.pickle')):
            raise ValueError(f'--dump must name a .pkl file, but got '
                             f'{args.dump}')
        append_evaluator(cfg,
                         dict(type='DumpResults', out_file_path=args.dump))

    if args.report is not None:
        cfg.custom_hooks = [
            *cfg.get('custom_hooks', []),
            dict(
                type='EvaluationReportHook',
                out_dir=args.report or osp.join(cfg.work_dir, 'report'))
        ]
    return cfg


#: The metric that reports the coverage of the error radii.
COVERAGE_METRIC = 'CephalometricMetric'


def set_calibration(cfg: Config, args: argparse.Namespace) -> Optional[str]:
    """Give the test's ``CephalometricMetric`` the model's calibration.

    The calibration is ``--calibration FILE``, else ``calibration.json``
    beside the first checkpoint if there is one (``--no-calibration``:
    none); the choice is logged in one line.

    Args:
        cfg (Config): The test config (after :func:`merge_args`).
        args (argparse.Namespace): The options.

    Returns:
        str, optional: The calibration file given to the metric, ``None``
        without.

    Raises:
        OSError: If ``--calibration`` names a file that cannot be read.
        ValueError: If the file is not a calibration, is one of other
            landmarks than the model's, or scales its radii with a
            difficulty signal the model does not give; or if
            ``--calibration`` is given and the test evaluator has no
            ``CephalometricMetric``. The message names the file.
    """
    logger = get_logger()
    beside = osp.dirname(args.checkpoints[0]) or '.'
    if args.calibration is None:
        logger.info('no calibration (--no-calibration): no coverage of the '
                    'error radii is reported')
        return None
    path = args.calibration
    if path == AUTO:
        path = osp.join(beside, CALIBRATION_FILE)
        if not osp.isfile(path):
            logger.info(f'no calibration: no {CALIBRATION_FILE} beside the '
                        f'model ({beside}), so no coverage of the error '
                        'radii is reported')
            return None
    meta = config_dataset_meta(cfg)
    names = [meta['keypoint_id2name'][k] for k in range(meta['num_keypoints'])]
    calibration = find_calibration(path, None, names)
    signals = ['confidence']
    if args.refine_config:
        signals.append('refine_shift_mm')
    check_radius_signal(calibration.radius, signals, path)
    evaluators = cfg.test_evaluator
    if not isinstance(evaluators, (list, tuple)):
        evaluators = [evaluators] if evaluators else []
    found = [
        str(e.get('type', '')).rsplit('.', 1)[-1] == COVERAGE_METRIC
        for e in evaluators
    ]
    if not any(found):
        if args.calibration != AUTO:
            raise ValueError(
                f'--calibration {path}: the test evaluator of {args.config} '
                f'has no {COVERAGE_METRIC} to report the coverage of the '
                'error radii')
        logger.info(f'calibration {path} not used: the test evaluator has '
                    f'no {COVERAGE_METRIC}, so no coverage is reported')
        return None
    # copies: the val evaluator may be the same object
    cfg.test_evaluator = [
        dict(e, calibration=path) if is_metric else e
        for e, is_metric in zip(evaluators, found)
    ]
    return path


class SaveMetricsHook(Hook):
    """Write the test metrics to a JSON file after the test epoch.

    The JSON is strict (an undefined metric, NaN, is ``null``) and written
    atomically (``ceph_landmarks.core.writers.atomic_write.write_json``).
    """

    def __init__(self, out_file: str) -> None:
        self.out_file = out_file

    def after_test_epoch(self, runner, metrics=None) -> None:
        if metrics is not None and is_main_process():
            write_json(metrics, self.out_file, indent=2, option='--out')


def check_outputs(args: argparse.Namespace, cfg: Config) -> None:
    """Refuse, before the model is built, a work dir, ``--out``, ``--dump``
    or ``--report`` that cannot be written (one ``error:`` line naming the
    option and the path)."""
    check_writable_dir(cfg.work_dir, 'work dir')
    for option, path in (('--out', args.out), ('--dump', args.dump)):
        if path:
            check_writable(path, option)
    if args.report is not None:
        check_writable_dir(
            args.report or osp.join(cfg.work_dir, 'report'), '--report')


def main() -> None:
    args = parse_args()
    cfg = Config.fromfile(args.config)
    cfg = merge_args(cfg, args)
    check_outputs(args, cfg)
    set_calibration(cfg, args)
    runner = Runner.from_cfg(cfg)
    if args.out:
        runner.register_hook(SaveMetricsHook(args.out), 'LOWEST')
    runner.test()


if __name__ == '__main__':
    run_tool(main)
