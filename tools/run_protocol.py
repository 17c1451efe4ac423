"""Run the real-data protocol end to end: convert, train, test, report.

Usage:
    python tools/run_protocol.py CONFIG --ann-dirs DOCTOR_A DOCTOR_B
        --spacing 0.144 --out work_dirs/hamedan_protocol [--folds 5]
        [--seed 0] [--img-dir DIR] [--train-args "--epochs 60 ..."]
        [--checkpoint last|best] [--overwrite]
        [--cfg-options key=value ...]

Steps, each through the package's own tools:

1. ``data_converters/labelme.py`` writes the ground truth as the mean of
   the annotators (``OUT/data/mean``) and as each annotator alone
   (``OUT/data/<name>``), all with the same seeded split and
   ``--skip-invalid``;
2. with ``--folds K`` the mean set's images are pooled and split into K
   folds (``fold{i}_train.json`` / ``fold{i}_val.json``), otherwise the
   converter's train / val split is used;
3. ``tools/train.py CONFIG`` trains each fold into ``OUT/fold{i}`` (a fold
   folder with checkpoints of an earlier protocol run is refused unless
   ``--overwrite``, which moves them aside: see ``tools/train.py``);
4. ``tools/test.py`` evaluates the last checkpoint (``--checkpoint best``:
   the one with the best validation MRE; the validation images are the
   reported test images, so choosing an epoch on them flatters the
   figures), with the config the training dumped (so ``--train-args`` such
   as ``--image-size`` apply), on the fold's validation images against
   the mean and against each annotator, writing the metrics, the
   per-landmark table and (for the mean) the report images;
5. ``OUT/summary.json`` and ``OUT/summary.csv`` collect MRE, its SD and the
   SDRs per fold and ground truth, with the mean over folds.
"""
import argparse
import csv
import glob
import json
import os.path as osp
import shlex
import subprocess
import sys
from typing import Dict, List

from ceph_landmarks.cli import run_tool
from ceph_landmarks.datasets.conversion import (merge_annotations,
                                                subset_annotations,
                                                write_json_atomic,
                                                write_kfold_annotations)

TOOLS = osp.dirname(osp.abspath(__file__))
REPO = osp.dirname(TOOLS)
LOADERS = ('train_dataloader', 'val_dataloader', 'test_dataloader')


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description='Convert, train, test and report on LabelMe data')
    parser.add_argument('config', help='training config')
    parser.add_argument(
        '--ann-dirs', nargs='+', required=True,
        help='LabelMe folders, one per annotator')
    parser.add_argument('--spacing', type=float, required=True,
                        help='mm per pixel')
    parser.add_argument('--out', required=True, help='protocol folder')
    parser.add_argument('--img-dir', help='image folder for the converter')
    parser.add_argument('--folds', type=int, default=0,
                        help='K-fold cross-validation (0: one split)')
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument(
        '--train-args', default='',
        help='extra tools/train.py options, as one quoted string')
    parser.add_argument(
        '--checkpoint', choices=['last', 'best'], default='last',
        help='checkpoint to test: the last epoch (default; no choice made '
        'on the test images) or the best validation MRE')
    parser.add_argument(
        '--overwrite', action='store_true',
        help='retrain folds whose folder holds checkpoints of an earlier '
        'run (tools/train.py --overwrite moves them aside)')
    parser.add_argument('--cfg-options', nargs='+', default=[],
                        help='config overrides for training and testing')
    return parser.parse_args()


def run(cmd: List[str]) -> None:
    """Run a step, stopping the protocol if it fails (the step has printed
    why)."""
    print('+', ' '.join(shlex.quote(c) for c in cmd), flush=True)
    status = subprocess.run(cmd, cwd=REPO).returncode
    if status != 0:
        sys.exit(f'error: {osp.basename(cmd[1])} failed (exit status '
                 f'{status}); protocol stopped')


def convert(args: argparse.Namespace, annotator: str, out: str) -> None:
    if osp.isfile(osp.join(out, 'annotations', 'val.json')):
        return
    cmd = [sys.executable, osp.join(REPO, 'data_converters', 'labelme.py'),
           '--ann-dirs', *args.ann_dirs, '--annotator', annotator,
           '--spacing', str(args.spacing), '--seed', str(args.seed),
           '--skip-invalid', '--out', out]
    if args.img_dir:
        cmd += ['--img-dir', args.img_dir]
    run(cmd)


def find_checkpoint(work: str, which: str) -> str:
    """Return the last or the best checkpoint the training wrote."""
    if which == 'best':
        found = sorted(glob.glob(osp.join(work, 'best_ceph_MRE_*.pth')),
                       key=osp.getmtime)
    else:
        pointer = osp.join(work, 'last_checkpoint')
        found = []
        if osp.isfile(pointer):
            with open(pointer) as f:
                found = [f.read().strip()]
    if not found or not osp.isfile(found[-1]):
        raise SystemExit(f'error: no {which} checkpoint in {work}')
    return found[-1]


def data_options(root: str, train_file: str, val_file: str) -> List[str]:
    opts = [f'{loader}.dataset.data_root={root}/' for loader in LOADERS]
    opts.append(f'train_dataloader.dataset.ann_file={train_file}')
    opts += [f'{loader}.dataset.ann_file={val_file}'
             for loader in LOADERS[1:]]
    return opts


def main() -> None:
    args = parse_args()
    out = osp.abspath(args.out)
    annotators = [osp.basename(osp.normpath(d)) for d in args.ann_dirs]
    roots = {gt: osp.join(out, 'data', gt) for gt in ['mean', *annotators]}
    for gt, root in roots.items():
        convert(args, gt, root)

    def ann(gt: str, name: str) -> str:
        return osp.join(roots[gt], 'annotations', name)

    if args.folds > 1:
        folds = write_kfold_annotations(
            [ann('mean', 'train.json'), ann('mean', 'val.json')],
            osp.join(roots['mean'], 'annotations'), args.folds, args.seed)
        for i, (_, val_file) in enumerate(folds):
            with open(val_file) as f:
                names = {im['file_name'] for im in json.load(f)['images']}
            for gt in annotators:
                pooled = merge_annotations(
                    [ann(gt, 'train.json'), ann(gt, 'val.json')])
                write_json_atomic(
                    subset_annotations(pooled, names),
                    ann(gt, f'fold{i}_val.json'))
        fold_names = [(f'fold{i}_train.json', f'fold{i}_val.json')
                      for i in range(args.folds)]
    else:
        fold_names = [('train.json', 'val.json')]

    rows: List[Dict] = []
    for i, (train_name, val_name) in enumerate(fold_names):
        work = osp.join(out, f'fold{i}')
        run([sys.executable, osp.join(TOOLS, 'train.py'), args.config,
             '--work-dir', work, *(['--overwrite'] if args.overwrite else []),
             *shlex.split(args.train_args),
             '--cfg-options', *data_options(
                 roots['mean'], f'annotations/{train_name}',
                 f'annotations/{val_name}'), *args.cfg_options])
        checkpoint = find_checkpoint(work, args.checkpoint)
        # the config the Runner dumped holds every --train-args override
        # (image size, ...), so testing sees the trained model's settings
        trained_config = osp.join(work, osp.basename(args.config))
        for gt, root in roots.items():
            metrics_file = osp.join(work, f'metrics_{gt}.json')
            extra = ['--report', osp.join(work, 'report')] \
                if gt == 'mean' else []
            run([sys.executable, osp.join(TOOLS, 'test.py'), trained_config,
                 checkpoint, '--work-dir', osp.join(work, f'test_{gt}'),
                 '--out', metrics_file, *extra, '--cfg-options',
                 *data_options(root, f'annotations/{train_name}',
                               f'annotations/{val_name}'),
                 *args.cfg_options])
            with open(metrics_file) as f:
                metrics = json.load(f)
            rows.append(dict(fold=i, ground_truth=gt, **{
                k.split('/', 1)[-1]: v for k, v in metrics.items()}))

    keys = [k for k in rows[0] if k not in ('fold', 'ground_truth')]
    means = [
        dict(fold='mean', ground_truth=gt, **{
            k: sum(r[k] for r in rows if r['ground_truth'] == gt) /
            len(fold_names) for k in keys})
        for gt in roots
    ]
    summary = rows + means
    write_json_atomic(summary, osp.join(out, 'summary.json'), indent=2)
    with open(osp.join(out, 'summary.csv'), 'w', newline='') as f:
        writer = csv.DictWriter(f, fieldnames=list(summary[0]))
        writer.writeheader()
        writer.writerows(summary)
    shown = ['MRE', 'MRE_std', 'SDR@2mm', 'SDR@2.5mm', 'SDR@3mm', 'SDR@4mm']
    print('fold  ground truth  ' + '  '.join(f'{k:>9}' for k in shown))
    for row in summary:
        print(f'{str(row["fold"]):<5} {row["ground_truth"]:<13} ' + '  '.join(
            f'{row.get(k, float("nan")):9.3f}' for k in shown))
    print(f'written to {osp.join(out, "summary.json")}')


if __name__ == '__main__':
    run_tool(main)
