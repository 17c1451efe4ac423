"""Benchmark a config's model: training / inference samples/s and peak
memory (framework step against a bare PyTorch loop), and the data pipeline.

Usage:
    python tools/benchmark.py CONFIG [--mode training|inference|data|both]
        [--device cuda] [--batch-size N] [--variants fp32 amp ...]
        [--iters 5] [--out benchmark_results.json] [--cfg-options ...]

Writes a JSON (``benchmark_results.json`` in the work dir by default) and
prints a table. The config's dataset must exist (e.g. point it at the
synthetic set with ``--cfg-options``).

Peak memory is measured per measurement, as the peak above the level at its
start (CUDA: reset peak statistics; CPU: the resident-set high-water mark,
reset through ``/proc/self/clear_refs``, or no figure where the system does
not allow it). The JSON's ``peak_memory`` and the printed lines say which.
"""
import argparse
import json
import os
import os.path as osp
import platform

import torch
from mmengine.config import Config, DictAction

from ceph_landmarks.cli import run_tool
from ceph_landmarks.engine import benchmark as bm


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description='Benchmark a config')
    parser.add_argument('config')
    parser.add_argument(
        '--mode',
        choices=['training', 'inference', 'data', 'both'],
        default='both',
        help="'both' runs training, inference and data")
    parser.add_argument(
        '--device', default='cuda' if torch.cuda.is_available() else 'cpu')
    parser.add_argument('--batch-size', type=int, help='training batch size')
    parser.add_argument(
        '--infer-batch-size', type=int, default=1, help='inference batch size')
    parser.add_argument(
        '--variants',
        nargs='+',
        choices=['fp32', 'channels_last', 'amp', 'compile'],
        help='default: every variant the device supports')
    parser.add_argument('--warmup', type=int, default=2)
    parser.add_argument(
        '--iters', type=int, default=3, help='timed iterations per round')
    parser.add_argument(
        '--rounds',
        type=int,
        default=3,
        help='alternating framework/bare rounds (the best round counts)')
    parser.add_argument('--num-workers', type=int)
    parser.add_argument('--out', help='JSON output path')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction)
    return parser.parse_args()


def main() -> None:
    args = parse_args()
    cfg = Config.fromfile(args.config)
    if args.cfg_options:
        cfg.merge_from_dict(args.cfg_options)
    variants = args.variants or bm.supported_variants(args.device)
    results = []
    if args.mode in ('training', 'both'):
        results += bm.benchmark_training(cfg, args.device, args.batch_size,
                                         variants, args.warmup, args.iters,
                                         args.rounds)
    if args.mode in ('inference', 'both'):
        results += bm.benchmark_inference(cfg, args.device,
                                          args.infer_batch_size, variants,
                                          args.warmup, args.iters, args.rounds)
    if args.mode in ('data', 'both'):
        results.append(
            bm.benchmark_data(cfg, args.batch_size, args.num_workers,
                              max(args.iters * args.rounds, 5)))
    summary = bm.summarise(results)
    out = args.out or osp.join(
        cfg.get('work_dir')
        or osp.join('work_dirs',
                    osp.splitext(osp.basename(args.config))[0]),
        'benchmark_results.json')
    os.makedirs(osp.dirname(osp.abspath(out)), exist_ok=True)
    report = dict(
        config=args.config,
        device=args.device,
        device_name=(torch.cuda.get_device_name()
                     if args.device.startswith('cuda') else
                     platform.processor() or platform.machine()),
        torch=torch.__version__,
        num_threads=torch.get_num_threads(),
        input_size=list(cfg.codec.input_size) if 'codec' in cfg else None,
        peak_memory=dict(
            model=bm.peak_memory_method(args.device),
            data=bm.peak_memory_method('cpu')),
        results=[r.to_dict() for r in results],
        summary=summary)
    with open(out, 'w') as f:
        json.dump(report, f, indent=2)
    print(bm.format_table(results))
    for part, method in report['peak_memory'].items():
        print(f'peak MB ({part}): {method}')
    for key, value in summary.items():
        print(f'{key}: {value:.3f}')
    print(f'written to {out}')


if __name__ == '__main__':
    run_tool(main)
