"""The benchmark: its bare loop on any head's losses, peak memory measured
per measurement, and tools/benchmark.py's JSON and ratios on the tiny
config."""
import json
import math
import os.path as osp

import pytest
import torch
from mmengine.config import Config

from ceph_landmarks.engine import benchmark as bm
from ceph_landmarks.engine import peak_memory
from ceph_landmarks.engine.peak_memory import PeakMemory, cpu_peak_available
from helpers import (REPO_ROOT, TINY_CONFIG, data_options, run_tool,
                     write_landmark_variant)

TINY_SRPOSE = osp.join(REPO_ROOT, 'tests', 'data', 'configs',
                       'tiny_srpose_cldetection2023-64x64.py')

LOADERS = ('train_dataloader', 'val_dataloader', 'test_dataloader')


def test_bare_loop_sums_the_losses_of_the_srpose_head(tiny_data, tmp_path):
    # SRPoseHead returns loss_kpt_lowres and loss_kpt_level{i}, no loss_kpt
    data38 = write_landmark_variant(tiny_data, str(tmp_path / 'data38'),
                                    'cldetection2023')
    cfg = Config.fromfile(TINY_SRPOSE)
    for loader in LOADERS:
        cfg[loader].dataset.data_root = f'{data38}/'
    results = bm.benchmark_training(
        cfg, 'cpu', batch_size=2, warmup=0, iters=1, rounds=1)
    assert [r.runner for r in results] == ['framework', 'bare']
    for res in results:
        assert res.error is None, res.error
        assert res.samples_per_s > 0


def allocation_peaks(device: str, sizes_mb: tuple) -> list:
    """Peak memory of measurements that each fill a tensor of a size."""
    peaks = []
    for size in sizes_mb:
        with PeakMemory(device) as memory:
            tensor = torch.ones(size * 2**18, device=device)  # float32
            del tensor
        peaks.append(memory.peak_mb)
    return peaks


@pytest.mark.skipif(
    not cpu_peak_available(),
    reason='the resident-set peak cannot be reset here '
    '(/proc/self/clear_refs)')
def test_cpu_peak_is_reset_for_each_measurement():
    big, small = allocation_peaks('cpu', (128, 16))
    # a lifetime maximum would give the second one the first one's peak
    assert small < big
    assert 120 < big < 200
    assert 14 < small < 64


@pytest.mark.skipif(
    not torch.cuda.is_available(), reason='CUDA is not available')
def test_cuda_peak_is_reset_for_each_measurement():
    big, small = allocation_peaks('cuda', (128, 16))
    assert big == pytest.approx(128, abs=2)
    assert small == pytest.approx(16, abs=2)


def test_cpu_peak_left_out_where_it_cannot_be_reset(monkeypatch):
    monkeypatch.setattr(peak_memory, 'cpu_peak_available', lambda: False)
    with PeakMemory('cpu') as memory:
        torch.ones(2**18)
    assert memory.peak_mb is None
    assert bm.peak_memory_method('cpu').startswith('left out:')
    result = bm.BenchmarkResult('data', 'dataloader', 'workers=0', 1.0, 1.0,
                                memory.peak_mb, 1, 1)
    assert bm.format_table([result]).splitlines()[1].split()[5] == '-'


@pytest.mark.slow
def test_benchmark_tool_writes_results(tiny_data, tmp_path):
    out = tmp_path / 'benchmark_results.json'
    proc = run_tool('benchmark.py', TINY_CONFIG, '--device', 'cpu', '--iters',
                    '1', '--rounds', '1', '--warmup', '1', '--out', str(out),
                    *data_options(tiny_data))
    report = json.load(open(out))
    rows = {
        (r['mode'], r['runner'], r['variant']): r
        for r in report['results']
    }
    for mode in ('training', 'inference'):
        for runner in ('framework', 'bare'):
            for variant in ('fp32', 'channels_last'):
                row = rows[(mode, runner, variant)]
                assert row['error'] is None, row['error']
                assert row['samples_per_s'] > 0
                assert ((row['peak_memory_mb']
                         is not None) == cpu_peak_available())
    assert rows[('training', 'framework', 'fp32')]['batch_size'] == 4
    data = [r for r in report['results'] if r['mode'] == 'data']
    assert len(data) == 1 and data[0]['samples_per_s'] > 0
    summary = report['summary']
    assert math.isfinite(summary['framework_overhead_training_fp32'])
    assert summary['data_vs_training'] > 0
    method = bm.peak_memory_method('cpu')
    assert report['peak_memory'] == dict(model=method, data=method)
    assert f'peak MB (model): {method}' in proc.stdout
    assert 'samples/s' in proc.stdout and str(out) in proc.stdout
