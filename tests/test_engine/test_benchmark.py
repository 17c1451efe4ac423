"""tools/benchmark.py on the tiny config: JSON structure and ratios."""
import json
import math

from conftest import TINY_CONFIG, data_options, run_tool


def test_benchmark_tool_writes_results(tiny_data, tmp_path):
    out = tmp_path / 'benchmark_results.json'
    proc = run_tool('benchmark.py', TINY_CONFIG, '--device', 'cpu',
                    '--iters', '1', '--rounds', '1', '--warmup', '1',
                    '--out', str(out), *data_options(tiny_data))
    report = json.load(open(out))
    rows = {(r['mode'], r['runner'], r['variant']): r
            for r in report['results']}
    for mode in ('training', 'inference'):
        for runner in ('framework', 'bare'):
            for variant in ('fp32', 'channels_last'):
                row = rows[(mode, runner, variant)]
                assert row['error'] is None, row['error']
                assert row['samples_per_s'] > 0
                assert row['peak_memory_mb'] > 0
    assert rows[('training', 'framework', 'fp32')]['batch_size'] == 4
    data = [r for r in report['results'] if r['mode'] == 'data']
    assert len(data) == 1 and data[0]['samples_per_s'] > 0
    summary = report['summary']
    assert math.isfinite(summary['framework_overhead_training_fp32'])
    assert summary['data_vs_training'] > 0
    assert 'samples/s' in proc.stdout and str(out) in proc.stdout
