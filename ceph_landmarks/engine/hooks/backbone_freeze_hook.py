"""Train the head alone first, then the whole model with a slower backbone."""
import math
from typing import List, Optional

from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper
from mmengine.optim import OptimWrapperDict
from mmengine.runner import EpochBasedTrainLoop
from mmpose.registry import HOOKS
from torch import nn
from torch.nn.modules.batchnorm import _BatchNorm

__all__ = ['BackboneFreezeHook']


@HOOKS.register_module()
class BackboneFreezeHook(Hook):
    """Freeze the backbone for the first epochs, then train it at a reduced
    learning rate.

    During epochs ``1 .. unfreeze_epoch`` (``runner.epoch <
    unfreeze_epoch``) the backbone's parameters have ``requires_grad=False``
    (the optimizer skips them: they get no gradient) and its BatchNorm
    layers stay in eval mode, so their running statistics do not move
    either. From epoch ``unfreeze_epoch + 1`` on the backbone trains with
    its parameter groups' learning rate, ``lr_mult`` times the head's.

    The multiplier itself comes from mmengine's optimizer constructor,
    which keeps it through every scheduler and through ``--resume``::

        optim_wrapper = dict(
            optimizer=dict(type='Adam', lr=5e-4),
            paramwise_cfg=dict(custom_keys={'backbone': dict(lr_mult=0.1)}))

    The hook checks, before training, that the optimizer really holds the
    backbone at ``lr_mult`` times the head's initial learning rate, and
    raises with the line to add otherwise. The phase follows
    ``runner.epoch``, so a run resumed in either phase continues correctly.
    Every change of phase is logged with the learning rates in force.

    Distributed training: the model is wrapped before the hook freezes it,
    so set ``model_wrapper_cfg=dict(type='MMDistributedDataParallel',
    find_unused_parameters=True)``.

    Args:
        unfreeze_epoch (int): Number of epochs with a frozen backbone;
            ``0`` never freezes it.
        lr_mult (float): Expected ratio of the backbone's to the head's
            learning rate once unfrozen. Defaults to 0.1.

    Examples:
        >>> custom_hooks = [
        ...     dict(type='BackboneFreezeHook', unfreeze_epoch=10,
        ...          lr_mult=0.1)]
    """

    priority = 'NORMAL'

    def __init__(self, unfreeze_epoch: int, lr_mult: float = 0.1) -> None:
        if not isinstance(unfreeze_epoch, int) or unfreeze_epoch < 0:
            raise ValueError('unfreeze_epoch must be an integer >= 0, but '
                             f'got {unfreeze_epoch!r}')
        if not lr_mult > 0:
            raise ValueError(f'lr_mult must be > 0, but got {lr_mult!r}')
        self.unfreeze_epoch = unfreeze_epoch
        self.lr_mult = lr_mult
        self._frozen: Optional[bool] = None
        self._norm_layers: List[nn.Module] = []

    @staticmethod
    def _model(runner) -> nn.Module:
        model = runner.model
        return model.module if is_model_wrapper(model) else model

    def _group_lr(self, runner, module: nn.Module, initial: bool) -> float:
        """Learning rate of the group holding ``module``'s first param."""
        first = next(module.parameters())
        for group in runner.optim_wrapper.optimizer.param_groups:
            if any(p is first for p in group['params']):
                return group.get('initial_lr', group['lr']) if initial \
                    else group['lr']
        raise RuntimeError('the optimizer does not hold the parameters of '
                           f'{type(module).__name__}')

    def before_train(self, runner) -> None:
        """Check the loop, the model and the backbone's learning rate.

        Raises:
            TypeError: If training is not epoch based or uses several
                optimizers.
            AttributeError: If the model has no ``backbone`` or ``head``.
            ValueError: If a backbone parameter group's initial learning
                rate is not ``lr_mult`` times the head's.
        """
        if not isinstance(runner.train_loop, EpochBasedTrainLoop):
            raise TypeError('BackboneFreezeHook counts epochs and needs an '
                            'EpochBasedTrainLoop, but got '
                            f'{type(runner.train_loop).__name__}')
        if isinstance(runner.optim_wrapper, OptimWrapperDict):
            raise TypeError('BackboneFreezeHook supports one optimizer, but '
                            'got an OptimWrapperDict')
        model = self._model(runner)
        for name in ('backbone', 'head'):
            if not isinstance(getattr(model, name, None), nn.Module):
                raise AttributeError(f'BackboneFreezeHook needs a model with '
                                     f'a {name}, but {type(model).__name__} '
                                     'has none')
        head_lr = self._group_lr(runner, model.head, initial=True)
        backbone_ids = {id(p) for p in model.backbone.parameters()}
        ratios = sorted({
            group.get('initial_lr', group['lr']) / head_lr
            for group in runner.optim_wrapper.optimizer.param_groups if any(
                id(p) in backbone_ids for p in group['params'])
        })
        if any(not math.isclose(r, self.lr_mult, rel_tol=1e-6)
               for r in ratios):
            raise ValueError(
                f'BackboneFreezeHook(lr_mult={self.lr_mult}) trains the '
                f'backbone at {self.lr_mult} x the head learning rate, but '
                'the optimizer has backbone parameters at '
                f'{[round(r, 6) for r in ratios]} x. Give the backbone its '
                'own parameter groups in the config: optim_wrapper = dict('
                "paramwise_cfg=dict(custom_keys={'backbone': dict(lr_mult="
                f'{self.lr_mult})}}))')
        self._norm_layers = [
            m for m in model.backbone.modules() if isinstance(m, _BatchNorm)
        ]
        self._frozen = None
        if self.unfreeze_epoch >= runner.max_epochs:
            runner.logger.warning(
                f'BackboneFreezeHook: unfreeze_epoch={self.unfreeze_epoch} '
                f'>= max_epochs={runner.max_epochs}: the backbone stays '
                'frozen for the whole training')

    def before_train_epoch(self, runner) -> None:
        """Freeze or unfreeze the backbone for this epoch and log changes."""
        frozen = runner.epoch < self.unfreeze_epoch
        if frozen == self._frozen:
            return
        model = self._model(runner)
        for param in model.backbone.parameters():
            param.requires_grad_(not frozen)
        epoch = runner.epoch + 1
        if frozen:
            runner.logger.info(
                f'Epoch {epoch}: backbone frozen (no gradients, BatchNorm in '
                f'eval mode) up to epoch {self.unfreeze_epoch}; it trains '
                f'from epoch {self.unfreeze_epoch + 1} at {self.lr_mult:g} '
                'x the head learning rate')
        else:
            backbone_lr = self._group_lr(runner, model.backbone, False)
            head_lr = self._group_lr(runner, model.head, False)
            if self._frozen or (self.unfreeze_epoch
                                and runner.epoch == self.unfreeze_epoch):
                state = 'unfrozen'  # also when resumed at the switch
            elif self.unfreeze_epoch:
                state = f'trainable (frozen up to epoch {self.unfreeze_epoch})'
            else:
                state = 'trainable'
            runner.logger.info(
                f'Epoch {epoch}: backbone {state}; learning rate backbone '
                f'{backbone_lr:.4g} = {backbone_lr / head_lr:.4g} x head '
                f'{head_lr:.4g}')
        self._frozen = frozen

    def before_train_iter(self,
                          runner,
                          batch_idx: int,
                          data_batch: Optional[dict] = None) -> None:
        """Keep the frozen backbone's BatchNorm layers in eval mode.

        The train loop calls ``model.train()`` after ``before_train_epoch``,
        so this is re-applied before every iteration.
        """
        if self._frozen:
            for layer in self._norm_layers:
                layer.eval()
