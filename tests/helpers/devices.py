"""The same check on the CPU and on a CUDA GPU (``tests/test_cuda``).

A check is a function of the device (and dtype); a test runs it for each
case of its ``parametrize`` list. The CUDA cases, made with
:func:`on_cuda`, carry the ``cuda`` marker (``pytest -m cuda`` selects them
alone) and are skipped, with the reason, where there is no GPU, so the
logic of each check is proven by its CPU case on any machine.

Also here: one framework training step (``model.train_step``) that records
the loss and the gradients before the update, and mmengine's
``AmpOptimWrapper`` made to run on the CPU.
"""
import copy
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Dict, Iterator, List, Optional, Union

import pytest
import torch
from mmengine.config import Config
from mmengine.dataset import pseudo_collate
from mmengine.optim import AmpOptimWrapper, OptimWrapper
from mmengine.registry import OPTIM_WRAPPERS, init_default_scope
from mmpose.registry import DATASETS

#: Skips a test where PyTorch sees no CUDA GPU.
NEEDS_CUDA = pytest.mark.skipif(
    not torch.cuda.is_available(),
    reason='needs a CUDA GPU: torch.cuda.is_available() is False here '
    '(run `pytest -m cuda` on a machine with one)')


def on_cuda(*values: Any, id: Optional[str] = None) -> Any:
    """A ``parametrize`` case (``pytest.param``) marked ``cuda`` and skipped
    without a GPU."""
    return pytest.param(*values, marks=(pytest.mark.cuda, NEEDS_CUDA), id=id)


def train_batch(config: str, data_root: str, batch_size: int = 2) -> dict:
    """The first ``batch_size`` training samples of a config, collated.

    Args:
        config (str): Config file; its training pipeline builds the samples.
        data_root (str): Dataset folder (``annotations/train.json``).
        batch_size (int): Number of samples.

    Returns:
        dict: ``inputs`` and ``data_samples``, as a dataloader yields them.
    """
    cfg = Config.fromfile(config).train_dataloader.dataset
    cfg.data_root = f'{data_root}/'
    init_default_scope('mmpose')
    dataset = DATASETS.build(cfg)
    return pseudo_collate([dataset[i] for i in range(batch_size)])


@OPTIM_WRAPPERS.register_module()
class CpuAmpOptimWrapper(AmpOptimWrapper):
    """mmengine's ``AmpOptimWrapper`` on the CPU, for the CPU variants.

    mmengine's refuses to be built without an accelerator and its autocast
    allows only bfloat16 on the CPU. This one keeps its ``backward``,
    ``step``, ``state_dict`` and ``load_state_dict`` (the loss scaler's
    part of a checkpoint) and only swaps what is CUDA's: the gradient scaler
    is ``torch.amp.GradScaler('cpu')`` and the forward runs under
    ``torch.autocast('cpu', dtype)``.

    Args:
        dtype (str | torch.dtype): ``float16`` or ``bfloat16``.
        **kwargs: Arguments of ``OptimWrapper`` (``optimizer``,
            ``clip_grad``...).
    """

    def __init__(self,
                 dtype: Union[str, torch.dtype] = 'bfloat16',
                 **kwargs) -> None:
        OptimWrapper.__init__(self, **kwargs)  # not AmpOptimWrapper's
        self.cast_dtype = getattr(torch, dtype) if isinstance(dtype,
                                                              str) else dtype
        self._scale_update_param = None
        self.loss_scaler = torch.amp.GradScaler('cpu')

    @contextmanager
    def optim_context(self, model: torch.nn.Module) -> Iterator[None]:
        with OptimWrapper.optim_context(self, model), torch.autocast(
                'cpu', dtype=self.cast_dtype):
            yield


def amp_optim_wrapper(model: torch.nn.Module, device: str,
                      dtype: torch.dtype) -> AmpOptimWrapper:
    """The ``AmpOptimWrapper`` of a config with ``dtype`` (the CPU one on
    the CPU), dynamic loss scale, Adam and gradient clipping as in the
    test configs."""
    wrapper = AmpOptimWrapper if device == 'cuda' else CpuAmpOptimWrapper
    return wrapper(
        dtype=dtype,
        optimizer=torch.optim.Adam(model.parameters(), lr=2e-3),
        clip_grad=dict(max_norm=5.0))


def fp32_optim_wrapper(model: torch.nn.Module) -> OptimWrapper:
    """The plain ``OptimWrapper`` with the optimizer of
    :func:`amp_optim_wrapper`."""
    return OptimWrapper(
        optimizer=torch.optim.Adam(model.parameters(), lr=2e-3),
        clip_grad=dict(max_norm=5.0))


@dataclass
class Step:
    """What one ``train_step`` did.

    Attributes:
        loss (float): The loss that was minimised (``parse_losses``' sum).
        grads (dict[str, torch.Tensor]): Each parameter's gradient right
            before the update, divided by the loss scale (float32, CPU).
        scale (float): The loss scale of the step (1 without a scaler).
    """

    loss: float
    grads: Dict[str, torch.Tensor]
    scale: float


def train_steps(model: torch.nn.Module,
                batch: dict,
                optim_wrapper: OptimWrapper,
                steps: int = 1) -> List[Step]:
    """Run ``model.train_step(batch, optim_wrapper)``, the step of the
    mmengine Runner, ``steps`` times on the same batch.

    The gradients are read inside ``optim_wrapper.step`` (after the
    backward pass, before gradient clipping and the update) and unscaled
    by hand, so the loss scaler's state is left as training leaves it.

    Returns:
        list[Step]: One record per step.
    """
    records: List[Step] = []
    update = optim_wrapper.step

    def recording_step(**kwargs) -> None:
        scaler = getattr(optim_wrapper, 'loss_scaler', None)
        scale = scaler.get_scale() if scaler and scaler.is_enabled() else 1.
        records.append(
            Step(
                float('nan'), {
                    name: param.grad.detach().float().cpu() / scale
                    for name, param in model.named_parameters()
                    if param.grad is not None
                }, scale))
        update(**kwargs)

    optim_wrapper.step = recording_step
    try:
        for _ in range(steps):
            log_vars = model.train_step(copy.deepcopy(batch), optim_wrapper)
            records[-1].loss = log_vars['loss'].item()
    finally:
        del optim_wrapper.step  # the class's again
    assert len(records) == steps, 'optim_wrapper.step was not called'
    return records


def max_relative_error(actual: Dict[str, torch.Tensor],
                       expected: Dict[str, torch.Tensor]) -> float:
    """The largest ``max |a - e| / max |e|`` over the tensors of two dicts
    with the same keys (``max |e|`` over all tensors where one is zero, so
    that a gradient that should vanish does not divide by zero)."""
    assert actual.keys() == expected.keys(), (
        f'different keys: {sorted(set(actual) ^ set(expected))}')
    overall = max(e.float().abs().max().item() for e in expected.values())
    worst = 0.
    for key, exp in expected.items():
        exp, act = exp.float().cpu(), actual[key].float().cpu()
        assert act.shape == exp.shape, (key, act.shape, exp.shape)
        scale = max(exp.abs().max().item(), 1e-3 * overall, 1e-12)
        worst = max(worst, (act - exp).abs().max().item() / scale)
    return worst


def relative_l2_error(actual: Dict[str, torch.Tensor],
                      expected: Dict[str, torch.Tensor]) -> float:
    """``||a - e|| / ||e||`` over all the tensors of two dicts with the same
    keys, flattened into one vector each (gradients of the early layers,
    behind many BatchNorm layers, are small and the most sensitive to
    rounding: a per-tensor measure would be dominated by them)."""
    assert actual.keys() == expected.keys(), (
        f'different keys: {sorted(set(actual) ^ set(expected))}')
    a = torch.cat([actual[k].float().cpu().flatten() for k in expected])
    e = torch.cat([v.float().cpu().flatten() for v in expected.values()])
    return float((a - e).norm() / e.norm())


def non_finite(tensors: Dict[str, torch.Tensor]) -> List[str]:
    """The keys of the tensors holding an inf or a NaN."""
    return [k for k, t in tensors.items() if not torch.isfinite(t).all()]
