"""FLOPs of a config's model: one forward pass of one sample.

Counted by mmengine's ``FlopAnalyzer`` (a jit trace of
``backbone -> neck -> head`` on a random ``[1, 3, H, W]`` input at the
codec's ``input_size``), which counts one multiply-add as one "flop"; the
figure here is converted to FLOPs (``2 x`` its count, see
:func:`.mfu.flops_from_macs`). Convolutions, linear layers and matmuls make
up almost all of it; mmengine also counts normalisation and upsampling
layers, and leaves out element-wise operations (activations, additions),
as fvcore does. Training FLOPs are three times this, see :mod:`.mfu`.
"""
import copy

import torch
from mmengine.analysis import FlopAnalyzer
from mmengine.config import Config
from mmengine.registry import init_default_scope
from mmpose.registry import MODELS

from .mfu import flops_from_macs

__all__ = ['model_forward_flops', 'input_shape']


class _Forward(torch.nn.Module):
    """The estimator's tensor forward (no data samples) for tracing."""

    def __init__(self, model: torch.nn.Module) -> None:
        super().__init__()
        self.model = model

    def forward(self, inputs: torch.Tensor):
        return self.model._forward(inputs)


def input_shape(cfg: Config) -> tuple:
    """``(3, H, W)``: the model input of ``cfg`` (its ``codec.input_size``
    is ``(W, H)``).

    Raises:
        ValueError: If the config has no ``codec.input_size``.
    """
    size = cfg.get('codec', {}).get('input_size')
    if size is None:
        raise ValueError(f'config {cfg.filename}: no codec.input_size to '
                         'count the model FLOPs at')
    width, height = size
    return (3, height, width)


def model_forward_flops(cfg: Config, device: str = 'cpu') -> float:
    """FLOPs of one forward pass of one sample of ``cfg``'s model.

    Args:
        cfg (Config): A model config with ``codec.input_size``.
        device (str): Where to trace (the count does not depend on it).

    Returns:
        float: FLOPs (multiply and add counted apart).
    """
    init_default_scope(cfg.get('default_scope', 'mmpose'))
    model = MODELS.build(copy.deepcopy(cfg.model)).to(device).eval()
    inputs = torch.randn(1, *input_shape(cfg), device=device)
    analyzer = FlopAnalyzer(_Forward(model), (inputs, ))
    analyzer.unsupported_ops_warnings(False).uncalled_modules_warnings(False)
    with torch.no_grad():
        return flops_from_macs(float(analyzer.total()))
