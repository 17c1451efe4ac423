"""A CL-Detection 2023 style Runner checkpoint (random weights, meta with
numpy arrays) through tools/test.py and mmpose's init_model, on the tiny
variant of the winner's config; and the refusal of a 38-landmark checkpoint
by a 21-landmark config."""
import json
import os.path as osp

import pytest
import torch
from mmpose.apis import inference_topdown, init_model

from helpers import (TINY_SRPOSE, TINY_SRPOSE_FT, build_tiny_model,
                     data_options, run_tool, save_runner_checkpoint,
                     write_landmark_variant)


@pytest.fixture(scope='module')
def runner_checkpoint(tmp_path_factory):
    """A 38-landmark SRPose checkpoint laid out as the Runner saves it."""
    path = str(tmp_path_factory.mktemp('cld') / 'cldetection2023.pth')
    save_runner_checkpoint(
        build_tiny_model(38, srpose=True), path, 'cldetection2023')
    return path


@pytest.fixture(scope='module')
def data38(tiny_data, tmp_path_factory):
    return write_landmark_variant(tiny_data,
                                  str(tmp_path_factory.mktemp('data38')),
                                  'cldetection2023')


@pytest.mark.slow
def test_test_tool_runs_on_a_runner_checkpoint(runner_checkpoint, data38,
                                               tmp_path):
    out = tmp_path / 'metrics.json'
    proc = run_tool('test.py', TINY_SRPOSE, '--checkpoints', runner_checkpoint,
                    '--work-dir', str(tmp_path), '--out', str(out),
                    *data_options(data38))
    metrics = json.load(open(out))
    assert metrics['ceph/MRE'] > 0
    log = proc.stdout + proc.stderr
    # mmengine only warns about missing or unexpected keys
    assert 'do not match exactly' not in log


def test_init_model_and_inference_give_38_landmarks(runner_checkpoint, data38):
    model = init_model(TINY_SRPOSE, runner_checkpoint, device='cpu')
    assert model.dataset_meta['num_keypoints'] == 38
    image = osp.join(data38, 'images', 'val_0000.png')
    results = inference_topdown(model, image)
    assert results[0].pred_instances.keypoints.shape == (1, 38, 2)
    assert torch.isfinite(
        torch.as_tensor(results[0].pred_instances.keypoints)).all()


@pytest.mark.slow
def test_21_landmark_config_refuses_it_with_the_extension_tool(
        runner_checkpoint, tiny_data, tmp_path):
    data21 = write_landmark_variant(tiny_data, str(tmp_path / 'p1p2'),
                                    'isbi2015_p1p2')
    proc = run_tool(
        'test.py',
        TINY_SRPOSE_FT,
        '--checkpoints',
        runner_checkpoint,
        '--work-dir',
        str(tmp_path),
        *data_options(data21),
        check=False)
    assert proc.returncode != 0
    assert f'Checkpoint {runner_checkpoint} does not fit' in proc.stderr
    assert 'SRPoseHead predicts 38 landmarks' in proc.stderr
    assert 'extends checkpoints of isbi2015 (19 landmarks)' in proc.stderr
    assert "Landmarks only in isbi2015_p1p2: ['p1', 'p2']" in proc.stderr
    assert ('tools/extend_checkpoint.py CHECKPOINT --src-landmarks '
            'cldetection2023 --dst-landmarks isbi2015_p1p2') in proc.stderr
    assert 'model.head.aux_lowres_channels=19' in proc.stderr
