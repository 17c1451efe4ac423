"""What the tools share (ceph_landmarks.cli): how they end on bad input,
the options that name a model and ``--data-root``."""
import argparse
import json
import subprocess
import sys

import pytest
from mmengine.config import Config
from torch.utils.data import DataLoader, Dataset

from ceph_landmarks.cli import (add_cascade_arguments, add_data_root_argument,
                                check_cascade_arguments, check_output_file,
                                run_tool, set_data_root)
from ceph_landmarks.core.conversion import ImageReadError
from ceph_landmarks.core.input_errors import (exit_on_input_error,
                                              user_error_message)
from ceph_landmarks.models.checkpoint_loader import CheckpointError
from helpers import REPO_ROOT


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


def test_run_tool_takes_a_returned_result_for_success():
    """A converter's main returns its result (for the tests): status 0."""
    for result in (None, 0, object(), dict(images=3)):
        with pytest.raises(SystemExit) as info:
            run_tool(lambda: result)
        assert info.value.code == 0


def test_run_tool_runs_main_with_the_package_checkpoint_loader():
    from mmengine.runner.checkpoint import CheckpointLoader

    from ceph_landmarks.models.checkpoint_loader import load_local_checkpoint
    seen = []
    with pytest.raises(SystemExit):
        run_tool(lambda: seen.append(CheckpointLoader._schemes.get('')))
    assert seen == [load_local_checkpoint]
    assert CheckpointLoader._schemes.get('') is not load_local_checkpoint


def test_exit_on_input_error_inside_a_main():
    with pytest.raises(SystemExit) as info:
        with exit_on_input_error():
            raise FileNotFoundError('a.json: no such file')
    assert info.value.code == 'error: a.json: no such file'
    with pytest.raises(KeyError):
        with exit_on_input_error():
            raise KeyError('a bug')


def test_the_shared_modules_import_no_torch():
    """The converters end through run_tool: ceph_landmarks.cli (and the
    converters) import where torch and OpenMMLab cannot."""
    code = """
import importlib, json, sys

class Block:
    def find_spec(self, name, path=None, target=None):
        if name.split('.')[0] in ('torch', 'mmengine', 'mmcv', 'mmpose'):
            raise ModuleNotFoundError(f'{name} is blocked', name=name)

sys.meta_path.insert(0, Block())
import ceph_landmarks.cli
import ceph_landmarks.cli.cfg_options
import data_converters.labelme
print(json.dumps(sorted(sys.modules)))
"""
    out = subprocess.run([sys.executable, '-c', code],
                         cwd=REPO_ROOT,
                         capture_output=True,
                         text=True)
    assert out.returncode == 0, out.stderr[-3000:]
    modules = json.loads(out.stdout.splitlines()[-1])
    assert 'torch' not in modules


def _model_parser():
    parser = argparse.ArgumentParser(prog='tool')
    add_cascade_arguments(parser)
    return parser


def test_cascade_arguments_are_the_predictor_keywords():
    args = _model_parser().parse_args([
        '--checkpoints', 'a.pth', 'b.pth', '--refine-config', 'r.py',
        '--refine-checkpoints', 'r.pth', '--ensemble', 'points', '--flip-test'
    ])
    assert vars(args) == dict(
        checkpoints=['a.pth', 'b.pth'],
        refine_config='r.py',
        refine_checkpoints=['r.pth'],
        ensemble='points',
        flip_test=True)
    args = _model_parser().parse_args(['--checkpoints', 'a.pth'])
    assert (args.refine_config, args.refine_checkpoints, args.ensemble,
            args.flip_test) == (None, None, 'heatmap', False)


@pytest.mark.parametrize('argv, message', [
    ([], 'the following arguments are required: --checkpoints'),
    (['--checkpoints', 'a.pth', '--refine-config', 'r.py'
      ], '--refine-config and --refine-checkpoints go together'),
    (['--checkpoints', 'a.pth', '--refine-checkpoints', 'r.pth'
      ], '--refine-config and --refine-checkpoints go together'),
    (['--checkpoints', 'a.pth', '--ensemble', 'median'
      ], "argument --ensemble: invalid choice: 'median'"),
])
def test_cascade_arguments_refused(capsys, argv, message):
    parser = _model_parser()
    with pytest.raises(SystemExit) as info:
        check_cascade_arguments(parser, parser.parse_args(argv))
    assert info.value.code == 2
    assert message in capsys.readouterr().err


def test_set_data_root_sets_every_dataloader_there_is():
    cfg = Config(
        dict(
            train_dataloader=dict(dataset=dict(data_root='x/', ann_file='a')),
            val_dataloader=None,
            test_dataloader=dict(dataset=dict(data_root='y/'))))
    assert set_data_root(
        cfg, 'data/mine') == ['train_dataloader', 'test_dataloader']
    assert cfg.train_dataloader.dataset.data_root == 'data/mine/'
    assert cfg.train_dataloader.dataset.ann_file == 'a'
    assert cfg.test_dataloader.dataset.data_root == 'data/mine/'
    assert cfg.val_dataloader is None
    assert 'val_dataloader' not in set_data_root(
        Config(dict(train_dataloader=dict(dataset=dict()))), 'd/')
    with pytest.raises(
            ValueError,
            match='--data-root d/: the config has '
            'none of the dataloaders'):
        set_data_root(Config(dict(model=dict())), 'd')


def test_data_root_option():
    parser = argparse.ArgumentParser()
    add_data_root_argument(parser)
    assert parser.parse_args([]).data_root is None
    assert parser.parse_args(['--data-root', 'd']).data_root == 'd'


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
