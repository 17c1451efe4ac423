"""The inputs of one prediction call, checked before any model runs.

Every predictor (the MMPose one of :mod:`ceph_landmarks.apis`, the light
runtime) takes the same arguments and refuses the same inputs with the
same messages: :func:`check_batch_inputs` turns them into a
:class:`BatchInputs`, model inputs and spacings with their sources.
"""
import os
from dataclasses import dataclass
from typing import List, Optional, Sequence, Tuple, Union

import numpy as np

from .annotations import Spacing, normalize_spacing
from .image_loading import to_model_input
from .spacing_source import with_header_spacing

__all__ = ['ImageInput', 'BatchInputs', 'check_batch_inputs']

#: An image to predict on: a file path, or an array ``[H, W]`` (grey) or
#: ``[H, W, 3]`` (BGR, OpenCV's order), uint8 or of more bits (scaled by its
#: data bit depth, as image files are).
ImageInput = Union[str, os.PathLike, np.ndarray]


@dataclass
class BatchInputs:
    """Checked inputs of a prediction call, one entry per image each.

    Attributes:
        images (list[str | np.ndarray]): Image paths, or ``[H, W, 3]``
            uint8 BGR pixels (:func:`_model_input`).
        sources (list[str]): The names recorded as the prediction's
            ``image``.
        spacings (list[tuple[float, float] | None]): ``(sx, sy)`` in mm/px,
            the one given or an image file's header spacing; ``None`` where
            unknown.
        spacing_sources (list[str | None]): Where each spacing came from;
            ``None`` where the spacing is unknown.
    """
    images: List[Union[str, np.ndarray]]
    sources: List[str]
    spacings: List[Optional[Tuple[float, float]]]
    spacing_sources: List[Optional[str]]


def _model_input(image: ImageInput, name: str) -> Union[str, np.ndarray]:
    """Check one input; convert an array to the model's 8-bit BGR input.

    Arrays of more than 8 bits are scaled by their data bit depth, as image
    files are (:func:`ceph_landmarks.core.io.image_loading.to_model_input`).

    Args:
        image (str | PathLike | np.ndarray): One input.
        name (str): How an error names it, e.g. ``'images[2]'``.

    Returns:
        str | np.ndarray: The path, or ``[H, W, 3]`` uint8 BGR pixels.

    Raises:
        TypeError: If it is neither a path nor a numpy array.
        ValueError: If it is an array that is not an image: not
            ``[H, W]``, ``[H, W, 1]`` or ``[H, W, 3]``, empty, float or
            with values outside [0, 65535].
    """
    if isinstance(image, (str, os.PathLike)):
        return os.fspath(image)
    if not isinstance(image, np.ndarray):
        raise TypeError(f'{name} must be an image file name or a numpy '
                        f'array, but got {type(image).__name__}')
    return to_model_input(image, name)


def check_batch_inputs(
        images: Sequence[ImageInput],
        spacings: Optional[Sequence[Optional[Spacing]]] = None,
        sources: Optional[Sequence[str]] = None,
        batch_size: int = 8,
        spacing_sources: Optional[Sequence[Optional[str]]] = None
) -> BatchInputs:
    """Check the arguments of a ``predict_batch`` call before any work.

    In this order: the default sources, each image (:func:`_model_input`;
    one image is named ``image``, several ``images[i]``), ``batch_size``,
    the spacings (their count, then each, naming its source), the sources'
    count, the spacing sources' count; last, an image file without a given
    spacing gets its header's (DICOM), and one given that differs from the
    header's is logged (:func:`.spacing_source.with_header_spacing`).

    Args:
        images (Sequence[str | PathLike | np.ndarray]): Image files or
            arrays (:data:`ImageInput`).
        spacings (Sequence[float | tuple | None], optional): One pixel
            spacing per image, ``None`` where unknown; ``None`` for all
            unknown.
        sources (Sequence[str], optional): Names recorded per image;
            defaults to the path, or ``'<array>'`` for an array.
        batch_size (int): Images per forward pass, at least 1. Defaults
            to 8.
        spacing_sources (Sequence[str | None], optional): Where each
            spacing came from; defaults to ``'spacing argument'`` for each
            spacing given.

    Returns:
        BatchInputs: The model inputs, sources, spacings ``(sx, sy)`` and
        spacing sources (``None`` where the spacing is unknown).

    Raises:
        TypeError: If an image is neither a path nor an array.
        ValueError: If an image array is empty, float or of the wrong
            shape, ``batch_size`` is below 1, a spacing is invalid, or
            ``spacings``, ``sources`` or ``spacing_sources`` do not match
            ``images`` in length.
        ImageReadError: If an image file is a corrupt DICOM file or its
            spacing tags are malformed.

    Examples:
        >>> checked = check_batch_inputs([np.zeros((4, 6), np.uint8)], [0.1])
        >>> checked.images[0].shape, checked.sources, checked.spacings
        ((4, 6, 3), ['<array>'], [(0.1, 0.1)])
        >>> checked.spacing_sources
        ['spacing argument']
    """
    num = len(images)
    if sources is None:
        sources = [
            '<array>' if isinstance(img, np.ndarray) else os.fspath(img)
            for img in images
        ]
    checked = [  # checked before any work is done
        _model_input(image, f'images[{i}]' if num > 1 else 'image')
        for i, image in enumerate(images)
    ]
    if batch_size < 1:
        raise ValueError(f'batch_size must be at least 1, but got '
                         f'{batch_size}')
    spacings = [None] * num if spacings is None else list(spacings)
    if len(spacings) != num:
        raise ValueError(f'got {len(spacings)} spacings for {num} images')
    if len(sources) != num:
        raise ValueError(f'got {len(sources)} sources for {num} images')
    spacings = [
        normalize_spacing(s, f'spacing of {src}')
        for s, src in zip(spacings, sources)
    ]
    if spacing_sources is None:
        spacing_sources = ['spacing argument'] * num
    if len(spacing_sources) != num:
        raise ValueError(f'got {len(spacing_sources)} spacing sources '
                         f'for {num} images')
    spacing_sources = [
        src if s is not None else None
        for s, src in zip(spacings, spacing_sources)
    ]
    for i, image in enumerate(checked):  # files: the header's spacing
        if isinstance(image, str) and os.path.isfile(image):
            spacings[i], spacing_sources[i] = with_header_spacing(
                image, spacings[i], spacing_sources[i])
    return BatchInputs(
        images=checked,
        sources=list(sources),
        spacings=spacings,
        spacing_sources=spacing_sources)
