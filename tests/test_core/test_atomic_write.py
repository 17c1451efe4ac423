"""``ceph_landmarks.core.writers.atomic_write``: an output checked before
the work, written whole or not at all, strict JSON."""
import json
import math
import os

import numpy as np
import pytest

from ceph_landmarks.core.writers.atomic_write import (atomic_write,
                                                      check_writable,
                                                      check_writable_dir,
                                                      strict_json, write_json)


def read_only_folder(tmp_path):
    """A folder with mode 0o500; skips where that does not stop writing
    (root ignores the mode)."""
    folder = tmp_path / 'read_only'
    folder.mkdir()
    folder.chmod(0o500)
    try:
        (folder / 'probe').touch()
    except PermissionError:
        return folder
    (folder / 'probe').unlink()
    folder.chmod(0o700)
    pytest.skip('running as root: a 0o500 folder is still writable')


def test_a_parent_that_is_a_file_is_named(tmp_path):
    (tmp_path / 'file.txt').write_text('x')
    out = tmp_path / 'file.txt' / 'sub' / 'model.pth'
    with pytest.raises(NotADirectoryError) as info:
        check_writable(str(out), '--out')
    assert str(info.value) == (f'--out {out}: cannot write '
                               f'({tmp_path / "file.txt"} is a file, not a '
                               'folder)')
    with pytest.raises(NotADirectoryError, match='is a file, not a folder'):
        check_writable_dir(str(tmp_path / 'file.txt' / 'out'), '--out')
    with pytest.raises(NotADirectoryError, match='is a file, not a folder'):
        check_writable_dir(str(tmp_path / 'file.txt'), '--out')
    assert os.listdir(tmp_path) == ['file.txt']


def test_a_folder_is_not_a_file(tmp_path):
    with pytest.raises(IsADirectoryError, match='it is a folder'):
        check_writable(str(tmp_path), '--out')


def test_a_read_only_folder_is_named(tmp_path):
    folder = read_only_folder(tmp_path)
    try:
        with pytest.raises(
                PermissionError,
                match=r'--out .*x\.pth: cannot write \(.*read_only'
                r': Permission denied\)'):
            check_writable(str(folder / 'x.pth'), '--out')
        with pytest.raises(PermissionError, match='cannot write'):
            check_writable_dir(str(folder / 'new'))
    finally:
        folder.chmod(0o700)
    assert os.listdir(folder) == []


def test_missing_folders_are_made_and_nothing_is_left_behind(tmp_path):
    check_writable(str(tmp_path / 'a' / 'b' / 'x.json'))
    assert os.listdir(tmp_path) == []  # checking makes nothing
    write_json({'x': 1}, str(tmp_path / 'a' / 'b' / 'x.json'))
    assert json.loads((tmp_path / 'a' / 'b' / 'x.json').read_text()) == {
        'x': 1
    }
    assert os.listdir(tmp_path / 'a' / 'b') == ['x.json']


def test_a_failed_write_keeps_the_earlier_file(tmp_path):
    path = tmp_path / 'model.pth'
    path.write_bytes(b'old')
    with pytest.raises(RuntimeError):
        with atomic_write(str(path)) as tmp:
            with open(tmp, 'wb') as f:
                f.write(b'half')
            raise RuntimeError('killed')
    assert path.read_bytes() == b'old'
    assert os.listdir(tmp_path) == ['model.pth']
    with atomic_write(str(path)) as tmp:
        assert os.path.dirname(tmp) == str(tmp_path)
        with open(tmp, 'wb') as f:
            f.write(b'new')
        assert path.read_bytes() == b'old'  # until the block ends
    assert path.read_bytes() == b'new'
    assert os.listdir(tmp_path) == ['model.pth']


def test_a_new_file_gets_the_umask_mode(tmp_path):
    umask = os.umask(0o022)
    try:
        write_json([], str(tmp_path / 'x.json'))
    finally:
        os.umask(umask)
    assert (tmp_path / 'x.json').stat().st_mode & 0o777 == 0o644


def test_strict_json_writes_null_for_nan(tmp_path):
    metrics = {
        'ceph/MRE': float('nan'),
        'ceph/SDR': np.float32(0.5),
        'pairs': [('a', 'b')],
        'inf': [math.inf, -math.inf],
        'array': np.array([1.0, np.nan])
    }
    assert strict_json(metrics) == {
        'ceph/MRE': None,
        'ceph/SDR': 0.5,
        'pairs': [['a', 'b']],
        'inf': [None, None],
        'array': [1.0, None]
    }
    path = tmp_path / 'metrics.json'
    write_json(metrics, str(path), indent=2)
    text = path.read_text()
    assert 'NaN' not in text and 'Infinity' not in text
    assert json.loads(text)['ceph/MRE'] is None
