"""``model.json``: everything the runtime needs to predict with an export.

``tools/deploy.py`` writes it beside the ONNX files; the runtime reads it
and guesses nothing. It holds the landmark set (names, drawing labels), how
the stages' members combine (``ensemble``) and whether their graphs include
the flip test, the package version and the ONNX opset, and for each stage
(``first_stage``, and ``refinement`` or ``null``):

* ``networks``: the ONNX files, each with its SHA-256 and the number of
  ensemble members it holds;
* ``input_size`` ``[w, h]`` and ``normalize`` (``mean``, ``std``,
  ``bgr_to_rgb``: the config's data preprocessor);
* ``codec``: MMPose's ``MSRAHeatmap`` settings the points are decoded with
  (``input_size``, ``heatmap_size``, ``sigma``, ``unbiased``,
  ``blur_kernel_size``);
* ``box``: ``{"type": "whole_image", "padding": p}`` for the first stage;
  ``{"type": "landmark_window", "crop_size": f, "outside_window":
  "keep_first_stage"}`` for the refinement (a point it places outside its
  window keeps the first stage's);
* ``flip``: ``null``, or the flip test in the graph (``shift_heatmap``,
  ``flip_indices``), recorded for information;
* ``checkpoints``: the names of the checkpoints exported;

and, when the model has one, ``calibration``: the file of its error radii
and quality check (``calibration.json``, with its SHA-256; see
:mod:`ceph_landmarks.core.model_calibration`), or ``null``.

A manifest of another package version or format, a missing file and a file
whose SHA-256 differs are refused, each error naming the file.
"""
import hashlib
import json
import os.path as osp
from dataclasses import dataclass
from typing import List, Optional

from ..version import __version__

__all__ = [
    'MANIFEST_NAME', 'FORMAT', 'FORMAT_VERSION', 'ManifestError', 'StageSpec',
    'Manifest', 'load_manifest', 'file_sha256'
]

MANIFEST_NAME = 'model.json'
FORMAT = 'ceph_landmarks-onnx'
FORMAT_VERSION = 1
_STAGES = ('first_stage', 'refinement')
_BOXES = {'first_stage': 'whole_image', 'refinement': 'landmark_window'}


class ManifestError(ValueError):
    """An export that cannot be used: names the file and what is wrong.

    Args:
        path (str): The manifest or ONNX file at fault.
        reason (str): What is wrong with it.
    """

    def __init__(self, path: str, reason: str) -> None:
        super().__init__(f'{path}: {reason}')
        self.path = path


def file_sha256(path: str) -> str:
    """The SHA-256 of a file's bytes, in hex."""
    digest = hashlib.sha256()
    with open(path, 'rb') as f:
        for block in iter(lambda: f.read(1 << 20), b''):
            digest.update(block)
    return digest.hexdigest()


@dataclass
class StageSpec:
    """One stage of the manifest (see the module docstring)."""
    name: str
    networks: List[dict]
    input_size: List[int]
    normalize: dict
    codec: dict
    box: dict
    flip: Optional[dict]
    num_landmarks: int
    checkpoints: List[str]

    @property
    def members(self) -> int:
        """Ensemble members, over all the stage's files."""
        return sum(n['members'] for n in self.networks)


@dataclass
class Manifest:
    """A checked ``model.json``."""
    path: str
    landmark_set: str
    landmark_names: List[str]
    labels: List[str]
    ensemble: str
    flip_test: bool
    first_stage: StageSpec
    refinement: Optional[StageSpec]
    package_version: str
    onnx: dict
    calibration: Optional[dict] = None

    @property
    def stages(self) -> List[StageSpec]:
        """The stages, first stage first."""
        return [s for s in (self.first_stage, self.refinement) if s]


def _need(data: dict, key: str, kind: type, path: str, where: str = ''):
    """``data[key]``, which must exist and be of ``kind``."""
    if not isinstance(data, dict) or key not in data:
        raise ManifestError(path, f'no {where}{key!r}')
    value = data[key]
    if not isinstance(value, kind) or isinstance(value, bool) and \
            kind is not bool:
        raise ManifestError(
            path, f'{where}{key!r} must be of type '
            f'{getattr(kind, "__name__", kind)}, but got '
            f'{value!r}')
    return value


def _check_file(entry: dict, what: str, label: str, keys: str, path: str,
                model_dir: str, check_files: bool) -> str:
    """An entry ``{file, sha256, ...}``: the file must be in the folder and
    unchanged; return its name.

    Args:
        entry (dict): The entry.
        what (str): What the file is for (``'first_stage'``).
        label (str): The entry's place, for a bad entry (``'first_stage.
            networks'``).
        keys (str): The prefix of its keys in messages.
        path (str): The manifest.
        model_dir (str): The export folder.
        check_files (bool): Check the file's presence and SHA-256.
    """
    file = _need(entry, 'file', str, path, keys)
    sha = _need(entry, 'sha256', str, path, keys)
    if osp.basename(file) != file:
        raise ManifestError(path, f'{label} has a bad entry {entry!r}')
    if check_files:
        full = osp.join(model_dir, file)
        if not osp.isfile(full):
            raise ManifestError(full, f'missing: {path} lists it for the '
                                f'{what}')
        if file_sha256(full) != sha:
            raise ManifestError(
                full, f'its SHA-256 is not the one {path} records: '
                'the file was changed or replaced after the export; '
                'export the model again (tools/deploy.py)')
    return file


def _stage(data: dict, name: str, num_landmarks: int, path: str,
           model_dir: str, check_files: bool) -> StageSpec:
    """Check one stage and, if asked, its files' hashes."""
    where = f'{name}.'
    networks = _need(data, 'networks', list, path, where)
    if not networks:
        raise ManifestError(path, f'{where}networks is empty')
    for network in networks:
        keys = where + 'networks[].'
        if _need(network, 'members', int, path, keys) < 1:
            raise ManifestError(
                path, f'{where}networks has a bad entry '
                f'{network!r}')
        _check_file(network, name, f'{where}networks', keys, path, model_dir,
                    check_files)
    codec = _need(data, 'codec', dict, path, where)
    if codec.get('type') != 'MSRAHeatmap':
        raise ManifestError(
            path, f'{where}codec {codec.get("type")!r} is not '
            'one the runtime decodes (MSRAHeatmap)')
    for key in ('input_size', 'heatmap_size'):
        _need(codec, key, list, path, where + 'codec.')
    _need(codec, 'unbiased', bool, path, where + 'codec.')
    _need(codec, 'blur_kernel_size', int, path, where + 'codec.')
    box = _need(data, 'box', dict, path, where)
    if box.get('type') != _BOXES[name]:
        raise ManifestError(
            path, f'{where}box must be of type '
            f'{_BOXES[name]!r}, but got {box!r}')
    normalize = _need(data, 'normalize', dict, path, where)
    for key in ('mean', 'std'):
        _need(normalize, key, list, path, where + 'normalize.')
    _need(normalize, 'bgr_to_rgb', bool, path, where + 'normalize.')
    input_size = _need(data, 'input_size', list, path, where)
    if input_size != codec['input_size']:
        raise ManifestError(
            path, f'{where}input_size {input_size} differs '
            f'from its codec\'s {codec["input_size"]}')
    return StageSpec(
        name=name,
        networks=networks,
        input_size=input_size,
        normalize=normalize,
        codec=codec,
        box=box,
        flip=data.get('flip'),
        num_landmarks=num_landmarks,
        checkpoints=list(data.get('checkpoints', [])))


def load_manifest(model_dir: str, check_files: bool = True) -> Manifest:
    """Read and check an export's ``model.json``.

    Args:
        model_dir (str): The export folder (``tools/deploy.py --out``).
        check_files (bool): Check that every ONNX file exists and has the
            recorded SHA-256. Defaults to True.

    Returns:
        Manifest: The checked manifest.

    Raises:
        ManifestError: If the folder has no manifest, it is not valid JSON
            or not a manifest of this format, it was written by another
            package version, or a file is missing or altered.
    """
    path = osp.join(model_dir, MANIFEST_NAME)
    if not osp.isdir(model_dir):
        raise ManifestError(
            model_dir, 'no such folder (an export of '
            'tools/deploy.py holds model.json and the ONNX '
            'files)')
    if not osp.isfile(path):
        raise ManifestError(path, 'missing: not an export of '
                            'tools/deploy.py')
    try:
        with open(path, encoding='utf-8') as f:
            data = json.load(f)
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as err:
        raise ManifestError(path, f'cannot read it: {err}') from None
    if not isinstance(data, dict) or data.get('format') != FORMAT:
        raise ManifestError(path, f'not a manifest of format {FORMAT!r}')
    if data.get('format_version') != FORMAT_VERSION:
        raise ManifestError(
            path, f'manifest format version {data.get("format_version")!r}, '
            f'but this runtime reads version {FORMAT_VERSION}')
    version = data.get('package_version')
    if version != __version__:
        raise ManifestError(
            path, f'exported by ceph_landmarks {version}, but this is '
            f'ceph_landmarks {__version__}: export the model again with '
            'this version (tools/deploy.py) or install the version that '
            'exported it')
    names = _need(data, 'landmark_names', list, path)
    labels = _need(data, 'labels', list, path)
    if len(labels) != len(names) or not names:
        raise ManifestError(
            path, f'{len(names)} landmark names but '
            f'{len(labels)} labels')
    ensemble = _need(data, 'ensemble', str, path)
    if ensemble not in ('heatmap', 'points'):
        raise ManifestError(path, f'unknown ensemble mode {ensemble!r}')
    stages = {}
    for name in _STAGES:
        if data.get(name) is None:
            if name == 'first_stage':
                raise ManifestError(path, "no 'first_stage'")
            stages[name] = None
            continue
        stages[name] = _stage(data[name], name, len(names), path, model_dir,
                              check_files)
    calibration = data.get('calibration')
    if calibration is not None:
        _check_file(calibration, 'calibration', 'calibration', 'calibration.',
                    path, model_dir, check_files)
    return Manifest(
        path=path,
        calibration=calibration,
        landmark_set=_need(data, 'landmark_set', str, path),
        landmark_names=names,
        labels=labels,
        ensemble=ensemble,
        flip_test=_need(data, 'flip_test', bool, path),
        package_version=version,
        onnx=data.get('onnx', {}),
        **stages)
