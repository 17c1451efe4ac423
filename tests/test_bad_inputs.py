"""What bad input gets: one table over every entry point.

Each row builds a bad input in its own ``inputs`` folder and says how to
feed it to the package: a library call (which must raise the expected
exception type) or a tool run in a subprocess (which must exit with the
expected status and print no Python traceback; these rows are ``slow``).
In both cases the message must name the file or option at fault, and no
file of ``inputs`` may change.

Refusals with a test of their own, which also checks the whole message, are
not repeated here (test_checkpoint_errors.py, test_tool_overwrite.py,
test_apis/test_overwrite.py).
"""
import functools
import json
import os
import os.path as osp
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Dict, List, Optional, Sequence, Tuple, Union

import numpy as np
import pytest
import torch
from PIL import Image

from ceph_landmarks.models.checkpoint_loader import CheckpointError
from helpers import (TINY_CONFIG, data_options, digests, grey_image,
                     random_points, run_tool, save_image, write_labelme)


@dataclass
class Call:
    """A library call that must raise ``error`` naming ``names``."""
    fn: Callable[[], object]
    error: type
    names: Sequence[str]


@dataclass
class Tool:
    """``tools/<script> args`` that must exit ``status`` naming ``names``."""
    script: str
    args: List[str]
    names: Sequence[str]
    status: int = 1


@dataclass
class Ctx:
    """What a row gets: its input folder, a scratch folder, the tiny data
    and a checkpoint of the tiny model (random weights)."""
    inputs: Path
    scratch: Path
    tiny_data: str
    checkpoint: str
    monkeypatch: pytest.MonkeyPatch
    extra: Dict[str, object] = field(default_factory=dict)


CASES: Dict[str, Callable[[Ctx], Union[Call, Tool]]] = {}
#: The rows that run a tool (in a subprocess: slow).
TOOL_CASES = set()


def case(fn: Callable[[Ctx], Union[Call, Tool]]):
    CASES[fn.__name__] = fn
    return fn


def tool_case(fn: Callable[[Ctx], Tool]):
    TOOL_CASES.add(fn.__name__)
    return case(fn)


# --------------------------------------------------------------- builders
def coco_copy(ctx: Ctx,
              edit: Callable[[dict], None] = lambda c: None,
              name: str = 'ann.json') -> Path:
    """The tiny val split's images and annotation file, edited."""
    shutil.copytree(osp.join(ctx.tiny_data, 'images'), ctx.inputs / 'images')
    coco = json.load(open(osp.join(ctx.tiny_data, 'annotations', 'val.json')))
    edit(coco)
    path = ctx.inputs / name
    path.write_text(json.dumps(coco))
    return path


def dataset_call(ann_file: Path,
                 names=None,
                 pipeline=None,
                 index: Optional[int] = None,
                 error: type = ValueError) -> Call:
    """Build the dataset on ``ann_file`` (and read item ``index``)."""

    def build():
        from ceph_landmarks.datasets import CephalometricDataset
        dataset = CephalometricDataset(
            data_root=str(ann_file.parent),
            ann_file=ann_file.name,
            data_prefix=dict(img='images/'),
            pipeline=pipeline or [])
        if index is not None:
            return dataset[index]
        return dataset

    return Call(build, error, names or [ann_file.name])


def labelme_inputs(ctx: Ctx, num: int = 2) -> Path:
    """``ann/a/00k.json`` LabelMe files with ``images/00k.png``."""
    root = ctx.inputs
    for i in range(num):
        save_image(str(root / 'images' / f'00{i}.png'), grey_image(60, 80, i))
        pts = random_points(19, 56, 76, seed=i) + 2
        write_labelme(
            str(root / 'ann' / 'a' / f'00{i}.json'),
            zip([f'l{k + 1}' for k in range(19)], pts),
            f'../../images/00{i}.png', 60, 80)
    return root


def labelme_main(ctx: Ctx, names, *extra, skip=False) -> Call:
    from data_converters import labelme as labelme_cli
    argv = [
        '--ann-dirs',
        str(ctx.inputs / 'ann' / 'a'), '--out',
        str(ctx.scratch / 'out'), '--spacing', '0.1', *extra
    ]
    if skip:
        argv.append('--skip-invalid')
    return Call(lambda: labelme_cli.main(argv), SystemExit, names)


def cldetection_inputs(ctx: Ctx) -> Tuple[Path, Path]:
    stack = np.full((2, 40, 50, 3), 100, np.uint8)
    labels = [
        dict(name=str(k + 1), point=[5 + k, 3 + k % 30, z + 1], scale='0.1')
        for z in range(2) for k in range(38)
    ]
    stack_path = ctx.inputs / 'train_stack.mha'
    sitk = pytest.importorskip(
        'SimpleITK', reason='SimpleITK is not installed')
    sitk.WriteImage(
        sitk.GetImageFromArray(stack, isVector=True), str(stack_path))
    labels_path = ctx.inputs / 'train-gt.json'
    labels_path.write_text(json.dumps(dict(points=labels)))
    return stack_path, labels_path


def cldetection_main(ctx: Ctx, stack: Path, labels: Path, names) -> Call:
    from data_converters import cldetection2023 as cl_cli
    argv = [
        '--stack',
        str(stack), '--labels',
        str(labels), '--out',
        str(ctx.scratch / 'out')
    ]
    return Call(lambda: cl_cli.main(argv), SystemExit, names)


def write_checkpoint_copy(ctx: Ctx,
                          keep_bytes: Optional[int],
                          name: str = 'model.pth') -> Path:
    """The tiny checkpoint, cut to ``keep_bytes`` (``0``: empty file)."""
    data = Path(ctx.checkpoint).read_bytes()
    path = ctx.inputs / name
    path.write_bytes(data if keep_bytes is None else data[:keep_bytes])
    return path


def infer_tool(ctx: Ctx,
               images: Sequence[Path],
               names,
               *extra,
               checkpoint: Optional[Path] = None) -> Tool:
    ckpt = str(checkpoint or ctx.checkpoint)
    return Tool('infer.py', [
        TINY_CONFIG, *map(str, images), '--checkpoints', ckpt, '--out',
        str(ctx.scratch / 'out'), *extra
    ], names)


def one_image(ctx: Ctx, name: str = 'xray.png') -> Path:
    path = ctx.inputs / name
    path.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy(osp.join(ctx.tiny_data, 'images', 'val_0000.png'), path)
    return path


# ------------------------------------------------ dataset (train and test)
@case
def dataset_duplicate_image_ids(ctx):

    def edit(coco):
        coco['images'][1]['id'] = coco['images'][0]['id']

    return dataset_call(coco_copy(ctx, edit), ['ann.json', 'id'])


@case
def dataset_keypoint_far_outside_image(ctx):

    def edit(coco):
        coco['annotations'][0]['keypoints'][:3] = [-500, 9999, 2]

    return dataset_call(coco_copy(ctx, edit), ['ann.json'])


@case
def dataset_empty(ctx):

    def edit(coco):
        coco['images'], coco['annotations'] = [], []

    return dataset_call(coco_copy(ctx, edit), ['ann.json'])


@case
def dataset_annotation_not_json(ctx):
    path = ctx.inputs / 'ann.json'
    path.write_text('{"images": [ this is not JSON')
    return dataset_call(path, ['ann.json'])


@case
def dataset_missing_spacing(ctx):

    def edit(coco):
        del coco['images'][0]['spacing']

    return dataset_call(coco_copy(ctx, edit), ['ann.json', 'spacing'])


@case
def dataset_negative_spacing(ctx):

    def edit(coco):
        coco['images'][0]['spacing'] = -0.1

    return dataset_call(coco_copy(ctx, edit), ['ann.json', 'spacing'])


@case
def dataset_wrong_keypoint_count(ctx):

    def edit(coco):
        coco['annotations'][0]['keypoints'] = \
            coco['annotations'][0]['keypoints'][:-3]

    return dataset_call(coco_copy(ctx, edit), ['ann.json'])


@case
def dataset_non_finite_keypoint(ctx):

    def edit(coco):
        coco['annotations'][0]['keypoints'][0] = float('nan')

    return dataset_call(coco_copy(ctx, edit), ['ann.json'])


@case
def dataset_missing_image_file(ctx):
    path = coco_copy(ctx)
    os.remove(ctx.inputs / 'images' / 'val_0001.png')
    return dataset_call(path, ['val_0001.png'])


@case
def dataset_two_annotations_for_one_image(ctx):

    def edit(coco):
        extra = dict(coco['annotations'][0], id=999)
        coco['annotations'].append(extra)

    return dataset_call(coco_copy(ctx, edit), ['ann.json'])


def load_pipeline():
    return [dict(type='LoadCephalogram')]


@case
def dataset_zero_byte_image_in_training(ctx):
    path = coco_copy(ctx)
    (ctx.inputs / 'images' / 'val_0002.png').write_bytes(b'')
    return dataset_call(path, ['val_0002.png'], load_pipeline(), index=2)


@case
def dataset_truncated_image_in_training(ctx):
    path = coco_copy(ctx)
    image = ctx.inputs / 'images' / 'val_0001.png'
    image.write_bytes(image.read_bytes()[:300])
    return dataset_call(path, ['val_0001.png'], load_pipeline(), index=1)


# ------------------------------------------------------------- converters
@case
def labelme_file_not_json(ctx):
    labelme_inputs(ctx)
    (ctx.inputs / 'ann' / 'a' / '001.json').write_text('not json {')
    return labelme_main(ctx, ['001.json'])


@case
def labelme_point_outside_image(ctx):
    labelme_inputs(ctx)
    write_labelme(
        str(ctx.inputs / 'ann' / 'a' / '001.json'),
        [(f'l{k + 1}', (500, 5)) for k in range(19)], '../../images/001.png',
        60, 80)
    return labelme_main(ctx, ['001.json'])


@case
def labelme_image_missing(ctx):
    labelme_inputs(ctx)
    os.remove(ctx.inputs / 'images' / '000.png')
    return labelme_main(ctx, ['000.png'])


@case
def labelme_output_exists(ctx):
    labelme_inputs(ctx)
    (ctx.scratch / 'out').mkdir()
    (ctx.scratch / 'out' / 'mine.txt').write_text('a user file')
    return labelme_main(ctx, [str(ctx.scratch / 'out')])


@case
def labelme_bad_spacing_csv(ctx):
    labelme_inputs(ctx)
    csv = ctx.inputs / 'spacing.csv'
    csv.write_text('image,spacing\n000,0.1\n001,-3\n')
    from data_converters import labelme as labelme_cli
    argv = [
        '--ann-dirs',
        str(ctx.inputs / 'ann' / 'a'), '--out',
        str(ctx.scratch / 'out'), '--spacing-csv',
        str(csv)
    ]
    return Call(lambda: labelme_cli.main(argv), SystemExit,
                ['spacing.csv', 'line 3'])


@case
def labelme_decompression_bomb(ctx):
    labelme_inputs(ctx)
    ctx.monkeypatch.setattr(Image, 'MAX_IMAGE_PIXELS', 1000)
    return labelme_main(ctx, ['000.png'])


@case
def labelme_decompression_bomb_skipped(ctx):
    """With --skip-invalid the bomb is left out, the rest converted."""
    labelme_inputs(ctx, num=3)
    save_image(str(ctx.inputs / 'images' / '001.png'), grey_image(300, 300))
    write_labelme(
        str(ctx.inputs / 'ann' / 'a' / '001.json'),
        [(f'l{k + 1}', (50, 50)) for k in range(19)], '../../images/001.png',
        300, 300)
    ctx.monkeypatch.setattr(Image, 'MAX_IMAGE_PIXELS', 10000)
    call = labelme_main(ctx, [], skip=True)

    def run():
        result = call.fn()
        assert result.num_images == 2, result
        defects = json.load(open(ctx.scratch / 'out' / 'defects.json'))
        assert '001' in json.dumps(defects)
        raise RuntimeError('converted, bomb skipped and reported')

    return Call(run, RuntimeError, ['bomb skipped'])


@case
def cldetection_truncated_stack(ctx):
    stack, labels = cldetection_inputs(ctx)
    stack.write_bytes(stack.read_bytes()[:-2000])
    return cldetection_main(ctx, stack, labels, ['train_stack.mha'])


@case
def cldetection_labels_not_json(ctx):
    stack, labels = cldetection_inputs(ctx)
    labels.write_text('<xml>not json</xml>')
    return cldetection_main(ctx, stack, labels, ['train-gt.json'])


@case
def isbi_missing_layout(ctx):
    from data_converters import isbi2015 as isbi_cli
    (ctx.inputs / 'ISBI2015').mkdir()
    argv = [
        '--root',
        str(ctx.inputs / 'ISBI2015'), '--out',
        str(ctx.scratch / 'out')
    ]
    return Call(lambda: isbi_cli.main(argv), SystemExit, ['ISBI2015'])


# ------------------------------------------------------------- the API
@case
def api_empty_array(ctx):
    from ceph_landmarks.apis import LandmarkPredictor
    predictor = LandmarkPredictor(TINY_CONFIG, ctx.checkpoint, device='cpu')
    empty = np.zeros((0, 0), np.uint8)
    return Call(lambda: predictor.predict(empty, spacing=0.1), ValueError,
                ['image', 'no pixels'])


def predictor_call(ctx: Ctx, keep_bytes: int, reason: str) -> Call:
    """Build the API's predictor on the cut checkpoint."""
    from ceph_landmarks.apis import LandmarkPredictor
    path = write_checkpoint_copy(ctx, keep_bytes)
    return Call(
        lambda: LandmarkPredictor(TINY_CONFIG, str(path), device='cpu'),
        CheckpointError, ['model.pth', reason])


@case
def api_empty_checkpoint(ctx):
    return predictor_call(ctx, 0, 'empty')


@case
def api_truncated_checkpoint(ctx):
    return predictor_call(ctx, 5000, 'truncated')


@case
def api_negative_spacing(ctx):
    from ceph_landmarks.apis import LandmarkPredictor
    image = one_image(ctx)
    predictor = LandmarkPredictor(TINY_CONFIG, ctx.checkpoint, device='cpu')
    return Call(lambda: predictor.predict(str(image), spacing=-1), ValueError,
                ['spacing'])


@case
def api_image_not_an_image(ctx):
    from ceph_landmarks.apis import LandmarkPredictor
    path = ctx.inputs / 'notes.png'
    path.write_text('these are notes, not pixels')
    predictor = LandmarkPredictor(TINY_CONFIG, ctx.checkpoint, device='cpu')
    return Call(lambda: predictor.predict(str(path)), ValueError,
                ['notes.png'])


@case
def api_spacing_csv_duplicate_image(ctx):
    from ceph_landmarks.apis import read_spacing_csv
    path = ctx.inputs / 'spacing.csv'
    path.write_text('image,spacing\na.png,0.1\na.png,0.2\n')
    return Call(lambda: read_spacing_csv(str(path)), ValueError,
                ['spacing.csv', 'a.png'])


@case
def ground_truth_duplicate_image_ids(ctx):
    from ceph_landmarks.core.ground_truth import load_ground_truth

    def edit(coco):
        coco['images'][1]['id'] = coco['images'][0]['id']

    path = coco_copy(ctx, edit)
    return Call(lambda: load_ground_truth(str(path), 19), ValueError,
                ['ann.json'])


# ------------------------------------------------------------------ tools
@tool_case
def train_annotation_not_json(ctx):
    (ctx.inputs / 'annotations').mkdir()
    (ctx.inputs / 'images').mkdir()
    (ctx.inputs / 'annotations' / 'train.json').write_text('nope')
    (ctx.inputs / 'annotations' / 'val.json').write_text('nope')
    return Tool('train.py', [
        TINY_CONFIG, '--work-dir',
        str(ctx.scratch / 'work'), *data_options(str(ctx.inputs))
    ], ['train.json'])


@tool_case
def train_zero_byte_image(ctx):
    shutil.copytree(ctx.tiny_data, ctx.inputs / 'data')
    (ctx.inputs / 'data' / 'images' / 'train_0003.png').write_bytes(b'')
    return Tool('train.py', [
        TINY_CONFIG, '--work-dir',
        str(ctx.scratch / 'work'), *data_options(str(ctx.inputs / 'data'))
    ], ['train_0003.png'])


def evaluate_with(ctx: Ctx, checkpoint: Path, names: Sequence[str]) -> Tool:
    """``tools/test.py`` of the tiny config with ``checkpoint``."""
    return Tool('test.py', [
        TINY_CONFIG, '--checkpoints',
        str(checkpoint), '--work-dir',
        str(ctx.scratch), *data_options(ctx.tiny_data)
    ], names)


@tool_case
def evaluation_tool_truncated_checkpoint(ctx):
    return evaluate_with(ctx, write_checkpoint_copy(ctx, 5000), ['model.pth'])


@tool_case
def evaluation_tool_malicious_checkpoint(ctx):

    class Exploit:

        def __reduce__(self):
            return (os.system, (f'touch {ctx.scratch}/pwned', ))

    path = ctx.inputs / 'evil.pth'
    torch.save({'state_dict': Exploit()}, path)
    ctx.extra['absent'] = ctx.scratch / 'pwned'
    return evaluate_with(ctx, path,
                         ['Refusing to load checkpoint', 'evil.pth', 'system'])


@tool_case
def extend_checkpoint_out_exists(ctx):
    src = write_checkpoint_copy(ctx, None)
    out = write_checkpoint_copy(ctx, None, 'existing.pth')
    return Tool('extend_checkpoint.py', [
        str(src), '--src-landmarks', 'isbi2015', '--dst-landmarks',
        'isbi2015_p1p2', '--out',
        str(out)
    ], ['existing.pth', '--overwrite'])


@tool_case
def infer_ann_file_duplicate_ids(ctx):

    def edit(coco):
        coco['images'][1]['id'] = coco['images'][0]['id']

    ann = coco_copy(ctx, edit)
    return infer_tool(ctx, [ctx.inputs / 'images' / 'val_0000.png'],
                      ['ann.json'], '--ann-file', str(ann))


@tool_case
def infer_bad_spacing_csv(ctx):
    image = one_image(ctx)
    csv = ctx.inputs / 'spacing.csv'
    csv.write_text('image,spacing\nxray.png,zero\n')
    tool = infer_tool(ctx, [image], ['spacing.csv'], '--spacing-csv', str(csv))
    tool.status = 2  # found while parsing the options
    return tool


@tool_case
def infer_corrupt_image(ctx):
    image = ctx.inputs / 'broken.png'
    data = Path(osp.join(ctx.tiny_data, 'images', 'val_0000.png'))
    image.write_bytes(data.read_bytes()[:200])
    return infer_tool(ctx, [image], ['broken.png'])


@tool_case
def infer_no_such_input(ctx):
    tool = infer_tool(ctx, [ctx.inputs / 'missing' / '*.png'], ['missing'])
    tool.status = 2  # found while parsing the options
    return tool


# -------------------------------------------------------------- the test
# --- issue 23: unwritable outputs, --cfg-options typos, options first
def blocked_path(ctx: Ctx, *parts: str) -> Path:
    """A path below ``scratch/blocker.txt``, a regular file: no one, root
    included, can write there."""
    blocker = ctx.scratch / 'blocker.txt'
    blocker.write_text('a file, not a folder')
    return blocker.joinpath(*parts)


def checkpoint_tool(ctx: Ctx, script: str, out: Path, names) -> Tool:
    """``tools/extend_checkpoint.py`` or ``tools/export_weights.py`` of the
    tiny checkpoint into ``out``."""
    landmarks = [] if script == 'export_weights.py' else [
        '--src-landmarks', 'isbi2015', '--dst-landmarks', 'isbi2015_p1p2'
    ]
    src = write_checkpoint_copy(ctx, None)
    return Tool(script, [str(src), *landmarks, '--out', str(out)], names)


@tool_case
def extend_checkpoint_out_under_a_file(ctx):
    out = blocked_path(ctx, 'x.pth')
    return checkpoint_tool(ctx, 'extend_checkpoint.py', out,
                           [f'--out {out}: cannot write', 'not a folder'])


@tool_case
def extend_checkpoint_out_read_only_folder(ctx):
    folder = ctx.scratch / 'read_only'
    folder.mkdir(mode=0o500)
    if os.access(str(folder), os.W_OK):
        pytest.skip('running as root: a 0o500 folder is still writable')
    return checkpoint_tool(ctx, 'extend_checkpoint.py', folder / 'x.pth',
                           ['--out', 'cannot write', 'Permission denied'])


@tool_case
def export_weights_out_under_a_file(ctx):
    out = blocked_path(ctx, 'sub', 'x.pth')
    return checkpoint_tool(ctx, 'export_weights.py', out,
                           [f'--out {out}: cannot write', 'blocker.txt'])


@tool_case
def infer_out_under_a_file(ctx):
    out = blocked_path(ctx, 'results')
    # the last --out counts: it replaces infer_tool's own
    return infer_tool(ctx, [one_image(ctx)],
                      [f'--out {out}: cannot write', 'not a folder'], '--out',
                      str(out))


@tool_case
def train_cfg_options_typo(ctx):
    ctx.extra['absent'] = ctx.scratch / 'work'  # refused before the Runner
    return Tool('train.py', [
        TINY_CONFIG, '--work-dir',
        str(ctx.scratch / 'work'), *data_options(ctx.tiny_data),
        'train_cfg.max_epoch=1'
    ], [
        '--cfg-options train_cfg.max_epoch: no such key in',
        'tiny_synthetic-64x64.py', 'did you mean train_cfg.max_epochs?'
    ])


@tool_case
def evaluation_tool_cfg_options_typo(ctx):
    tool = evaluate_with(ctx, Path(ctx.checkpoint), [
        '--cfg-options test_dataloader.batchsize',
        'did you mean test_dataloader.batch_size?'
    ])
    tool.args.append('test_dataloader.batchsize=2')
    return tool


@tool_case
def evaluation_tool_out_under_a_file(ctx):
    out = blocked_path(ctx, 'metrics.json')
    tool = evaluate_with(ctx, Path(ctx.checkpoint),
                         [f'--out {out}: cannot write', 'not a folder'])
    tool.args[1:1] = ['--out', str(out)]
    return tool


@tool_case
def gpu_check_negative_limit(ctx):
    ctx.extra['absent'] = ctx.scratch / 'out'
    return Tool('gpu_check.py', [
        str(ctx.scratch / 'out'), '--work-dir',
        str(ctx.scratch / 'work'), '--limit', 'install=-5'
    ], ['--limit install=-5: expected a positive number of seconds'])


@tool_case
def gpu_check_out_is_a_file(ctx):
    out = ctx.inputs / 'gpu_check.json'
    out.write_text('{}')
    return Tool('gpu_check.py',
                [str(out), '--work-dir',
                 str(ctx.scratch / 'work')],
                [f'OUT_DIR {out}: cannot write (it is a file, not a folder)'])


def protocol_tool(ctx: Ctx, *extra: str, out: Optional[Path] = None) -> Tool:
    """``tools/run_protocol.py`` on LabelMe inputs; the rows' errors come
    before any conversion (nothing under ``scratch/protocol``)."""
    labelme_inputs(ctx)
    out = out or ctx.scratch / 'protocol'
    ctx.extra['absent'] = ctx.scratch / 'protocol' / 'data'
    return Tool(
        'run_protocol.py', [
            TINY_CONFIG, '--ann-dirs',
            str(ctx.inputs / 'ann' / 'a'), '--img-dir',
            str(ctx.inputs / 'images'), '--spacing', '0.1', '--out',
            str(out), *extra
        ], [],
        status=2)  # found while parsing the options


@tool_case
def run_protocol_bad_test_spacing(ctx):
    tool = protocol_tool(ctx, '--test-ann-dirs', str(ctx.inputs / 'ann'),
                         '--test-spacing', '0')
    tool.names = ['--test-spacing 0.0: expected the pixel spacing']
    return tool


@tool_case
def run_protocol_missing_test_ann_dir(ctx):
    missing = ctx.inputs / 'clinic' / 'doctor_a'
    tool = protocol_tool(ctx, '--test-ann-dirs', str(missing),
                         '--test-spacing', '0.1')
    tool.names = [f'--test-ann-dirs {missing}: no such folder']
    return tool


@tool_case
def run_protocol_out_under_a_file(ctx):
    out = blocked_path(ctx, 'protocol')
    tool = protocol_tool(ctx, out=out)
    tool.names = [f'--out {out}: cannot write', 'not a folder']
    return tool


@case
def converter_out_under_a_file(ctx):
    from data_converters import labelme as labelme_cli
    labelme_inputs(ctx)
    out = blocked_path(ctx, 'dataset')
    argv = [
        '--ann-dirs',
        str(ctx.inputs / 'ann' / 'a'), '--out',
        str(out), '--spacing', '0.1'
    ]
    return Call(lambda: labelme_cli.main(argv), SystemExit,
                [f'output directory {out}: cannot write', 'not a folder'])


# --- issue 23: ground truth by path, LabelMe review work, converter
# diagnoses (item 4)
@tool_case
def infer_ann_file_two_images_match_one_entry(ctx):
    """a/val_0000.png and b/val_0000.png (another image) for one entry
    val_0000.png: which one it annotates is unknown."""
    ann = coco_copy(ctx)
    first = one_image(ctx, 'a/val_0000.png')
    second = ctx.inputs / 'b' / 'val_0000.png'
    second.parent.mkdir()
    shutil.copy(osp.join(ctx.tiny_data, 'images', 'val_0001.png'), second)
    return infer_tool(ctx, [first, second],
                      ['a/val_0000.png', 'b/val_0000.png', 'ann.json'],
                      '--ann-file', str(ann))


@tool_case
def infer_overwrite_keeps_reviewed_labelme_file(ctx):
    """A review flag unticked and a note added in LabelMe (no point
    moved): --overwrite refuses, and the file (in ``inputs``) is kept."""
    from ceph_landmarks.apis import LandmarkPredictor, predict_to_folder
    image = one_image(ctx)
    out = ctx.inputs / 'out'
    predictor = LandmarkPredictor(TINY_CONFIG, ctx.checkpoint, device='cpu')
    list(predict_to_folder(predictor, [str(image)], str(out), labelme=True))
    path = out / 'labelme' / 'xray.json'
    record = json.loads(path.read_text())
    record['shapes'][0]['flags'] = {'review': False}
    record['shapes'][0]['description'] += '; checked'
    path.write_text(json.dumps(record, indent=2))
    return Tool('infer.py', [
        TINY_CONFIG,
        str(image), '--checkpoints', ctx.checkpoint, '--out',
        str(out), '--labelme', '--overwrite'
    ], ['labelme/xray.json', 'flags changed', 'descriptions changed'])


def labelme_dicom_inputs(ctx: Ctx, stem: str = '000', **tags) -> Path:
    """:func:`labelme_inputs` with ``images/<stem>.dcm`` in place of the
    PNG (written with ``tags``)."""
    from helpers import write_dicom
    labelme_inputs(ctx)
    path = ctx.inputs / 'images' / f'{stem}.dcm'
    write_dicom(str(path), grey_image(60, 80, 0), **tags)
    ann = ctx.inputs / 'ann' / 'a' / f'{stem}.json'
    record = json.loads(ann.read_text())
    record['imagePath'] = f'../../images/{stem}.dcm'
    ann.write_text(json.dumps(record))
    return path


def labelme_call(ctx: Ctx, names, *extra) -> Call:
    """The LabelMe converter without ``--spacing``."""
    from data_converters import labelme as labelme_cli
    argv = [
        '--ann-dirs',
        str(ctx.inputs / 'ann' / 'a'), '--out',
        str(ctx.scratch / 'out'), *extra
    ]
    return Call(lambda: labelme_cli.main(argv), SystemExit, names)


@case
def labelme_dicom_text_pixel_spacing(ctx):
    """Not 'no spacing: give --spacing': the header's tag and value."""
    path = labelme_dicom_inputs(ctx, pixel_spacing=(0.1, 0.1))
    path.write_bytes(path.read_bytes().replace(b'0.1\\0.1', b'abc\\0.1'))
    return labelme_call(ctx, ['000.dcm', "malformed Pixel Spacing 'abc\\0.1'"])


@case
def labelme_empty_dicom_skipped_as_unreadable(ctx):
    """With --skip-invalid a 0-byte DICOM is an unreadable image, not a
    missing spacing."""
    labelme_dicom_inputs(ctx).write_bytes(b'')
    other = ctx.inputs / 'ann' / 'a' / '001.json'
    other.write_text(
        json.dumps(dict(json.loads(other.read_text()), spacing=[0.1, 0.1])))
    call = labelme_call(ctx, [], '--skip-invalid')

    def run():
        assert call.fn().num_images == 1
        defects = json.load(open(ctx.scratch / 'out' / 'defects.json'))
        found = [(osp.basename(d['file']), d['kind'], d['detail'])
                 for d in defects['defects']]
        assert found == [('000.dcm', 'unreadable_image', 'the file is empty')
                         ], found
        raise RuntimeError('000.dcm skipped as unreadable_image')

    return Call(run, RuntimeError, ['000.dcm', 'unreadable_image'])


@case
def labelme_spacing_overrides_dicom_header(ctx):
    """--spacing that differs from a DICOM header's: the converter warns
    as tools/infer.py does (the spacing given wins)."""
    import logging
    labelme_dicom_inputs(ctx, pixel_spacing=(0.2, 0.2))
    call = labelme_main(ctx, [])

    def run():
        logged: List[str] = []
        handler = logging.Handler()
        handler.emit = lambda record: logged.append(record.getMessage())
        logger = logging.getLogger('ceph_landmarks')
        logger.addHandler(handler)
        try:
            call.fn()
        finally:
            logger.removeHandler(handler)
        raise RuntimeError('\n'.join(logged))

    return Call(run, RuntimeError, [
        '000.dcm: the spacing from --spacing, [0.1, 0.1] mm/px, overrides '
        'the one in its header, [0.2, 0.2] mm/px (DICOM Pixel Spacing)'
    ])


# --- issue 23: checkpoints that do not fit a stage of the cascade or an
# ensemble (another landmark set or head, the other stage's training), and
# options that do nothing with the checkpoints given (warnings, status 0)
def stage_checkpoint(ctx: Ctx,
                     name: str,
                     num: int = 19,
                     landmark_set: str = 'isbi2015',
                     config: Optional[str] = None,
                     srpose: bool = False) -> Path:
    """A tiny Runner checkpoint in ``inputs``; with ``config``, that
    config's text as ``meta['cfg']`` (what it was trained with)."""
    from mmengine.config import Config

    from helpers import build_tiny_model, save_runner_checkpoint
    path = ctx.inputs / name
    checkpoint = save_runner_checkpoint(
        build_tiny_model(num, srpose=srpose), str(path), landmark_set)
    if config is not None:
        checkpoint['meta']['cfg'] = Config.fromfile(config).pretty_text
        torch.save(checkpoint, path)
    return path


def cascade_tool(ctx: Ctx, script: str, checkpoints: Sequence[Path],
                 names: Sequence[str], *extra: str) -> Tool:
    """``tools/infer.py`` (one image) or ``tools/test.py`` (the tiny val
    split) of the tiny config with ``checkpoints`` and ``extra``."""
    ckpts = ['--checkpoints', *map(str, checkpoints)]
    if script == 'infer.py':
        args = [
            TINY_CONFIG,
            str(one_image(ctx)), *ckpts, '--out',
            str(ctx.scratch / 'out')
        ]
    else:
        args = [
            TINY_CONFIG, *ckpts, '--work-dir',
            str(ctx.scratch), *data_options(ctx.tiny_data)
        ]
    return Tool(script, [*args, *extra], names)


def refine_options(checkpoint: Path) -> List[str]:
    from helpers import REFINE_CONFIG
    return [
        '--refine-config', REFINE_CONFIG, '--refine-checkpoints',
        str(checkpoint)
    ]


MEMBER_2_OF_2 = [
    'b.pth (first stage member 2 of 2)', 'holds 21 landmarks',
    'the config expects 19 landmarks (isbi2015)'
]


@tool_case
def infer_ensemble_member_other_landmarks(ctx):
    a = stage_checkpoint(ctx, 'a.pth')
    b = stage_checkpoint(ctx, 'b.pth', 21, 'isbi2015_p1p2')
    return cascade_tool(ctx, 'infer.py', [a, b], MEMBER_2_OF_2)


@tool_case
def evaluation_tool_ensemble_member_other_landmarks(ctx):
    a = stage_checkpoint(ctx, 'a.pth')
    b = stage_checkpoint(ctx, 'b.pth', 21, 'isbi2015_p1p2')
    return cascade_tool(ctx, 'test.py', [a, b], MEMBER_2_OF_2)


@tool_case
def infer_refinement_checkpoint_other_landmarks(ctx):
    a = stage_checkpoint(ctx, 'a.pth')
    r = stage_checkpoint(ctx, 'r.pth', 21, 'isbi2015_p1p2')
    return cascade_tool(ctx, 'infer.py', [a], [
        'r.pth (refinement stage)', 'holds 21 landmarks (isbi2015_p1p2)',
        'expects 19'
    ], *refine_options(r))


@tool_case
def evaluation_tool_refinement_checkpoint_other_architecture(ctx):
    a = stage_checkpoint(ctx, 'a.pth')
    r = stage_checkpoint(ctx, 'srpose.pth', srpose=True)
    return cascade_tool(ctx, 'test.py', [a], [
        'srpose.pth (refinement stage)', 'holds a SRPoseHead',
        'the config builds a HeatmapHead'
    ], *refine_options(r))


@tool_case
def infer_refinement_checkpoint_of_a_first_stage(ctx):
    a = stage_checkpoint(ctx, 'a.pth')
    first = stage_checkpoint(ctx, 'first.pth', config=TINY_CONFIG)
    return cascade_tool(
        ctx, 'infer.py', [a],
        ['first.pth (refinement stage)', 'trained as a whole-image model'],
        *refine_options(first))


@tool_case
def infer_points_ensemble_of_one_checkpoint(ctx):
    a = stage_checkpoint(ctx, 'a.pth')
    tool = cascade_tool(ctx, 'infer.py', [a],
                        ['--ensemble points', 'has no effect', 'a.pth'],
                        '--ensemble', 'points')
    tool.status = 0  # a warning: the prediction is made
    return tool


@tool_case
def infer_flip_test_of_a_model_trained_without_flips(ctx):
    first = stage_checkpoint(ctx, 'first.pth', config=TINY_CONFIG)
    tool = cascade_tool(ctx, 'infer.py', [first], [
        '--flip-test', 'first.pth (first stage) was trained without '
        'RandomFlip'
    ], '--flip-test')
    tool.status = 0  # a warning: the prediction is made
    return tool


@tool_case
def evaluation_tool_refinement_checkpoint_as_the_model(ctx):
    from helpers import REFINE_CONFIG
    crops = stage_checkpoint(ctx, 'refine.pth', config=REFINE_CONFIG)
    return cascade_tool(ctx, 'test.py', [crops],
                        ['refine.pth', 'trained on crops'])


@tool_case
def evaluation_tool_points_ensemble_of_one_checkpoint(ctx):
    a = stage_checkpoint(ctx, 'a.pth')
    tool = cascade_tool(ctx, 'test.py', [a],
                        ['--ensemble points', 'has no effect', 'a.pth'],
                        '--ensemble', 'points')
    tool.status = 0  # a warning: the test runs
    return tool


def predictor_of(checkpoints, **kwargs) -> Callable[[], object]:
    """Build the API's predictor of the tiny config."""
    from ceph_landmarks.apis import LandmarkPredictor
    return lambda: LandmarkPredictor(
        TINY_CONFIG, checkpoints, device='cpu', **kwargs)


@case
def api_checkpoint_of_more_landmarks_than_the_config(ctx):
    p1p2 = stage_checkpoint(ctx, 'p1p2.pth', 21, 'isbi2015_p1p2')
    return Call(
        predictor_of(str(p1p2)), CheckpointError,
        ['p1p2.pth (first stage)', 'holds 21 landmarks (isbi2015_p1p2)'])


@case
def api_ensemble_of_two_landmark_sets(ctx):
    b = stage_checkpoint(ctx, 'b.pth', 21, 'isbi2015_p1p2')
    return Call(
        predictor_of([ctx.checkpoint, str(b)]), CheckpointError, MEMBER_2_OF_2)


@case
def api_refinement_checkpoint_other_landmarks(ctx):
    from helpers import REFINE_CONFIG
    r = stage_checkpoint(ctx, 'r.pth', 21, 'isbi2015_p1p2')
    return Call(
        predictor_of(
            ctx.checkpoint,
            refine_config=REFINE_CONFIG,
            refine_checkpoints=[str(r)]), CheckpointError,
        ['r.pth (refinement stage)', 'holds 21 landmarks'])


@case
def api_refinement_checkpoint_of_a_first_stage(ctx):
    from helpers import REFINE_CONFIG
    first = stage_checkpoint(ctx, 'first.pth', config=TINY_CONFIG)
    return Call(
        predictor_of(
            ctx.checkpoint,
            refine_config=REFINE_CONFIG,
            refine_checkpoints=str(first)), CheckpointError,
        ['first.pth (refinement stage)', 'trained as a whole-image model'])


@case
def api_first_stage_checkpoint_of_a_refinement(ctx):
    from helpers import REFINE_CONFIG
    crops = stage_checkpoint(ctx, 'refine.pth', config=REFINE_CONFIG)
    return Call(
        predictor_of(str(crops)), CheckpointError,
        ['refine.pth (first stage)', 'trained on crops'])


# ------------------------------------------- the light runtime (ONNX export)
@functools.lru_cache(maxsize=None)
def _exported(checkpoint: str) -> str:
    """The tiny model of ``checkpoint`` exported once per test process."""
    from ceph_landmarks.apis.onnx_export import export_onnx
    out = osp.join(tempfile.mkdtemp(prefix='export_'), 'model')
    export_onnx(TINY_CONFIG, [checkpoint], out)
    return out


def runtime_tool(ctx: Ctx,
                 edit: Callable[[Path], None] = lambda d: None,
                 image: Optional[Path] = None,
                 names=()) -> Tool:
    """``python -m ceph_landmarks.runtime`` on an edited copy of the
    export, in ``inputs/model``."""
    model = ctx.inputs / 'model'
    shutil.copytree(_exported(ctx.checkpoint), model)
    edit(model)
    image = image or one_image(ctx)
    return Tool('ceph_landmarks.runtime',
                [str(model),
                 str(image), '--out',
                 str(ctx.scratch / 'out')], names)


def _edit_manifest(change: Callable[[dict], None]) -> Callable[[Path], None]:

    def edit(model: Path) -> None:
        path = model / 'model.json'
        manifest = json.loads(path.read_text())
        change(manifest)
        path.write_text(json.dumps(manifest))

    return edit


@tool_case
def runtime_manifest_of_another_version(ctx):
    return runtime_tool(
        ctx,
        _edit_manifest(lambda m: m.update(package_version='0.0.9')),
        names=['model.json', 'exported by ceph_landmarks 0.0.9'])


@tool_case
def runtime_missing_onnx_file(ctx):
    return runtime_tool(
        ctx,
        lambda model: (model / 'first_stage.onnx').unlink(),
        names=['first_stage.onnx: missing'])


@tool_case
def runtime_altered_onnx_file(ctx):

    def alter(model: Path) -> None:
        with open(model / 'first_stage.onnx', 'ab') as f:
            f.write(b'\0')

    return runtime_tool(
        ctx, alter, names=['first_stage.onnx: its SHA-256 is not the one'])


@tool_case
def runtime_image_the_core_refuses(ctx):
    image = ctx.inputs / 'notes.png'
    image.write_text('not an image')
    return runtime_tool(
        ctx, image=image, names=['notes.png', 'cannot read image'])


@tool_case
def runtime_input_size_other_than_the_manifests(ctx):

    def resize(manifest: dict) -> None:
        stage = manifest['first_stage']
        stage['input_size'] = stage['codec']['input_size'] = [32, 32]

    return runtime_tool(
        ctx,
        _edit_manifest(resize),
        names=[
            'first_stage.onnx: the network takes inputs of shape '
            '[3, 64, 64]', "manifest says [3, 32, 32]"
        ])


@case
def runtime_api_folder_without_manifest(ctx):
    from ceph_landmarks.runtime import ManifestError, OnnxLandmarkPredictor
    return Call(lambda: OnnxLandmarkPredictor(str(ctx.inputs)), ManifestError,
                [f'{ctx.inputs}/model.json: missing'])


@case
def deploy_pipeline_the_runtime_cannot_reproduce(ctx):
    from ceph_landmarks.apis.onnx_export import ExportError, export_onnx
    option = {
        'test_dataloader.dataset.pipeline.2.use_udp': True,
    }
    return Call(
        lambda: export_onnx(
            TINY_CONFIG, [ctx.checkpoint],
            str(ctx.scratch / 'out'),
            cfg_options=option), ExportError,
        [osp.basename(TINY_CONFIG), 'TopdownAffine without UDP'])


@tool_case
def deploy_into_a_folder_with_an_export(ctx):
    out = ctx.inputs / 'export'
    shutil.copytree(_exported(ctx.checkpoint), out)
    return Tool(
        'deploy.py',
        [TINY_CONFIG, '--checkpoints', ctx.checkpoint, '--out',
         str(out)], [f'{out} already holds an export', '--overwrite'])


def test_table_has_enough_rows():
    assert len(CASES) >= 30


@pytest.mark.parametrize('name', [
    pytest.param(name, marks=pytest.mark.slow) if name in TOOL_CASES else name
    for name in sorted(CASES)
])
def test_bad_input(name, tmp_path, tiny_data, untrained_checkpoint,
                   monkeypatch):
    ctx = Ctx(tmp_path / 'inputs', tmp_path / 'scratch', tiny_data,
              untrained_checkpoint, monkeypatch)
    ctx.inputs.mkdir()
    ctx.scratch.mkdir()
    action = CASES[name](ctx)
    assert isinstance(action, Tool) == (name in TOOL_CASES), \
        'register the rows that run a tool with @tool_case'
    before = digests(str(ctx.inputs))

    if isinstance(action, Call):
        with pytest.raises(action.error) as info:
            action.fn()
        value = info.value
        message = str(value.code if isinstance(value, SystemExit) else value)
    else:
        proc = run_tool(action.script, *action.args, check=False)
        message = proc.stdout + proc.stderr
        assert proc.returncode == action.status, message[-3000:]
        assert 'Traceback' not in proc.stderr, proc.stderr[-3000:]
    for expected in action.names:
        assert expected in message, (expected, message[-3000:])
    assert digests(str(ctx.inputs)) == before, 'an input file changed'
    absent = ctx.extra.get('absent')
    assert absent is None or not Path(absent).exists()
