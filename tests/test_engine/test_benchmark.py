"""The benchmark: variant names, the MFU maths and the matmul rate, the
model's FLOPs, its bare loop on any head's losses, AMP on CPU, peak memory
measured per measurement, and the report's JSON (in process and through
tools/benchmark.py) on the tiny config."""
import json
import math
import os.path as osp

import pytest
import torch
from mmengine.config import Config

from ceph_landmarks.benchmarking import benchmark as bm
from ceph_landmarks.benchmarking import peak_memory
from ceph_landmarks.benchmarking.benchmark_report import (report_lines,
                                                          run_benchmark)
from ceph_landmarks.benchmarking.benchmark_variants import (default_variants,
                                                            parse_variant)
from ceph_landmarks.benchmarking.mfu import (flops_from_macs, matmul_tflops,
                                             mfu, step_flops_per_sample)
from ceph_landmarks.benchmarking.model_flops import model_forward_flops
from ceph_landmarks.benchmarking.peak_memory import (PeakMemory,
                                                     cpu_peak_available,
                                                     peak_memory_method)
from helpers import (REPO_ROOT, TINY_CONFIG, data_options, run_tool,
                     write_landmark_variant)

TINY_SRPOSE = osp.join(REPO_ROOT, 'tests', 'data', 'configs',
                       'tiny_srpose_cldetection2023-64x64.py')

LOADERS = ('train_dataloader', 'val_dataloader', 'test_dataloader')


def tiny_cfg(root: str, path: str = TINY_CONFIG) -> Config:
    cfg = Config.fromfile(path)
    for loader in LOADERS:
        cfg[loader].dataset.data_root = f'{root}/'
    return cfg


@pytest.mark.parametrize(
    'name, canonical, dtype, channels_last, compiled',
    [
        ('fp32', 'fp32', None, False, False),
        ('amp_bf16', 'amp_bf16', torch.bfloat16, False, False),
        ('amp_fp16+compile', 'amp_fp16+compile', torch.float16, False, True),
        ('amp_bf16+channels_last+compile', 'amp_bf16+channels_last+compile',
         torch.bfloat16, True, True),
        # without a precision: fp32
        ('channels_last', 'fp32+channels_last', None, True, False),
        ('compile', 'fp32+compile', None, False, True),
    ])
def test_variant_names(name, canonical, dtype, channels_last, compiled):
    variant = parse_variant(name)
    assert (variant.name, variant.amp_dtype, variant.channels_last,
            variant.compile) == (canonical, dtype, channels_last, compiled)
    assert variant.amp == (dtype is not None)
    assert parse_variant(canonical) == variant


@pytest.mark.parametrize('name, message', [
    ('amp_bf16+nhwc', "unknown feature 'nhwc'"),
    ('fp16', "unknown feature 'fp16'"),
    ('amp', "unknown feature 'amp'"),
    ('channels_last+amp_bf16', "unknown feature 'amp_bf16'"),
    ('fp32+compile+channels_last', 'repeated or out of order'),
    ('fp32+compile+compile', 'repeated or out of order'),
])
def test_bad_variant_names_are_refused_by_name(name, message):
    with pytest.raises(ValueError, match=message) as err:
        parse_variant(name)
    assert repr(name) in str(err.value)
    assert 'amp_bf16' in str(err.value)  # the expected names are listed


def test_default_variants():
    assert default_variants('cuda') == [
        'fp32', 'amp_bf16', 'amp_fp16', 'amp_bf16+channels_last',
        'amp_bf16+channels_last+compile'
    ]
    assert default_variants('cpu') == ['fp32', 'fp32+channels_last']
    for name in default_variants('cuda'):
        assert parse_variant(name).name == name


def test_mfu_maths():
    assert flops_from_macs(1.5e9) == 3e9
    assert step_flops_per_sample(2e9, 'training') == 6e9
    assert step_flops_per_sample(2e9, 'inference') == 2e9
    with pytest.raises(ValueError, match="mode 'data'"):
        step_flops_per_sample(2e9, 'data')
    # 100 samples/s of 6 GFLOP each: 0.6 TFLOP/s of a 2 TFLOP/s device
    assert mfu(6e9, 100.0, 2.0) == pytest.approx(0.3)
    for unknown in [(None, 100.0, 2.0), (6e9, 100.0, None),
                    (6e9, float('nan'), 2.0), (6e9, 100.0, 0.0)]:
        assert mfu(*unknown) is None


def test_matmul_rate_on_cpu():
    for dtype in (torch.float32, torch.bfloat16):
        rate = matmul_tflops('cpu', dtype, n=64, iters=2, warmup=1)
        assert math.isfinite(rate) and rate > 0
    with pytest.raises(ValueError, match='n=0'):
        matmul_tflops('cpu', n=0)
    # tools/gpu_check.py imports it from the benchmark module
    assert bm.matmul_tflops is matmul_tflops


def test_model_flops_grow_with_the_input_area():
    cfg = Config.fromfile(TINY_CONFIG)
    small = model_forward_flops(cfg)
    cfg.codec.input_size = (128, 128)
    large = model_forward_flops(cfg)
    # convolutions: FLOPs proportional to the area
    assert small > 1e6 and large == pytest.approx(4 * small, rel=0.02)


def test_amp_training_on_cpu_is_an_error_row_for_the_framework(tiny_data):
    results = bm.benchmark_training(
        tiny_cfg(tiny_data),
        'cpu',
        batch_size=2,
        variants=['amp_bf16'],
        warmup=0,
        iters=1,
        rounds=1)
    framework, bare = results
    assert (framework.runner, framework.variant) == ('framework', 'amp_bf16')
    assert 'AmpOptimWrapper' in framework.error
    assert 'amp_bf16 on cpu' in framework.error
    assert math.isnan(framework.samples_per_s)
    assert bare.error is None and bare.samples_per_s > 0  # torch.autocast


def test_channels_last_reaches_the_framework_inputs(tiny_data):
    cfg = tiny_cfg(tiny_data)
    batch = bm._batch(cfg, 'train_dataloader', 2)
    for name, expected in [('fp32', False), ('fp32+channels_last', True)]:
        model = bm._build(cfg, 'cpu', parse_variant(name))
        inputs = model.data_preprocessor(batch, True)['inputs']
        assert inputs.is_contiguous(
            memory_format=torch.channels_last) == expected
        assert inputs.is_contiguous() != expected


def test_report_fields_and_mfu(tiny_data):
    partial = []
    report = run_benchmark(
        tiny_cfg(tiny_data),
        TINY_CONFIG,
        mode='training',
        batch_size=2,
        variants=['fp32'],
        warmup=0,
        iters=1,
        rounds=1,
        peak_tflops=0.5,
        progress=lambda r: partial.append(json.loads(json.dumps(r))))
    assert report['variants'] == report['infer_variants'] == ['fp32']
    assert report['matmul_tflops'] == 0.5
    assert report['matmul'] == dict(source='given', dtype=None, n=None)
    gflops = report['model_gflops_per_sample']
    assert gflops == pytest.approx(
        model_forward_flops(tiny_cfg(tiny_data)) / 1e9)
    framework, bare = report['results']
    for row in (framework, bare):
        assert row['error'] is None
        assert row['mfu'] == pytest.approx(3 * gflops * 1e9 *
                                           row['samples_per_s'] / 0.5e12)
    assert math.isfinite(report['summary']['framework_overhead_training_fp32'])
    assert report['complete'] is True
    # progress: the header (FLOPs, matmul rate) first, then each variant
    assert [len(p['results']) for p in partial] == [0, 2]
    assert not any(p['complete'] for p in partial)
    assert partial[0]['model_gflops_per_sample'] == gflops
    lines = report_lines(report)
    assert 'MFU' in lines[0].split()
    assert 'matmul: 0.50 TFLOP/s (given): the MFU reference' in lines
    assert f'model: {gflops:.2f} GFLOPs per sample' in '\n'.join(lines)


def test_data_report_with_and_without_the_image_cache(tiny_data):
    report = run_benchmark(
        tiny_cfg(tiny_data),
        TINY_CONFIG,
        mode='data',
        batch_size=2,
        iters=2,
        rounds=1,
        num_workers=0,
        cache_images=True,
        measure_matmul=True)
    assert [r['variant']
            for r in report['results']] == ['workers=0', 'workers=0+cache']
    for row in report['results']:
        assert row['error'] is None and row['samples_per_s'] > 0
        assert row['mfu'] is None and row['iters'] == 5
    assert report['model_gflops_per_sample'] is None  # no model measured
    assert report['matmul']['source'] == 'measured'
    assert report['matmul']['dtype'] == 'float32'
    assert report['matmul_tflops'] > 0


def test_report_refuses_a_bad_variant_before_measuring(tiny_data):
    with pytest.raises(ValueError, match="unknown feature 'fast'"):
        run_benchmark(
            tiny_cfg(tiny_data), TINY_CONFIG, variants=['fp32', 'fast'])


def test_bare_loop_sums_the_losses_of_the_srpose_head(tiny_data, tmp_path):
    # SRPoseHead returns loss_kpt_lowres and loss_kpt_level{i}, no loss_kpt
    data38 = write_landmark_variant(tiny_data, str(tmp_path / 'data38'),
                                    'cldetection2023')
    cfg = tiny_cfg(data38, TINY_SRPOSE)
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
    assert peak_memory_method('cpu').startswith('left out:')
    result = bm.BenchmarkResult('data', 'dataloader', 'workers=0', 1.0, 1.0,
                                memory.peak_mb, 1, 1)
    assert bm.format_table([result]).splitlines()[1].split()[5] == '-'


@pytest.mark.slow
def test_benchmark_tool_writes_results(tiny_data, tmp_path):
    out = tmp_path / 'benchmark_results.json'
    proc = run_tool('benchmark.py', TINY_CONFIG, '--device', 'cpu',
                    '--iters', '1', '--rounds', '1', '--warmup', '1', '--out',
                    str(out), '--cache-images', '--measure-matmul',
                    '--infer-variants', 'fp32', 'channels_last',
                    *data_options(tiny_data))
    report = json.load(open(out))
    rows = {
        (r['mode'], r['runner'], r['variant']): r
        for r in report['results']
    }
    for mode in ('training', 'inference'):
        for runner in ('framework', 'bare'):
            for variant in ('fp32', 'fp32+channels_last'):
                row = rows[(mode, runner, variant)]
                assert row['error'] is None, row['error']
                assert row['samples_per_s'] > 0
                assert ((row['peak_memory_mb']
                         is not None) == cpu_peak_available())
                assert row['mfu'] > 0
    assert rows[('training', 'framework', 'fp32')]['batch_size'] == 4
    data = [r for r in report['results'] if r['mode'] == 'data']
    assert [r['variant'] for r in data] == ['workers=0', 'workers=0+cache']
    assert all(r['samples_per_s'] > 0 for r in data)
    summary = report['summary']
    assert math.isfinite(summary['framework_overhead_training_fp32'])
    assert summary['data_vs_training'] > 0
    assert summary['data_vs_training_cache'] > 0
    assert report['matmul']['source'] == 'measured'
    assert report['matmul_tflops'] > 0 and report['complete']
    assert report['variants'] == report['infer_variants'] == [
        'fp32', 'fp32+channels_last'
    ]
    assert report['model_gflops_per_sample'] > 0
    method = peak_memory_method('cpu')
    assert report['peak_memory'] == dict(model=method, data=method)
    assert f'peak MB (model): {method}' in proc.stdout
    assert 'samples/s' in proc.stdout and str(out) in proc.stdout
