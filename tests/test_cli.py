"""How tools end on bad input: ceph_landmarks.cli."""
import pytest
from torch.utils.data import DataLoader, Dataset

from ceph_landmarks.cli import check_output_file, run_tool, user_error_message
from ceph_landmarks.datasets.conversion import ImageReadError
from ceph_landmarks.engine.checkpoint_loader import CheckpointError


class _Failing(Dataset):

    def __init__(self, error: Exception) -> None:
        self.error = error

    def __len__(self) -> int:
        return 2

    def __getitem__(self, index):
        raise self.error


def _worker_error(error: Exception) -> Exception:
    """The exception a DataLoader worker's ``error`` becomes in the main
    process (torch re-raises it with the worker's traceback as text)."""
    loader = DataLoader(_Failing(error), num_workers=1)
    try:
        next(iter(loader))
    except Exception as err:
        # without its traceback the loader's iterator is freed here, and
        # its worker ends at once (held until teardown, it takes 5 s)
        return err.with_traceback(None)
    raise AssertionError('the DataLoader worker did not fail')


def test_input_errors_give_their_message():
    assert user_error_message(ValueError('a.json: no images')) == \
        'a.json: no images'
    assert user_error_message(FileNotFoundError('b.png: missing')) == \
        'b.png: missing'
    assert user_error_message(CheckpointError('c.pth: empty')) == \
        'c.pth: empty'
    assert user_error_message(KeyError('a bug')) is None
    assert user_error_message(RuntimeError('a bug')) is None


def test_registry_prefix_is_left_out():
    err = ValueError('class `LandmarkCascade` in ceph_landmarks/models/'
                     'landmark_cascade.py: a.pth: not a readable checkpoint')
    assert user_error_message(err) == 'a.pth: not a readable checkpoint'


def test_error_in_a_dataloader_worker_gives_the_original_message():
    err = _worker_error(ImageReadError('x/001.png', 'the file is empty'))
    assert 'Traceback' in str(err)  # what torch hands back
    assert user_error_message(err) == \
        'x/001.png: cannot read image: the file is empty'
    assert user_error_message(_worker_error(KeyError('bug'))) is None


def test_run_tool_exit_status_and_one_line(capsys, monkeypatch):
    with pytest.raises(SystemExit) as info:
        run_tool(lambda: 3)
    assert info.value.code == 3

    def bad_input():
        raise ValueError('ann.json: not a JSON file')

    with pytest.raises(SystemExit) as info:
        run_tool(bad_input)
    assert info.value.code == 'error: ann.json: not a JSON file'

    def bug():
        raise KeyError('missing key')

    with pytest.raises(KeyError):  # a bug keeps its traceback
        run_tool(bug)
    monkeypatch.setenv('CEPH_LANDMARKS_TRACEBACK', '1')
    with pytest.raises(ValueError):
        run_tool(bad_input)


def test_check_output_file(tmp_path):
    src, out = tmp_path / 'in.pth', tmp_path / 'out.pth'
    src.write_bytes(b'x')
    check_output_file(str(src), str(out), overwrite=False)  # new: fine
    out.write_bytes(b'y')
    with pytest.raises(
            FileExistsError,
            match='--out .*out.pth already '
            'exists; pass --overwrite'):
        check_output_file(str(src), str(out), overwrite=False)
    check_output_file(str(src), str(out), overwrite=True)
    with pytest.raises(FileExistsError, match='is the input file'):
        check_output_file(str(src), str(src), overwrite=True)
