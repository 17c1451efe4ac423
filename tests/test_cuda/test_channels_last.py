"""channels_last: the model and its inputs in NHWC memory layout give the
heatmaps, the loss and the gradients of the default (NCHW) layout."""
import copy
from typing import Dict, Union

import pytest
import torch

from helpers.devices import (fp32_optim_wrapper, max_relative_error, on_cuda,
                             relative_l2_error, train_steps)

#: (forward, gradients) tolerances: float32 on the CPU; on CUDA convolutions
#: run in TF32 (cuDNN's default) and each layout has its own algorithms.
#: A wrong layout gives errors of order 1.
CASES = [
    pytest.param('cpu', (1e-4, 1e-3), id='cpu'),
    on_cuda('cuda', (2e-2, 0.2), id='cuda'),
]


def named_tensors(out: Union[torch.Tensor, tuple, list],
                  prefix: str = 'out') -> Dict[str, torch.Tensor]:
    """A head's output (a tensor or nested sequences of them) as a dict."""
    if isinstance(out, torch.Tensor):
        return {prefix: out}
    named = {}
    for i, item in enumerate(out):
        named.update(named_tensors(item, f'{prefix}.{i}'))
    return named


def check_channels_last(model: torch.nn.Module, batch: dict, device: str,
                        tolerances: tuple) -> None:
    """The same weights in both layouts: heatmaps in inference (channels_last
    inputs too), then one float32 ``train_step``."""
    forward_tol, grad_tol = tolerances
    model = model.to(device)
    nhwc = copy.deepcopy(model).to(memory_format=torch.channels_last)
    assert nhwc.backbone.conv1.weight.is_contiguous(
        memory_format=torch.channels_last)

    inputs = model.data_preprocessor(copy.deepcopy(batch), False)['inputs']
    with torch.no_grad():
        expected = named_tensors(model.eval()._forward(inputs))
        actual = named_tensors(nhwc.eval()._forward(
            inputs.contiguous(memory_format=torch.channels_last)))
    assert max_relative_error(actual, expected) < forward_tol

    step, = train_steps(model.train(), batch, fp32_optim_wrapper(model))
    nhwc_step, = train_steps(nhwc.train(), batch, fp32_optim_wrapper(nhwc))
    assert nhwc_step.loss == pytest.approx(step.loss, rel=forward_tol)
    error = relative_l2_error(nhwc_step.grads, step.grads)
    assert error < grad_tol, error


@pytest.mark.parametrize('device,tolerances', CASES)
@pytest.mark.parametrize('head', ['heatmap', 'srpose'])
def test_channels_last_matches_contiguous(tiny_case, head, device, tolerances):
    check_channels_last(*tiny_case(head), device, tolerances)
