"""Decoded images kept in memory, so a small data set decodes each file once.

A cephalometric training set has a few hundred images of a few million
pixels each, decoded again every epoch by every ``LoadCephalogram``; a PNG
of that size takes tens of milliseconds to decode. With
``CephalometricDataset(cache_images=True)`` the dataset decodes every image
once, when it is built, and hands the pixels to the pipeline in the data
info's ``img``, which ``LoadCephalogram`` (like MMPose's ``LoadImage``)
takes instead of reading the file.

Policy:

* Off by default. Turn it on when the decoded images fit in memory with
  room to spare; the dataset logs what the cache takes. A grey image takes
  ``H x W`` bytes: the 1935 x 2400 ISBI 2015 cephalograms 4.4 MiB each,
  400 of them 1.7 GiB.
* What is kept is exactly what :func:`.transforms.read_cephalogram`
  returns (the model's ``[H, W, 3]`` uint8 BGR input), so cached and
  uncached samples are identical. Grey images (three equal channels, as
  every radiograph) keep one channel, a third of the memory, and get their
  three channels back for each sample (one ``cv2.cvtColor``, far cheaper
  than decoding).
* The images are decoded in the process that builds the dataset, before
  the DataLoader starts its workers. Workers started by ``fork`` (Linux's
  default, which mmengine's DataLoader keeps) share the pixels
  copy-on-write: their buffers are never written (they are read-only; each
  sample gets a fresh array), so their pages stay shared and the cache is
  in memory once, whatever ``num_workers``. Workers started by ``spawn``
  or ``forkserver`` would each receive a pickled copy.
* Each file is decoded once even when several samples share it (the
  landmark crops of :class:`.CephalometricCropDataset`).
"""
from typing import Dict, Iterable, Optional

import cv2
import numpy as np

from .transforms.load_cephalogram import read_cephalogram

__all__ = ['ImageCache']


def _compact(img: np.ndarray) -> np.ndarray:
    """``img`` (``[H, W, 3]``) as ``[H, W]`` if its channels are equal."""
    if (np.array_equal(img[..., 0], img[..., 1])
            and np.array_equal(img[..., 0], img[..., 2])):
        img = np.ascontiguousarray(img[..., 0])
    img.setflags(write=False)
    return img


class ImageCache:
    """The decoded images of a set of files (see the module docstring).

    Args:
        paths (Iterable[str]): Image files; repeated paths are decoded once.
        backend_args (dict, optional): mmengine file backend arguments.

    Raises:
        ImageReadError: Naming a file that cannot be read.

    Examples:
        >>> cache = ImageCache(['images/001.png'])  # doctest: +SKIP
        >>> cache.get('images/001.png').shape  # doctest: +SKIP
        (2400, 1935, 3)
    """

    def __init__(self,
                 paths: Iterable[str],
                 backend_args: Optional[dict] = None) -> None:
        self._images: Dict[str, np.ndarray] = {}
        for path in paths:
            if path not in self._images:
                self._images[path] = _compact(
                    read_cephalogram(path, backend_args))

    def __len__(self) -> int:
        return len(self._images)

    def __contains__(self, path: str) -> bool:
        return path in self._images

    @property
    def nbytes(self) -> int:
        """Memory the pixels take, in bytes."""
        return sum(img.nbytes for img in self._images.values())

    def get(self, path: str) -> np.ndarray:
        """A fresh ``[H, W, 3]`` uint8 BGR copy of the image of ``path``.

        Raises:
            KeyError: If ``path`` was not cached.
        """
        try:
            img = self._images[path]
        except KeyError:
            raise KeyError(f'{path}: not in the image cache of '
                           f'{len(self)} images') from None
        if img.ndim == 2:
            return cv2.cvtColor(img, cv2.COLOR_GRAY2BGR)
        return img.copy()
