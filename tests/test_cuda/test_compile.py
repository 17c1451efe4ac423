"""The compiled training step: ``torch.compile`` of the model's forward (as
``cfg.compile`` and ``tools/benchmark.py`` compile it), run through
``model.train_step``, gives the loss and the gradients of the eager step."""
import copy
import os
import shutil

import pytest
import torch

from helpers.devices import (fp32_optim_wrapper, on_cuda, relative_l2_error,
                             train_steps)

#: (device, backend, (loss, gradient) tolerances). The CPU case compiles
#: with ``aot_eager`` (Dynamo's graph capture and AOTAutograd's backward
#: graph, run by eager kernels: exact): Inductor's C++ build of this graph
#: took 7 minutes on a 2-core machine (relative L2 gradient error 3e-4).
#: CUDA compiles with Inductor (Triton kernels), PyTorch's default; its
#: convolutions run in TF32 (cuDNN's default) and may take other algorithms
#: or layouts than the eager ones. A wrong graph gives errors of order 1.
CASES = [
    pytest.param(
        'cpu', 'aot_eager', (1e-6, 1e-5), marks=pytest.mark.slow, id='cpu'),
    on_cuda('cuda', 'inductor', (1e-2, 0.2), id='cuda'),
]

#: What Inductor compiles its kernels with: a C++ compiler on the CPU, on
#: CUDA a C compiler for Triton's launchers (variable, names on PATH).
COMPILERS = dict(
    cpu=('CXX', ('g++', 'clang++')), cuda=('CC', ('cc', 'gcc', 'clang')))


def missing_compiler(device: str, backend: str) -> str:
    """Why ``backend`` cannot build kernels for ``device`` here, or ''."""
    env, names = COMPILERS[device]
    if backend != 'inductor' or os.environ.get(env) or any(
            shutil.which(name) for name in names):
        return ''
    return f'torch.compile on {device} needs a compiler: ${env} or {names}'


def check_compiled_step(model: torch.nn.Module, batch: dict, device: str,
                        backend: str, tolerances: tuple) -> None:
    """One float32 ``train_step`` of the same weights, eager and with the
    forward compiled: the same loss (relative error) and gradients before
    the update (relative L2 error), within ``tolerances``."""
    loss_tol, grad_tol = tolerances
    torch._dynamo.reset()
    model = model.to(device)
    compiled = copy.deepcopy(model)
    compiled.forward = torch.compile(compiled.forward, backend=backend)
    eager, = train_steps(model, batch, fp32_optim_wrapper(model))
    fast, = train_steps(compiled, batch, fp32_optim_wrapper(compiled))
    assert fast.loss == pytest.approx(eager.loss, rel=loss_tol)
    error = relative_l2_error(fast.grads, eager.grads)
    assert error < grad_tol, error


@pytest.mark.parametrize('device,backend,tolerances', CASES)
def test_compiled_train_step_matches_eager(tiny_case, device, backend,
                                           tolerances):
    if missing_compiler(device, backend):
        pytest.skip(missing_compiler(device, backend))
    # one graph: the training accuracy (numpy) would break it in pieces
    check_compiled_step(*tiny_case('heatmap-no-acc'), device, backend,
                        tolerances)
