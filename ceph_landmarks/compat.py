"""Compatibility patches for running the 2023-2024 OpenMMLab stack on a
current torch. Applied once, when :mod:`ceph_landmarks` is imported.

Each patch states the upstream problem and the condition under which it is
applied; none of them changes behaviour where the problem does not occur.
"""
import importlib.util
import logging
import sys
from typing import List

import torch

__all__ = [
    'apply_patches', 'mmengine_checkpoint_safe_globals',
    'history_buffer_getattr'
]

_logger = logging.getLogger(__name__)


def _patch_torchvision_ops() -> bool:
    """Let the pure-Python part of torchvision import without its C++ ops.

    Problem: the registry's torchvision 0.28.0 wheel is a CUDA build whose
    ``_C`` extension cannot be loaded next to a CPU-only torch. torchvision
    then still runs ``torch.library.register_fake('torchvision::nms')`` in
    ``torchvision/_meta_registrations.py`` and ``import torchvision`` fails
    with ``RuntimeError: operator torchvision::nms does not exist``. MMPose's
    visualizer imports torchvision, so building a Runner fails.

    Condition: torchvision is installed and importing it raises exactly that
    error. Then the schemas of the two operators that
    ``_meta_registrations`` needs (``nms`` and ``qnms``) are defined without
    any kernel and torchvision is imported again. Calling those operators
    still fails (nothing in this package does); with a working extension
    this patch does nothing.

    Returns:
        bool: Whether the schemas had to be defined.
    """
    if 'torchvision' in sys.modules or importlib.util.find_spec(
            'torchvision') is None:
        return False
    try:
        import torchvision  # noqa: F401
        return False
    except RuntimeError as err:
        if 'torchvision::nms does not exist' not in str(err):
            raise
    for name in [m for m in sys.modules if m.split('.')[0] == 'torchvision']:
        del sys.modules[name]
    global _TORCHVISION_LIB
    _TORCHVISION_LIB = torch.library.Library('torchvision', 'FRAGMENT')
    for op in ('nms', 'qnms'):
        _TORCHVISION_LIB.define(
            f'{op}(Tensor dets, Tensor scores, float iou_threshold) -> Tensor')
    import torchvision  # noqa: F401,F811
    _logger.debug('torchvision C++ ops unavailable; defined nms/qnms schemas')
    return True


_TORCHVISION_LIB = None  # keeps the op definitions alive

_HISTORY_BUFFER_STATISTICS = ('min', 'max', 'current', 'mean')


def history_buffer_getattr(owner: type, name: str) -> object:
    """A ``getattr`` that only resolves ``HistoryBuffer``'s statistics.

    mmengine's ``HistoryBuffer.__getstate__`` pickles its statistics methods,
    which pickle writes as ``getattr(HistoryBuffer, 'mean')`` and so on.
    Allow-listing the real ``getattr`` would let a checkpoint walk from any
    allowed object to module dictionaries; this stand-in is registered under
    the name ``builtins.getattr`` for ``weights_only`` loading and accepts
    nothing but those four lookups.

    Raises:
        pickle.UnpicklingError: For any other owner or attribute.
    """
    import pickle

    from mmengine.logging.history_buffer import HistoryBuffer
    if owner is HistoryBuffer and name in _HISTORY_BUFFER_STATISTICS:
        return getattr(HistoryBuffer, name)
    raise pickle.UnpicklingError(
        f'getattr({owner!r}, {name!r}) is not allowed: a weights_only '
        'checkpoint may only name HistoryBuffer statistics methods')


def mmengine_checkpoint_safe_globals() -> List[object]:
    """The non-tensor globals an mmengine Runner checkpoint pickles.

    ``meta['dataset_meta']`` holds numpy arrays (keypoint colours, sigmas,
    weights), ``message_hub`` holds mmengine ``HistoryBuffer`` objects with
    numpy arrays and their statistics methods (pickled through
    ``getattr``, see :func:`history_buffer_getattr`), and numpy scalars
    appear in logged values.
    """
    import numpy as np
    from mmengine.logging.history_buffer import HistoryBuffer
    try:
        from numpy._core.multiarray import _reconstruct, scalar
    except ImportError:  # numpy < 2
        from numpy.core.multiarray import _reconstruct, scalar
    dtype_classes = [
        type(np.dtype(t))
        for t in (np.float16, np.float32, np.float64, np.int8, np.int16,
                  np.int32, np.int64, np.uint8, np.bool_)
    ]
    return [
        _reconstruct, scalar, np.ndarray, np.dtype, HistoryBuffer,
        (history_buffer_getattr, 'builtins.getattr')
    ] + dtype_classes


def _patch_weights_only_globals() -> None:
    """Allow-list exactly the globals mmengine checkpoints need.

    Problem: since torch 2.6 ``torch.load`` defaults to ``weights_only=True``
    and mmengine 0.10.7 does not pass ``weights_only``, so every Runner
    checkpoint fails with ``Unsupported global: GLOBAL
    numpy._core.multiarray._reconstruct``.

    Condition: torch provides ``torch.serialization.add_safe_globals``
    (torch >= 2.5, which accepts ``(object, name)`` pairs). The allow-list
    names numpy's array reconstruction, dtypes, mmengine's ``HistoryBuffer``
    and a ``getattr`` restricted to its statistics; ``weights_only`` stays on,
    so a checkpoint that pickles any other callable (``os.system``...) is
    still refused.
    """
    add_safe_globals = getattr(torch.serialization, 'add_safe_globals', None)
    if add_safe_globals is not None:
        add_safe_globals(mmengine_checkpoint_safe_globals())


def _patch_dist_init_on_cpu() -> bool:
    """Let ``--launcher pytorch`` (``tools/dist_train.sh``) run on CPU.

    Problem: mmengine 0.10.7's ``_init_dist_pytorch`` calls
    ``torch.cuda.set_device(LOCAL_RANK)`` unconditionally on a machine
    without an NPU / MLU / MUSA, and the configs inherit MMPose's
    ``env_cfg.dist_cfg.backend='nccl'``. Without CUDA the first raises
    ``AssertionError: Torch not compiled with CUDA enabled`` (or "no CUDA
    GPUs are available") and NCCL cannot be initialised anyway.

    Condition: mmengine runs on the CPU (``mmengine.device.get_device()``
    is ``'cpu'``: no CUDA, NPU, MLU, MPS, DIPU or MUSA device). Then the
    process group is initialised without selecting a device, with ``gloo``
    in place of ``nccl`` (a warning says so);
    other backends and ``init_backend`` values go to mmengine unchanged.
    With a CUDA device this patch does nothing and NCCL stays the default.

    Returns:
        bool: Whether mmengine's function was wrapped.
    """
    from mmengine.device import get_device
    from mmengine.dist import utils as dist_utils
    if get_device() != 'cpu':
        return False
    original = dist_utils._init_dist_pytorch

    def init_dist_pytorch_cpu(backend: str,
                              init_backend: str = 'torch',
                              **kwargs) -> None:
        if init_backend != 'torch':
            return original(backend, init_backend=init_backend, **kwargs)
        cpu_backend = 'gloo' if backend == 'nccl' else backend
        if cpu_backend != backend:
            from mmengine.logging import print_log
            print_log(
                f'env_cfg.dist_cfg.backend={backend!r} needs CUDA, which '
                f'is not available: using {cpu_backend!r} on the CPU',
                logger='current',
                level=logging.WARNING)
        torch.distributed.init_process_group(backend=cpu_backend, **kwargs)

    init_dist_pytorch_cpu.__wrapped__ = original
    dist_utils._init_dist_pytorch = init_dist_pytorch_cpu
    return True


def _patch_ddp_device_ids_on_cpu() -> bool:
    """Let the Runner wrap a CPU model in ``MMDistributedDataParallel``.

    Problem: mmengine 0.10.7's ``Runner.wrap_model`` always passes
    ``device_ids=[LOCAL_RANK]``, and torch's ``DistributedDataParallel``
    refuses them for a module on the CPU (``ValueError: ...
    device_ids and output_device arguments only work with single-device/
    multiple-device GPU modules or CPU modules``).

    Condition: mmengine runs on the CPU (as in
    :func:`_patch_dist_init_on_cpu`). Then ``device_ids`` given to
    ``MMDistributedDataParallel`` is dropped when every parameter of the
    module is on the CPU, which is what DDP expects for a CPU module.

    Returns:
        bool: Whether the wrapper's ``__init__`` was wrapped.
    """
    from mmengine.device import get_device
    from mmengine.model import MMDistributedDataParallel
    if get_device() != 'cpu':
        return False
    original = MMDistributedDataParallel.__init__

    def init_on_cpu(self, module: torch.nn.Module, *args, **kwargs) -> None:
        if all(p.device.type == 'cpu' for p in module.parameters()):
            kwargs.pop('device_ids', None)
        original(self, module, *args, **kwargs)

    init_on_cpu.__wrapped__ = original
    MMDistributedDataParallel.__init__ = init_on_cpu
    return True


def _patch_mmpose_to_numpy_bfloat16() -> bool:
    """Let MMPose turn bfloat16 tensors into numpy arrays.

    Problem: mmpose 1.3.2's ``to_numpy`` (``mmpose/utils/tensor_utils.py``)
    calls ``tensor.numpy()``, and numpy has no bfloat16. Under AMP with
    ``dtype='bfloat16'`` the heads' outputs are bfloat16, so
    ``HeatmapHead.loss`` (its accuracy) and every head's ``decode`` fail
    with ``TypeError: Got unsupported ScalarType BFloat16``: training and
    inference with bfloat16 AMP cannot run.

    Condition: ``to_numpy`` raises that error for a bfloat16 tensor. Then a
    wrapper converts a bfloat16 tensor to float32 first (exact: every
    bfloat16 value is a float32 value) and calls the original; any other
    input goes to the original unchanged. The wrapper replaces the function
    in ``mmpose.utils.tensor_utils`` (which its own recursion and every
    later ``from ... import to_numpy`` reads) and in every loaded MMPose
    module that imported it by name.

    Returns:
        bool: Whether the function was wrapped.
    """
    from mmpose.utils import tensor_utils
    original = tensor_utils.to_numpy
    try:
        original(torch.zeros(1, dtype=torch.bfloat16))
        return False
    except TypeError:
        pass

    def to_numpy(x, *args, **kwargs):
        if isinstance(x, torch.Tensor) and x.dtype == torch.bfloat16:
            x = x.float()
        return original(x, *args, **kwargs)

    to_numpy.__wrapped__ = original
    to_numpy.__doc__ = original.__doc__
    for name, module in list(sys.modules.items()):
        if (name.split('.')[0] == 'mmpose'
                and getattr(module, 'to_numpy', None) is original):
            module.to_numpy = to_numpy
    return True


def _patch_mmpose_image_to_tensor() -> bool:
    """Pack images into CHW tensors with numpy's transposing copy.

    Problem: MMPose's ``PackPoseInputs`` turns each HWC image into a CHW
    tensor with ``torch.from_numpy(img).permute(2, 0, 1).contiguous()``
    (``image_to_tensor`` in ``mmpose/datasets/transforms/formatting.py``).
    torch does that strided uint8 copy about 10 times slower than numpy
    (3.4 ms against 0.3 ms for a 512 x 512 x 3 image, measured in one run
    on this project's CPU machine), which made it the largest part of the
    CL-Detection data pipeline per sample (about 40 %, with the affine warp
    about 33 %).

    Condition: always where MMPose has that function; the replacement
    returns an equal tensor (same shape, dtype and values, a copy for
    several channels, as before) for a single array, and leaves sequences
    of arrays to the original, which stacks through the module's
    ``image_to_tensor`` and so through this one.

    Returns:
        bool: Whether the function was replaced.
    """
    import numpy as np
    from mmpose.datasets.transforms import formatting
    original = getattr(formatting, 'image_to_tensor', None)
    if original is None or hasattr(original, '__wrapped__'):
        return False

    def image_to_tensor(img):
        if not isinstance(img, np.ndarray):
            return original(img)
        if img.ndim < 3:
            img = img[..., None]
        return torch.from_numpy(np.ascontiguousarray(img.transpose(2, 0, 1)))

    image_to_tensor.__wrapped__ = original
    image_to_tensor.__doc__ = original.__doc__
    formatting.image_to_tensor = image_to_tensor
    return True


_APPLIED = False


def apply_patches() -> None:
    """Apply every patch of this module once."""
    global _APPLIED
    if _APPLIED:
        return
    _patch_torchvision_ops()
    _patch_weights_only_globals()
    _patch_dist_init_on_cpu()
    _patch_ddp_device_ids_on_cpu()
    _patch_mmpose_to_numpy_bfloat16()
    _patch_mmpose_image_to_tensor()
    _APPLIED = True
