"""Catch a typo in ``--cfg-options`` before the Runner is built.

mmengine merges ``--cfg-options key=value`` into the config whatever the
key: ``train_cfg.max_epoch=1`` (for ``max_epochs``) adds a new key, and
the run ends, after the model was built, in ``TypeError: ...__init__()
got an unexpected keyword argument 'max_epoch'`` (or, worse, a key nobody
reads is silently ignored). :func:`check_cfg_options` runs before the
merge (``tools/train.py``, ``tools/test.py``, ``tools/benchmark.py``) and
refuses a dotted key that does not exist in the config, naming the key
and the closest existing ones.

What counts as a typo is decided conservatively (refusing a legitimate
override is worse than missing a typo that the component's constructor
will report anyway):

* every existing key is fine, and so is a key below a value that is
  ``None`` (a loader switched off, ``clip_grad=None``): the override
  creates it;
* a new key under a dict with a ``type`` (a component: ``model.head``,
  ``train_dataloader.dataset``, a pipeline step) is fine, and so is any
  key further down: its constructor's keywords are not in the config, and
  it reports an unknown one itself (``model.head.new_arg``);
* a new key is refused only under the dicts that mmengine's Runner reads
  with a known set of keywords, minus those keywords (:data:`KNOWN_KEYS`):
  the config itself (the top-level names ``Runner.from_cfg`` reads), the
  loops ``train_cfg`` / ``val_cfg`` / ``test_cfg``, the three dataloaders,
  ``optim_wrapper`` and its ``clip_grad``, ``auto_scale_lr`` and
  ``custom_imports``; each only while it has no ``type`` or an mmengine
  type whose keywords are listed. Everything else (``randomness``,
  ``env_cfg``, ``default_hooks``, ``paramwise_cfg`` and its
  ``custom_keys``, ``model.test_cfg``, ``init_cfg``, ``metainfo``, a
  config's own variables) accepts new keys;
* a number in a key indexes a list (``train_dataloader.dataset.pipeline.0.
  prob``), as mmengine's ``allow_list_keys``; an index past the list's end
  is refused;
* a key below a number, string or other plain value
  (``train_cfg.max_epochs.x``) is refused.

This module imports neither torch nor mmengine: a config is read as the
mapping it is.
"""
import difflib
from typing import Any, Dict, List, Mapping, Optional, Sequence

__all__ = ['KNOWN_KEYS', 'check_cfg_options']

_DATALOADER_KEYS = ('dataset', 'batch_size', 'shuffle', 'sampler',
                    'batch_sampler', 'num_workers', 'collate_fn', 'pin_memory',
                    'drop_last', 'timeout', 'worker_init_fn',
                    'multiprocessing_context', 'generator', 'prefetch_factor',
                    'persistent_workers', 'pin_memory_device',
                    'num_batch_per_epoch')

#: The dicts in which a new key is refused, by dotted path (``''``: the
#: config itself), with the keys that may be added there: the keywords
#: mmengine's Runner (``Runner.from_cfg``, ``build_train_loop``,
#: ``build_dataloader``, ``build_optim_wrapper``) passes on.
KNOWN_KEYS: Dict[str, Sequence[str]] = {
    '':
    ('model', 'work_dir', 'train_dataloader', 'val_dataloader',
     'test_dataloader', 'train_cfg', 'val_cfg', 'test_cfg', 'auto_scale_lr',
     'optim_wrapper', 'param_scheduler', 'val_evaluator', 'test_evaluator',
     'default_hooks', 'custom_hooks', 'data_preprocessor', 'load_from',
     'resume', 'launcher', 'env_cfg', 'log_processor', 'log_level',
     'visualizer', 'default_scope', 'randomness', 'experiment_name', 'compile',
     'custom_imports', 'model_wrapper_cfg', 'backend_args'),
    'train_cfg': ('type', 'by_epoch', 'max_epochs', 'max_iters', 'val_begin',
                  'val_interval', 'dynamic_intervals'),
    'val_cfg': ('type', 'fp16'),
    'test_cfg': ('type', 'fp16'),
    'train_dataloader':
    _DATALOADER_KEYS,
    'val_dataloader':
    _DATALOADER_KEYS,
    'test_dataloader':
    _DATALOADER_KEYS,
    'optim_wrapper':
    ('type', 'optimizer', 'clip_grad', 'accumulative_counts', 'paramwise_cfg',
     'constructor', 'dtype', 'loss_scale', 'use_fsdp'),
    'optim_wrapper.clip_grad': ('type', 'max_norm', 'norm_type',
                                'error_if_nonfinite', 'foreach', 'clip_value'),
    'auto_scale_lr': ('enable', 'base_batch_size'),
    'custom_imports': ('imports', 'allow_failed_imports'),
}

#: The ``type`` values of the dicts in :data:`KNOWN_KEYS` whose keywords
#: are listed there; a dict of another type is a component (any key).
_KNOWN_TYPES = ('EpochBasedTrainLoop', 'IterBasedTrainLoop', 'ValLoop',
                'TestLoop', 'OptimWrapper', 'AmpOptimWrapper')


def _keys(node: Any) -> Optional[List[str]]:
    """The keys of a mapping (a dict, an mmengine ``Config`` or
    ``ConfigDict``), ``None`` for anything else."""
    if isinstance(node, Mapping) or hasattr(node, 'keys'):
        return [str(k) for k in node.keys()]
    return None


def _closed(path: str, node: Any) -> bool:
    """Whether a new key under ``node`` (at ``path``) is a typo."""
    if path not in KNOWN_KEYS:
        return False
    kind = node.get('type') if path else None
    return kind is None or kind in _KNOWN_TYPES


def _unknown_key(key: str, path: str, part: str, siblings: List[str],
                 config: str) -> ValueError:
    """The error for ``part`` of ``key``, missing under ``path``, with the
    closest of ``siblings`` (or all of them when none is close)."""
    where = f'{path}.' if path else ''
    near = difflib.get_close_matches(part, siblings, n=3, cutoff=0.6)
    # only the closest few: max_epoch gets max_epochs, not by_epoch too
    ratios = [difflib.SequenceMatcher(None, part, n).ratio() for n in near]
    near = [
        n for n, r in zip(near, ratios) if r >= max(ratios, default=0) - 0.05
    ]
    if near:
        hint = 'did you mean ' + ' or '.join(where + n for n in near) + '?'
    else:
        hint = f'{path or "the config"} has: {", ".join(sorted(siblings))}'
    return ValueError(f'--cfg-options {key}: no such key in {config}; {hint}')


def check_cfg_options(cfg: Any, options: Optional[Mapping[str, Any]],
                      config: str) -> None:
    """Refuse ``--cfg-options`` keys that are typos (see the module).

    Call it before ``cfg.merge_from_dict(options)``, after the tool's own
    options changed ``cfg`` (so that a key they add counts as existing).

    Args:
        cfg (mmengine.Config | dict): The config.
        options (Mapping[str, Any], optional): What ``DictAction`` parsed:
            dotted keys and their values.
        config (str): The config file, for the message.

    Raises:
        ValueError: ``--cfg-options KEY: no such key in CONFIG; did you
            mean ...?`` (or the keys that are there), an index past a
            list's end, or a key below a plain value.

    Examples:
        >>> cfg = dict(train_cfg=dict(by_epoch=True, max_epochs=10))
        >>> check_cfg_options(cfg, {'train_cfg.max_epochs': 1}, 'c.py')
        >>> check_cfg_options(cfg, {'train_cfg.max_epoch': 1}, 'c.py')
        Traceback (most recent call last):
        ...
        ValueError: --cfg-options train_cfg.max_epoch: no such key in c.py; did you mean train_cfg.max_epochs?
    """  # noqa: E501
    for key in options or {}:
        node, path = cfg, ''
        for part in str(key).split('.'):
            if node is None:
                break  # the override creates it
            if isinstance(node, (list, tuple)):
                if not part.isdigit():
                    raise ValueError(
                        f'--cfg-options {key}: {path} is a list in {config}; '
                        'index it with a number')
                if int(part) >= len(node):
                    raise ValueError(
                        f'--cfg-options {key}: {path} has {len(node)} items '
                        f'in {config}; index {part} is past its end')
                node = node[int(part)]
            else:
                keys = _keys(node)
                if keys is None:
                    raise ValueError(
                        f'--cfg-options {key}: {path} is {node!r} in '
                        f'{config}, not a dict')
                if part not in keys:
                    if _closed(path, node) and part not in KNOWN_KEYS[path]:
                        raise _unknown_key(
                            key, path, part,
                            list(dict.fromkeys([*keys, *KNOWN_KEYS[path]])),
                            config)
                    break  # a new key, allowed there
                node = node[part]
            path = f'{path}.{part}' if path else part
