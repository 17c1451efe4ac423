"""Ensembles, flip test and refinement through tools/test.py, tools/infer.py
and tools/crop_offsets.py."""
import csv
import json
import os.path as osp

import mmengine
import numpy as np
import pytest

from helpers import REFINE_CONFIG, TINY_CONFIG, data_options, run_tool

pytestmark = pytest.mark.slow


def test_test_tool_runs_the_cascade(tiny_checkpoint, tiny_refine_checkpoint,
                                    tiny_data, tmp_path):
    """Two checkpoints (points mode), flip test and refinement: the metric
    and the dump see the refined points, stage 1's are kept beside."""
    dump = str(tmp_path / 'pred.pkl')
    out = str(tmp_path / 'metrics.json')
    run_tool('test.py', TINY_CONFIG, '--checkpoints', tiny_checkpoint,
             tiny_checkpoint, '--ensemble', 'points', '--flip-test',
             '--refine-config', REFINE_CONFIG,
             '--refine-checkpoints', tiny_refine_checkpoint, '--work-dir',
             str(tmp_path / 'work'), '--dump', dump, '--out', out,
             *data_options(tiny_data))
    metrics = json.load(open(out))
    samples = mmengine.load(dump)
    assert len(samples) == 4
    pred = np.stack([s['pred_instances']['keypoints'][0] for s in samples])
    coarse = np.stack(
        [s['pred_instances']['coarse_keypoints'][0] for s in samples])
    gt = np.stack([s['gt_instances']['keypoints'][0] for s in samples])
    assert not np.allclose(pred, coarse)
    assert 'ori_img' not in samples[0]  # the image is not dumped
    # the metric scored the refined points (0.1 mm/px synthetic spacing)
    mre = np.linalg.norm(pred - gt, axis=2).mean() * 0.1
    assert abs(metrics['ceph/MRE'] - mre) < 1e-3
    # the dump feeds tools/crop_offsets.py
    offsets = str(tmp_path / 'offsets.json')
    proc = run_tool('crop_offsets.py', dump, '--out', offsets)
    assert 'offset_std = [[' in proc.stdout  # the line to paste in a config
    spread = np.array(json.load(open(offsets))['offset_std'])
    assert spread.shape == (19, 2) and (spread > 0).all()


def test_refinement_options_go_together(tiny_checkpoint):
    proc = run_tool(
        'test.py',
        TINY_CONFIG,
        '--checkpoints',
        tiny_checkpoint,
        '--refine-config',
        REFINE_CONFIG,
        check=False)
    assert proc.returncode == 2
    assert '--refine-config and --refine-checkpoints go together' in \
        proc.stderr


def test_infer_tool_with_ensemble_and_refinement(tiny_checkpoint,
                                                 tiny_refine_checkpoint,
                                                 tiny_data, tmp_path):
    image = osp.join(tiny_data, 'images', 'val_0000.png')
    plain, cascade = str(tmp_path / 'plain'), str(tmp_path / 'cascade')
    run_tool('infer.py', TINY_CONFIG, image, '--checkpoints', tiny_checkpoint,
             '--out', plain)
    run_tool('infer.py', TINY_CONFIG, image, '--checkpoints', tiny_checkpoint,
             tiny_checkpoint, '--out', cascade, '--refine-config',
             REFINE_CONFIG, '--refine-checkpoints', tiny_refine_checkpoint)

    def points(folder):
        with open(osp.join(folder, 'landmarks.csv')) as f:
            return np.array([[float(r['x']), float(r['y'])]
                             for r in csv.DictReader(f)])

    a, b = points(plain), points(cascade)
    assert a.shape == b.shape == (19, 2)
    assert not np.allclose(a, b)


def test_crop_offsets_refuses_other_pickles(tmp_path):
    bad = str(tmp_path / 'bad.pkl')
    mmengine.dump({'not': 'a dump'}, bad)
    proc = run_tool('crop_offsets.py', bad, check=False)
    assert proc.returncode == 1
    assert f'error: {bad}: not a prediction dump' in proc.stderr
