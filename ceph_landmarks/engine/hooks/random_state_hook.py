"""Random generator states in checkpoints, for an exact ``--resume``."""
import random
from functools import partial
from typing import Any, Dict, List, Optional

import numpy as np
import torch
from mmengine.dataset import worker_init_fn as mmengine_worker_init_fn
from mmengine.dist import all_gather_object, get_rank, get_world_size
from mmengine.hooks import CheckpointHook, Hook
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

    In distributed training only rank 0 writes checkpoints (mmengine's
    ``Runner.save_checkpoint`` is ``master_only``), so
    ``before_save_checkpoint`` cannot gather the other ranks' states (a
    collective on one rank waits forever). Every rank gathers them instead
    just before ``CheckpointHook`` may save: after each training epoch,
    before validation (the best checkpoint) and, when a ``CheckpointHook``
    saves by iteration, after each training iteration.

    Examples:
        >>> default_hooks = dict(random_state=dict(type='RandomStateHook'))
    """

    # Last in every stage but for ``CheckpointHook`` (VERY_LOW, 90, which
    # draws no random numbers): it restores the generators after the other
    # hooks' ``before_train`` and ``after_val``, and gathers every rank's
    # states before ``CheckpointHook`` saves them.
    priority = 85

    def __init__(self) -> None:
        self._train_states: Optional[RandomStates] = None
        # distributed: every rank's states at iteration ``_gathered_iter``
        self._gathered: Optional[List[RandomStates]] = None
        self._gathered_iter: Optional[int] = None
        self._gather_every_iter = False
        self._resume_iter: Optional[int] = None
        self._resume_states: Optional[List[RandomStates]] = None

    def before_train(self, runner) -> None:
        """Seed the workers per epoch and, when resuming, restore the
        generators saved in the checkpoint.

        Args:
            runner (Runner): The runner of the training process.
        """
        self._gather_every_iter = get_world_size() > 1 and any(
            isinstance(hook, CheckpointHook) and not hook.by_epoch
            for hook in runner.hooks)
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
        self._gather(runner, self._train_states)

    def after_train_iter(self,
                         runner,
                         batch_idx: int,
                         data_batch: Optional[dict] = None,
                         outputs: Optional[dict] = None) -> None:
        """Distributed, with checkpoints by iteration: gather every rank's
        states for the checkpoint ``CheckpointHook`` may save next.

        Args:
            runner (Runner): The runner of the training process.
            batch_idx (int): Index of the batch in the epoch (unused).
            data_batch (dict, optional): The batch (unused).
            outputs (dict, optional): The model's outputs (unused).
        """
        if self._gather_every_iter:
            self._gather(runner)

    def after_train_epoch(self, runner) -> None:
        """Distributed: gather every rank's states for the checkpoint
        ``CheckpointHook`` may save next.

        Args:
            runner (Runner): The runner of the training process.
        """
        self._gather(runner)

    def _gather(self, runner, states: Optional[RandomStates] = None) -> None:
        """Keep the states of all ranks (``states``, by default the current
        ones, on this rank) for ``before_save_checkpoint`` on rank 0. A
        collective, which every rank calls; nothing when not distributed."""
        if get_world_size() > 1:
            self._gathered = all_gather_object(states or _capture())
            self._gathered_iter = runner.iter

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
        states stashed before it. Distributed, this runs on rank 0 alone
        and writes the states all ranks gathered at this iteration (see
        :meth:`_gather`).

        Args:
            runner (Runner): The runner of the training process.
            checkpoint (dict): The checkpoint about to be saved.
        """
        own = [self._train_states or _capture()]
        if get_world_size() == 1:
            checkpoint['random_states'] = own
        elif self._gathered_iter == runner.iter:
            checkpoint['random_states'] = self._gathered
        else:
            runner.logger.warning(
                f'Checkpoint at iteration {runner.iter} saved where the '
                'ranks did not gather their random states: it holds rank '
                '0\'s alone, so resuming from it is not exact.')
            checkpoint['random_states'] = own

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
