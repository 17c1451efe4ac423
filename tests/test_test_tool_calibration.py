"""``tools/test.py`` with a calibration: which one it takes (in process,
:func:`set_calibration`), and end to end (subprocesses, slow) that it
reports the coverage of the error radii or refuses the file."""
import argparse
import json
import shutil

import pytest
from mmengine.config import Config
from test_evaluation.test_radius_coverage import write_calibration

from ceph_landmarks.core.metainfo import landmark_names
from helpers import (TINY_CONFIG, assert_one_error_line, data_options,
                     load_tool, run_tool)

NAMES = landmark_names('isbi2015')
COVERAGE_KEYS = {
    'ceph/coverage', 'ceph/min_landmark_coverage', 'ceph/mean_radius_mm'
}


@pytest.fixture(scope='module')
def tool_module():
    return load_tool('test.py')


@pytest.fixture
def model_dir(untrained_checkpoint, tmp_path):
    """A model folder: the untrained tiny checkpoint, no calibration."""
    folder = tmp_path / 'model'
    folder.mkdir()
    shutil.copy(untrained_checkpoint, folder / 'model.pth')
    return folder


def _args(model_dir, calibration='auto', refine_config=None):
    return argparse.Namespace(
        config=TINY_CONFIG,
        checkpoints=[str(model_dir / 'model.pth')],
        refine_config=refine_config,
        calibration=calibration)


def _calibrations(cfg):
    return [e.get('calibration') for e in cfg.test_evaluator]


def test_calibration_beside_the_model_reaches_the_test_metric(
        tool_module, model_dir, tmp_path):
    cfg = Config.fromfile(TINY_CONFIG)
    assert tool_module.set_calibration(cfg, _args(model_dir)) is None
    assert _calibrations(cfg) == [None, None]  # nothing found, unchanged

    path = write_calibration(model_dir / 'calibration.json', [2.0] * 19, NAMES)
    assert tool_module.set_calibration(cfg, _args(model_dir)) == path
    # the CephalometricMetric only, not the measurement metric
    assert _calibrations(cfg) == [path, None]
    assert 'calibration' not in cfg.val_evaluator

    cfg = Config.fromfile(TINY_CONFIG)
    assert tool_module.set_calibration(cfg, _args(model_dir, None)) is None
    assert _calibrations(cfg) == [None, None]

    other = write_calibration(tmp_path / 'given.json', [1.0] * 19, NAMES)
    assert tool_module.set_calibration(cfg, _args(model_dir, other)) == other


def test_calibration_needing_a_refinement_stage_is_refused(
        tool_module, model_dir):
    path = write_calibration(
        model_dir / 'calibration.json', [2.0] * 19,
        NAMES,
        difficulty='refine_shift_mm',
        scale=[1.0] * 19)
    cfg = Config.fromfile(TINY_CONFIG)
    with pytest.raises(ValueError, match=f'{path}: .*refine_shift_mm'):
        tool_module.set_calibration(cfg, _args(model_dir))


@pytest.mark.slow
def test_test_tool_reports_coverage_with_a_calibration(model_dir, tiny_data,
                                                       tmp_path):
    path = write_calibration(model_dir / 'calibration.json', [1e-6] * 19,
                             NAMES)
    common = [
        TINY_CONFIG, '--checkpoints',
        str(model_dir / 'model.pth'), *data_options(tiny_data)
    ]
    out = tmp_path / 'metrics.json'
    run_tool('test.py', *common, '--work-dir', str(tmp_path / 'a'), '--out',
             str(out))
    metrics = json.loads(out.read_text())
    assert set(metrics) >= COVERAGE_KEYS
    # radii of 1e-6 mm hold for no point
    assert metrics['ceph/coverage'] == 0.0
    assert metrics['ceph/min_landmark_coverage'] == 0.0
    assert metrics['ceph/mean_radius_mm'] == pytest.approx(1e-6)
    tables = list((tmp_path / 'a').glob('*/per_landmark_errors.csv'))
    assert len(tables) == 1
    header = tables[0].read_text().splitlines()[0].split(',')
    assert header[-2:] == ['coverage', 'mean_radius_mm']

    huge = write_calibration(tmp_path / 'huge.json', [1e6] * 19, NAMES)
    run_tool('test.py', *common, '--work-dir', str(tmp_path / 'b'), '--out',
             str(out), '--calibration', huge)
    metrics = json.loads(out.read_text())
    assert metrics['ceph/coverage'] == 1.0
    assert metrics['ceph/min_landmark_coverage'] == 1.0

    proc = run_tool('test.py', *common, '--work-dir', str(tmp_path / 'c'),
                    '--out', str(out), '--no-calibration')
    metrics = json.loads(out.read_text())
    assert 'ceph/MRE' in metrics and not COVERAGE_KEYS & set(metrics)
    assert 'no calibration' in proc.stdout + proc.stderr
    assert path  # still beside the model: --no-calibration wins


@pytest.mark.slow
def test_test_tool_refuses_a_calibration_of_other_landmarks(
        model_dir, tiny_data, tmp_path):
    path = write_calibration(tmp_path / 'other.json', [1.0] * 19,
                             [f'p{k}' for k in range(19)])
    proc = run_tool(
        'test.py',
        TINY_CONFIG,
        '--checkpoints',
        str(model_dir / 'model.pth'),
        '--work-dir',
        str(tmp_path / 'work'),
        '--calibration',
        path,
        *data_options(tiny_data),
        check=False)
    assert_one_error_line(proc, f'{path}: a calibration of other landmarks')
    assert 'Epoch(test)' not in proc.stdout + proc.stderr  # never ran
