"""The tools refuse to replace earlier checkpoints without --overwrite, and
refuse an input size the network cannot take, naming the option."""
import glob
import os.path as osp

import pytest
import torch
from mmengine.config import Config

from ceph_landmarks.cli import config_overrides as co
from ceph_landmarks.models import load_local_checkpoint
from helpers import TINY_CONFIG, assert_one_error_line, data_options, run_tool


def test_image_size_must_fit_the_hrnet_stride():
    cfg = Config.fromfile(TINY_CONFIG)
    assert co.network_stride(cfg) == 32  # stem 4 x 2**3 for 4 branches
    with pytest.raises(
            ValueError,
            match=r'image size 100 x 100 does not fit the network: '
            r'HRNet needs both sides divisible by 32, e.g. 96 x '
            r'96'):
        co.set_image_size(cfg, 100, 100)  # divisible by the heatmap stride 4
    assert cfg.codec.input_size == (64, 64)  # unchanged after the refusal
    assert co.set_image_size(cfg, 96, 128) > 0


@pytest.mark.slow
def test_train_tool_names_the_image_size_option(tiny_data, tmp_path):
    proc = run_tool(
        'train.py',
        TINY_CONFIG,
        '--work-dir',
        str(tmp_path),
        '--image-size',
        '100',
        '68',
        *data_options(tiny_data),
        check=False)
    assert_one_error_line(
        proc, '--image-size 100 68: image size 100 x 68 does not fit the '
        'network: HRNet needs both sides divisible by 32, e.g. 96 x 64')
    assert not glob.glob(str(tmp_path / '*.pth'))


def _earlier_run(work_dir):
    files = {'epoch_2.pth': b'epoch 2', 'best_ceph_MRE_epoch_1.pth': b'best'}
    for name, data in files.items():
        (work_dir / name).write_bytes(data)
    (work_dir / 'last_checkpoint').write_text(str(work_dir / 'epoch_2.pth'))
    return files


@pytest.mark.slow
def test_train_refuses_a_work_dir_with_checkpoints(tiny_data, tmp_path):
    files = _earlier_run(tmp_path)
    proc = run_tool(
        'train.py',
        TINY_CONFIG,
        '--work-dir',
        str(tmp_path),
        *data_options(tiny_data),
        check=False)
    assert_one_error_line(
        proc, f'work dir {tmp_path} already holds checkpoints of an earlier '
        'run (best_ceph_MRE_epoch_1.pth, epoch_2.pth, last_checkpoint); '
        'pass --resume')
    for name, data in files.items():
        assert (tmp_path / name).read_bytes() == data
    proc = run_tool(
        'train.py',
        TINY_CONFIG,
        '--work-dir',
        str(tmp_path),
        '--resume',
        '--overwrite',
        check=False)
    assert proc.returncode == 2 and 'not allowed with argument' in \
        proc.stderr


@pytest.mark.slow
def test_train_overwrite_moves_the_earlier_checkpoints_aside(
        tiny_data, tmp_path):
    files = _earlier_run(tmp_path)
    run_tool('train.py', TINY_CONFIG, '--work-dir', str(tmp_path),
             '--overwrite', *data_options(tiny_data), 'train_cfg.max_epochs=1')
    aside, = glob.glob(str(tmp_path / 'checkpoints_before_*'))
    for name, data in files.items():
        with open(osp.join(aside, name), 'rb') as f:
            assert f.read() == data
    assert osp.isfile(osp.join(aside, 'last_checkpoint'))
    # the new run's files only, and the new last_checkpoint points there
    assert sorted(osp.basename(p)
                  for p in glob.glob(str(tmp_path / '*.pth'))) == [
                      'best_ceph_MRE_epoch_1.pth', 'epoch_1.pth'
                  ]
    assert load_local_checkpoint(str(tmp_path /
                                     'epoch_1.pth'))['meta']['epoch'] == 1
    assert (tmp_path / 'last_checkpoint').read_text().endswith('epoch_1.pth')


@pytest.mark.slow
@pytest.mark.parametrize('tool', ['extend_checkpoint.py', 'export_weights.py'])
def test_checkpoint_tools_refuse_to_replace_files(tool, tmp_path):
    src, out = tmp_path / 'src.pth', tmp_path / 'out.pth'
    torch.save({'state_dict': {'w': torch.zeros(1)}, 'meta': {}}, src)
    out.write_bytes(b'earlier')
    extra = (['--src-landmarks', 'isbi2015', '--dst-landmarks', 'isbi2015']
             if tool == 'extend_checkpoint.py' else [])
    proc = run_tool(tool, str(src), *extra, '--out', str(out), check=False)
    assert_one_error_line(
        proc, f'--out {out} already exists; pass --overwrite to replace it')
    assert out.read_bytes() == b'earlier'
    proc = run_tool(
        tool, str(src), *extra, '--out', str(src), '--overwrite', check=False)
    assert_one_error_line(proc, f'--out {src} is the input file')
