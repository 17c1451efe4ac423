"""``tools/gpu_check.sh``: the step runner (fast, with stand-in steps) and
the whole check in its ``--cpu-smoke`` mode (slow)."""
import json
import os.path as osp
import subprocess

import pytest

from helpers import REPO_ROOT, load_tool

gpu_check = load_tool('gpu_check.py')


def make_check(tmp_path, budget_s=100.0):
    return gpu_check.Check(
        out=str(tmp_path / 'out'),
        cpu_smoke=True,
        bundle=str(tmp_path / 'no_bundle'),
        data=str(tmp_path / 'no_data'),
        budget_s=budget_s,
        work=str(tmp_path / 'work'))


def read_summary(check):
    with open(osp.join(check.out, 'gpu_check.json')) as f:
        return json.load(f)


def test_steps_run_in_order_and_the_json_is_rewritten_after_each(
        tmp_path, monkeypatch):
    seen = {}

    def first(check, timeout):
        return dict(value=1)

    def broken(check, timeout):
        seen['first_in_json'] = read_summary(check)['first']['status']
        raise ValueError('boom')

    def slow(check, timeout):
        return check.sh(['sleep', '5'], 0.5)

    def never(check, timeout):  # needs 'broken'
        raise AssertionError('must be skipped')

    def huge(check, timeout):  # min_s over the budget
        raise AssertionError('must be skipped')

    monkeypatch.setattr(gpu_check, 'STEPS', [
        gpu_check.Step('first', 10, first, min_s=0),
        gpu_check.Step('broken', 10, broken, min_s=0),
        gpu_check.Step('slow', 10, slow, min_s=0),
        gpu_check.Step('never', 10, never, min_s=0),
        gpu_check.Step('huge', 10, huge, min_s=1000),
    ])
    monkeypatch.setattr(gpu_check, 'NEEDS', dict(never=['broken']))
    check = make_check(tmp_path)
    assert gpu_check.run_check(check) == 4
    summary = read_summary(check)
    assert seen['first_in_json'] == 'ok'
    assert summary['first'] == dict(
        status='ok', result=dict(value=1), seconds=summary['first']['seconds'])
    assert summary['broken']['status'] == 'failed'
    assert summary['broken']['error'] == 'ValueError: boom'
    assert summary['slow']['status'] == 'timeout'
    assert summary['never'] == dict(status='skipped', reason='needs broken')
    assert summary['huge']['status'] == 'skipped'
    assert summary['huge']['reason'].startswith('time budget')
    assert '$ sleep 5' in open(check.log_path).read()


def test_skipped_steps_count_as_met_needs(tmp_path, monkeypatch):
    ran = []
    monkeypatch.setattr(gpu_check, 'STEPS', [
        gpu_check.Step(
            name, 10, lambda check, t, n=name: ran.append(n), min_s=0)
        for name in ('install', 'bench', 'train')
    ])
    monkeypatch.setattr(gpu_check, 'NEEDS', dict(train=['install']))
    check = make_check(tmp_path)
    check.skip = ('install', 'bench')
    assert gpu_check.run_check(check) == 0
    assert ran == ['train']
    summary = read_summary(check)
    assert summary['bench']['reason'] == 'not asked for (--skip)'
    assert summary['train']['status'] == 'ok'


def test_step_limits_from_the_command_line():
    assert gpu_check.step_limits(['install=1500', 'matmul=5']) == dict(
        install=1500.0, matmul=5.0)
    with pytest.raises(SystemExit, match="no step 'instal'"):
        gpu_check.step_limits(['instal=10'])
    with pytest.raises(SystemExit, match='not STEP=SECONDS'):
        gpu_check.step_limits(['install=soon'])
    for bad in ('-5', '0', 'nan', 'inf'):
        with pytest.raises(
                SystemExit,
                match=f'error: --limit install={bad}: expected a positive '
                'number of seconds'):
            gpu_check.step_limits([f'install={bad}'])


@pytest.mark.parametrize('where', ['out', 'work'])
def test_an_output_folder_that_cannot_be_made_is_named(tmp_path, monkeypatch,
                                                       where):
    monkeypatch.setattr(gpu_check, 'run_check', lambda check: 1 / 0)
    blocker = tmp_path / 'file.txt'
    blocker.write_text('x')
    folders = dict(out=str(tmp_path / 'out'), work=str(tmp_path / 'work'))
    folders[where] = str(blocker)
    option = 'OUT_DIR' if where == 'out' else '--work-dir'
    with pytest.raises(SystemExit) as info:
        gpu_check.main([folders['out'], '--work-dir', folders['work']])
    assert str(info.value.code) == (f'error: {option} {blocker}: cannot '
                                    'write (it is a file, not a folder)')
    folders[where] = str(blocker / 'sub')
    with pytest.raises(
            SystemExit, match=f'error: {option} .*sub: cannot '
            'write'):
        gpu_check.main([folders['out'], '--work-dir', folders['work']])
    assert blocker.read_text() == 'x'


def test_the_budget_must_be_positive(tmp_path):
    with pytest.raises(
            SystemExit, match='--budget-s -1.0: expected a '
            'positive'):
        gpu_check.main([str(tmp_path / 'out'), '--budget-s', '-1'])


def test_a_step_cut_short_keeps_what_it_measured(tmp_path, monkeypatch):

    def cut(check, timeout):
        raise gpu_check.PartialResult(
            subprocess.TimeoutExpired(['benchmark'], 1), dict(rows=[1]))

    monkeypatch.setattr(gpu_check, 'STEPS',
                        [gpu_check.Step('cut', 10, cut, min_s=0)])
    monkeypatch.setattr(gpu_check, 'NEEDS', {})
    check = make_check(tmp_path)
    assert gpu_check.run_check(check) == 1
    entry = read_summary(check)['cut']
    assert entry['status'] == 'timeout'
    assert entry['result'] == dict(rows=[1])
    assert entry['error'].startswith('TimeoutExpired')


def test_a_failing_command_reports_its_exit_status_and_output(tmp_path):
    check = make_check(tmp_path)
    gpu_check.os.makedirs(check.out)
    with pytest.raises(RuntimeError, match=r'exit 3: oops'):
        check.sh(['bash', '-c', 'echo oops; exit 3'], 10)


def test_dataset_options_give_the_data_root_then_cfg_options(tmp_path):
    check = make_check(tmp_path)
    opts = gpu_check._dataset_options(check, head_channels=True)
    assert opts[:3] == [
        '--data-root',
        str(tmp_path / 'work' / 'data' / 'hamedan') + '/', '--cfg-options'
    ]
    assert not any('data_root' in o for o in opts[3:])
    assert 'val_dataloader.dataset.ann_file=annotations/val.json' in opts
    assert opts[-1] == 'model.head.out_channels=19'


@pytest.mark.slow
def test_environment_snippet_reports_mmengine_facts_and_the_rest(tmp_path):
    check = make_check(tmp_path)
    gpu_check.os.makedirs(check.out)
    info = gpu_check.step_environment(check, 120)
    # from mmengine's collect_env
    assert {'Python', 'PyTorch', 'MMEngine', 'CUDA available', 'GCC'} <= \
        set(info)
    assert 'PyTorch compiling details' not in info
    # what it lacks
    assert {
        'cuda', 'cudnn', 'cpu_count', 'machine', 'mmcv', 'mmpose',
        'ceph_landmarks'
    } <= set(info)


def test_training_figures_from_mmengine_scalars():
    scalars = [
        dict(loss=1.0, time=9.0, epoch=1, step=1),  # first epoch: not timed
        dict(loss=0.5, time=0.2, epoch=2, step=2),
        dict(loss=0.4, time=0.4, epoch=2, step=3),
        dict(loss=0.3, time=0.25, epoch=2, step=4),
        {
            'ceph/MRE': 2.0,
            'ceph/SDR@2mm': 50.0,
            'time': 1.0,
            'step': 2
        },
        {
            'ceph/MRE': 1.5,
            'ceph/SDR@2mm': 70.0,
            'time': 1.0,
            'step': 4
        },
    ]
    figures = gpu_check.training_figures(scalars, batch_size=8)
    assert figures['samples_per_s'] == pytest.approx(8 / 0.25)
    assert figures['validations'] == 2
    assert figures['last'] == {'ceph/MRE': 1.5, 'ceph/SDR@2mm': 70.0}
    assert figures['best_MRE'] == 1.5


def test_result_line_takes_the_last_one():
    out = 'noise\nRESULT {"a": 1}\nRESULT {"a": 2}\n'
    assert gpu_check.result_line(out) == dict(a=2)
    with pytest.raises(RuntimeError, match='no RESULT'):
        gpu_check.result_line('nothing')


def test_the_shell_wrapper_needs_an_output_folder():
    proc = subprocess.run(['bash', 'tools/gpu_check.sh'],
                          cwd=REPO_ROOT,
                          capture_output=True,
                          text=True)
    assert proc.returncode == 2
    assert 'usage: bash tools/gpu_check.sh OUT_DIR' in proc.stderr


@pytest.mark.slow
def test_cpu_smoke_runs_every_step(tmp_path):
    """Every step of the GPU check passes on CPU with tiny sizes (the CUDA
    tests are collected and skipped)."""
    out = tmp_path / 'out'
    proc = subprocess.run([
        'bash', 'tools/gpu_check.sh',
        str(out), '--cpu-smoke', '--work-dir',
        str(tmp_path / 'work'), '--data',
        str(tmp_path / 'no_data'), '--budget-s', '900'
    ],
                          cwd=REPO_ROOT,
                          capture_output=True,
                          text=True,
                          timeout=1200)
    summary = json.loads((out / 'gpu_check.json').read_text())
    log = (out / 'gpu_check.log').read_text()
    statuses = {name: summary[name]['status'] for name in summary['steps']}
    assert proc.returncode == 0, (statuses, proc.stdout[-3000:], log[-5000:])
    assert set(statuses.values()) == {'ok'}
    assert summary['matmul']['result']['tflops'] > 0
    rows = summary['benchmark_w48_512']['result']['results']
    modes = {(r['mode'], r['runner']) for r in rows}
    assert {('training', 'framework'), ('training', 'bare'),
            ('inference', 'framework'), ('data', 'dataloader')} <= modes
    assert all(r['samples_per_s'] > 0 for r in rows if not r['error'])
    cuda = summary['cuda_tests']['result']
    assert cuda['tests'] > 0 and cuda['skipped'] == cuda['tests']
    train = summary['train_hamedan']['result']
    assert train['validations'] >= 1 and train['last']['ceph/MRE'] > 0
    assert summary['dist_train']['result']['checkpoints']
