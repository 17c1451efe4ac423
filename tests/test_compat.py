"""Compatibility patches: torchvision import, weights_only loading,
distributed training on the CPU and bfloat16 heads; each applied only
where its failure occurs, and nothing else of the stack replaced."""
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
from ceph_landmarks.models import load_local_checkpoint


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


@pytest.mark.parametrize(
    'torch_version,mmengine_version,needed',
    [
        ('2.13.0+cpu', '0.10.7', True),
        ('2.6.0', '0.10.7', True),
        ('2.5.1', '0.10.7', False),  # torch.load's default still False
        ('2.13.0', '0.10.8', False),  # mmengine passes weights_only itself
        ('2.13.0', '0.11.0', False),
        ('2.13.0', '0.10.4', True),
    ])
def test_weights_only_allow_list_only_where_mmengine_needs_it(
        torch_version, mmengine_version, needed):
    assert compat.weights_only_globals_needed(torch_version,
                                              mmengine_version) is needed


def test_the_package_loader_needs_no_process_wide_allow_list(tmp_path):
    path = tmp_path / 'ckpt.pth'
    torch.save(dict(meta=dict(sigmas=np.ones(3, np.float32))), path)
    before = torch.serialization.get_safe_globals()
    torch.serialization.clear_safe_globals()
    try:
        loaded = load_local_checkpoint(str(path))
        assert torch.serialization.get_safe_globals() == []
    finally:
        torch.serialization.add_safe_globals(before)
    np.testing.assert_array_equal(loaded['meta']['sigmas'], np.ones(3))
    # loading left the process-wide list (compat's, where it applies) as is
    assert set(torch.serialization.get_safe_globals()) == set(before)
    load_local_checkpoint(str(path))
    assert set(torch.serialization.get_safe_globals()) == set(before)


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
    from mmpose.codecs import associative_embedding
    from mmpose.models.heads import base_head
    from mmpose.models.heads.heatmap_heads import heatmap_head
    from mmpose.utils import tensor_utils
    to_numpy = base_head.to_numpy
    original = tensor_utils.to_numpy
    # only the heads' modules call the wrapper; MMPose's function and the
    # other modules that imported it are left as they are
    assert heatmap_head.to_numpy is to_numpy
    assert to_numpy.__wrapped__ is original
    assert associative_embedding.to_numpy is original
    assert not hasattr(original, '__wrapped__')
    values = torch.tensor([1.5, -2.25, 3.0e5], dtype=torch.bfloat16)
    with pytest.raises(TypeError, match='BFloat16'):
        original(values)  # the MMPose bug the patch works around
    array = to_numpy(values)
    assert array.dtype == np.float32
    assert array.tolist() == values.float().tolist()
    listed = to_numpy([values, values.float()])
    assert [a.dtype for a in listed] == [np.float32, np.float32]
    # BaseHead.decode's call: a tuple of batched outputs, unzipped
    unzipped = to_numpy((values[None], values[None]), unzip=True)
    assert [[a.dtype for a in pair] for pair in unzipped] == [[np.float32] * 2]
    ints = torch.arange(3)
    assert to_numpy(ints).dtype == original(ints).dtype


def test_mmpose_image_packing_is_not_replaced():
    """The speed-up is a transform of its own (PackCephalogramInputs, see
    tests/test_datasets/test_transforms.py), not a patch of MMPose."""
    import inspect

    from mmpose.datasets.transforms import PackPoseInputs, formatting
    image_to_tensor = formatting.image_to_tensor
    assert not hasattr(image_to_tensor, '__wrapped__')
    assert image_to_tensor.__module__ == formatting.__name__
    assert '.permute(2, 0, 1).contiguous()' in inspect.getsource(
        image_to_tensor)
    assert PackPoseInputs.transform.__globals__['image_to_tensor'] is \
        image_to_tensor
