"""Compatibility patches: torchvision import and weights_only loading."""
import os
import pickle

import numpy as np
import pytest
import torch
from mmengine.logging import HistoryBuffer, MessageHub

from ceph_landmarks.engine import load_local_checkpoint


def test_torchvision_and_visualizer_import():
    import torchvision  # noqa: F401
    from mmpose.registry import VISUALIZERS
    vis = VISUALIZERS.build(
        dict(type='PoseLocalVisualizer', name='compat_test_vis'))
    assert vis is not None


def test_runner_like_checkpoint_loads_with_weights_only(tmp_path):
    hub = MessageHub('compat_test_hub')
    hub.update_scalar('train/loss', 0.5)
    hub.update_scalar('train/lr', np.float64(1e-3))
    ckpt = dict(
        meta=dict(
            epoch=3,
            dataset_meta=dict(
                sigmas=np.ones(19, np.float32),
                keypoint_colors=np.zeros((19, 3), np.uint8),
                flip_indices=list(range(19)))),
        state_dict={'w': torch.ones(2)},
        message_hub=hub.state_dict(),
        optimizer=dict(state={}, param_groups=[dict(lr=1e-3)]),
    )
    path = tmp_path / 'ckpt.pth'
    torch.save(ckpt, path)
    assert 'TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD' not in os.environ
    # torch's own default (weights_only=True) accepts it ...
    loaded = torch.load(path)
    assert isinstance(loaded['message_hub']['log_scalars']['train/loss'],
                      HistoryBuffer)
    np.testing.assert_array_equal(loaded['meta']['dataset_meta']['sigmas'],
                                  np.ones(19))
    # ... and so does the package's loader
    assert load_local_checkpoint(str(path))['meta']['epoch'] == 3


class _Exploit:

    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (os.system, (f'touch {self.marker}', ))


def test_checkpoint_calling_os_system_is_refused(tmp_path):
    marker = tmp_path / 'pwned'
    path = tmp_path / 'evil.pth'
    torch.save({'state_dict': _Exploit(marker)}, path)
    with pytest.raises(
            RuntimeError,
            match=r'Refusing to load checkpoint .*evil.pth.*'
            r'(posix|os)\.system'):
        load_local_checkpoint(str(path))
    with pytest.raises(pickle.UnpicklingError):
        torch.load(path)
    assert not marker.exists()


def test_missing_checkpoint():
    with pytest.raises(FileNotFoundError, match='nowhere.pth'):
        load_local_checkpoint('/nonexistent/nowhere.pth')


class _GetattrEscape:

    def __reduce__(self):
        return (getattr, (np.ndarray, 'tofile'))


def test_getattr_is_limited_to_history_buffer_statistics(tmp_path):
    path = tmp_path / 'getattr.pth'
    torch.save({'x': _GetattrEscape()}, path)
    with pytest.raises(
            RuntimeError, match=r"getattr\(.*'tofile'\) is not "
            'allowed'):
        load_local_checkpoint(str(path))
