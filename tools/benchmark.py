"""Benchmark a config's model: training / inference samples/s, peak memory
and MFU (framework step against a bare PyTorch loop, for cumulative
variants), and the data pipeline (with and without the image cache).

Usage:
    python tools/benchmark.py CONFIG [--mode training|inference|data|both]
        [--device cuda] [--batch-size N] [--infer-batch-size N]
        [--variants fp32 amp_bf16 amp_bf16+channels_last+compile ...]
        [--infer-variants fp32 amp_bf16 ...]
        [--warmup 2] [--iters 3] [--rounds 3] [--num-workers N]
        [--cache-images] [--measure-matmul | --peak-tflops T]
        [--out benchmark_results.json] [--data-root DIR] [--cfg-options ...]

Variant names are a precision (``fp32``, ``amp_bf16``, ``amp_fp16``) then
optional ``channels_last`` and ``compile``, joined by ``+``;
``channels_last`` and ``compile`` alone mean ``fp32+channels_last`` and
``fp32+compile``. Default on CUDA: ``fp32
amp_bf16 amp_fp16 amp_bf16+channels_last amp_bf16+channels_last+compile``;
on CPU: ``fp32 fp32+channels_last``.

Writes a JSON (``benchmark_results.json`` in the work dir by default; its
fields are described in :mod:`ceph_landmarks.benchmarking.benchmark_report`),
rewritten after each measured variant so that a run cut short leaves what
it measured, and prints a table. The config's dataset must exist (e.g.
point it at the synthetic set with ``--data-root``).
"""
import argparse
import json
import os
import os.path as osp

import torch
from mmengine.config import Config, DictAction

from ceph_landmarks.benchmarking.benchmark_report import (MODES, report_lines,
                                                          run_benchmark)
from ceph_landmarks.cli import add_data_root_argument, run_tool, set_data_root
from ceph_landmarks.cli.cfg_options import check_cfg_options


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description='Benchmark a config')
    parser.add_argument('config')
    parser.add_argument(
        '--mode',
        choices=list(MODES),
        default='both',
        help="'both' runs training, inference and data")
    parser.add_argument(
        '--device', default='cuda' if torch.cuda.is_available() else 'cpu')
    parser.add_argument(
        '--batch-size', type=int, help='training and data batch size')
    parser.add_argument(
        '--infer-batch-size', type=int, default=1, help='inference batch size')
    parser.add_argument(
        '--variants',
        nargs='+',
        help='e.g. fp32 amp_bf16+channels_last+compile (default: the '
        "device's list)")
    parser.add_argument(
        '--infer-variants',
        nargs='+',
        help='inference variants, if not those of --variants')
    parser.add_argument('--warmup', type=int, default=2)
    parser.add_argument(
        '--iters', type=int, default=3, help='timed iterations per round')
    parser.add_argument(
        '--rounds',
        type=int,
        default=3,
        help='alternating framework/bare rounds (the best round counts)')
    parser.add_argument('--num-workers', type=int, help='data mode workers')
    parser.add_argument(
        '--cache-images',
        action='store_true',
        help='data mode: a second row with the dataset image cache')
    peak = parser.add_mutually_exclusive_group()
    peak.add_argument(
        '--measure-matmul',
        action='store_true',
        help='measure the dense matmul rate MFU is relative to')
    peak.add_argument(
        '--peak-tflops',
        type=float,
        help='the matmul rate for MFU, in TFLOP/s (no measuring)')
    parser.add_argument('--out', help='JSON output path')
    add_data_root_argument(parser)
    parser.add_argument('--cfg-options', nargs='+', action=DictAction)
    return parser.parse_args()


def main() -> None:
    args = parse_args()
    cfg = Config.fromfile(args.config)
    if args.data_root is not None:
        set_data_root(cfg, args.data_root)
    if args.cfg_options:
        check_cfg_options(cfg, args.cfg_options, args.config)
        cfg.merge_from_dict(args.cfg_options)
    out = args.out or osp.join(
        cfg.get('work_dir')
        or osp.join('work_dirs',
                    osp.splitext(osp.basename(args.config))[0]),
        'benchmark_results.json')
    os.makedirs(osp.dirname(osp.abspath(out)), exist_ok=True)

    def save(report: dict) -> None:
        with open(out, 'w') as f:
            json.dump(report, f, indent=2)

    report = run_benchmark(
        cfg,
        args.config,
        mode=args.mode,
        device=args.device,
        batch_size=args.batch_size,
        infer_batch_size=args.infer_batch_size,
        variants=args.variants,
        infer_variants=args.infer_variants,
        warmup=args.warmup,
        iters=args.iters,
        rounds=args.rounds,
        num_workers=args.num_workers,
        cache_images=args.cache_images,
        peak_tflops=args.peak_tflops,
        measure_matmul=args.measure_matmul,
        progress=save)
    save(report)
    print('\n'.join(report_lines(report)))
    print(f'written to {out}')


if __name__ == '__main__':
    run_tool(main)
