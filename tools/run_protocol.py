"""Run the real-data protocol end to end: convert, train, test, report.

Usage:
    python tools/run_protocol.py CONFIG --ann-dirs DOCTOR_A DOCTOR_B
        --spacing 0.144 --out work_dirs/hamedan_protocol [--folds 5]
        [--seed 0] [--img-dir DIR] [--train-args "--epochs 60 ..."]
        [--test-checkpoint last|best] [--overwrite | --resume]
        [--seeds S [S ...]] [--ensemble heatmap|points]
        [--refine-config CFG [--refine-train-args "..."]] [--flip-test]
        [--test-ann-dirs CLINIC_A CLINIC_B --test-spacing MM
         [--test-img-dir DIR] [--calibration FILE]]
        [--calibrate [--alpha 0.1]] [--cfg-options key=value ...]

Steps, each through the package's own tools:

1. ``data_converters/labelme.py`` writes the ground truth as the mean of
   the annotators (``OUT/data/mean``) and as each annotator alone
   (``OUT/data/<name>``), all with the same seeded split (``--seed``) and
   ``--skip-invalid``;
2. with ``--folds K`` the mean set's images are pooled and split into K
   folds (``fold{i}_train.json`` / ``fold{i}_val.json``), otherwise the
   converter's train / val split is used;
3. ``tools/train.py CONFIG`` trains each fold into ``OUT/fold{i}`` (a fold
   folder with checkpoints of an earlier protocol run is refused unless
   ``--overwrite``, which moves them aside: see ``tools/train.py``; or
   continued with ``--resume``: a run cut short goes on from its last
   checkpoint, a finished one is kept as it is). With
   ``--seeds S1 S2 ...`` the same recipe is trained once per seed
   (``randomness.seed=S``) into ``OUT/fold{i}/seed{S}`` (``OUT/fold{i}``
   when one seed is given). With ``--refine-config CFG`` each model's
   refinement stage is trained into its ``refine/`` subfolder by
   ``tools/train.py CFG`` on the same training images (``--data-root``
   and the training loader's annotation file: the refinement config has
   no validation loop; ``--refine-train-args`` adds its options);
4. ``tools/test.py`` evaluates the last checkpoint
   (``--test-checkpoint best``: the one with the best validation MRE; the
   validation images are the reported test images, so choosing an epoch
   on them flatters the figures), with the config the training dumped
   (so ``--train-args`` such as ``--image-size`` apply), on the fold's
   validation images against the mean and against each annotator,
   writing the metrics, the per-landmark table and (for the mean) the
   report images (with ``--resume``, a metrics file newer than the
   checkpoints it was made with is kept). Every model
   is tested: each seed's, and with two seeds or more their ensemble
   (all the seeds' checkpoints in one ``tools/test.py`` call, folder
   ``OUT/fold{i}/ensemble``); each alone and, with ``--refine-config``,
   with its refinement stage; each without and, with ``--flip-test``,
   with test-time flip. A model folder holds ``metrics_{gt}.json``,
   ``test_{gt}/`` and ``report/`` of the plain test, and
   ``metrics_{gt}_{stages}.json``, ``test_{gt}_{stages}/`` and
   ``report_{stages}/`` of the others (``refined``, ``flip``,
   ``refined_flip``);
5. ``OUT/summary.json`` and ``OUT/summary.csv`` collect one row per fold,
   ground truth and variant, with the mean over folds (``fold`` is
   ``mean``).

Error radii (issue 25). With ``--folds K --calibrate`` every fold's
held-out images are also predicted with the whole recipe (each fold's last
model with its refinement, flip test and ensemble) by ``tools/infer.py
--ann-file`` against each ground truth (``OUT/fold{i}/predictions_{gt}``,
without a calibration). The error radii of fold ``i`` are fitted
(``tools/calibrate.py``'s maths,
``ceph_landmarks.core.evaluation.fold_calibration``) on the other folds'
predictions against the mean and measured on fold ``i`` against the mean
and each annotator, so that no image is measured by radii fitted on it.
``OUT/coverage.json`` and ``OUT/coverage.csv`` hold per ground truth and
landmark the coverage (the fraction of true points within their radius;
nominal ``1 - --alpha``) and the mean radius, overall and the lowest
landmark, and the quality check of the images (verdicts, correctly
predicted images flagged, AUROC). ``OUT/calibration.json`` is fitted on
all folds: ship it beside a model trained on all the images. With
``--test-ann-dirs``, ``--calibration FILE`` measures a calibration (of
an earlier ``--calibrate`` run) on the external set the same way.

External test set (``--test-ann-dirs A B --test-spacing MM``): LabelMe
folders of images from elsewhere, one per annotator, converted like the
main set into ``OUT/test_data/{mean,A,B}`` with all their images in
``annotations/test.json``. The model is then trained on all the images of
``--ann-dirs`` (the converter's train and val files merged into
``OUT/data/mean/annotations/all.json``), into ``OUT/external`` (per seed
``OUT/external/seed{S}``), and the whole recipe (seeds, ensemble,
refinement, flip) is tested on the external set against its mean and each
of its annotators. Validation during training runs on the external mean
set for monitoring only: the last checkpoint is tested, and
``--test-checkpoint best`` (an epoch chosen on the test images) and
``--folds`` (there is no split to make) are refused. This is how a clinic
checks a model on its own X-rays.

Summary rows: ``fold`` (fold index, ``mean`` or ``external``),
``ground_truth`` (``mean`` or an annotator) and ``variant``, the model
followed by its test stages. The model is ``coarse`` (no ``--seeds``),
``seed{S}``, ``seed-mean`` (the mean of the seeds' rows) or ``ensemble``;
the stages are ``+refined`` (coarse + refinement) and ``+flip``, e.g.
``seed0+refined+flip``. The metric keys lose their prefix (``ceph/MRE``
is ``MRE``); the metric's per-image standard error of the MRE
(``MRE_image_se``) and its collapsed landmark pairs (``collapsed_pairs``)
are carried when the metrics file has them. A ``seed-mean`` row adds the
seed-to-seed spread: ``MRE_seed_range`` and ``SDR@2mm_seed_range``, the
largest minus the smallest value over the seeds.

Reading the table (issue 13): an ablation row (refinement, flip, ensemble,
another recipe) counts as a gain only when its difference to the row it
changes is larger than the seed-to-seed spread of the same recipe
(``MRE_seed_range`` / ``SDR@2mm_seed_range``); a smaller difference cannot
be told from training noise. ``MRE_image_se`` is the other error bar: how
far the MRE would move on other test images of the same kind.
"""
import argparse
import csv
import glob
import json
import math
import os
import os.path as osp
import shlex
import subprocess
import sys
from dataclasses import dataclass, field
from typing import Dict, List, Optional, Sequence, Tuple, Union

from mmengine.runner import find_latest_checkpoint

from ceph_landmarks.cli import DATALOADERS, run_tool
from ceph_landmarks.core.conversion import (merge_annotations,
                                            subset_annotations,
                                            write_kfold_annotations)
from ceph_landmarks.core.evaluation.calibration_data import (
    fit_model_calibration, read_prediction_folders)
from ceph_landmarks.core.evaluation.fold_calibration import (external_coverage,
                                                             held_out_coverage)
from ceph_landmarks.core.model_calibration import (CALIBRATION_FILE,
                                                   load_calibration,
                                                   save_calibration)
from ceph_landmarks.core.writers.atomic_write import (atomic_write,
                                                      check_writable_dir,
                                                      write_json)
from ceph_landmarks.models.model_ensemble import ENSEMBLE_MODES

TOOLS = osp.dirname(osp.abspath(__file__))
REPO = osp.dirname(TOOLS)
LABELS = ('fold', 'ground_truth', 'variant')
#: metrics whose max - min over the seeds is the seed-to-seed spread
SPREAD_KEYS = ('MRE', 'SDR@2mm')
#: (data root, annotation file relative to it)
Data = Tuple[str, str]


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description='Convert, train, test and report on LabelMe data')
    parser.add_argument('config', help='training config')
    parser.add_argument(
        '--ann-dirs',
        nargs='+',
        required=True,
        help='LabelMe folders, one per annotator')
    parser.add_argument(
        '--spacing', type=float, required=True, help='mm per pixel')
    parser.add_argument('--out', required=True, help='protocol folder')
    parser.add_argument('--img-dir', help='image folder for the converter')
    parser.add_argument(
        '--folds',
        type=int,
        default=0,
        help='K-fold cross-validation (0: one split)')
    parser.add_argument(
        '--seed',
        type=int,
        default=0,
        help='seed of the train / val split and the folds')
    parser.add_argument(
        '--train-args',
        default='',
        help='extra tools/train.py options, as one quoted string')
    parser.add_argument(
        '--test-checkpoint',
        choices=['last', 'best'],
        default='last',
        help='the checkpoint of each training that tools/test.py '
        '--checkpoints gets: the last epoch (default; no choice made on the '
        'test images) or the best validation MRE')
    earlier = parser.add_mutually_exclusive_group()
    earlier.add_argument(
        '--overwrite',
        action='store_true',
        help='retrain folds whose folder holds checkpoints of an earlier '
        'run (tools/train.py --overwrite moves them aside)')
    earlier.add_argument(
        '--resume',
        action='store_true',
        help='continue the trainings of an earlier run of this protocol '
        'from their last checkpoints (a finished one is kept)')
    parser.add_argument(
        '--seeds',
        type=int,
        nargs='+',
        help='train the recipe once per training seed (randomness.seed) '
        'and report each, their mean and spread, and (2+ seeds) their '
        'ensemble; default: one run with the config\'s seed')
    parser.add_argument(
        '--ensemble',
        choices=ENSEMBLE_MODES,
        help='tools/test.py --ensemble for the seeds\' models (default: '
        'its own); needs 2+ --seeds')
    parser.add_argument(
        '--refine-config',
        help='also train this refinement-stage config per model and test '
        'coarse + refinement')
    parser.add_argument(
        '--refine-train-args',
        default='',
        help='extra tools/train.py options of the refinement stage, as one '
        'quoted string (--cfg-options of CONFIG do not apply to it)')
    parser.add_argument(
        '--flip-test',
        action='store_true',
        help='also test every model with test-time flip')
    parser.add_argument(
        '--test-ann-dirs',
        nargs='+',
        help='external test set: LabelMe folders, one per annotator; the '
        'model trains on all --ann-dirs images and is tested on these')
    parser.add_argument(
        '--test-spacing',
        type=float,
        help='mm per pixel of the external test set')
    parser.add_argument(
        '--test-img-dir', help='image folder of the external test set')
    parser.add_argument(
        '--calibrate',
        action='store_true',
        help='with --folds: predict every fold\'s held-out images with the '
        'whole recipe, fit the error radii without each fold and measure '
        'them on it (coverage.json, coverage.csv), and fit OUT/'
        'calibration.json on all folds')
    parser.add_argument(
        '--alpha',
        type=float,
        default=0.1,
        help='miscoverage of the radii of --calibrate (default 0.1: 90 %%)')
    parser.add_argument(
        '--calibration',
        metavar='FILE',
        help='with --test-ann-dirs: measure the coverage of this calibration '
        '(e.g. OUT/calibration.json of a --folds --calibrate run) on the '
        'external test set')
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        default=[],
        help='config overrides for training and testing')
    args = parser.parse_args(argv)
    check_args(parser, args)
    return args


def annotator_names(ann_dirs: Sequence[str]) -> List[str]:
    """The annotators' names: their folders' names."""
    return [osp.basename(osp.normpath(d)) for d in ann_dirs]


def check_inputs(parser: argparse.ArgumentParser,
                 args: argparse.Namespace) -> None:
    """Refuse, before any conversion, a spacing that is not a positive
    number and an ``--out`` that cannot be written, naming the option: the
    external set's spacing would otherwise be read only after the main set
    was converted, and reported against its first image."""
    for option, value in (('--spacing', args.spacing), ('--test-spacing',
                                                        args.test_spacing)):
        if value is not None and not (math.isfinite(value) and value > 0):
            parser.error(f'{option} {value}: expected the pixel spacing in '
                         'mm per pixel, a positive number')
    try:
        check_writable_dir(args.out, '--out')
    except OSError as err:
        parser.error(str(err))


def check_args(parser: argparse.ArgumentParser,
               args: argparse.Namespace) -> None:
    """Refuse option combinations the protocol cannot honour."""
    for option, dirs in (('--ann-dirs', args.ann_dirs),
                         ('--test-ann-dirs', args.test_ann_dirs or [])):
        names = annotator_names(dirs)
        if len(set(names)) != len(names) or 'mean' in names:
            parser.error(f'{option}: the folder names name the annotators '
                         'and must differ from each other and from "mean", '
                         f'but got {names}')
    check_inputs(parser, args)
    if args.test_ann_dirs is None:
        given = [
            o for o, v in (('--test-spacing', args.test_spacing),
                           ('--test-img-dir', args.test_img_dir)) if v
        ]
        if given:
            parser.error(f'{" and ".join(given)} describe an external test '
                         'set, but --test-ann-dirs is not given')
    else:
        if args.test_spacing is None:
            parser.error('--test-ann-dirs needs --test-spacing (mm per pixel '
                         'of the external test set)')
        if args.folds:
            parser.error(f'--folds {args.folds} cross-validates on the '
                         '--ann-dirs images, but with --test-ann-dirs the '
                         'model trains on all of them and is tested on the '
                         'external set: give one or the other')
        if args.test_checkpoint == 'best':
            parser.error('--test-checkpoint best chooses the epoch on the '
                         'validation images, which with --test-ann-dirs are '
                         'the external test images; use --test-checkpoint '
                         'last')
    if args.seeds is not None:
        if len(set(args.seeds)) != len(args.seeds) or min(args.seeds) < 0:
            parser.error('--seeds must be distinct non-negative integers, '
                         f'but got {args.seeds}')
    if args.ensemble and len(args.seeds or []) < 2:
        parser.error(f'--ensemble {args.ensemble} averages the models of '
                     'several seeds, but got --seeds '
                     f'{args.seeds or "(none)"}: give two seeds or more')
    if args.refine_train_args and not args.refine_config:
        parser.error('--refine-train-args needs --refine-config')
    if args.calibrate and args.folds < 2:
        parser.error('--calibrate fits the error radii on out-of-fold '
                     'predictions: it needs --folds 2 or more')
    if not 0.0 < args.alpha < 1.0:
        parser.error(f'--alpha must be in (0, 1), but got {args.alpha}')
    if args.calibration is not None:
        if args.test_ann_dirs is None:
            parser.error('--calibration is measured on an external test set: '
                         'it needs --test-ann-dirs (with --folds, '
                         '--calibrate fits one)')
        try:
            load_calibration(args.calibration)
        except (OSError, ValueError) as err:
            parser.error(f'--calibration: {err}')
    # last: the combinations above are said first, and a missing folder
    # of the external set is found before the main set is converted
    for option, dirs in (('--ann-dirs', args.ann_dirs),
                         ('--test-ann-dirs', args.test_ann_dirs or [])):
        for folder in dirs:
            if not osp.isdir(folder):
                parser.error(f'{option} {folder}: no such folder')


def run(cmd: List[str]) -> None:
    """Run a step, stopping the protocol if it fails (the step has printed
    why)."""
    print('+', ' '.join(shlex.quote(c) for c in cmd), flush=True)
    status = subprocess.run(cmd, cwd=REPO).returncode
    if status != 0:
        sys.exit(f'error: {osp.basename(cmd[1])} failed (exit status '
                 f'{status}); protocol stopped')


def convert(ann_dirs: Sequence[str],
            annotator: str,
            spacing: float,
            img_dir: Optional[str],
            seed: int,
            out: str,
            all_images: bool = False) -> None:
    """Convert one ground truth of a LabelMe set into ``out``, unless an
    earlier run did.

    Args:
        all_images (bool): Write every image into ``annotations/test.json``
            (the converter's single split with ``--val-ratio 0``, renamed)
            instead of a seeded train / val split.
    """
    ann = osp.join(out, 'annotations')
    done = osp.join(ann, 'test.json' if all_images else 'val.json')
    if osp.isfile(done):
        return
    if not (all_images and osp.isfile(osp.join(ann, 'train.json'))):
        cmd = [
            sys.executable,
            osp.join(REPO, 'data_converters', 'labelme.py'), '--ann-dirs',
            *ann_dirs, '--annotator', annotator, '--spacing',
            str(spacing), '--seed',
            str(seed), '--skip-invalid', '--out', out
        ]
        if img_dir:
            cmd += ['--img-dir', img_dir]
        if all_images:
            cmd += ['--val-ratio', '0']
        run(cmd)
    if all_images:
        os.replace(osp.join(ann, 'train.json'), done)


def find_checkpoint(work: str, which: str) -> str:
    """Return the last (mmengine's ``last_checkpoint`` pointer) or the best
    checkpoint the training wrote."""
    if which == 'best':
        found = sorted(
            glob.glob(osp.join(work, 'best_ceph_MRE_*.pth')), key=osp.getmtime)
        found = found[-1] if found else None
    else:
        found = find_latest_checkpoint(work)
    if not found or not osp.isfile(found):
        raise SystemExit(f'error: no {which} checkpoint in {work}')
    return found


def data_options(train: Optional[Data] = None,
                 evaluation: Optional[Data] = None) -> List[str]:
    """The options of ``tools/train.py`` and ``tools/test.py`` that point
    the training loader at ``train`` and the val and test loaders at
    ``evaluation`` (one of them given, at least).

    ``--data-root`` (every loader) is the first given root; a loader whose
    root differs (the external test set's, monitored during training) gets
    its own in ``--cfg-options``, as every loader its annotation file. The
    list ends in ``--cfg-options`` values: more may follow.
    """
    root = (train or evaluation)[0]
    opts = []
    for loaders, data in ((DATALOADERS[:1], train), (DATALOADERS[1:],
                                                     evaluation)):
        if data is not None:
            for loader in loaders:
                if data[0] != root:
                    opts.append(f'{loader}.dataset.data_root={data[0]}/')
                opts.append(f'{loader}.dataset.ann_file={data[1]}')
    return ['--data-root', root, '--cfg-options', *opts]


@dataclass
class Split:
    """The images one model is trained, monitored and tested on."""
    fold: Union[int, str]  # summary label: fold index or 'external'
    folder: str  # OUT/fold{i} or OUT/external
    train: Data
    monitor: Data  # validation during training
    tests: Dict[str, Data]  # ground truth -> its test images


@dataclass
class Model:
    """A trained model (one checkpoint, or several for an ensemble) with
    its optional refinement stage."""
    name: str  # 'coarse', 'seed{S}' or 'ensemble'
    folder: str  # where its tests are written
    config: str
    checkpoints: List[str]
    refine_config: Optional[str] = None
    refine_checkpoints: List[str] = field(default_factory=list)


def prepare_splits(args: argparse.Namespace, out: str) -> List[Split]:
    """Convert the data and write the annotation files of each split."""
    external = args.test_ann_dirs is not None
    annotators = [] if external else annotator_names(args.ann_dirs)
    roots = {gt: osp.join(out, 'data', gt) for gt in ['mean', *annotators]}
    for gt, root in roots.items():
        convert(args.ann_dirs, gt, args.spacing, args.img_dir, args.seed, root)

    def ann(gt: str, name: str) -> str:
        return osp.join(roots[gt], 'annotations', name)

    if external:
        test_roots = {
            gt: osp.join(out, 'test_data', gt)
            for gt in ['mean', *annotator_names(args.test_ann_dirs)]
        }
        for gt, root in test_roots.items():
            convert(
                args.test_ann_dirs,
                gt,
                args.test_spacing,
                args.test_img_dir,
                args.seed,
                root,
                all_images=True)
        parts = [
            ann('mean', f'{part}.json') for part in ('train', 'val', 'test')
        ]
        write_json(
            merge_annotations([p for p in parts if osp.isfile(p)]),
            ann('mean', 'all.json'))
        tests = {
            gt: (root, 'annotations/test.json')
            for gt, root in test_roots.items()
        }
        return [
            Split('external', osp.join(out, 'external'),
                  (roots['mean'], 'annotations/all.json'), tests['mean'],
                  tests)
        ]

    if args.folds > 1:
        folds = write_kfold_annotations(
            [ann('mean', 'train.json'),
             ann('mean', 'val.json')], osp.join(roots['mean'], 'annotations'),
            args.folds, args.seed)
        for i, (_, val_file) in enumerate(folds):
            with open(val_file) as f:
                names = {im['file_name'] for im in json.load(f)['images']}
            for gt in annotators:
                pooled = merge_annotations(
                    [ann(gt, 'train.json'),
                     ann(gt, 'val.json')])
                write_json(
                    subset_annotations(pooled, names),
                    ann(gt, f'fold{i}_val.json'))
        fold_names = [(f'fold{i}_train.json', f'fold{i}_val.json')
                      for i in range(args.folds)]
    else:
        fold_names = [('train.json', 'val.json')]
    return [
        Split(i, osp.join(out, f'fold{i}'),
              (roots['mean'], f'annotations/{train_name}'),
              (roots['mean'], f'annotations/{val_name}'), {
                  gt: (root, f'annotations/{val_name}')
                  for gt, root in roots.items()
              }) for i, (train_name, val_name) in enumerate(fold_names)
    ]


def earlier_run(args: argparse.Namespace, folder: str) -> List[str]:
    """The tools/train.py option for a work dir of an earlier run."""
    if args.overwrite:
        return ['--overwrite']
    if args.resume and osp.isfile(osp.join(folder, 'last_checkpoint')):
        return ['--resume']
    return []


def train_model(args: argparse.Namespace, split: Split, seed: Optional[int],
                folder: str) -> Model:
    """Train the recipe (and its refinement stage) with one seed (``None``:
    the config's)."""
    seed_options = [] if seed is None else [f'randomness.seed={seed}']
    run([
        sys.executable,
        osp.join(TOOLS, 'train.py'), args.config, '--work-dir', folder,
        *earlier_run(args, folder), *shlex.split(args.train_args),
        *data_options(split.train, split.monitor), *args.cfg_options,
        *seed_options
    ])
    # the config the Runner dumped holds every --train-args override
    # (image size, ...), so testing sees the trained model's settings
    model = Model(
        name='coarse' if seed is None else f'seed{seed}',
        folder=folder,
        config=osp.join(folder, osp.basename(args.config)),
        checkpoints=[find_checkpoint(folder, args.test_checkpoint)])
    if args.refine_config:
        refine = osp.join(folder, 'refine')
        # no validation loop in a refinement config: only the training
        # loader's annotation file is set (--data-root skips absent loaders)
        run([
            sys.executable,
            osp.join(TOOLS,
                     'train.py'), args.refine_config, '--work-dir', refine,
            *earlier_run(args, refine), *shlex.split(args.refine_train_args),
            *data_options(split.train), *seed_options
        ])
        model.refine_config = osp.join(refine,
                                       osp.basename(args.refine_config))
        model.refine_checkpoints = [find_checkpoint(refine, 'last')]
    return model


def ensemble_of(models: Sequence[Model], folder: str) -> Model:
    """The seeds' models as one ensemble (tested with the first one's
    configs: the seeds share the recipe)."""
    return Model('ensemble', folder, models[0].config,
                 [c for m in models
                  for c in m.checkpoints], models[0].refine_config,
                 [c for m in models for c in m.refine_checkpoints])


def stage_suffixes(args: argparse.Namespace) -> List[str]:
    """The test stages of every model: ``''``, ``'+flip'``,
    ``'+refined'``, ``'+refined+flip'`` as the options ask."""
    return [
        refined + flip
        for refined in ['', *(['+refined'] if args.refine_config else [])]
        for flip in ['', *(['+flip'] if args.flip_test else [])]
    ]


def read_metrics(path: str) -> Dict:
    """A ``tools/test.py --out`` file, without the metric prefixes."""
    with open(path) as f:
        return {k.split('/', 1)[-1]: v for k, v in json.load(f).items()}


def kept(args: argparse.Namespace, output: str,
         checkpoints: Sequence[str]) -> bool:
    """With ``--resume``: whether ``output`` of an earlier run is newer
    than every checkpoint it was made with, and so is kept instead of
    being made again."""
    if not (args.resume and osp.exists(output)):
        return False
    return all(osp.getmtime(c) <= osp.getmtime(output) for c in checkpoints)


def test_command(args: argparse.Namespace, model: Model, suffix: str, gt: str,
                 data: Data) -> List[str]:
    """The ``tools/test.py`` call of one stage (``suffix``) of a model
    against one ground truth, writing ``metrics_{gt}[_{stages}].json``."""
    tag = suffix[1:].replace('+', '_')
    name = f'{gt}_{tag}' if tag else gt
    cmd = [
        sys.executable,
        osp.join(TOOLS, 'test.py'), model.config, '--checkpoints',
        *model.checkpoints
    ]
    if '+refined' in suffix:
        cmd += [
            '--refine-config', model.refine_config, '--refine-checkpoints',
            *model.refine_checkpoints
        ]
    if '+flip' in suffix:
        cmd.append('--flip-test')
    if len(model.checkpoints) > 1 and args.ensemble:
        cmd += ['--ensemble', args.ensemble]
    cmd += [
        '--work-dir',
        osp.join(model.folder, f'test_{name}'), '--out',
        osp.join(model.folder, f'metrics_{name}.json')
    ]
    if gt == 'mean':
        cmd += [
            '--report',
            osp.join(model.folder, f'report_{tag}' if tag else 'report')
        ]
    return [*cmd, *data_options(evaluation=data), *args.cfg_options]


def evaluate_model(args: argparse.Namespace, split: Split,
                   model: Model) -> List[Dict]:
    """Test a model at every stage against every ground truth (with
    ``--resume``, a test newer than the model's checkpoints is kept)."""
    os.makedirs(model.folder, exist_ok=True)
    rows = []
    for suffix in stage_suffixes(args):
        tag = suffix[1:].replace('+', '_')
        checkpoints = [
            *model.checkpoints,
            *(model.refine_checkpoints if '+refined' in suffix else [])
        ]
        for gt, data in split.tests.items():
            name = f'{gt}_{tag}' if tag else gt
            metrics_file = osp.join(model.folder, f'metrics_{name}.json')
            if not kept(args, metrics_file, checkpoints):
                run(test_command(args, model, suffix, gt, data))
            rows.append(
                dict(
                    fold=split.fold,
                    ground_truth=gt,
                    variant=model.name + suffix,
                    **read_metrics(metrics_file)))
    return rows


def split_images(data: Data) -> List[str]:
    """The image paths of a converted annotation file (the converter
    writes the images into ``<root>/images``)."""
    root, ann = data
    with open(osp.join(root, ann)) as f:
        images = json.load(f)['images']
    return [osp.join(root, 'images', image['file_name']) for image in images]


def predict_held_out(args: argparse.Namespace, split: Split,
                     model: Model) -> Dict[str, str]:
    """Predict the split's test images with the whole recipe (the model
    with its refinement, flip test and ensemble) against every ground
    truth, by ``tools/infer.py --ann-file`` without a calibration.

    Returns:
        dict: Ground truth to its prediction folder,
        ``<model folder>/predictions_{gt}``.
    """
    folders = {}
    for gt, data in split.tests.items():
        out = osp.join(model.folder, f'predictions_{gt}')
        folders[gt] = out
        if kept(args, osp.join(out, 'landmarks.csv'),
                [*model.checkpoints, *model.refine_checkpoints]):
            continue
        cmd = [
            sys.executable,
            osp.join(TOOLS, 'infer.py'), model.config, *split_images(data),
            '--checkpoints', *model.checkpoints
        ]
        if model.refine_config:
            cmd += [
                '--refine-config', model.refine_config, '--refine-checkpoints',
                *model.refine_checkpoints
            ]
        if args.flip_test:
            cmd.append('--flip-test')
        if len(model.checkpoints) > 1 and args.ensemble:
            cmd += ['--ensemble', args.ensemble]
        cmd += [
            '--ann-file',
            osp.join(*data), '--no-calibration', '--overwrite', '--out', out
        ]
        if args.cfg_options:
            cmd += ['--cfg-options', *args.cfg_options]
        run(cmd)
    return folders


def coverage_rows(report: Dict) -> List[Dict]:
    """``coverage.csv``: per ground truth, a row per landmark, then
    ``overall`` and ``min landmark``."""
    rows = []
    for gt, measured in report['ground_truths'].items():
        table = measured['coverage']
        for row in table['per_landmark']:
            rows.append(dict(ground_truth=gt, **row))
        overall = table['overall']
        rows.append(
            dict(
                ground_truth=gt,
                landmark='overall',
                coverage=overall['coverage'],
                mean_radius_mm=overall['mean_radius_mm'],
                num_points=overall['num_points']))
        rows.append(
            dict(
                ground_truth=gt,
                landmark='min landmark',
                coverage=overall['min_landmark_coverage']))
    return rows


def print_coverage(report: Dict) -> None:
    """The coverage table (a coverage / radius column pair per ground
    truth) and each ground truth's quality check."""
    gts = list(report['ground_truths'])
    tables = [report['ground_truths'][gt]['coverage'] for gt in gts]
    names = [row['landmark'] for row in tables[0]['per_landmark']]
    width = max(len(n) for n in [*names, 'min landmark'])

    def cell(value: Optional[float], spec: str) -> str:
        return '-' if value is None else format(value, spec)

    print(f'\nError radii ({report["nominal_coverage"]:.0%} nominal), '
          f'{report["source"]}: coverage and mean radius (mm)')
    print(' ' * width + ''.join(f'  {gt:>19}' for gt in gts))
    for k, name in enumerate(names):
        print(f'{name:<{width}}' + ''.join(
            f'  {cell(t["per_landmark"][k]["coverage"], ".3f"):>9} '
            f'{cell(t["per_landmark"][k]["mean_radius_mm"], ".2f"):>9}'
            for t in tables))
    print(f'{"overall":<{width}}' +
          ''.join(f'  {t["overall"]["coverage"]:9.3f} '
                  f'{t["overall"]["mean_radius_mm"]:9.2f}' for t in tables))
    print(f'{"min landmark":<{width}}' +
          ''.join(f'  {t["overall"]["min_landmark_coverage"]:9.3f} {"":>9}'
                  for t in tables))
    for gt in gts:
        check = report['ground_truths'][gt]['quality_check']
        if check is None:
            continue
        print(f'quality check against {gt}: {check["verdicts"]}; correct '
              f'images flagged {check["num_correct_flagged"]}/'
              f'{check["num_correct"]}, bad (a landmark > '
              f'{check["bad_error_mm"]:g} mm off) flagged '
              f'{check["num_bad_flagged"]}/{check["num_bad"]}, AUROC of the '
              f'shape distance {cell(check["auroc_shape_distance"], ".3f")}')


def report_coverage(args: argparse.Namespace, out: str,
                    predictions: Sequence[Dict[str, str]]) -> None:
    """Measure the error radii on the held-out predictions and write
    ``coverage.json``, ``coverage.csv`` (and, with ``--calibrate``,
    ``calibration.json`` fitted on all folds).

    Args:
        predictions (Sequence[dict]): Per split (fold, or the external
            set), ground truth to its prediction folder.
    """
    if args.calibrate:
        names = annotator_names(args.ann_dirs)
        description = (f'{osp.basename(out)}: {len(predictions)}-fold '
                       'out-of-fold predictions against the mean of '
                       f'{", ".join(names)}')
        fits = [p['mean'] for p in predictions]
        report = held_out_coverage(
            fits, {gt: [p[gt] for p in predictions]
                   for gt in predictions[0]},
            args.alpha,
            description=description)
        calibration = fit_model_calibration(
            read_prediction_folders(fits), args.alpha, description)
        path = osp.join(out, CALIBRATION_FILE)
        save_calibration(calibration, path, overwrite=True)
        report.update(
            source=f'each fold measured by a calibration fitted on the other '
            f'{len(predictions) - 1} folds',
            calibration_file=path,
            radius_model=calibration.radius.difficulty or 'constant')
    else:
        report = external_coverage(
            load_calibration(args.calibration), predictions[0])
        report.update(
            source=f'external test set, calibration {args.calibration}',
            calibration_file=args.calibration)
    write_json(report, osp.join(out, 'coverage.json'), indent=1)
    rows = coverage_rows(report)
    with atomic_write(osp.join(out, 'coverage.csv'), '--out') as tmp, \
            open(tmp, 'w', newline='') as f:
        writer = csv.DictWriter(
            f,
            fieldnames=[
                'ground_truth', 'landmark', 'coverage', 'mean_radius_mm',
                'num_points'
            ])
        writer.writeheader()
        writer.writerows(rows)
    print_coverage(report)
    if args.calibrate:
        print(
            f'calibration of all folds written to {report["calibration_file"]}'
        )


def _is_number(value: object) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def average_rows(rows: Sequence[Dict], **labels) -> Dict:
    """The mean of each numeric metric that all ``rows`` have, after
    ``labels``; other values (a list of collapsed pairs, ...) are left
    out.

    Examples:
        >>> average_rows([dict(variant='a', MRE=1.0, pairs=['x']),
        ...               dict(variant='b', MRE=2.0, pairs=[])], fold=0)
        {'fold': 0, 'MRE': 1.5}
    """
    keys = [
        k for k in rows[0]
        if k not in LABELS and all(_is_number(r.get(k)) for r in rows)
    ]
    return dict(labels,
                **{k: sum(r[k] for r in rows) / len(rows)
                   for k in keys})


def seed_mean_rows(rows: Sequence[Dict],
                   seed_names: Sequence[str]) -> List[Dict]:
    """A ``seed-mean[+stages]`` row per fold, ground truth and stage: the
    mean of the seeds' rows and the seed-to-seed spread (``{key}_seed_range``:
    max - min over the seeds, for ``SPREAD_KEYS``).

    Args:
        rows (Sequence[dict]): Summary rows; those whose variant's model
            is in ``seed_names`` are used.
        seed_names (Sequence[str]): The seeds' model names (``seed{S}``).

    Returns:
        list[dict]: The seed-mean rows, in the order first seen.
    """
    groups: Dict[tuple, List[Dict]] = {}
    for row in rows:
        model, plus, stages = row['variant'].partition('+')
        if model in seed_names:
            key = (row['fold'], row['ground_truth'], plus + stages)
            groups.setdefault(key, []).append(row)
    means = []
    for (fold, gt, stages), group in groups.items():
        mean = average_rows(
            group, fold=fold, ground_truth=gt, variant='seed-mean' + stages)
        for key in SPREAD_KEYS:
            values = [r[key] for r in group if _is_number(r.get(key))]
            if len(values) == len(group):
                mean[f'{key}_seed_range'] = max(values) - min(values)
        means.append(mean)
    return means


def fold_mean_rows(rows: Sequence[Dict]) -> List[Dict]:
    """A ``fold='mean'`` row per ground truth and variant: the mean over
    the folds."""
    groups: Dict[tuple, List[Dict]] = {}
    for row in rows:
        groups.setdefault((row['ground_truth'], row['variant']),
                          []).append(row)
    return [
        average_rows(group, fold='mean', ground_truth=gt, variant=variant)
        for (gt, variant), group in groups.items()
    ]


def variant_order(args: argparse.Namespace) -> List[str]:
    """The summary's variants in table order: each model, then each of its
    stages."""
    seeds = args.seeds or []
    models = [f'seed{s}' for s in seeds] or ['coarse']
    if len(seeds) > 1:
        models += ['seed-mean', 'ensemble']
    return [m + s for m in models for s in stage_suffixes(args)]


def write_summary(rows: Sequence[Dict], out: str) -> None:
    """``summary.json`` (a list of rows; strict JSON, an undefined metric
    is ``null``) and ``summary.csv`` (the union of their keys as columns;
    lists and dicts as JSON text), each written whole or not at all."""
    write_json(list(rows), osp.join(out, 'summary.json'), indent=2)
    fields = list(dict.fromkeys(k for row in rows for k in row))
    with atomic_write(osp.join(out, 'summary.csv'), '--out') as tmp, \
            open(tmp, 'w', newline='') as f:
        writer = csv.DictWriter(f, fieldnames=fields)
        writer.writeheader()
        for row in rows:
            writer.writerow({
                k:
                json.dumps(v) if isinstance(v, (list, dict)) else v
                for k, v in row.items()
            })


def print_summary(rows: Sequence[Dict]) -> None:
    shown = ['MRE', 'MRE_std', 'SDR@2mm', 'SDR@2.5mm', 'SDR@3mm', 'SDR@4mm']
    shown += [
        k for k in ('MRE_image_se', 'MRE_seed_range', 'SDR@2mm_seed_range')
        if any(k in row for row in rows)
    ]
    width = max(len(row['variant']) for row in rows)
    print('fold      ground truth  ' + 'variant'.ljust(width) + '  ' +
          '  '.join(f'{k:>9}' for k in shown))
    for row in rows:
        print(f'{str(row["fold"]):<9} {row["ground_truth"]:<13} '
              f'{row["variant"]:<{width}}  ' +
              '  '.join(f'{row[k]:9.3f}' if _is_number(row.get(k)) else ' ' * 9
                        for k in shown))


def main(argv: Optional[List[str]] = None) -> None:
    args = parse_args(argv)
    out = osp.abspath(args.out)
    splits = prepare_splits(args, out)
    seeds: List[Optional[int]] = args.seeds or [None]
    seed_names = [f'seed{s}' for s in args.seeds or []]

    rows: List[Dict] = []
    predictions: List[Dict[str, str]] = []
    for split in splits:
        models = [
            train_model(
                args, split, seed, split.folder
                if len(seeds) == 1 else osp.join(split.folder, f'seed{seed}'))
            for seed in seeds
        ]
        if len(models) > 1:
            models.append(
                ensemble_of(models, osp.join(split.folder, 'ensemble')))
        for model in models:
            rows += evaluate_model(args, split, model)
        if args.calibrate or args.calibration:
            predictions.append(predict_held_out(args, split, models[-1]))
    if len(seed_names) > 1:
        rows += seed_mean_rows(rows, seed_names)
    # fold by fold, then ground truth, then variant
    folds = [split.fold for split in splits]
    gts = list(splits[0].tests)
    variants = variant_order(args)
    rows.sort(key=lambda r: (folds.index(r[
        'fold']), gts.index(r['ground_truth']), variants.index(r['variant'])))
    if args.test_ann_dirs is None:  # one model per fold: their mean
        rows += fold_mean_rows(rows)
    write_summary(rows, out)
    print_summary(rows)
    print(f'written to {osp.join(out, "summary.json")}')
    if predictions:
        report_coverage(args, out, predictions)


if __name__ == '__main__':
    run_tool(main)
