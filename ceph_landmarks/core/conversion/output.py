"""Writing a converted dataset: a new folder, filled atomically.

Layout (what :class:`~ceph_landmarks.datasets.CephalometricDataset` reads)::

    OUT/images/{stem}.png            every image re-encoded as PNG
    OUT/annotations/{split}.json     COCO keypoints, [x, y, v] per landmark,
                                     one annotation per image, bbox = image,
                                     per-image ``spacing`` (mm/px)
    OUT/defects.json                 the defects report

The output folder must be new (or empty). Everything is written into a
temporary sibling folder that is renamed to ``OUT`` only when the whole
conversion succeeded, and each JSON file is itself written to a temporary
file and moved into place with ``os.replace``: an interrupted conversion
never leaves a half-written dataset or JSON file behind. Folders and files
get the modes ``mkdir`` and ``open`` give (0o777 and 0o666 less the umask),
not the private 0o700 / 0o600 of :mod:`tempfile`, so that other users and a
data loader running under another uid can read the dataset.

A killed conversion cannot remove its staging folder
``.OUT.partial-{host}-{pid}-{random}``. The next conversion to the same
``OUT`` removes it (and logs so) only when all of these hold: the name has
exactly that form, it is a folder (not a link) owned by the current user,
``host`` is this host and process ``pid`` no longer exists. Any other entry
named ``.OUT.partial-*`` is logged by name and left alone.
"""
import os
import os.path as osp
import re
import shutil
import socket
import stat
from typing import Dict, List, Sequence

import numpy as np

from ..io.annotations import Spacing, spacing_value
from ..io.image_io import encode_png
from ..log import get_logger
from ..writers.atomic_write import check_writable_dir, create_new, write_json

__all__ = ['StagedOutputDir', 'CocoDatasetWriter', 'remove_stale_partial_dirs']

#: This host in staging folder names: letters, digits, ``.`` and ``_``.
_HOST = re.sub(r'[^A-Za-z0-9._]', '_', socket.gethostname()) or 'host'


def _partial_prefix(out_dir: str) -> str:
    """Start of the names of ``out_dir``'s staging folders."""
    return f'.{osp.basename(out_dir)}.partial-'


def _process_runs(pid: int) -> bool:
    """Whether process ``pid`` exists; ``True`` where it cannot be told."""
    if os.name != 'posix':
        return True  # os.kill would terminate the process on Windows
    try:
        os.kill(pid, 0)  # signal 0: only checks that the process exists
    except ProcessLookupError:
        return False
    except PermissionError:
        pass  # it exists, as another user
    return True


def remove_stale_partial_dirs(out_dir: str) -> List[str]:
    """Remove the staging folders that killed conversions to ``out_dir`` left.

    Only the converter's own folders whose process is gone are removed, see
    the module docstring; every other ``.OUT.partial-*`` entry is logged by
    name and left alone.

    Args:
        out_dir (str): The output folder of the conversion about to start.

    Returns:
        list[str]: The folders removed.
    """
    out_dir = osp.abspath(out_dir)
    parent = osp.dirname(out_dir)
    prefix = _partial_prefix(out_dir)
    own_name = re.compile(
        re.escape(prefix) + r'(?P<host>[\w.]+)-(?P<pid>\d+)-[0-9a-f]{8}')
    logger = get_logger()
    removed = []
    for name in sorted(os.listdir(parent)):
        if not name.startswith(prefix):
            continue
        path = osp.join(parent, name)
        match = own_name.fullmatch(name)
        try:
            info = os.lstat(path)
        except FileNotFoundError:  # removed meanwhile by another run
            continue
        if match is None:
            keep = 'its name does not say which process made it'
        elif not stat.S_ISDIR(info.st_mode):
            keep = 'it is not a folder'
        elif match['host'] != _HOST:
            keep = f'it was made on host {match["host"]}'
        elif hasattr(os, 'getuid') and info.st_uid != os.getuid():
            keep = 'it belongs to another user'
        elif _process_runs(int(match['pid'])):
            keep = f'its process {match["pid"]} may still be running'
        else:
            try:
                shutil.rmtree(path)
            except OSError as err:
                keep = f'removing it failed ({err})'
            else:
                logger.warning(
                    f'removed {path}: unfinished output of conversion '
                    f'process {match["pid"]}, which no longer runs (killed '
                    'or crashed)')
                removed.append(path)
                continue
        logger.warning(
            f'{path} looks like an unfinished conversion to {out_dir}, but '
            f'{keep}; left as is (delete it yourself if it is one)')
    return removed


class StagedOutputDir:
    """A new output folder that appears only once it is complete.

    Use as a context manager: the body writes into the staging folder it
    returns; on success the staging folder is renamed to ``out_dir``, on an
    exception it is deleted. Entering first removes the staging folders of
    killed conversions to ``out_dir`` (:func:`remove_stale_partial_dirs`).

    Args:
        out_dir (str): Output folder; must not exist, or be empty.

    Raises:
        FileExistsError: If ``out_dir`` exists and is a file or a non-empty
            folder (nothing is ever overwritten).

    Examples:
        >>> with StagedOutputDir('data/hamedan') as root:  # doctest: +SKIP
        ...     write_json({}, osp.join(root, 'defects.json'))
    """

    def __init__(self, out_dir: str) -> None:
        self.out_dir = osp.abspath(out_dir)
        self.staging = None
        self.check_new(self.out_dir)

    @staticmethod
    def check_new(out_dir: str) -> None:
        """Raise ``FileExistsError`` unless ``out_dir`` is new or empty,
        and ``OSError`` (``<out_dir>: cannot write (<reason>)``) unless its
        parent folder can be made and written (the staging folder goes
        there): a parent that is a file, a read-only folder."""
        if osp.isdir(out_dir) and os.listdir(out_dir):
            raise FileExistsError(
                f'output directory {out_dir} already exists and is not '
                'empty; choose a new directory (converters never overwrite '
                'or merge)')
        if osp.exists(out_dir) and not osp.isdir(out_dir):
            raise FileExistsError(
                f'output path {out_dir} exists and is not a directory')
        check_writable_dir(
            osp.dirname(osp.abspath(out_dir)),
            name=f'output directory {out_dir}')

    def __enter__(self) -> str:
        parent = osp.dirname(self.out_dir)
        os.makedirs(parent, exist_ok=True)
        remove_stale_partial_dirs(self.out_dir)
        self.staging, _ = create_new(
            parent, f'{_partial_prefix(self.out_dir)}{_HOST}-{os.getpid()}-',
            '', lambda p: os.mkdir(p, 0o777))
        return self.staging

    def __exit__(self, exc_type, exc, tb) -> bool:
        if exc_type is not None:
            shutil.rmtree(self.staging, ignore_errors=True)
            return False
        try:
            self.check_new(self.out_dir)
            os.replace(self.staging, self.out_dir)  # replaces an empty dir
        except OSError as err:
            raise FileExistsError(
                f'cannot move the finished output to {self.out_dir} '
                f'({err}); it is kept in {self._keep_staging()}') from err
        return False

    def _keep_staging(self) -> str:
        """Rename the finished staging folder out of the way of clean-up.

        Returns:
            str: Where the finished output now is: ``OUT.finished-{random}``
            or, if that rename fails too, the staging folder.
        """
        token = self.staging[-8:]  # the random end of its name
        kept = f'{self.out_dir}.finished-{token}'
        try:
            os.rename(self.staging, kept)
        except OSError:
            return self.staging
        return kept


class CocoDatasetWriter:
    """Collects converted images and writes them in the package's format.

    Image ids are unique across splits (1, 2, ... in the order added), so
    split files can be merged.

    Args:
        root (str): Folder to write into (``images/`` and ``annotations/``
            are created in it).
        landmark_names (Sequence[str]): Landmark names in channel order.
        splits (Sequence[str]): Split names; each gets an annotation file,
            even when empty.
        description (str): ``info.description`` of the COCO files.
    """

    def __init__(self,
                 root: str,
                 landmark_names: Sequence[str],
                 splits: Sequence[str],
                 description: str = '') -> None:
        self.root = root
        self.landmark_names = list(landmark_names)
        self.description = description
        self._images: Dict[str, List[dict]] = {s: [] for s in splits}
        self._annotations: Dict[str, List[dict]] = {s: [] for s in splits}
        self._stems = set()
        os.makedirs(osp.join(root, 'images'), exist_ok=True)
        os.makedirs(osp.join(root, 'annotations'), exist_ok=True)

    def num_images(self, split: str = None) -> int:
        """Images added to ``split``, or to all splits."""
        if split is not None:
            return len(self._images[split])
        return sum(len(v) for v in self._images.values())

    def add(self,
            split: str,
            stem: str,
            pixels: np.ndarray,
            coords: np.ndarray,
            visible: np.ndarray,
            spacing: Spacing,
            source: str = '') -> dict:
        """Write one image as PNG and record its annotation.

        Args:
            split (str): Split name (one of ``splits``).
            stem (str): Output file stem, unique in the dataset.
            pixels (np.ndarray): ``[H, W]`` or ``[H, W, 3]`` (BGR) pixels.
            coords (np.ndarray[K, 2]): Landmark ``(x, y)`` in pixels.
            visible (np.ndarray[K]): ``False`` for missing landmarks, which
                are written as ``[0, 0, 0]``.
            spacing (float | Sequence[float]): mm/px, isotropic or
                ``(sx, sy)``.
            source (str): Where the image came from, stored in the image
                entry as ``source``.

        Returns:
            dict: The COCO image entry.

        Raises:
            ValueError: For an unknown split, a repeated stem or a landmark
                count different from ``landmark_names``.
        """
        if split not in self._images:
            raise ValueError(f'unknown split {split!r}; expected one of '
                             f'{list(self._images)}')
        if stem in self._stems:
            raise ValueError(f'image {stem!r} added twice')
        coords = np.asarray(coords, dtype=np.float64)
        visible = np.asarray(visible, dtype=bool)
        if coords.shape != (len(self.landmark_names), 2):
            raise ValueError(
                f'{source or stem}: expected {len(self.landmark_names)} '
                f'landmarks, got coordinates of shape {coords.shape}')
        file_name = f'{stem}.png'
        with open(osp.join(self.root, 'images', file_name), 'wb') as f:
            f.write(encode_png(pixels, source or stem))
        height, width = pixels.shape[:2]
        image_id = self.num_images() + 1
        keypoints = np.zeros((len(coords), 3))
        keypoints[visible, :2] = coords[visible]
        keypoints[visible, 2] = 2
        image = dict(
            id=image_id,
            file_name=file_name,
            width=int(width),
            height=int(height),
            spacing=spacing_value(spacing, f'{source or stem}: spacing'),
            source=source)
        self._images[split].append(image)
        self._annotations[split].append(
            dict(
                id=image_id,
                image_id=image_id,
                category_id=1,
                bbox=[0, 0, int(width), int(height)],
                area=float(width * height),
                iscrowd=0,
                num_keypoints=int(visible.sum()),
                keypoints=[round(float(v), 3) for v in keypoints.ravel()]))
        self._stems.add(stem)
        return image

    def write(self) -> Dict[str, str]:
        """Write ``annotations/{split}.json`` of every split, atomically.

        Returns:
            dict[str, str]: Annotation file of each split.
        """
        category = dict(
            id=1, name='skull', keypoints=self.landmark_names, skeleton=[])
        paths = {}
        for split, images in self._images.items():
            path = osp.join(self.root, 'annotations', f'{split}.json')
            write_json(
                dict(
                    info=dict(description=self.description),
                    images=images,
                    annotations=self._annotations[split],
                    categories=[category]), path)
            paths[split] = path
        return paths
