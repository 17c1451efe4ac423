"""The GPU check: offline install, then every GPU measurement in one run.

Usage (through ``tools/gpu_check.sh``, which picks the Python):
    python3 tools/gpu_check.py OUT_DIR [--cpu-smoke] [--bundle DIR]
        [--data DIR] [--budget-s 570]

Runs the steps below in order of importance, each in its own subprocess with
a time limit, and rewrites ``OUT_DIR/gpu_check.json`` after each one, so a
run cut short still returns what it measured; every step's output goes to
``OUT_DIR/gpu_check.log``. Intermediate files go to ``--work-dir``
(``work_dirs/gpu_check``).

Steps: ``install`` (``tools/install.sh --offline BUNDLE``, or the online
install when the bundle is absent), ``environment``, ``matmul`` (the
achievable bf16 matrix-multiply rate, the denominator of every MFU),
``data`` (the compact Hamedan copy converted, or synthetic images),
``benchmark_w48_512`` (HRNet-W48 at 512, the CL-Detection 2023 baseline,
cumulative variants, framework against bare PyTorch, data pipeline with and
without the image cache), ``cuda_tests`` (``pytest -m cuda``),
``train_hamedan`` (the Hamedan recipe at 512 x 640 with AMP, as many epochs
as fit the step's time, validation MRE / SDR), ``benchmark_srpose_1024``
and ``dist_train`` (``tools/dist_train.sh`` with one process).

``--cpu-smoke`` runs the same steps on CPU with tiny configs and sizes, so
the script itself is tested without a GPU (CI does).

This file uses the standard library only: it runs before the install.
"""
import argparse
import json
import math
import os
import os.path as osp
import re
import shlex
import subprocess
import sys
import time
from dataclasses import dataclass, field
from typing import Callable, Dict, List, Optional, Tuple

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
VENV_PY = osp.join(ROOT, '.venv', 'bin', 'python')

W48_CONFIG = ('configs/cldetection2023/'
              'td-hm_hrnet-w48_1xb8-250e_cldetection2023-512x512.py')
SRPOSE_CONFIG = ('configs/cldetection2023/'
                 'td-hm-srpose_hrnet-w48_1xb4-100e_cldetection2023-'
                 '1024x1024.py')
HAMEDAN_CONFIG = ('configs/hamedan/'
                  'td-hm_hrnet-w18-small_1xb8-60e_hamedan-640x512.py')
TINY_CONFIG = 'tests/data/configs/tiny_synthetic-64x64.py'
TINY_SRPOSE_CONFIG = 'tests/data/configs/tiny_srpose_cldetection2023-64x64.py'
TINY_HAMEDAN_CONFIG = 'tests/data/configs/tiny_hamedan-160x128.py'

# The original training script's table, HRNet-W48 at 512 on an RTX 3070 Ti.
CUMULATIVE_VARIANTS = [
    'fp32', 'amp_bf16', 'amp_fp16', 'amp_bf16+channels_last',
    'amp_bf16+channels_last+compile'
]

ENV_SNIPPET = r'''
import json, os, platform
from importlib.metadata import version

import torch
from mmengine.utils.dl_utils import collect_env

# the install works; and the package's compat patches come first (the
# torchvision it imports, as the Runner's collect_env does)
import ceph_landmarks, mmcv.ops  # noqa

# mmengine's collect_env (what the Runner logs): platform, Python, CUDA
# available, GPU names, CUDA_HOME, NVCC, GCC, PyTorch, TorchVision, OpenCV,
# MMEngine; its build-configuration text and numpy seed are left out
info = {k: v for k, v in collect_env().items()
        if k not in ('PyTorch compiling details', 'numpy_random_seed')}
# what it lacks: torch's CUDA and cuDNN versions, CPUs, architecture, the
# GPU's memory, capability and SMs, the other packages' versions
info.update(cuda=torch.version.cuda, cudnn=torch.backends.cudnn.version(),
            cpu_count=os.cpu_count(), machine=platform.machine())
if torch.cuda.is_available():
    p = torch.cuda.get_device_properties(0)
    info.update(gpu_memory_gib=round(p.total_memory / 2**30, 1),
                capability='%d.%d' % (p.major, p.minor),
                multiprocessors=p.multi_processor_count)
for name in ('mmcv', 'mmpose', 'mmdet', 'xtcocotools', 'numpy',
             'ceph_landmarks'):
    try:
        info[name] = version(name)
    except Exception as err:
        info[name] = 'missing: %s' % err
print('RESULT ' + json.dumps(info, default=str))
'''

MATMUL_SNIPPET = r'''
import json, sys, torch
from ceph_landmarks.benchmarking.benchmark import matmul_tflops
device, n = sys.argv[1], int(sys.argv[2])
dtype = torch.bfloat16 if device == 'cuda' else torch.float32
rates = [matmul_tflops(device, dtype, n) for _ in range(2)]
print('RESULT ' + json.dumps(dict(device=device, n=n, dtype=str(dtype),
                                  tflops=max(rates), runs=rates)))
'''


@dataclass
class Step:
    """One step of the check: its name, time limit and what it runs."""

    name: str
    limit_s: float
    run: Callable[['Check', float], dict]
    min_s: float = 20.0  # skipped when less than this is left


@dataclass
class Check:
    """Settings and state shared by the steps."""

    out: str
    cpu_smoke: bool
    bundle: str
    data: str
    budget_s: float
    skip: Tuple[str, ...] = ()
    limits: Dict[str, float] = field(default_factory=dict)
    work: str = osp.join(ROOT, 'work_dirs', 'gpu_check')
    started: float = field(default_factory=time.monotonic)
    summary: Dict[str, object] = field(default_factory=dict)

    @property
    def device(self) -> str:
        return 'cpu' if self.cpu_smoke else 'cuda'

    @property
    def log_path(self) -> str:
        return osp.join(self.out, 'gpu_check.log')

    def left_s(self) -> float:
        return self.budget_s - (time.monotonic() - self.started)

    def write(self) -> None:
        """Rewrite the JSON summary (atomically: a cut run leaves it whole)."""
        path = osp.join(self.out, 'gpu_check.json')
        with open(path + '.tmp', 'w') as f:
            json.dump(self.summary, f, indent=2)
        os.replace(path + '.tmp', path)

    def sh(self,
           cmd: List[str],
           timeout: float,
           env: Optional[Dict[str, str]] = None) -> str:
        """Run ``cmd`` in the repository root, its output appended to the
        log; returns that output. Raises on a non-zero exit or timeout."""
        with open(self.log_path, 'a') as log:
            log.write(f'\n$ {shlex.join(cmd)}\n')
            log.flush()
            proc = subprocess.run(
                cmd,
                cwd=ROOT,
                env={
                    **os.environ, 'PYTHONUNBUFFERED': '1',
                    **(env or {})
                },
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                text=True,
                timeout=timeout)
            log.write(proc.stdout)
        if proc.returncode:
            tail = proc.stdout.strip().splitlines()[-15:]
            raise RuntimeError(f'exit {proc.returncode}: ' + '\n'.join(tail))
        return proc.stdout

    def py(self, args: List[str], timeout: float, **kwargs) -> str:
        return self.sh([VENV_PY] + args, timeout, **kwargs)


class PartialResult(Exception):
    """A step that failed or ran out of time after measuring something."""

    def __init__(self, error: Exception, result: dict) -> None:
        super().__init__(str(error))
        self.error, self.result = error, result


def result_line(output: str) -> dict:
    """The JSON printed after ``RESULT`` by a snippet."""
    lines = [ln for ln in output.splitlines() if ln.startswith('RESULT ')]
    if not lines:
        raise RuntimeError('no RESULT line in the output')
    return json.loads(lines[-1][len('RESULT '):])


# ----------------------------------------------------------------- steps


def step_install(check: Check, timeout: float) -> dict:
    offline = osp.isdir(check.bundle)
    cmd = ['bash', 'tools/install.sh']
    if offline:
        cmd += ['--offline', check.bundle]
    elif not check.cpu_smoke:
        raise RuntimeError(f'no bundle at {check.bundle} (make bundle on a '
                           'machine with network, and carry it)')
    start = time.monotonic()
    check.sh(cmd, timeout, env=dict(MAX_JOBS=str(os.cpu_count() or 2)))
    return dict(offline=offline, seconds=round(time.monotonic() - start, 1))


def step_environment(check: Check, timeout: float) -> dict:
    return result_line(check.py(['-c', ENV_SNIPPET], timeout))


def step_matmul(check: Check, timeout: float) -> dict:
    n = '256' if check.cpu_smoke else '8192'  # fp32 on CPU
    return result_line(
        check.py(['-c', MATMUL_SNIPPET, check.device, n], timeout))


def step_data(check: Check, timeout: float) -> dict:
    """COCO-style data for the benchmarks and the training run."""
    out = osp.join(check.work, 'data')
    hamedan = osp.join(out, 'hamedan')
    if osp.isdir(hamedan):
        return dict(root=hamedan, reused=True)
    spacing_file = osp.join(check.data, 'spacing_mm.txt')
    if osp.isfile(spacing_file):
        with open(spacing_file) as f:
            spacing = f.read().strip()
        ann_dirs = sorted(
            osp.join(check.data, 'annotations', d)
            for d in os.listdir(osp.join(check.data, 'annotations')))
        check.py([
            'data_converters/labelme.py', '--ann-dirs', *ann_dirs, '--spacing',
            spacing, '--skip-invalid', '--seed', '0', '--out', hamedan
        ], timeout)
        return dict(root=hamedan, source=check.data, spacing_mm=spacing)
    # no real X-rays: synthetic images of about the same size
    scale = '0.1' if check.cpu_smoke else '0.35'
    check.py([
        'tools/generate_synthetic.py', '--out', hamedan, '--num-train',
        '16' if check.cpu_smoke else '80', '--num-val',
        '5' if check.cpu_smoke else '20', '--scale', scale
    ], timeout)
    return dict(root=hamedan, source='synthetic', scale=scale)


def _data_root(check: Check) -> str:
    return osp.join(check.work, 'data', 'hamedan') + '/'


def _dataset_options(check: Check, head_channels: bool) -> List[str]:
    """The options of tools/train.py and tools/benchmark.py that point a
    config at the 19-landmark data: ``--data-root`` (every loader, see
    ``ceph_landmarks.cli.set_data_root``; this file cannot import it) and
    ``--cfg-options`` for the landmark set and annotation files (the
    CL-Detection configs have 38 output channels: the head's last layer is
    set to 19, a negligible part of the model's FLOPs). The list ends in
    ``--cfg-options`` values: more may follow."""
    opts = ['--data-root', _data_root(check), '--cfg-options']
    for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        opts += [
            f'{loader}.dataset.landmark_set=isbi2015',
            f'{loader}.dataset.ann_file=annotations/'
            f'{"train" if loader == "train_dataloader" else "val"}.json',
        ]
    if head_channels:
        opts.append('model.head.out_channels=19')
    return opts


def _benchmark(check: Check, timeout: float, config: str, tiny: str,
               batch: int, name: str) -> dict:
    out = osp.join(check.work, f'{name}.json')
    workers = str(os.cpu_count() or 2)
    peak = check.summary.get('matmul', {}).get('result', {}).get('tflops')
    cmd = ['tools/benchmark.py']
    if check.cpu_smoke:
        cmd += [
            tiny, '--device', 'cpu', '--batch-size', '2', '--variants', 'fp32',
            'fp32+channels_last', '--warmup', '1', '--iters', '1', '--rounds',
            '1', '--num-workers', '1'
        ]
    else:
        cmd += [
            config, '--device', 'cuda', '--batch-size',
            str(batch), '--infer-batch-size',
            str(batch), '--variants', *CUMULATIVE_VARIANTS, '--infer-variants',
            'fp32', 'amp_bf16+channels_last', '--warmup', '3', '--iters', '10',
            '--rounds', '2', '--num-workers', workers
        ]
    cmd += ['--mode', 'both', '--cache-images', '--out', out]
    if peak:
        cmd += ['--peak-tflops', str(peak)]
    cmd += _dataset_options(check, True)
    try:
        check.py(cmd, timeout)
    except (RuntimeError, subprocess.TimeoutExpired) as err:
        if not osp.isfile(out):
            raise
        with open(out) as f:  # rewritten after each variant: keep those
            raise PartialResult(err, _benchmark_result(json.load(f)))
    with open(out) as f:
        return _benchmark_result(json.load(f))


def _benchmark_result(report: dict) -> dict:
    return dict(
        config=report['config'],
        complete=report.get('complete', True),
        results=report['results'],
        summary=report.get('summary'),
        model_gflops_per_sample=report.get('model_gflops_per_sample'),
        matmul_tflops=report.get('matmul_tflops'))


def step_benchmark_w48(check: Check, timeout: float) -> dict:
    return _benchmark(check, timeout, W48_CONFIG, TINY_CONFIG, 32,
                      'benchmark_w48_512')


def step_benchmark_srpose(check: Check, timeout: float) -> dict:
    return _benchmark(check, timeout, SRPOSE_CONFIG, TINY_SRPOSE_CONFIG, 8,
                      'benchmark_srpose_1024')


def step_cuda_tests(check: Check, timeout: float) -> dict:
    xml = osp.join(check.work, 'cuda_tests.xml')
    try:
        check.py([
            '-m', 'pytest', 'tests/test_cuda', '-m', 'cuda', '-q', '-rs', '-p',
            'no:cacheprovider', f'--junitxml={xml}'
        ], timeout)
        failed = False
    except RuntimeError:
        failed = True  # the counts below say what failed
    with open(xml) as f:
        head = f.read(4000)
    counts = {
        key: int(m.group(1))
        for key in ('tests', 'failures', 'errors', 'skipped')
        for m in [re.search(rf'\b{key}="(\d+)"', head)] if m
    }
    if failed or counts.get('failures') or counts.get('errors'):
        raise RuntimeError(f'CUDA tests failed: {counts} (see the log)')
    return counts


def _scalars(work_dir: str) -> List[dict]:
    runs = sorted(
        d for d in os.listdir(work_dir)
        if osp.isfile(osp.join(work_dir, d, 'vis_data', 'scalars.json')))
    with open(osp.join(work_dir, runs[-1], 'vis_data', 'scalars.json')) as f:
        return [json.loads(line) for line in f if line.strip()]


def training_figures(scalars: List[dict], batch_size: int) -> dict:
    """Samples/s (median iteration after the first epoch's) and the last
    and best validation figures of an mmengine ``scalars.json``."""
    iters = [s for s in scalars if 'loss' in s and s.get('epoch', 0) > 1]
    iters = iters or [s for s in scalars if 'loss' in s]
    times = sorted(s['time'] for s in iters)
    vals = [s for s in scalars if 'ceph/MRE' in s]
    out = dict(
        samples_per_s=(batch_size / times[len(times) // 2]) if times else None,
        validations=len(vals))
    if vals:
        last = vals[-1]
        out['last'] = {k: v for k, v in last.items() if k.startswith('ceph/')}
        out['best_MRE'] = min(v['ceph/MRE'] for v in vals)
    return out


def step_train(check: Check, timeout: float) -> dict:
    """The Hamedan recipe with AMP for as many epochs as fit about 0.6 of
    the step's time, at the rate the benchmark measured for this config."""
    work_dir = osp.join(check.work, 'train_hamedan')
    if check.cpu_smoke:
        config, epochs, batch, extra = TINY_HAMEDAN_CONFIG, 2, 4, []
    else:
        config, batch = HAMEDAN_CONFIG, 8
        with open(osp.join(_data_root(check), 'annotations',
                           'train.json')) as f:
            num_train = len(json.load(f)['images'])
        rate = check.summary.get('train_rate',
                                 {}).get('result',
                                         {}).get('samples_per_s', 50.0)
        epochs = int(max(5, min(60, 0.6 * timeout * rate / num_train)))
        extra = [
            '--amp', 'bfloat16', '--num-workers',
            str(min(8,
                    os.cpu_count() or 2))
        ]
    start = time.monotonic()
    check.py([
        'tools/train.py', config, '--work-dir', work_dir, '--overwrite',
        '--epochs',
        str(epochs), *extra, *_dataset_options(check, False),
        f'train_cfg.val_interval={max(1, epochs // 4)}',
        'train_dataloader.dataset.cache_images=True'
    ], timeout)
    figures = training_figures(_scalars(work_dir), batch)
    return dict(
        config=config,
        epochs=epochs,
        wall_s=round(time.monotonic() - start, 1),
        **figures)


def step_train_rate(check: Check, timeout: float) -> dict:
    """A short benchmark of the Hamedan config (AMP bf16 training step and
    its data pipeline), which sizes the training run."""
    if check.cpu_smoke:
        return dict(samples_per_s=None, note='not needed on CPU')
    out = osp.join(check.work, 'benchmark_hamedan.json')
    check.py([
        'tools/benchmark.py', HAMEDAN_CONFIG, '--device', 'cuda', '--mode',
        'training', '--variants', 'amp_bf16', '--warmup', '2', '--iters', '5',
        '--rounds', '1', '--out', out, *_dataset_options(check, False)
    ], timeout)
    with open(out) as f:
        rows = json.load(f)['results']
    rate = [r['samples_per_s'] for r in rows if r['runner'] == 'framework']
    return dict(samples_per_s=rate[0])


def step_dist_train(check: Check, timeout: float) -> dict:
    work_dir = osp.join(check.work, 'dist_train')
    start = time.monotonic()
    check.sh([
        'bash', 'tools/dist_train.sh', TINY_CONFIG, '1', '--work-dir',
        work_dir, '--overwrite', *_dataset_options(check, False),
        'train_cfg.max_epochs=1'
    ],
             timeout,
             env=dict(PYTHON=VENV_PY, PORT=str(29500 + os.getpid() % 1000)))
    ckpts = [f for f in os.listdir(work_dir) if f.endswith('.pth')]
    if not ckpts:
        raise RuntimeError(f'no checkpoint written in {work_dir}')
    return dict(
        seconds=round(time.monotonic() - start, 1),
        backend='gloo' if check.cpu_smoke else 'nccl',
        checkpoints=sorted(ckpts))


STEPS = [
    Step('install', 480, step_install),  # mmcv's compile: unmeasured there
    Step('environment', 60, step_environment),
    Step('matmul', 60, step_matmul),
    Step('data', 60, step_data),
    Step('benchmark_w48_512', 170, step_benchmark_w48, min_s=60),
    Step('cuda_tests', 120, step_cuda_tests),
    Step('train_rate', 45, step_train_rate),
    Step('train_hamedan', 130, step_train, min_s=60),
    Step('benchmark_srpose_1024', 120, step_benchmark_srpose, min_s=60),
    Step('dist_train', 60, step_dist_train, min_s=30),
]
# steps that need the install and the data: skipped when those failed
NEEDS = {s.name: ['install'] for s in STEPS if s.name != 'install'}
for _name in ('benchmark_w48_512', 'train_rate', 'train_hamedan',
              'benchmark_srpose_1024', 'dist_train'):
    NEEDS[_name] = ['install', 'data']


def run_check(check: Check) -> int:
    """Run every step; returns the number of steps that did not pass
    (those left out with ``--skip`` not counted)."""
    os.makedirs(check.out, exist_ok=True)
    os.makedirs(check.work, exist_ok=True)
    open(check.log_path, 'w').close()
    check.summary.update(
        mode='cpu-smoke' if check.cpu_smoke else 'cuda',
        budget_s=check.budget_s,
        steps=[s.name for s in STEPS])
    check.write()
    bad = 0
    for step in STEPS:
        entry: Dict[str, object] = dict(status='skipped')
        failed_needs = [
            n for n in NEEDS.get(step.name, [])
            if check.summary.get(n, {}).get('status') != 'ok'
            and n not in check.skip
        ]
        limit = min(check.limits.get(step.name, step.limit_s), check.left_s())
        if step.name in check.skip:
            entry['reason'] = 'not asked for (--skip)'
        elif failed_needs:
            entry['reason'] = f'needs {", ".join(failed_needs)}'
        elif limit < step.min_s:
            entry['reason'] = f'time budget: {check.left_s():.0f} s left'
        else:
            start = time.monotonic()
            try:
                entry = dict(status='ok', result=step.run(check, limit))
            except PartialResult as partial:
                entry = dict(
                    status='timeout'
                    if isinstance(partial.error, subprocess.TimeoutExpired)
                    else 'failed',
                    error=f'{type(partial.error).__name__}: {partial.error}',
                    result=partial.result)
            except subprocess.TimeoutExpired:
                entry = dict(status='timeout', error=f'over {limit:.0f} s')
            except Exception as err:  # recorded; the next step runs
                entry = dict(
                    status='failed', error=f'{type(err).__name__}: {err}')
            entry['seconds'] = round(time.monotonic() - start, 1)
        bad += entry['status'] != 'ok' and step.name not in check.skip
        check.summary[step.name] = entry
        check.summary['elapsed_s'] = round(check.budget_s - check.left_s(), 1)
        check.write()
        print(
            f'[gpu_check] {step.name}: {entry["status"]} '
            f'({entry.get("seconds", 0)} s) '
            f'{entry.get("error") or entry.get("reason") or ""}',
            flush=True)
    print(format_summary(check.summary), flush=True)
    return bad


def format_summary(summary: dict) -> str:
    """The short table printed last (the full figures are in the JSON)."""
    lines = []
    for name in ('benchmark_w48_512', 'benchmark_srpose_1024'):
        result = summary.get(name, {}).get('result') or {}
        for row in result.get('results', []):
            mfu = row.get('mfu')
            lines.append(f'{name:22s} {row["mode"]:9s} {row["runner"]:10s} '
                         f'{row["variant"]:32s} {row["samples_per_s"]:9.1f}/s '
                         f'{"" if mfu is None else f"MFU {mfu:.1%}"}')
    train = summary.get('train_hamedan', {}).get('result') or {}
    if train:
        lines.append(f'train_hamedan: {train.get("epochs")} epochs in '
                     f'{train.get("wall_s")} s, last {train.get("last")}')
    return '\n'.join(lines)


def step_limits(items: List[str]) -> Dict[str, float]:
    """``STEP=SECONDS`` items as a dict, each step name checked."""
    names = [s.name for s in STEPS]
    limits = {}
    for item in items:
        name, _, seconds = item.partition('=')
        try:
            limits[name] = float(seconds)
        except ValueError:
            raise SystemExit(f'error: --limit {item}: not STEP=SECONDS')
        if name not in names:
            raise SystemExit(f'error: --limit {item}: no step {name!r} '
                             f'(steps: {", ".join(names)})')
        if not (math.isfinite(limits[name]) and limits[name] > 0):
            raise SystemExit(f'error: --limit {item}: expected a positive '
                             f'number of seconds, got {seconds}')
    return limits


def make_folder(path: str, option: str) -> str:
    """Create ``path`` (an output folder) and check that files can be
    written there, before any step runs.

    Args:
        path (str): The folder.
        option (str): What named it, for the message (``OUT_DIR``,
            ``--work-dir``).

    Returns:
        str: ``path``, absolute.

    Raises:
        SystemExit: ``error: <option> <path>: cannot write (<reason>)``.
    """
    path = osp.abspath(path)
    if osp.exists(path) and not osp.isdir(path):
        raise SystemExit(f'error: {option} {path}: cannot write (it is a '
                         'file, not a folder)')
    try:
        os.makedirs(path, exist_ok=True)
        probe = osp.join(path, f'.write-test-{os.getpid()}.tmp')
        open(probe, 'w').close()
        os.remove(probe)
    except OSError as err:
        raise SystemExit(f'error: {option} {path}: cannot write '
                         f'({err.strerror or err}: '
                         f'{err.filename or path})') from None
    return path


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('out', help='folder for gpu_check.json and the log')
    parser.add_argument(
        '--cpu-smoke',
        action='store_true',
        help='tiny sizes on CPU (tests the script without a GPU)')
    parser.add_argument(
        '--bundle',
        default=osp.join(ROOT, 'bundle'),
        help='offline bundle (make bundle); without it, on CPU, the online '
        'install')
    parser.add_argument(
        '--data',
        default=osp.join(ROOT, 'data', 'hamedan_compact'),
        help='compact Hamedan copy (make compact-data); synthetic images '
        'when absent')
    parser.add_argument(
        '--budget-s',
        type=float,
        default=570.0,
        help='total seconds; steps that would not fit are skipped')
    parser.add_argument(
        '--skip',
        nargs='+',
        default=[],
        choices=[s.name for s in STEPS],
        help='steps to leave out (a rerun on a machine that has the install '
        'and the data, say)')
    parser.add_argument(
        '--limit',
        nargs='+',
        default=[],
        metavar='STEP=SECONDS',
        help='another time limit for a step (install=1500 where mmcv '
        'compiles on few cores, say)')
    parser.add_argument(
        '--work-dir',
        default=osp.join(ROOT, 'work_dirs', 'gpu_check'),
        help='intermediate files (data, checkpoints, benchmark JSONs)')
    return parser.parse_args(argv)


def main(argv: Optional[List[str]] = None) -> int:
    args = parse_args(argv)
    if not (math.isfinite(args.budget_s) and args.budget_s > 0):
        raise SystemExit(f'error: --budget-s {args.budget_s}: expected a '
                         'positive number of seconds')
    limits = step_limits(args.limit)
    check = Check(
        out=make_folder(args.out, 'OUT_DIR'),
        cpu_smoke=args.cpu_smoke,
        bundle=osp.abspath(args.bundle),
        data=osp.abspath(args.data),
        budget_s=args.budget_s,
        skip=tuple(args.skip),
        limits=limits,
        work=make_folder(args.work_dir, '--work-dir'))
    return 1 if run_check(check) else 0


if __name__ == '__main__':
    sys.exit(main())
