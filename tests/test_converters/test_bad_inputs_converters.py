"""Bad inputs end in one message naming the file, never a traceback.

Covers a truncated CL-Detection stack, a labels file that is not JSON, an
image over Pillow's decompression-bomb limit, the permissions of the
converted files and the partial folder a killed conversion leaves.
"""
import json
import logging
import multiprocessing
import os
import os.path as osp
import signal
import stat

import numpy as np
import pytest
from mmengine.logging import MMLogger
from PIL import Image

from ceph_landmarks.core.conversion import (ImageReadError, StagedOutputDir,
                                            decode_image, read_image)
from data_converters import cldetection2023 as cl_cli
from data_converters import isbi2015 as isbi_cli
from helpers import grey_image, load_defects, random_points, save_image

# the CL-Detection 2023 converter's reader; left out of the offline bundle
sitk = pytest.importorskip('SimpleITK', reason='SimpleITK is not installed')

STACK_HW = (40, 50)  # H x W of every image of the tiny stack


@pytest.fixture
def stack_data(tmp_path):
    """A 3-image uncompressed RGB ``.mha`` stack and its labels JSON."""
    stack = np.zeros((3, *STACK_HW, 3), np.uint8)
    labels = []
    for i in range(3):
        stack[i] = grey_image(STACK_HW[1], STACK_HW[0], seed=i)[..., None]
        for k, (x, y) in enumerate(random_points(38, *STACK_HW[::-1], i)):
            labels.append(
                dict(
                    name=str(k + 1),
                    point=[round(x), round(y), i + 1],
                    scale='0.1'))
    stack_path = tmp_path / 'train_stack.mha'
    sitk.WriteImage(
        sitk.GetImageFromArray(stack, isVector=True), str(stack_path))
    labels_path = tmp_path / 'train-gt.json'
    labels_path.write_text(json.dumps(dict(points=labels)))
    return stack_path, labels_path


def run_cl(stack_data, out, *extra):
    stack, labels = stack_data
    return cl_cli.main([
        '--stack',
        str(stack), '--labels',
        str(labels), '--out',
        str(out), '--val-ratio', '0.34', '--test-ratio', '0.33', *extra
    ])


def test_truncated_stack_names_the_file(stack_data, tmp_path):
    stack = stack_data[0]
    data = stack.read_bytes()
    slice_bytes = STACK_HW[0] * STACK_HW[1] * 3
    stack.write_bytes(data[:len(data) - slice_bytes - slice_bytes // 2])
    with pytest.raises(
            SystemExit,
            match=r'train_stack\.mha\[image 2\]: the '
            r'file is truncated: it holds 9000 of the 18000 bytes '
            r'of pixel data its 50 x 40 x 3 header announces: '
            r'images 2 to 3 are cut short or missing'):
        run_cl(stack_data, tmp_path / 'out')
    assert not osp.exists(tmp_path / 'out')
    result = run_cl(stack_data, tmp_path / 'out', '--skip-invalid')
    assert result.skipped == ['002', '003'] and result.num_images == 1
    assert [(d['file'], d['kind']) for d in load_defects(result.out_dir)
            ] == [('train_stack.mha[image 2]', 'unreadable_image'),
                  ('train_stack.mha[image 3]', 'unreadable_image')]


def test_labels_not_json_names_the_file(stack_data, tmp_path):
    labels = stack_data[1]
    labels.write_text('points: [1, 2, 3]\n')  # YAML, not JSON
    with pytest.raises(
            SystemExit,
            match=r'train-gt\.json: not a JSON file '
            r'\(Expecting value: line 1 column 1'):
        run_cl(stack_data, tmp_path / 'out')
    labels.write_bytes(b'\xff\xfe\x00binary')
    with pytest.raises(SystemExit, match=r'train-gt\.json: not a JSON file'):
        run_cl(stack_data, tmp_path / 'out')


# -- decompression bombs ----------------------------------------------------

ISBI_W, ISBI_H = 50, 70
BIG = 2  # 001.bmp is BIG times wider and taller than the other images


def write_isbi(base):
    """The ISBI 2015 layout with three images; ``001`` is the large one."""
    for i, (folder, stem) in enumerate([('TrainingData', '001'),
                                        ('Test1Data', '151'),
                                        ('Test2Data', '301')]):
        scale = BIG if stem == '001' else 1
        save_image(
            str(base / 'RawImage' / folder / f'{stem}.bmp'),
            grey_image(ISBI_W * scale, ISBI_H * scale, seed=i),
            fmt='BMP')
        pts = np.round(random_points(19, ISBI_W - 4, ISBI_H - 4, seed=i))
        for doctor in ('400_senior', '400_junior'):
            path = base / 'AnnotationsByMD' / doctor / f'{stem}.txt'
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text('\n'.join(f'{int(x)},{int(y)}'
                                      for x, y in pts) + '\n')
    return base


# Pillow warns above MAX_IMAGE_PIXELS and refuses above twice that
BOMB_LIMITS = {
    'error': ISBI_W * ISBI_H * BIG**2 // 2 - 1,
    'warning': ISBI_W * ISBI_H * BIG**2 - 1
}


@pytest.mark.parametrize('level', ['error', 'warning'])
def test_decompression_bomb_names_the_file(level, tmp_path, monkeypatch):
    monkeypatch.setattr(Image, 'MAX_IMAGE_PIXELS', BOMB_LIMITS[level])
    small = save_image(str(tmp_path / 'small.png'), grey_image(ISBI_W, ISBI_H))
    assert read_image(small).width == ISBI_W  # under the limit: read
    big = save_image(
        str(tmp_path / 'big.png'), grey_image(ISBI_W * BIG, ISBI_H * BIG))
    with pytest.raises(
            ImageReadError,
            match=r'big\.png: cannot read image: '
            r'too many pixels to decode safely \(Image size '
            r'\(14000 pixels\) exceeds limit of \d+ pixels.*If '
            r'you trust it, raise PIL.Image.MAX_IMAGE_PIXELS'):
        read_image(big)
    with pytest.raises(ImageReadError, match=r'<bytes>: .* too many pixels'):
        decode_image(open(big, 'rb').read(), '<bytes>')

    root = write_isbi(tmp_path / 'ISBI2015')
    with pytest.raises(
            SystemExit,
            match=r'RawImage/TrainingData/001\.bmp: '
            r'too many pixels to decode safely'):
        isbi_cli.main(['--root', str(root), '--out', str(tmp_path / 'o1')])
    assert not osp.exists(tmp_path / 'o1')
    result = isbi_cli.main(
        ['--root',
         str(root), '--out',
         str(tmp_path / 'o2'), '--skip-invalid'])
    assert result.skipped == ['001'] and result.num_images == 2
    assert [(d['kind'], d['action']) for d in load_defects(result.out_dir)
            ] == [('unreadable_image', 'image skipped')]


# -- permissions of the output ----------------------------------------------


@pytest.mark.skipif(os.name != 'posix', reason='POSIX permissions')
@pytest.mark.parametrize('umask', [0o022, 0o002, 0o027])
def test_output_permissions_follow_the_umask(umask, stack_data, tmp_path):
    old = os.umask(umask)
    try:
        out = tmp_path / 'out'
        run_cl(stack_data, out)
    finally:
        os.umask(old)
    modes = {}
    for folder, dirs, files in os.walk(out):
        for name in [''] + dirs + files:
            path = osp.join(folder, name)
            modes[osp.relpath(path, out)] = stat.S_IMODE(os.stat(path).st_mode)
    assert {
        '.', 'images', 'annotations', 'defects.json', 'annotations/train.json',
        'images/001.png'
    } <= set(modes)
    expected_dir, expected_file = 0o777 & ~umask, 0o666 & ~umask
    wrong = {
        path: oct(mode)
        for path, mode in modes.items()
        if mode != (expected_dir if osp.isdir(out / path) else expected_file)
    }
    assert not wrong, (f'umask {oct(umask)}: expected dirs '
                       f'{oct(expected_dir)}, files {oct(expected_file)}')


# -- partial folder of a killed conversion ----------------------------------


class _Records(logging.Handler):
    """Collects the messages logged to the current MMLogger."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.messages = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


@pytest.fixture
def logged():
    logger = MMLogger.get_instance('test_bad_inputs_converters')
    records = _Records()
    logger.addHandler(records)
    yield records.messages
    logger.removeHandler(records)


def _killed_conversion(out: str) -> None:
    """Start writing ``out``, then die by SIGKILL (no clean-up runs)."""
    root = StagedOutputDir(out).__enter__()
    open(osp.join(root, 'defects.json'), 'w').write('{"half": ')
    os.kill(os.getpid(), signal.SIGKILL)


def partial_folders(parent):
    return sorted(n for n in os.listdir(parent) if '.partial-' in n)


@pytest.mark.skipif(os.name != 'posix', reason='SIGKILL and fork')
def test_killed_conversion_partial_folder_is_cleaned(stack_data, tmp_path,
                                                     logged):
    out = tmp_path / 'out'
    in_use = StagedOutputDir(str(out))
    in_use_root = in_use.__enter__()  # of this process: still running
    child = multiprocessing.get_context('fork').Process(
        target=_killed_conversion, args=(str(out), ))
    child.start()
    child.join()
    assert child.exitcode == -signal.SIGKILL
    stale = set(partial_folders(tmp_path)) - {osp.basename(in_use_root)}
    assert len(stale) == 1 and not osp.exists(out)
    stale = stale.pop()
    # look-alikes that the converter did not make, or that are in use
    (tmp_path / '.out.partial-abc123').mkdir()  # no owner process in name
    (tmp_path / '.out.partial-notes.txt').write_text('mine')
    (tmp_path / '.other.partial-x').mkdir()  # another output folder
    logged.clear()

    run_cl(stack_data, out)
    assert osp.isfile(out / 'defects.json')
    assert not osp.exists(tmp_path / stale)
    assert partial_folders(tmp_path) == sorted([
        '.out.partial-abc123', '.out.partial-notes.txt', '.other.partial-x',
        osp.basename(in_use_root)
    ])
    text = '\n'.join(logged)
    assert f'removed {tmp_path / stale}' in text
    for kept in ('.out.partial-abc123', '.out.partial-notes.txt',
                 osp.basename(in_use_root)):
        assert f'{tmp_path / kept}' in text
    assert '.other.partial-x' not in text
    in_use.__exit__(RuntimeError, RuntimeError('stop'), None)


def test_output_that_cannot_be_moved_is_kept_visibly(tmp_path):
    out = tmp_path / 'out'
    with pytest.raises(
            FileExistsError,
            match=r'cannot move the finished '
            r'output to .*out \(output directory .* is not empty'
            r'.*\); it is kept in .*out\.finished-[0-9a-f]{8}$'):
        with StagedOutputDir(str(out)) as root:
            open(osp.join(root, 'defects.json'), 'w').write('{}')
            out.mkdir()  # meanwhile, something else writes to OUT
            (out / 'theirs.txt').write_text('not ours')
    kept = [n for n in os.listdir(tmp_path) if n.startswith('out.finished-')]
    assert len(kept) == 1 and os.listdir(
        tmp_path / kept[0]) == ['defects.json']
    assert not partial_folders(tmp_path)  # not a candidate for clean-up
    assert os.listdir(out) == ['theirs.txt']
