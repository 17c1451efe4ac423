"""Time the ONNX runtime against the PyTorch predictor on the same images.

Usage:
    python tools/benchmark_runtime.py MODEL_DIR CONFIG INPUT...
        --checkpoints C [C ...] [--refine-config CFG --refine-checkpoints C
        [C ...]] [--ensemble heatmap|points] [--flip-test]
        [--batch-sizes 1 8] [--rounds 3] [--warmup 1] [--threads N]
        [--torch-threads N] [--out FILE.json]

MODEL_DIR is the export of the model the other options name
(``tools/deploy.py`` with the same checkpoints: checked by their names).
Both predictors run on the CPU with the same images, decoded once, taking
turns round after round (:mod:`ceph_landmarks.benchmarking.predictor_timing`);
each row gives the median time per image and the throughput. ``--threads``
sets onnxruntime's intra-op threads, ``--torch-threads`` torch's (default
for both: one per core, 0 means that). Prints a table and, with --out,
writes the rows as JSON.
"""
import argparse
import os
import os.path as osp

import torch

from ceph_landmarks.apis import LandmarkPredictor, collect_images, load_image
from ceph_landmarks.benchmarking.predictor_timing import time_predictors
from ceph_landmarks.cli import (add_cascade_arguments, check_cascade_arguments,
                                run_tool)
from ceph_landmarks.core.writers.atomic_write import write_json
from ceph_landmarks.runtime import OnnxLandmarkPredictor, load_manifest


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description='Time the ONNX runtime against the PyTorch predictor')
    parser.add_argument('model_dir', help='export folder (tools/deploy.py)')
    parser.add_argument('config', help='model config file')
    parser.add_argument('inputs', nargs='+', metavar='INPUT')
    add_cascade_arguments(parser)
    parser.add_argument('--batch-sizes', type=int, nargs='+', default=[1])
    parser.add_argument('--rounds', type=int, default=3)
    parser.add_argument('--warmup', type=int, default=1)
    parser.add_argument('--threads', type=int, default=0)
    parser.add_argument('--torch-threads', type=int, default=0)
    parser.add_argument('--out', help='JSON file of the rows')
    args = parser.parse_args()
    check_cascade_arguments(parser, args)
    if min(args.batch_sizes) < 1 or args.rounds < 1 or args.warmup < 0:
        parser.error('--batch-sizes and --rounds must be at least 1, '
                     '--warmup at least 0')
    try:
        args.images = collect_images(args.inputs)
    except (OSError, ValueError) as err:
        parser.error(str(err))
    return args


def _check_same_model(manifest, args: argparse.Namespace) -> None:
    """The export must hold the checkpoints the options name."""
    want = dict(
        first_stage=[osp.basename(c) for c in args.checkpoints],
        refinement=[osp.basename(c) for c in args.refine_checkpoints or []])
    got = dict(
        first_stage=manifest.first_stage.checkpoints,
        refinement=manifest.refinement.checkpoints
        if manifest.refinement else [])
    if want != got or manifest.ensemble != args.ensemble or \
            manifest.flip_test != args.flip_test:
        raise ValueError(
            f'{manifest.path}: the export holds {got} (ensemble '
            f'{manifest.ensemble}, flip test {manifest.flip_test}), but '
            f'the options name {want} (ensemble {args.ensemble}, flip test '
            f'{args.flip_test}): time the same model')


def main() -> None:
    args = parse_args()
    _check_same_model(load_manifest(args.model_dir), args)
    if args.torch_threads:
        torch.set_num_threads(args.torch_threads)
    predictors = dict(
        onnxruntime=OnnxLandmarkPredictor(
            args.model_dir, threads=args.threads),
        pytorch=LandmarkPredictor(
            args.config,
            args.checkpoints,
            refine_config=args.refine_config,
            refine_checkpoints=args.refine_checkpoints,
            ensemble=args.ensemble,
            flip_test=args.flip_test))
    images = [load_image(path) for path in args.images]
    rows = time_predictors(predictors, images, args.batch_sizes, args.rounds,
                           args.warmup)
    print(f'{len(images)} images, torch threads {torch.get_num_threads()}, '
          f'onnxruntime threads {args.threads or "default"} '
          f'({os.cpu_count()} CPUs)')
    print(f'{"predictor":<12} {"batch":>5} {"ms/image":>9} {"images/s":>9}')
    for row in rows:
        print(f'{row["predictor"]:<12} {row["batch_size"]:>5} '
              f'{row["ms_per_image"]:>9.1f} {row["images_per_s"]:>9.2f}')
    by_batch = {}
    for row in rows:
        by_batch.setdefault(row['batch_size'], {})[row['predictor']] = row
    for batch_size, pair in by_batch.items():
        ratio = pair['pytorch']['seconds'] / pair['onnxruntime']['seconds']
        print(f'batch {batch_size}: onnxruntime is {ratio:.2f}x as fast as '
              'pytorch')
    if args.out:
        write_json(rows, args.out, indent=2, option='--out')


if __name__ == '__main__':
    run_tool(main)
