"""Train a cephalometric landmark model with the mmengine Runner.

Usage:
    python tools/train.py CONFIG [--work-dir DIR] [--data-root DIR]
        [--resume [PATH] | --overwrite]
        [--amp [float16|bfloat16]] [--accumulate N] [--ema] [--ema-decay D]
        [--clip-grad MAX_NORM] [--compile] [--warmup-epochs N] [--lr LR]
        [--batch-size N] [--epochs N] [--image-size W H] [--num-workers N]
        [--unfreeze-after N [--backbone-lr-mult 0.1]] [--random-flip]
        [--cfg-options key=value ...] [--launcher pytorch]

The config's ``custom_imports`` loads ``ceph_landmarks``. Each option only
writes a config override (see ``ceph_landmarks.cli.config_overrides``),
visible in the config dumped into the work dir; the Runner does the rest.
``--data-root`` points every dataloader at a data folder
(``ceph_landmarks.cli.set_data_root``); ``--cfg-options`` apply last, and
a key the config does not have is refused before anything is built
(``ceph_landmarks.cli.cfg_options``).

A work dir that holds checkpoints of an earlier run is refused unless
``--resume`` continues that run or ``--overwrite`` starts a new one; the
earlier checkpoints are then moved into ``WORK_DIR/checkpoints_before_<time>``
(mmengine would overwrite them, and delete them when it rotates its own).
Problems with the options or the checkpoint, and a work dir that cannot be
written, end in one ``error:`` line and exit status 1.
"""
import argparse
import glob
import os
import os.path as osp
import shutil
import sys
from typing import List

import torch
from mmengine.config import Config, DictAction
from mmengine.dist import is_main_process
from mmengine.runner import Runner

from ceph_landmarks.cli import add_data_root_argument, run_tool, set_data_root
from ceph_landmarks.cli.cfg_options import check_cfg_options
from ceph_landmarks.core.writers.atomic_write import check_writable_dir


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description='Train a cephalometric landmark model')
    parser.add_argument('config', help='training config file')
    parser.add_argument('--work-dir', help='folder for logs and checkpoints')
    add_data_root_argument(parser)
    start = parser.add_mutually_exclusive_group()
    start.add_argument(
        '--resume',
        nargs='?',
        const='auto',
        help='resume from this checkpoint, or from the latest checkpoint in '
        'the work dir when no path is given')
    start.add_argument(
        '--overwrite',
        action='store_true',
        help='start a new run in a work dir that holds checkpoints of an '
        'earlier run (refused otherwise); they are moved into '
        'WORK_DIR/checkpoints_before_<time>/ first, nothing is deleted')
    parser.add_argument(
        '--amp',
        nargs='?',
        const='float16',
        choices=['float16', 'bfloat16'],
        help='mixed precision (AmpOptimWrapper) on a GPU; on CPU training '
        'stays in fp32 with a warning')
    parser.add_argument(
        '--accumulate',
        type=int,
        metavar='N',
        help='accumulate gradients over N iterations')
    parser.add_argument(
        '--ema', action='store_true', help='keep an EMA of the weights')
    parser.add_argument(
        '--ema-decay',
        type=float,
        metavar='D',
        help='EMA decay (implies --ema; default 0.9999)')
    parser.add_argument(
        '--clip-grad',
        type=float,
        metavar='MAX_NORM',
        help='clip the gradient norm (the configs clip by default); 0 '
        'turns clipping off')
    parser.add_argument(
        '--compile', action='store_true', help='torch.compile the model')
    parser.add_argument(
        '--warmup-epochs', type=int, help='linear learning-rate warm-up')
    parser.add_argument('--lr', type=float, help='base learning rate')
    parser.add_argument('--batch-size', type=int, help='batch size per GPU')
    parser.add_argument('--epochs', type=int, help='training epochs')
    parser.add_argument(
        '--image-size',
        type=int,
        nargs=2,
        metavar=('W', 'H'),
        help='network input size; heatmap sizes follow')
    parser.add_argument(
        '--num-workers', type=int, help='dataloader workers per loader')
    parser.add_argument(
        '--unfreeze-after',
        type=int,
        metavar='N',
        help='freeze the backbone for N epochs, then train it at '
        '--backbone-lr-mult x the head\'s learning rate')
    parser.add_argument(
        '--backbone-lr-mult',
        type=float,
        default=0.1,
        help='backbone learning-rate multiplier after unfreezing')
    parser.add_argument(
        '--random-flip',
        action='store_true',
        help='mirror half of the training images (the augmentation that '
        'matches tools/test.py --flip-test)')
    parser.add_argument(
        '--no-validate',
        action='store_true',
        help='do not evaluate during training')
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
    os.environ.setdefault('LOCAL_RANK', str(args.local_rank))
    return args


def merge_args(cfg: Config, args: argparse.Namespace) -> Config:
    """Write the command-line options into the config."""
    from ceph_landmarks.cli import config_overrides as co

    cfg.launcher = args.launcher
    if args.work_dir is not None:
        cfg.work_dir = args.work_dir
    elif cfg.get('work_dir') is None:
        cfg.work_dir = osp.join('./work_dirs',
                                osp.splitext(osp.basename(args.config))[0])
    if args.no_validate:
        cfg.val_cfg = None
        cfg.val_dataloader = None
        cfg.val_evaluator = None
    if args.data_root is not None:
        set_data_root(cfg, args.data_root)

    if args.epochs is not None:
        co.set_epochs(cfg, args.epochs)
    if args.warmup_epochs is not None:
        co.set_warmup_epochs(cfg, args.warmup_epochs)
    if args.lr is not None:
        co.set_lr(cfg, args.lr)
    if args.batch_size is not None:
        co.set_batch_size(cfg, args.batch_size)
    if args.num_workers is not None:
        co.set_num_workers(cfg, args.num_workers)
    co.set_pin_memory(cfg, torch.cuda.is_available())
    if args.image_size is not None:
        width, height = args.image_size
        try:
            co.set_image_size(cfg, width, height)
        except ValueError as err:
            raise ValueError(f'--image-size {width} {height}: {err}') from None
    if args.accumulate is not None:
        co.set_accumulation(cfg, args.accumulate)
    if args.clip_grad is not None:
        co.set_clip_grad(cfg, args.clip_grad)
    if args.ema or args.ema_decay is not None:
        co.enable_ema(cfg,
                      0.9999 if args.ema_decay is None else args.ema_decay)
    if args.amp is not None:
        co.enable_amp(cfg, args.amp)
    if args.compile:
        co.enable_compile(cfg)
    if args.random_flip:
        co.enable_random_flip(cfg)
    if args.unfreeze_after is not None:
        co.set_unfreeze_after(cfg, args.unfreeze_after, args.backbone_lr_mult)

    if args.resume == 'auto':
        cfg.resume = True
        cfg.load_from = None
    elif args.resume is not None:
        cfg.resume = True
        cfg.load_from = args.resume

    if args.cfg_options is not None:
        check_cfg_options(cfg, args.cfg_options, args.config)
        cfg.merge_from_dict(args.cfg_options)
    return cfg


def earlier_checkpoints(work_dir: str) -> List[str]:
    """The ``*.pth`` files in ``work_dir`` and mmengine's ``last_checkpoint``
    pointer to one of them (empty if there is no ``*.pth``)."""
    files = sorted(glob.glob(osp.join(glob.escape(work_dir), '*.pth')))
    pointer = osp.join(work_dir, 'last_checkpoint')
    return files + [pointer] if files and osp.isfile(pointer) else files


def main() -> None:
    args = parse_args()
    cfg = Config.fromfile(args.config)  # imports ceph_landmarks
    cfg = merge_args(cfg, args)
    earlier = earlier_checkpoints(cfg.work_dir)
    names = ', '.join(map(osp.basename, earlier))
    if earlier and not cfg.get('resume') and not args.overwrite:
        sys.exit(f'error: work dir {cfg.work_dir} already holds checkpoints '
                 f'of an earlier run ({names}); pass --resume to continue '
                 'that run, --overwrite to start a new one (the earlier '
                 'checkpoints are then moved into '
                 'checkpoints_before_<time>/ there), or another --work-dir')
    check_writable_dir(cfg.work_dir, 'work dir')
    runner = Runner.from_cfg(cfg)
    if earlier and args.overwrite and is_main_process():
        aside = osp.join(cfg.work_dir,
                         f'checkpoints_before_{runner.timestamp}')
        os.makedirs(aside)
        for path in earlier:
            shutil.move(path, aside)
        runner.logger.warning(f'--overwrite: moved the earlier run\'s '
                              f'checkpoints ({names}) into {aside}')
    runner.train()


if __name__ == '__main__':
    run_tool(main)
