"""EMA of the model weights, configured by decay as in common training
scripts (``--use_ema --ema_decay 0.9999``)."""
from mmengine.hooks import EMAHook
from mmengine.logging import print_log
from mmpose.registry import HOOKS


@HOOKS.register_module()
class DecayEMAHook(EMAHook):
    """Keep an exponential moving average of the weights; validate, test and
    checkpoint with it.

    A thin layer over mmengine's :class:`~mmengine.hooks.EMAHook` (which
    swaps the averaged weights in for validation and testing, stores them as
    ``state_dict`` in checkpoints with the raw weights in ``ema_state_dict``,
    and restores both on ``--resume``), taking a ``decay`` rather than a
    momentum and averaging with :class:`ceph_landmarks.engine.DecayEMA`.

    Args:
        decay (float): EMA decay in (0, 1). Defaults to 0.9999.
        warmup (bool): Ramp the decay up as ``min(decay, (1+t)/(10+t))`` so
            early averages follow training. Defaults to True.
        update_buffers (bool): Average BatchNorm statistics too.
            Defaults to True.
        begin_iter (int): First iteration that updates the average.
        begin_epoch (int): First epoch that updates the average.
        strict_load (bool): Strict loading of ``ema_state_dict``.

    Examples:
        >>> custom_hooks = [dict(type='DecayEMAHook', decay=0.9999)]
    """

    priority = 'NORMAL'

    def __init__(self,
                 decay: float = 0.9999,
                 warmup: bool = True,
                 update_buffers: bool = True,
                 begin_iter: int = 0,
                 begin_epoch: int = 0,
                 strict_load: bool = False) -> None:
        if not 0.0 < decay < 1.0:
            raise ValueError(f'decay must be in (0, 1), but got {decay}')
        super().__init__(
            ema_type='DecayEMA',
            strict_load=strict_load,
            begin_iter=begin_iter,
            begin_epoch=begin_epoch,
            decay=decay,
            warmup=warmup,
            update_buffers=update_buffers)

    def before_val_epoch(self, runner) -> None:
        """Swap in the averaged weights and say so in the log."""
        super().before_val_epoch(runner)
        print_log(
            'Validating with the EMA weights (decay '
            f'{self.ema_model.decay}, {int(self.ema_model.steps)} updates)',
            logger='current')

    def before_test_epoch(self, runner) -> None:
        """Swap in the averaged weights for testing."""
        super().before_test_epoch(runner)
        print_log('Testing with the EMA weights', logger='current')
