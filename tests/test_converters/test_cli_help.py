"""Every converter runs as a script from the repository root."""
import os.path as osp
import subprocess
import sys

import pytest

from helpers import REPO_ROOT

CONVERTING = ['--out', '--skip-invalid']
CONVERTERS = {
    'isbi2015': ['--root', '--annotator', *CONVERTING],
    'cldetection2023': ['--stack', '--labels', '--seed', *CONVERTING],
    'aariz': ['--root', '--spacing-csv', *CONVERTING],
    'labelme':
    ['--ann-dirs', '--spacing', '--label-map', '--img-dir', *CONVERTING],
    # copies LabelMe files at a smaller scale: nothing to skip
    'downscale_labelme': ['--src', '--ann-dirs', '--scale', '--out'],
}


@pytest.mark.slow
def test_help_of_every_converter():
    # started together: each process spends its time importing torch
    procs = {
        name:
        subprocess.Popen([
            sys.executable,
            osp.join('data_converters', f'{name}.py'), '--help'
        ],
                         cwd=REPO_ROOT,
                         stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE,
                         text=True)
        for name in CONVERTERS
    }
    for name, proc in procs.items():
        out, err = proc.communicate(timeout=300)
        assert proc.returncode == 0, f'{name}.py --help failed:\n{err}'
        assert out.startswith(f'usage: {name}.py')
        for option in CONVERTERS[name]:
            assert option in out, f'{name}.py --help lacks {option}'
