"""An empty, truncated or missing checkpoint: one message naming the file,
from the loader, the predictor and the tools (exit status 1, no
traceback)."""
import pytest
import torch

from ceph_landmarks.models.checkpoint_loader import (CheckpointError,
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
        '--checkpoints',
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


def test_mmengine_keeps_its_own_loader_outside_the_tools(empty, tmp_path):
    """Importing the package leaves mmengine's local loader in place; the
    tools run inside package_checkpoint_loader, which names the file."""
    from mmengine.runner.checkpoint import (CheckpointLoader, _load_checkpoint,
                                            load_from_local)

    from ceph_landmarks.models.checkpoint_loader import \
        package_checkpoint_loader
    assert CheckpointLoader._get_checkpoint_loader(empty) is load_from_local
    with pytest.raises(Exception) as info:  # mmengine's: torch.load's error
        _load_checkpoint(empty)
    assert not isinstance(info.value, CheckpointError)
    with package_checkpoint_loader():
        assert CheckpointLoader._get_checkpoint_loader(empty) is \
            load_local_checkpoint
        # other schemes keep mmengine's loaders
        assert CheckpointLoader._get_checkpoint_loader(
            'http://host/x.pth') is not load_local_checkpoint
        with pytest.raises(CheckpointError, match='empty.pth: not a readable'):
            _load_checkpoint(empty)
    assert CheckpointLoader._get_checkpoint_loader(empty) is load_from_local
    with pytest.raises(KeyError):  # restored on an error too
        with package_checkpoint_loader():
            raise KeyError('stop')
    assert CheckpointLoader._get_checkpoint_loader(empty) is load_from_local


def test_model_loader_names_the_file_and_the_tensors(tmp_path):
    from ceph_landmarks.models.checkpoint_loader import load_model_checkpoint
    from helpers import build_tiny_model
    path = str(tmp_path / 'other.pth')
    torch.save({'state_dict': build_tiny_model(21).state_dict()}, path)
    # the head is compared first: its landmark count, not the tensors
    with pytest.raises(
            CheckpointError,
            match=r'other.pth: holds 21 landmarks, the config expects 19 '
            'landmarks'):
        load_model_checkpoint(build_tiny_model(19), path)
    partial = build_tiny_model(19).state_dict()
    partial.pop('backbone.conv1.weight')
    torch.save({'state_dict': partial}, path)
    with pytest.raises(
            CheckpointError,
            match=r'other.pth \(refinement stage\) does not fit the model: '
            r'.*missing keys in source state_dict: backbone.conv1.weight'):
        load_model_checkpoint(
            build_tiny_model(19), path, stage='refinement stage')
    # the 'module.' prefix of a wrapped model's keys is stripped
    source = build_tiny_model(19, seed=1)
    torch.save({
        'module.' + k: v
        for k, v in source.state_dict().items()
    }, path)
    model = build_tiny_model(19)
    load_model_checkpoint(model, path)
    torch.testing.assert_close(model.head.final_layer.weight,
                               source.head.final_layer.weight)
