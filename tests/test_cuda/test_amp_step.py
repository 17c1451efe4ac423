"""Mixed precision (AMP) training steps through the framework path:
``model.train_step(batch, AmpOptimWrapper(dtype=...))``, as the Runner runs
them with ``optim_wrapper.type='AmpOptimWrapper'``.

On CUDA mmengine's ``AmpOptimWrapper``; on the CPU the same class with the
CPU's gradient scaler and autocast (``CpuAmpOptimWrapper``).
"""
import copy
import math

import pytest
import torch

from helpers.devices import (amp_optim_wrapper, fp32_optim_wrapper, non_finite,
                             on_cuda, train_steps)

AMP_CASES = [
    pytest.param('cpu', torch.bfloat16, id='cpu-bf16'),
    pytest.param('cpu', torch.float16, id='cpu-fp16'),
    on_cuda('cuda', torch.bfloat16, id='cuda-bf16'),
    on_cuda('cuda', torch.float16, id='cuda-fp16'),
]
#: At most this many steps on the same batch: room for the dynamic loss
#: scale to back off from 2**16 (the first two fp16 steps of the tiny
#: HeatmapHead model overflow on the CPU) before two steps are taken.
MAX_STEPS = 8


def conv_output_dtypes(model: torch.nn.Module) -> set:
    """Record the dtypes of the convolutions' outputs from now on."""
    seen = set()
    for module in model.modules():
        if isinstance(module, torch.nn.Conv2d):
            module.register_forward_hook(
                lambda _module, _args, out: seen.add(out.dtype))
    return seen


def cosine_and_norm_ratio(grads: dict, reference: dict) -> tuple:
    """Cosine similarity and norm ratio of two sets of gradients."""
    a = torch.cat([grads[k].flatten() for k in reference])
    b = torch.cat([g.flatten() for g in reference.values()])
    return float(a @ b / (a.norm() * b.norm())), float(a.norm() / b.norm())


def check_amp_steps(model: torch.nn.Module, batch: dict, device: str,
                    dtype: torch.dtype) -> None:
    """AMP steps on one batch until two updates, against a float32 step.

    The convolutions run in ``dtype``; every loss is finite; the unscaled
    gradients are finite except in the steps the loss scaler skips (only
    float16 overflows), which come first and each halve the scale; the
    optimizer updates in the two finite steps. The first loss and the first
    finite gradients (of the initial weights: a skipped step changes none)
    are loosely those of the float32 step, and unscaled (norm ratio near
    1).
    """
    model = model.to(device)
    reference = copy.deepcopy(model)
    fp32, = train_steps(reference, batch, fp32_optim_wrapper(reference))

    dtypes = conv_output_dtypes(model)
    optim_wrapper = amp_optim_wrapper(model, device, dtype)
    steps = []
    updates = 0
    while updates < 2 and len(steps) < MAX_STEPS:
        steps += train_steps(model, batch, optim_wrapper)
        updates += not non_finite(steps[-1].grads)

    assert dtypes == {dtype}
    assert all(math.isfinite(s.loss) for s in steps), [s.loss for s in steps]
    finite = [not non_finite(step.grads) for step in steps]
    skipped = finite.index(True) if any(finite) else len(steps)
    history = (f'finite gradients in steps {finite}, loss scales '
               f'{[s.scale for s in steps]}')
    assert finite[skipped:] == [True, True], history
    scales = [step.scale for step in steps[:skipped + 1]]
    assert scales == [scales[0] / 2**i for i in range(skipped + 1)], history
    adam_steps = {
        int(state['step'])
        for state in optim_wrapper.optimizer.state.values()
    }
    assert adam_steps == {2}, adam_steps

    assert steps[0].loss == pytest.approx(fp32.loss, rel=0.05)
    cosine, norm_ratio = cosine_and_norm_ratio(steps[skipped].grads,
                                               fp32.grads)
    assert cosine > (0.95 if dtype == torch.float16 else 0.7), cosine
    assert 0.5 < norm_ratio < 2, norm_ratio


@pytest.mark.parametrize('device,dtype', AMP_CASES)
@pytest.mark.parametrize('head', ['heatmap', 'srpose'])
def test_amp_training_steps(tiny_case, head, device, dtype):
    # bfloat16 heatmap: HeatmapHead's training accuracy (numpy) too
    check_amp_steps(*tiny_case(head), device, dtype)
