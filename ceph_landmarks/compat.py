"""Compatibility patches for running the 2023-2024 OpenMMLab stack on a
current torch. Applied once, when :mod:`ceph_landmarks` is imported.

Each patch fixes a failure of the pinned stack (torch 2.13, torchvision
0.28, mmengine 0.10.7, mmpose 1.3.2), names the upstream issue or fix it
mirrors, and is applied only where that failure occurs (checked by version
or by the symptom itself); a call that works without the patch behaves as
before. Speed-ups are not patched in here: they are opt-in parts of the
package (for example the ``PackCephalogramInputs`` transform).
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

#: The last mmengine release whose checkpoint loaders call ``torch.load``
#: without ``weights_only`` (fixed on mmengine's main branch after it).
_MMENGINE_WITHOUT_WEIGHTS_ONLY = '0.10.7'
#: The first torch whose ``torch.load`` defaults to ``weights_only=True``.
_TORCH_WEIGHTS_ONLY_DEFAULT = '2.6.0'


def _patch_torchvision_ops() -> bool:
    """Let the pure-Python part of torchvision import without its C++ ops.

    Problem: the registry's torchvision 0.28.0 wheel is a CUDA build whose
    ``_C`` extension cannot be loaded next to a CPU-only torch. torchvision
    then still runs ``torch.library.register_fake('torchvision::nms')`` in
    ``torchvision/_meta_registrations.py`` and ``import torchvision`` fails
    with ``RuntimeError: operator torchvision::nms does not exist``. MMPose's
    visualizer imports torchvision, so building a Runner fails.

    Upstream: reported as pytorch/pytorch#122494 and #157648 (answered by
    installing a matching torchvision build); no upstream fix known:
    torchvision's ``_meta_registrations`` does not check that its
    extension loaded.

    Condition (symptom): torchvision is installed and importing it raises
    exactly that error. Then the schemas of the two operators that
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
    appear in logged values. The package's own loader
    (:func:`ceph_landmarks.models.checkpoint_loader.load_local_checkpoint`)
    allows exactly these while it loads.
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


def weights_only_globals_needed(torch_version: str,
                                mmengine_version: str) -> bool:
    """Whether mmengine's loaders need the allow-list on these versions.

    torch >= 2.6 loads with ``weights_only=True`` by default, and mmengine
    up to 0.10.7 calls ``torch.load`` without ``weights_only``; later
    mmengine passes ``weights_only=False`` itself (see
    :func:`_patch_weights_only_globals`).

    Args:
        torch_version (str): ``torch.__version__``, e.g. ``'2.13.0+cpu'``.
        mmengine_version (str): ``mmengine.__version__``.

    Returns:
        bool: True for torch >= 2.6 together with mmengine <= 0.10.7.
    """
    from mmengine.utils import digit_version
    return (digit_version(torch_version)
            >= digit_version(_TORCH_WEIGHTS_ONLY_DEFAULT)
            and digit_version(mmengine_version)
            <= digit_version(_MMENGINE_WITHOUT_WEIGHTS_ONLY))


def _patch_weights_only_globals() -> bool:
    """Allow-list exactly the globals mmengine checkpoints need.

    Problem: since torch 2.6 ``torch.load`` defaults to ``weights_only=True``
    and mmengine 0.10.7's ``load_from_local`` (used by ``load_checkpoint``,
    MMPose's ``init_model``, ``init_cfg=dict(type='Pretrained')`` and a
    Runner's ``load_from`` / ``resume``) does not pass ``weights_only``, so
    every Runner checkpoint fails with ``Unsupported global: GLOBAL
    numpy._core.multiarray._reconstruct``.

    Upstream: open-mmlab/mmengine#1655, fixed on mmengine's main branch by
    open-mmlab/mmengine#1670 (commit 151a87ab, October 2025, after 0.10.7
    and unreleased), which passes ``weights_only=False`` instead.

    Condition (version): torch >= 2.6 and mmengine <= 0.10.7 (see
    :func:`weights_only_globals_needed`). The allow-list names numpy's
    array reconstruction, dtypes, mmengine's ``HistoryBuffer`` and a
    ``getattr`` restricted to its statistics; ``weights_only`` stays on, so
    a checkpoint that pickles any other callable (``os.system``...) is
    still refused. The package's own loader does not depend on this patch
    (it allows the same globals only while it loads).

    Returns:
        bool: Whether the globals were allow-listed.
    """
    import mmengine
    if not weights_only_globals_needed(torch.__version__,
                                       mmengine.__version__):
        return False
    torch.serialization.add_safe_globals(mmengine_checkpoint_safe_globals())
    return True


def _patch_dist_init_on_cpu() -> bool:
    """Let ``--launcher pytorch`` (``tools/dist_train.sh``) run on CPU.

    Problem: mmengine 0.10.7's ``_init_dist_pytorch`` calls
    ``torch.cuda.set_device(LOCAL_RANK)`` unconditionally on a machine
    without an NPU / MLU / MUSA, and the configs inherit MMPose's
    ``env_cfg.dist_cfg.backend='nccl'``. Without CUDA the first raises
    ``AssertionError: Torch not compiled with CUDA enabled`` (or "no CUDA
    GPUs are available") and NCCL cannot be initialised anyway.

    Upstream: no upstream fix known; ``mmengine/dist/utils.py`` on
    mmengine's main branch (commit 25434293) still calls
    ``torch.cuda.set_device`` there.

    Condition (symptom): mmengine runs on the CPU
    (``mmengine.device.get_device()`` is ``'cpu'``: no CUDA, NPU, MLU, MPS,
    DIPU or MUSA device), where mmengine's function always fails in
    ``torch.cuda.set_device``. Then the process group is initialised
    without selecting a device, with ``gloo`` in place of ``nccl`` (a
    warning says so); other ``init_backend`` values go to mmengine
    unchanged. With a device this patch does nothing and NCCL stays the
    default.

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

    Upstream: no upstream fix known; ``Runner.wrap_model`` on mmengine's
    main branch (commit 25434293) still passes ``device_ids``.

    Condition (symptom): mmengine runs on the CPU (as in
    :func:`_patch_dist_init_on_cpu`). Then ``device_ids`` given to
    ``MMDistributedDataParallel`` is dropped when every parameter of the
    module is on the CPU, the one case in which torch refuses them.

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


#: The MMPose modules whose ``to_numpy`` gets bfloat16 head outputs in the
#: package's models: ``BaseHead.decode`` (every head's prediction, the
#: ``SRPoseHead``'s too) and ``HeatmapHead.loss`` (its training accuracy).
TO_NUMPY_BFLOAT16_MODULES = ('mmpose.models.heads.base_head',
                             'mmpose.models.heads.heatmap_heads.heatmap_head')


def _bfloat16_as_float32(x: object) -> object:
    """``x`` with bfloat16 tensors (alone or in a list/tuple) as float32."""
    if isinstance(x, torch.Tensor):
        return x.float() if x.dtype == torch.bfloat16 else x
    if isinstance(x, (list, tuple)) and any(
            isinstance(t, torch.Tensor) and t.dtype == torch.bfloat16
            for t in x):
        return type(x)(_bfloat16_as_float32(t) for t in x)
    return x


def _patch_mmpose_to_numpy_bfloat16() -> bool:
    """Let MMPose's heads turn bfloat16 outputs into numpy arrays.

    Problem: mmpose 1.3.2's ``to_numpy`` (``mmpose/utils/tensor_utils.py``)
    calls ``tensor.numpy()``, and numpy has no bfloat16. Under AMP with
    ``dtype='bfloat16'`` the heads' outputs are bfloat16, so
    ``HeatmapHead.loss`` (its accuracy) and every head's ``decode`` fail
    with ``TypeError: Got unsupported ScalarType BFloat16``: training and
    inference with bfloat16 AMP cannot run.

    Upstream: no upstream fix known; ``to_numpy`` on MMPose's main branch
    (commit 759b39c1) is unchanged, and torch keeps bfloat16 out of numpy
    (pytorch/pytorch#110285).

    Condition (symptom): ``to_numpy`` raises that error for a bfloat16
    tensor. Then the modules of :data:`TO_NUMPY_BFLOAT16_MODULES` get a
    wrapper that converts bfloat16 tensors (alone, or in the list or tuple
    that ``unzip=True`` takes) to float32 first (exact: every bfloat16 value
    is a float32 value) and calls the original; any other input goes to the
    original unchanged.

    Why rebinding a module's name: those modules do ``from
    mmpose.utils.tensor_utils import to_numpy`` and call their own module
    global, so replacing ``tensor_utils.to_numpy`` would not reach them,
    and the heads that call it are MMPose's own classes (no package
    subclass to override). ``tensor_utils.to_numpy`` itself and every other
    MMPose module keep MMPose's function.

    Returns:
        bool: Whether the function was wrapped.
    """
    import importlib

    from mmpose.utils import tensor_utils
    original = tensor_utils.to_numpy
    try:
        original(torch.zeros(1, dtype=torch.bfloat16))
        return False
    except TypeError:
        pass

    def to_numpy(x, *args, **kwargs):
        return original(_bfloat16_as_float32(x), *args, **kwargs)

    to_numpy.__wrapped__ = original
    to_numpy.__doc__ = original.__doc__
    for name in TO_NUMPY_BFLOAT16_MODULES:
        module = importlib.import_module(name)
        if module.to_numpy is original:
            module.to_numpy = to_numpy
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
    _APPLIED = True
