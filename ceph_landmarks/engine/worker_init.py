"""Seeding of dataloader workers that changes every epoch and survives
``--resume``."""
import random
import warnings

import numpy as np
import torch

__all__ = ['epoch_worker_init_fn']


def epoch_worker_init_fn(worker_id: int,
                         num_workers: int,
                         rank: int,
                         disable_subprocess_warning: bool = False) -> None:
    """Seed a dataloader worker from torch's per-epoch base seed.

    mmengine's default ``worker_init_fn`` seeds worker ``i`` of rank ``r``
    with ``seed + num_workers * r + i``, the same numbers every epoch: with
    workers that are not persistent, every epoch repeats one sequence of
    augmentation draws, and only the shuffle decides which image gets which
    draw. torch seeds each worker with ``base_seed + worker_id`` before this
    function runs, ``base_seed`` being drawn from the main process's torch
    generator when an epoch's iterator is created: a new value each epoch,
    and the same value after ``--resume`` once that generator's state is
    restored (:class:`~ceph_landmarks.engine.hooks.RandomStateHook` does
    both: it restores the state and installs this function). This function
    keeps mmengine's rank offset on top of it, so that ranks sharing a seed
    do not repeat each other's draws, and seeds python's ``random``, NumPy's
    global generator and torch from the result.

    Args:
        worker_id (int): Worker index in ``[0, num_workers)``.
        num_workers (int): Workers per dataloader.
        rank (int): Process rank; 0 when not distributed.
        disable_subprocess_warning (bool): Silence warnings in every worker
            but the first, as mmengine's function does. Defaults to False.

    Examples:
        >>> from functools import partial
        >>> init_fn = partial(epoch_worker_init_fn, num_workers=2, rank=0)
    """
    seed = torch.initial_seed() + num_workers * rank  # base_seed + worker_id
    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)
    if disable_subprocess_warning and worker_id != 0:
        warnings.simplefilter('ignore')
