"""An empty, truncated or missing checkpoint: one message naming the file,
from the loader, the predictor and the tools (exit status 1, no
traceback)."""
import pytest
import torch

from ceph_landmarks.engine.checkpoint_loader import (CheckpointError,
                                                     CheckpointNotFoundError,
                                                     load_local_checkpoint)
from helpers import TINY_CONFIG, assert_one_error_line, data_options, run_tool


@pytest.fixture
def empty(tmp_path):
    path = tmp_path / 'empty.pth'
    path.write_bytes(b'')
    return str(path)


@pytest.fixture
def truncated(tmp_path):
    path = tmp_path / 'truncated.pth'
    torch.save({'state_dict': {'w': torch.zeros(1000)}, 'meta': {}}, path)
    data = path.read_bytes()
    path.write_bytes(data[:len(data) // 2])
    return str(path)


def test_loader_names_the_file_and_the_defect(empty, truncated, tmp_path):
    with pytest.raises(
            CheckpointError,
            match=r'empty.pth: not a readable checkpoint \(the '
            r'file is empty, 0 bytes\)'):
        load_local_checkpoint(empty)
    with pytest.raises(
            CheckpointError,
            match=r'truncated.pth: not a readable checkpoint '
            r'\(truncated or damaged: '):
        load_local_checkpoint(truncated)
    text = tmp_path / 'notes.pth'
    text.write_text('not a checkpoint\n')
    with pytest.raises(
            CheckpointError, match='notes.pth: not a readable checkpoint'):
        load_local_checkpoint(str(text))
    with pytest.raises(FileNotFoundError, match='nowhere.pth'):
        load_local_checkpoint(str(tmp_path / 'nowhere.pth'))
    assert issubclass(CheckpointNotFoundError, CheckpointError)


def test_predictor_refuses_a_truncated_checkpoint(truncated):
    from ceph_landmarks.apis import LandmarkPredictor
    with pytest.raises(
            CheckpointError, match='truncated.pth: not a readable checkpoint'):
        LandmarkPredictor(TINY_CONFIG, truncated)


@pytest.mark.slow
def test_test_tool_reports_an_empty_checkpoint(empty, tiny_data, tmp_path):
    proc = run_tool(
        'test.py',
        TINY_CONFIG,
        empty,
        '--work-dir',
        str(tmp_path / 'work'),
        *data_options(tiny_data),
        check=False)
    assert_one_error_line(
        proc, f'{empty}: not a readable checkpoint (the file is empty, '
        '0 bytes)')


@pytest.mark.slow
def test_extend_tool_reports_a_truncated_checkpoint(truncated, tmp_path):
    proc = run_tool(
        'extend_checkpoint.py',
        truncated,
        '--src-landmarks',
        'isbi2015',
        '--dst-landmarks',
        'isbi2015_p1p2',
        '--out',
        str(tmp_path / 'out.pth'),
        check=False)
    assert_one_error_line(
        proc, f'{truncated}: not a readable checkpoint (truncated')
    assert not (tmp_path / 'out.pth').exists()
