"""Point a config's dataloaders at a data root: the ``--data-root`` option
of ``tools/train.py`` and ``tools/test.py``.

``--data-root DIR`` sets ``dataset.data_root`` of every dataloader the
config has (``train_dataloader``, ``val_dataloader``, ``test_dataloader``;
one that is missing or ``None``, such as a refinement config's validation
loader, is left alone). It is applied before ``--cfg-options``, which can
still point one loader elsewhere
(``--cfg-options val_dataloader.dataset.data_root=OTHER/``).

This module imports neither torch nor mmengine: a config is read and
written as the mapping it is.
"""
import argparse
from typing import Any, List

__all__ = ['DATALOADERS', 'add_data_root_argument', 'set_data_root']

#: The dataloaders of a config that ``--data-root`` points at the data.
DATALOADERS = ('train_dataloader', 'val_dataloader', 'test_dataloader')


def add_data_root_argument(parser: argparse.ArgumentParser) -> None:
    """Add ``--data-root DIR`` (see :func:`set_data_root`) to a tool.

    Args:
        parser (argparse.ArgumentParser): The tool's parser.
    """
    parser.add_argument(
        '--data-root',
        metavar='DIR',
        help='data root of every dataloader (images and annotations/ '
        'relative to it, as the config names them); --cfg-options can still '
        'set one loader\'s')


def set_data_root(cfg: Any, root: str) -> List[str]:
    """Set ``dataset.data_root`` of every dataloader of ``cfg`` to ``root``.

    Args:
        cfg (mmengine.Config): The config, changed in place.
        root (str): The data root; given a trailing ``/`` (the configs join
            their file names to it).

    Returns:
        list[str]: The dataloaders set, e.g. ``['train_dataloader']`` for a
        refinement config without validation loop.

    Raises:
        ValueError: If ``cfg`` has no dataloader with a dataset.

    Examples:
        >>> cfg = dict(train_dataloader=dict(dataset=dict(data_root='a/')),
        ...            val_dataloader=None)
        >>> set_data_root(cfg, 'data/mine')
        ['train_dataloader']
        >>> cfg['train_dataloader']['dataset']['data_root']
        'data/mine/'
    """
    root = root.rstrip('/') + '/'
    done = []
    for name in DATALOADERS:
        loader = cfg.get(name)
        if loader and loader.get('dataset') is not None:
            loader['dataset']['data_root'] = root
            done.append(name)
    if not done:
        raise ValueError(f'--data-root {root}: the config has none of the '
                         f'dataloaders {", ".join(DATALOADERS)}')
    return done
