"""Compatibility patches: torchvision import, weights_only loading and
distributed training on the CPU."""
import os
import pickle

import numpy as np
import pytest
import torch
import torch.distributed as dist
from mmengine import device as mmengine_device
from mmengine.dist import utils as dist_utils
from mmengine.logging import HistoryBuffer, MessageHub
from mmengine.model import MMDistributedDataParallel

from ceph_landmarks import compat
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


def _cuda_set_device(device):
    raise AssertionError(f'torch.cuda.set_device({device}) called')


def test_dist_init_on_cpu_uses_gloo_and_no_cuda_device(monkeypatch):
    calls = []
    monkeypatch.setattr(mmengine_device, 'get_device', lambda: 'cpu')
    monkeypatch.setattr(
        dist_utils, '_init_dist_pytorch', lambda *args, **kwargs: calls.append(
            ('mmengine', args, kwargs)))
    monkeypatch.setattr(torch.cuda, 'set_device', _cuda_set_device)
    monkeypatch.setattr(dist, 'init_process_group',
                        lambda **kwargs: calls.append(('torch', (), kwargs)))
    assert compat._patch_dist_init_on_cpu()

    dist_utils._init_dist_pytorch('nccl', timeout=5)
    dist_utils._init_dist_pytorch('mpi')
    dist_utils._init_dist_pytorch('nccl', init_backend='deepspeed')
    assert calls == [
        ('torch', (), dict(backend='gloo', timeout=5)),
        ('torch', (), dict(backend='mpi')),
        ('mmengine', ('nccl', ), dict(init_backend='deepspeed')),
    ]


def test_dist_init_with_cuda_is_left_to_mmengine(monkeypatch):
    original = dist_utils._init_dist_pytorch
    monkeypatch.setattr(mmengine_device, 'get_device', lambda: 'cuda')
    assert not compat._patch_dist_init_on_cpu()
    assert dist_utils._init_dist_pytorch is original


@pytest.fixture
def one_rank_gloo(tmp_path):
    """A gloo process group of one rank."""
    dist.init_process_group(
        'gloo', init_method=f'file://{tmp_path}/store', rank=0, world_size=1)
    yield
    dist.destroy_process_group()


def test_ddp_of_a_cpu_model_drops_device_ids(monkeypatch, one_rank_gloo):
    init = MMDistributedDataParallel.__init__
    mmengine_init = getattr(init, '__wrapped__', init)
    monkeypatch.setattr(MMDistributedDataParallel, '__init__', mmengine_init)
    # the problem: what Runner.wrap_model passes for a CPU model
    with pytest.raises(ValueError, match='device_ids'):
        MMDistributedDataParallel(torch.nn.Linear(2, 2), device_ids=[0])

    monkeypatch.setattr(mmengine_device, 'get_device', lambda: 'cpu')
    assert compat._patch_ddp_device_ids_on_cpu()
    model = MMDistributedDataParallel(torch.nn.Linear(2, 2), device_ids=[0])
    assert model.device_ids is None
    assert model(torch.ones(1, 2)).shape == (1, 2)


def test_ddp_with_cuda_is_left_to_mmengine(monkeypatch):
    init = MMDistributedDataParallel.__init__
    monkeypatch.setattr(mmengine_device, 'get_device', lambda: 'cuda')
    assert not compat._patch_ddp_device_ids_on_cpu()
    assert MMDistributedDataParallel.__init__ is init


def test_to_numpy_converts_bfloat16_through_float32():
    from mmpose.models.heads import base_head
    from mmpose.utils.tensor_utils import to_numpy
    assert base_head.to_numpy is to_numpy  # modules that imported it by name
    values = torch.tensor([1.5, -2.25, 3.0e5], dtype=torch.bfloat16)
    with pytest.raises(TypeError, match='BFloat16'):
        to_numpy.__wrapped__(values)  # the MMPose bug the patch works around
    array = to_numpy(values)
    assert array.dtype == np.float32
    assert array.tolist() == values.float().tolist()
    listed = to_numpy([values, values.float()])
    assert [a.dtype for a in listed] == [np.float32, np.float32]


@pytest.mark.parametrize('shape', [(5, 7, 3), (5, 7), (5, 7, 1)])
def test_packed_image_tensor_equals_mmpose_original(shape):
    from mmpose.datasets.transforms import PackPoseInputs, formatting
    img = np.random.default_rng(0).integers(0, 256, shape, dtype=np.uint8)
    fast = formatting.image_to_tensor(img)
    slow = formatting.image_to_tensor.__wrapped__(img)
    assert fast.shape == slow.shape and fast.dtype == slow.dtype
    assert torch.equal(fast, slow)
    assert fast.is_contiguous()
    stacked = formatting.image_to_tensor([img, img])
    assert torch.equal(stacked, torch.stack([slow, slow]))
    packed = PackPoseInputs(meta_keys=())(dict(img=img))
    assert torch.equal(packed['inputs'], slow)
