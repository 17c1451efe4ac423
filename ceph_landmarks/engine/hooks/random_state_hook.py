"""Random generator states in checkpoints, for an exact ``--resume``."""
import random
from functools import partial
from typing import Any, Dict, List, Optional

import numpy as np
import torch
from mmengine.dataset import worker_init_fn as mmengine_worker_init_fn
from mmengine.dist import all_gather_object, get_rank, get_world_size
from mmengine.hooks import Hook
from mmpose.registry import HOOKS

from ..worker_init import epoch_worker_init_fn

__all__ = ['RandomStateHook']

RandomStates = Dict[str, Any]


@HOOKS.register_module()
class RandomStateHook(Hook):
    """Save the random generators in checkpoints and restore them on resume,
    so that a resumed run trains exactly as an uninterrupted one.

    mmengine seeds python's ``random``, NumPy and torch when the Runner is
    built and again on ``--resume``, so a resumed run draws its random
    augmentations (``RandomBBoxTransform``, ``RandomGammaContrast``,
    ``RandomCLAHE`` all use NumPy's global generator), dataloader seeds and
    dropout masks from a fresh seed instead of from where the interrupted
    run was. This hook

    - writes the states of python's ``random``, NumPy's global generator,
      torch's CPU generator and, where available, the CUDA generators into
      ``checkpoint['random_states']``, one entry per rank;
    - restores them in ``before_train`` when resuming, after everything that
      reseeds or draws on resume (``Runner.resume`` calls
      ``after_load_checkpoint`` before it reseeds);
    - keeps validation off the training streams (stashed in ``before_val``,
      put back in ``after_val``), so an epoch starts from the states the
      previous one ended with, whether validation ran in between
      (uninterrupted run) or not (run resumed from that epoch's checkpoint);
    - seeds the train dataloader's workers with
      :func:`~ceph_landmarks.engine.worker_init.epoch_worker_init_fn`, from
      torch's base seed drawn anew each epoch from the restored generator,
      instead of mmengine's fixed ``seed + worker_id``, which repeats the
      same augmentation draws every epoch. A ``worker_init_fn`` set in the
      config is kept.

    Persistent workers (``persistent_workers=True`` with ``num_workers >
    0``) carry their generators from epoch to epoch inside processes that
    die with the run, so a run resumed with them is not exact; the hook
    warns. A checkpoint written without this hook still resumes, with a
    warning that the run is then not exact.

    Examples:
        >>> default_hooks = dict(random_state=dict(type='RandomStateHook'))
    """

    # Last in every stage: it restores the generators after the other
    # hooks' ``before_train`` and ``after_val``.
    priority = 'LOWEST'

    def __init__(self) -> None:
        self._train_states: Optional[RandomStates] = None
        self._resume_iter: Optional[int] = None
        self._resume_states: Optional[List[RandomStates]] = None

    def before_train(self, runner) -> None:
        """Seed the workers per epoch and, when resuming, restore the
        generators saved in the checkpoint.

        Args:
            runner (Runner): The runner of the training process.
        """
        loader = runner.train_dataloader
        init_fn = loader.worker_init_fn
        if init_fn is None or (isinstance(init_fn, partial)
                               and init_fn.func is mmengine_worker_init_fn):
            loader.worker_init_fn = partial(
                epoch_worker_init_fn,
                num_workers=loader.num_workers,
                rank=get_rank(),
                disable_subprocess_warning=bool(
                    getattr(init_fn, 'keywords',
                            {}).get('disable_subprocess_warning', False)))

        if self._resume_iter is None or runner.iter != self._resume_iter:
            return  # not resuming (fresh run, or load_from weights only)
        states = self._resume_states
        if states is None or len(states) != get_world_size():
            found = ('no random states' if states is None else
                     f'random states of {len(states)} ranks')
            runner.logger.warning(
                f'The checkpoint resumed at iteration {runner.iter} holds '
                f'{found} for {get_world_size()} rank(s): training goes on '
                'with freshly seeded generators, so the random augmentation '
                'from here on differs from an uninterrupted run (resume is '
                'not exact).')
        else:
            _restore(states[get_rank()])
        if loader.persistent_workers and loader.num_workers > 0:
            runner.logger.warning(
                'The train dataloader has persistent workers, whose random '
                'generators live across epochs in processes that the '
                'interrupted run took with it: resume is not exact. Set '
                'train_dataloader.persistent_workers=False for an exact '
                'resume.')
        self._resume_iter = self._resume_states = None

    def before_val(self, runner) -> None:
        """Stash the training generators before validation draws on them.

        Args:
            runner (Runner): The runner of the validation process.
        """
        self._train_states = _capture()

    def after_val(self, runner) -> None:
        """Put back the training generators stashed before validation.

        Args:
            runner (Runner): The runner of the validation process.
        """
        if self._train_states is not None:
            _restore(self._train_states)
            self._train_states = None

    def before_save_checkpoint(self, runner, checkpoint: dict) -> None:
        """Write every rank's generator states into ``checkpoint``.

        During validation (the best checkpoint) these are the training
        states stashed before it.

        Args:
            runner (Runner): The runner of the training process.
            checkpoint (dict): The checkpoint about to be saved.
        """
        states = self._train_states or _capture()
        checkpoint['random_states'] = all_gather_object(states)

    def after_load_checkpoint(self, runner, checkpoint: dict) -> None:
        """Keep the checkpoint's generator states for ``before_train``.

        They are restored only if training resumes at the checkpoint's
        iteration, not when its weights are merely loaded (``load_from``).

        Args:
            runner (Runner): The runner of the training process.
            checkpoint (dict): The loaded checkpoint.
        """
        self._resume_iter = checkpoint.get('meta', {}).get('iter')
        self._resume_states = checkpoint.get('random_states')


def _capture() -> RandomStates:
    """States of python's, NumPy's global, torch's and CUDA's generators,
    as plain Python values and tensors (loadable with ``weights_only``)."""
    _, key, pos, has_gauss, gauss = np.random.get_state(legacy=True)
    states = dict(
        python=random.getstate(),
        numpy=dict(
            key=torch.from_numpy(key.astype(np.int64)),  # MT19937, (624, )
            pos=int(pos),
            has_gauss=int(has_gauss),
            gauss=float(gauss)),
        torch=torch.get_rng_state())
    if torch.cuda.is_available():
        states['cuda'] = torch.cuda.get_rng_state_all()
    return states


def _restore(states: RandomStates) -> None:
    """Set the generators to ``states`` from :func:`_capture` (tensors may
    have been loaded onto a GPU)."""
    random.setstate(states['python'])
    numpy = states['numpy']
    np.random.set_state(
        ('MT19937', numpy['key'].cpu().numpy().astype(np.uint32), numpy['pos'],
         numpy['has_gauss'], numpy['gauss']))
    torch.set_rng_state(states['torch'].cpu())
    cuda = states.get('cuda')
    if cuda and torch.cuda.is_available() and \
            len(cuda) == torch.cuda.device_count():
        torch.cuda.set_rng_state_all([s.cpu() for s in cuda])
