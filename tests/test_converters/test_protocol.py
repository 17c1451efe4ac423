"""tools/run_protocol.py end to end on a handful of real Hamedan images
(2-fold cross-validation, tiny model), the fold helpers, and the tool's
seeds / ensemble / refinement / flip / external-set handling with its
subprocesses replaced by fakes."""
import csv
import json
import os
import os.path as osp
import re
import shutil

import pytest

from ceph_landmarks.core.conversion import (kfold_parts, merge_annotations,
                                            subset_annotations)
from ceph_landmarks.core.evaluation.conformal import RadiusCalibration
from ceph_landmarks.core.model_calibration import (ModelCalibration,
                                                   save_calibration)
from helpers import HAMEDAN, TINY_HAMEDAN, load_tool, needs_hamedan, run_tool


def test_kfold_parts_are_disjoint_and_seeded():
    keys = [f'{i:03d}' for i in range(23)]
    parts = kfold_parts(keys, 5, seed=3)
    assert sorted(sum(parts, [])) == keys
    assert [len(p) for p in parts] == [5, 5, 5, 4, 4]
    assert parts == kfold_parts(list(reversed(keys)), 5, seed=3)
    assert parts != kfold_parts(keys, 5, seed=4)
    with pytest.raises(ValueError, match='between 2 and the number of keys'):
        kfold_parts(keys, 24, seed=0)


def test_merge_and_subset(tmp_path):
    a = dict(
        images=[dict(id=1, file_name='a.png')],
        annotations=[dict(id=1, image_id=1)],
        categories=[dict(id=1)])
    b = dict(
        images=[dict(id=2, file_name='b.png')],
        annotations=[dict(id=2, image_id=2)],
        categories=[dict(id=1)])
    for name, coco in (('a', a), ('b', b)):
        json.dump(coco, open(tmp_path / f'{name}.json', 'w'))
    merged = merge_annotations([tmp_path / 'a.json', tmp_path / 'b.json'])
    assert [i['file_name'] for i in merged['images']] == ['a.png', 'b.png']
    sub = subset_annotations(merged, {'b.png'})
    assert sub['annotations'] == [dict(id=2, image_id=2)]
    with pytest.raises(ValueError, match='already in another annotation'):
        merge_annotations([tmp_path / 'a.json', tmp_path / 'a.json'])


@needs_hamedan
@pytest.mark.slow
def test_protocol_two_folds_on_six_images(tmp_path):
    ann_dirs = []
    for doctor in ('farhadifar', 'mollabashi'):
        target = tmp_path / 'labelme' / doctor
        target.mkdir(parents=True)
        for stem in ('011', '012', '013', '014', '015', '016'):
            shutil.copy(
                osp.join(HAMEDAN, 'annotations', doctor, f'{stem}.json'),
                target)
        ann_dirs.append(str(target))
    out = tmp_path / 'protocol'
    proc = run_tool('run_protocol.py', TINY_HAMEDAN,
                    '--ann-dirs', *ann_dirs, '--img-dir',
                    osp.join(HAMEDAN, 'images'), '--spacing', '0.144',
                    '--folds', '2', '--out', str(out), '--train-args',
                    '--image-size 96 128', '--calibrate', '--alpha', '0.5',
                    '--cfg-options', 'train_cfg.max_epochs=1')
    summary = json.load(open(out / 'summary.json'))
    rows = {(r['fold'], r['ground_truth']): r for r in summary}
    for fold in (0, 1, 'mean'):
        for gt in ('mean', 'farhadifar', 'mollabashi'):
            row = rows[(fold, gt)]
            assert 0 < row['MRE'] < 200 and 0 <= row['SDR@2mm'] <= 100
    for fold in (0, 1):
        val = json.load(
            open(out / 'data' / 'mean' / 'annotations' /
                 f'fold{fold}_val.json'))
        doctor = json.load(
            open(out / 'data' / 'farhadifar' / 'annotations' /
                 f'fold{fold}_val.json'))
        assert len(val['images']) == 3
        assert [i['file_name'] for i in doctor['images']
                ] == [i['file_name'] for i in val['images']]
        assert (out / f'fold{fold}' / 'report').is_dir()
        assert list((out / f'fold{fold}' / 'report').glob('*.png'))
    mean_mre = sum(rows[(f, 'mean')]['MRE'] for f in (0, 1)) / 2
    assert rows[('mean', 'mean')]['MRE'] == pytest.approx(mean_mre)
    # testing uses the config dumped by training, with its --image-size
    dumped = out / 'fold0' / 'tiny_hamedan-160x128.py'
    assert f'test.py {dumped}' in proc.stdout
    assert 'input_size=(\n        96,\n        128,' in dumped.read_text() \
        or 'input_size=(96, 128)' in dumped.read_text()
    # the last epoch is tested, not an epoch chosen on the test images
    assert f'test.py {dumped} --checkpoints ' \
        f'{out / "fold0" / "epoch_1.pth"}' in proc.stdout
    # --calibrate: the held-out images predicted by tools/infer.py, each
    # fold measured with the other fold's radii, against every truth
    assert len(
        list((out / 'fold1' / 'predictions_mollabashi').glob('*.json'))) == 3
    coverage = json.load(open(out / 'coverage.json'))
    assert coverage['folds'] == 2
    for gt in ('mean', 'farhadifar', 'mollabashi'):
        overall = coverage['ground_truths'][gt]['coverage']['overall']
        assert overall['num_points'] == 6 * 19
        assert 0 <= overall['coverage'] <= 1 and overall['mean_radius_mm'] > 0
    assert json.load(open(out / 'calibration.json'))['radius']['alpha'] == 0.5


# --- seeds, ensemble, refinement, flip test, external test set: the tool's
# argument handling and summary maths, with `run` replaced by FakeTools (no
# conversion, training or testing happens)

protocol = load_tool('run_protocol.py')


def option(cmd, name):
    return cmd[cmd.index(name) + 1]


def option_values(cmd, name):
    """The values after ``name``, up to the next option."""
    values = []
    for arg in cmd[cmd.index(name) + 1:]:
        if arg.startswith('--'):
            break
        values.append(arg)
    return values


def coco(stems, first_id=1):
    ids = range(first_id, first_id + len(stems))
    return dict(
        images=[dict(id=i, file_name=f'{s}.png') for i, s in zip(ids, stems)],
        annotations=[dict(id=i, image_id=i) for i in ids],
        categories=[dict(id=1)])


class FakeTools:
    """Stands in for ``run_protocol.run``: records each command and writes
    what the tool would (annotation files, a checkpoint and the dumped
    config, a metrics file).

    The fake metrics are chosen so the summary can be checked by hand:
    seed S gives MRE 1 + 0.1 S and SDR@2mm 80 - 2 S, an ensemble MRE 0.9
    and SDR@2mm 85; the refinement takes 0.2 mm off, the flip test 0.05 mm,
    and an annotator alone adds 0.3 mm.
    """

    def __init__(self):
        self.calls = []

    def __call__(self, cmd):
        self.calls.append(cmd)
        getattr(self, osp.basename(cmd[1])[:-3])(cmd)

    def tool_calls(self, tool):
        return [c for c in self.calls if osp.basename(c[1]) == tool]

    @staticmethod
    def labelme(cmd):
        ann = osp.join(option(cmd, '--out'), 'annotations')
        os.makedirs(ann)
        if '--val-ratio' in cmd:  # everything in one split
            assert option(cmd, '--val-ratio') == '0'
            json.dump(
                coco(['e1', 'e2', 'e3']),
                open(osp.join(ann, 'train.json'), 'w'))
        else:
            json.dump(
                coco(['a', 'b', 'c', 'd']),
                open(osp.join(ann, 'train.json'), 'w'))
            json.dump(
                coco(['e', 'f'], 5), open(osp.join(ann, 'val.json'), 'w'))

    @staticmethod
    def train(cmd):
        work = option(cmd, '--work-dir')
        os.makedirs(work, exist_ok=True)
        checkpoint = osp.join(work, 'epoch_1.pth')
        if '--resume' in cmd and osp.isfile(checkpoint):
            return  # a finished training is kept as it is
        open(checkpoint, 'w').close()
        open(osp.join(work, 'last_checkpoint'), 'w').write(checkpoint)
        open(osp.join(work, osp.basename(cmd[2])), 'w').close()

    #: fake radial error (mm) of each image against the mean; an
    #: annotator alone adds 0.5 mm
    ERRORS = dict(a=1.0, b=2.0, c=3.0, d=4.0, e=5.0, f=6.0)

    @classmethod
    def infer(cls, cmd):
        """Prediction files of two landmarks with a known error."""
        out = option(cmd, '--out')
        os.makedirs(out, exist_ok=True)
        ann = option(cmd, '--ann-file')
        gt = osp.basename(osp.dirname(osp.dirname(ann)))
        for image in cmd[3:cmd.index('--checkpoints')]:
            stem = osp.splitext(osp.basename(image))[0]
            error = cls.ERRORS.get(stem, 1.0) + 0.5 * (gt != 'mean')
            truth = [
                dict(
                    name=n,
                    x=10.0 * k,
                    y=20.0 + k,
                    visible=True,
                    error_mm=error) for k, n in enumerate(['L1', 'L2'])
            ]
            json.dump(
                dict(
                    image=image,
                    spacing=[0.1, 0.1],
                    landmarks=[
                        dict(
                            name=t['name'],
                            x=t['x'] + 10 * error,
                            y=t['y'],
                            confidence=0.5) for t in truth
                    ],
                    ground_truth=dict(landmarks=truth)),
                open(osp.join(out, f'{stem}.json'), 'w'))
        open(osp.join(out, 'landmarks.csv'), 'w').close()

    @staticmethod
    def test(cmd):
        checkpoints = option_values(cmd, '--checkpoints')
        if len(checkpoints) > 1:
            mre, sdr = 0.9, 85.0
        else:
            seed = re.search(r'seed(\d+)', checkpoints[0])
            seed = int(seed.group(1)) if seed else 0
            mre, sdr = 1 + 0.1 * seed, 80.0 - 2 * seed
        mre -= 0.2 * ('--refine-config' in cmd) + 0.05 * ('--flip-test' in cmd)
        if osp.basename(osp.normpath(option(cmd, '--data-root'))) != 'mean':
            mre += 0.3
        json.dump(
            {
                'ceph/MRE': mre,
                'ceph/MRE_std': 0.5,
                'ceph/SDR@2mm': sdr,
                'ceph/MRE_image_se': 0.1,
                'ceph/collapsed_pairs': [['L1', 'L2']]
            }, open(option(cmd, '--out'), 'w'))


@pytest.fixture
def fake_tools(monkeypatch, tmp_path):
    """The tools faked, run from ``tmp_path``, which holds the annotation
    folders the tests name (``x/doc_a``...: run_protocol checks that they
    exist)."""
    for folder in ('x/doc_a', 'x/doc_b', 'y/a', 'y/clinic_a', 'y/clinic_b'):
        (tmp_path / folder).mkdir(parents=True)
    monkeypatch.chdir(tmp_path)
    tools = FakeTools()
    monkeypatch.setattr(protocol, 'run', tools)
    return tools


def protocol_args(tmp_path, *options):
    return [
        TINY_HAMEDAN, '--ann-dirs', 'x/doc_a', 'x/doc_b', '--spacing', '0.1',
        '--out',
        str(tmp_path / 'out'), *options
    ]


@pytest.mark.parametrize('options, message', [
    (['--test-ann-dirs', 'y/a', '--test-spacing', '0.1', '--folds', '5'
      ], r'--folds 5 cross-validates .* give one or the other'),
    ([
        '--test-ann-dirs', 'y/a', '--test-spacing', '0.1', '--test-checkpoint',
        'best'
    ], r'--test-checkpoint best chooses the epoch .* external test'),
    (['--test-ann-dirs', 'y/a'], r'--test-ann-dirs needs --test-spacing'),
    (['--test-spacing', '0.1'],
     r'--test-spacing describe an external .* --test-ann-dirs is not given'),
    (['--test-ann-dirs', 'y/a', 'z/a', '--test-spacing', '0.1'
      ], r"--test-ann-dirs: the folder names .* got \['a', 'a'\]"),
    (['--seeds', '1', '1'], r'--seeds must be distinct .* got \[1, 1\]'),
    (['--seeds', '-1'], r'--seeds must be distinct non-negative'),
    (['--seeds', '1', '--ensemble', 'points'
      ], r'--ensemble points averages .* got --seeds \[1\]'),
    (['--refine-train-args', '--epochs 1'
      ], r'--refine-train-args needs --refine-config'),
    (['--calibrate'], r'--calibrate fits .* needs --folds 2 or more'),
    (['--folds', '2', '--calibrate', '--alpha', '1'
      ], r'--alpha must be in \(0, 1\)'),
    (['--calibration', 'c.json'
      ], r'--calibration is measured on an external .* --test-ann-dirs'),
    ([
        '--test-ann-dirs', 'y/a', '--test-spacing', '0.1', '--calibration',
        'absent.json'
    ], r'--calibration: .*absent.json'),
])
def test_protocol_refuses_bad_combinations(tmp_path, capsys, options, message):
    with pytest.raises(SystemExit) as exit_info:
        protocol.parse_args(protocol_args(tmp_path, *options))
    assert exit_info.value.code == 2
    assert re.search(message, capsys.readouterr().err.splitlines()[-1])


def test_seed_mean_rows_and_fold_means_by_hand():
    rows = [
        dict(
            fold=0,
            ground_truth='mean',
            variant='seed0',
            MRE=1.2,
            MRE_image_se=0.10,
            **{'SDR@2mm': 80.0},
            collapsed_pairs=[['L1', 'L2']]),
        dict(
            fold=0,
            ground_truth='mean',
            variant='seed7',
            MRE=1.5,
            MRE_image_se=0.14,
            **{'SDR@2mm': 70.0},
            collapsed_pairs=[]),
        dict(
            fold=0,
            ground_truth='mean',
            variant='seed0+flip',
            MRE=1.0,
            **{'SDR@2mm': 84.0}),
        dict(
            fold=0,
            ground_truth='mean',
            variant='seed7+flip',
            MRE=1.1,
            **{'SDR@2mm': 82.0}),
        dict(
            fold=0,
            ground_truth='mean',
            variant='ensemble',
            MRE=0.9,
            **{'SDR@2mm': 90.0}),
    ]
    means = protocol.seed_mean_rows(rows, ['seed0', 'seed7'])
    assert [m['variant'] for m in means] == ['seed-mean', 'seed-mean+flip']
    assert means[0] == pytest.approx(
        dict(
            fold=0,
            ground_truth='mean',
            variant='seed-mean',
            MRE=1.35,
            MRE_image_se=0.12,
            MRE_seed_range=0.3,
            **{
                'SDR@2mm': 75.0,
                'SDR@2mm_seed_range': 10.0
            }))
    assert means[1]['MRE_seed_range'] == pytest.approx(0.1)
    assert means[1]['SDR@2mm_seed_range'] == pytest.approx(2.0)
    assert 'MRE_image_se' not in means[1]  # not in the seeds' rows
    # over folds: numbers averaged, the lists of collapsed pairs left out
    other = [dict(r, fold=1, MRE=r['MRE'] + 1) for r in rows[:2]]
    by_variant = {
        r['variant']: r
        for r in protocol.fold_mean_rows(rows[:2] + other)
    }
    assert by_variant['seed0']['fold'] == 'mean'
    assert by_variant['seed0']['MRE'] == pytest.approx(1.7)
    assert 'collapsed_pairs' not in by_variant['seed0']


def test_default_protocol_keeps_its_commands_and_layout(tmp_path, fake_tools):
    protocol.main(protocol_args(tmp_path, '--folds', '2'))
    out = tmp_path / 'out'
    trains = fake_tools.tool_calls('train.py')
    assert [option(c, '--work-dir')
            for c in trains] == [str(out / 'fold0'),
                                 str(out / 'fold1')]
    assert not any('randomness.seed' in a for c in trains for a in c)
    tests = fake_tools.tool_calls('test.py')
    assert len(tests) == 2 * 3  # folds x ground truths
    assert tests[0][2:5] == [
        str(out / 'fold0' / TINY_HAMEDAN.split('/')[-1]), '--checkpoints',
        str(out / 'fold0' / 'epoch_1.pth')
    ]
    # every loader reads the mean set; the annotation files are the fold's
    for cmd in trains[:1] + tests[:1]:
        assert option(cmd, '--data-root') == str(out / 'data' / 'mean')
    assert option_values(trains[0], '--cfg-options') == [
        'train_dataloader.dataset.ann_file=annotations/fold0_train.json',
        'val_dataloader.dataset.ann_file=annotations/fold0_val.json',
        'test_dataloader.dataset.ann_file=annotations/fold0_val.json'
    ]
    assert not any('--flip-test' in c or '--refine-config' in c for c in tests)
    assert option(tests[0], '--report') == str(out / 'fold0' / 'report')
    assert (out / 'fold0' / 'metrics_doc_a.json').is_file()
    summary = json.load(open(out / 'summary.json'))
    assert {r['variant'] for r in summary} == {'coarse'}
    assert [(r['fold'], r['ground_truth']) for r in summary] == [
        (f, gt) for f in (0, 1, 'mean') for gt in ('mean', 'doc_a', 'doc_b')
    ]
    assert summary[-1]['MRE'] == pytest.approx(1.3)
    assert 'collapsed_pairs' in summary[0]  # carried, not averaged
    assert 'collapsed_pairs' not in summary[-1]


def test_seeds_refinement_flip_and_ensemble(tmp_path, fake_tools):
    refine_config = 'configs/refine_cfg.py'
    protocol.main(
        protocol_args(tmp_path, '--seeds', '0', '2', '--refine-config',
                      refine_config, '--refine-train-args', '--epochs 1',
                      '--flip-test', '--ensemble', 'points', '--cfg-options',
                      'train_cfg.max_epochs=1'))
    out = tmp_path / 'out'
    fold = out / 'fold0'
    trains = fake_tools.tool_calls('train.py')
    assert [option(c, '--work-dir') for c in trains] == [
        str(fold / 'seed0'),
        str(fold / 'seed0' / 'refine'),
        str(fold / 'seed2'),
        str(fold / 'seed2' / 'refine')
    ]
    coarse, refine = trains[0], trains[1]
    assert coarse[-2:] == ['train_cfg.max_epochs=1', 'randomness.seed=0']
    # the refinement: only its training loader is set, and the seed
    assert refine[2] == refine_config
    assert option_values(refine, '--epochs') == ['1']
    assert option(refine, '--data-root') == str(out / 'data' / 'mean')
    assert option_values(refine, '--cfg-options') == [
        'train_dataloader.dataset.ann_file=annotations/train.json',
        'randomness.seed=0'
    ]
    tests = fake_tools.tool_calls('test.py')
    assert len(tests) == 3 * 4 * 3  # models x stages x ground truths
    ensemble = [
        c for c in tests
        if option(c, '--work-dir').startswith(str(fold / 'ensemble'))
    ]
    assert len(ensemble) == 4 * 3
    [refined_flip] = [
        c for c in ensemble
        if option(c, '--work-dir').endswith('test_mean_refined_flip')
    ]
    assert '--flip-test' in refined_flip
    assert option_values(refined_flip, '--checkpoints') == [
        str(fold / 'seed0' / 'epoch_1.pth'),
        str(fold / 'seed2' / 'epoch_1.pth')
    ]
    assert option_values(refined_flip, '--refine-config') == [
        str(fold / 'seed0' / 'refine' / 'refine_cfg.py')
    ]
    assert option_values(refined_flip, '--refine-checkpoints') == [
        str(fold / 'seed0' / 'refine' / 'epoch_1.pth'),
        str(fold / 'seed2' / 'refine' / 'epoch_1.pth')
    ]
    assert option(refined_flip, '--ensemble') == 'points'
    assert option(refined_flip,
                  '--report') == str(fold / 'ensemble' / 'report_refined_flip')
    assert (fold / 'ensemble' / 'metrics_doc_b_refined_flip.json').is_file()
    assert not any('--ensemble' in c for c in tests if c not in ensemble)

    summary = json.load(open(out / 'summary.json'))
    rows = {(r['fold'], r['ground_truth'], r['variant']): r for r in summary}
    stages = ['', '+flip', '+refined', '+refined+flip']
    variants = [
        m + s for m in ('seed0', 'seed2', 'seed-mean', 'ensemble')
        for s in stages
    ]
    assert [
        r['variant'] for r in summary
        if r['fold'] == 0 and r['ground_truth'] == 'doc_a'
    ] == variants
    assert len(summary) == 2 * 3 * len(variants)  # fold 0 and fold mean
    seed_mean = rows[(0, 'mean', 'seed-mean')]
    assert seed_mean['MRE'] == pytest.approx(1.1)
    assert seed_mean['MRE_seed_range'] == pytest.approx(0.2)
    assert seed_mean['SDR@2mm'] == pytest.approx(78.0)
    assert seed_mean['SDR@2mm_seed_range'] == pytest.approx(4.0)
    assert seed_mean['MRE_image_se'] == pytest.approx(0.1)
    assert rows[(0, 'doc_a', 'seed-mean+refined+flip')]['MRE'] == \
        pytest.approx(1.1 - 0.25 + 0.3)
    assert rows[(0, 'mean', 'ensemble+refined')]['MRE'] == pytest.approx(0.7)
    assert rows[(0, 'mean', 'seed2')]['collapsed_pairs'] == [['L1', 'L2']]
    with open(out / 'summary.csv') as f:
        table = list(csv.DictReader(f))
    assert len(table) == len(summary)
    assert json.loads(table[0]['collapsed_pairs']) == [['L1', 'L2']]
    assert table[2 * len(stages)]['variant'] == 'seed-mean'
    assert float(table[2 * len(stages)]['MRE_seed_range']) == \
        pytest.approx(0.2)


def test_external_test_set_trains_on_all_images(tmp_path, fake_tools, capsys):
    protocol.main(
        protocol_args(tmp_path, '--seeds', '3', '--test-ann-dirs',
                      'y/clinic_a', 'y/clinic_b', '--test-spacing', '0.2',
                      '--test-img-dir', 'y/img'))
    out = tmp_path / 'out'
    converts = fake_tools.tool_calls('labelme.py')
    # the main set: only its mean (for training); the external set: mean
    # and each annotator, all images in one file
    test_sets = [
        str(out / 'test_data' / gt) for gt in ('mean', 'clinic_a', 'clinic_b')
    ]
    assert [option(c, '--out')
            for c in converts] == [str(out / 'data' / 'mean'), *test_sets]
    for cmd in converts[1:]:
        assert option_values(cmd, '--ann-dirs') == ['y/clinic_a', 'y/clinic_b']
        assert option(cmd, '--spacing') == '0.2'
        assert option(cmd, '--img-dir') == 'y/img'
        assert option(cmd, '--val-ratio') == '0'
    ann = out / 'test_data' / 'clinic_b' / 'annotations'
    assert sorted(os.listdir(ann)) == ['test.json']
    merged = json.load(
        open(out / 'data' / 'mean' / 'annotations' / 'all.json'))
    assert [i['file_name']
            for i in merged['images']] == [f'{s}.png' for s in 'abcdef']

    [train] = fake_tools.tool_calls('train.py')
    work = out / 'external'  # one seed: no seed folder
    assert option(train, '--work-dir') == str(work)
    # trains on the main set, monitors on the external one
    assert option(train, '--data-root') == str(out / 'data' / 'mean')
    assert option_values(train, '--cfg-options') == [
        'train_dataloader.dataset.ann_file=annotations/all.json',
        *(f'{loader}.dataset.{key}'
          for loader in ('val_dataloader', 'test_dataloader')
          for key in (f'data_root={out}/test_data/mean/',
                      'ann_file=annotations/test.json')), 'randomness.seed=3'
    ]
    tests = fake_tools.tool_calls('test.py')
    assert [option(c, '--data-root') for c in tests] == [
        str(out / 'test_data' / gt) for gt in ('mean', 'clinic_a', 'clinic_b')
    ]
    assert option_values(tests[0], '--cfg-options') == [
        'val_dataloader.dataset.ann_file=annotations/test.json',
        'test_dataloader.dataset.ann_file=annotations/test.json'
    ]
    summary = json.load(open(out / 'summary.json'))
    assert [(r['fold'], r['ground_truth'], r['variant']) for r in summary] == [
        ('external', gt, 'seed3') for gt in ('mean', 'clinic_a', 'clinic_b')
    ]
    # the fake's MRE of one model outside a seed folder: 1, + 0.3 for an
    # annotator alone
    assert [r['MRE'] for r in summary] == pytest.approx([1.0, 1.3, 1.3])
    assert 'external  mean' in capsys.readouterr().out

    # a second run converts nothing again
    fake_tools.calls.clear()
    protocol.main(
        protocol_args(tmp_path, '--seeds', '3', '--test-ann-dirs',
                      'y/clinic_a', 'y/clinic_b', '--test-spacing', '0.2',
                      '--overwrite'))
    assert not fake_tools.tool_calls('labelme.py')


def test_resume_continues_the_trainings_of_an_earlier_run(
        tmp_path, fake_tools):
    args = protocol_args(tmp_path, '--refine-config', 'configs/r.py')
    protocol.main(args)
    assert not any('--resume' in c for c in fake_tools.calls)
    fake_tools.calls.clear()
    protocol.main(args + ['--resume'])
    trains = fake_tools.tool_calls('train.py')
    assert len(trains) == 2  # the model and its refinement stage
    assert all('--resume' in c and '--overwrite' not in c for c in trains)
    with pytest.raises(SystemExit):
        protocol.parse_args(args + ['--resume', '--overwrite'])


def fold_images(out, fold):
    val = out / 'data' / 'mean' / 'annotations' / f'fold{fold}_val.json'
    return [i['file_name'][0] for i in json.load(open(val))['images']]


def test_calibrate_measures_each_fold_with_the_other_folds_radii(
        tmp_path, fake_tools, capsys):
    protocol.main(
        protocol_args(tmp_path, '--folds', '2', '--calibrate', '--alpha',
                      '0.5', '--refine-config', 'configs/r.py'))
    out = tmp_path / 'out'
    infers = fake_tools.tool_calls('infer.py')
    assert len(infers) == 2 * 3  # folds x ground truths
    first = infers[0]
    # the whole recipe, on the fold's held-out images, against its truth
    assert option(first, '--refine-config').endswith('r.py')
    assert option(first, '--ann-file') == str(out / 'data' / 'mean' /
                                              'annotations' / 'fold0_val.json')
    assert '--no-calibration' in first
    assert sorted(first[3:first.index('--checkpoints')]) == sorted(
        str(out / 'data' / 'mean' / 'images' / f'{s}.png')
        for s in fold_images(out, 0))
    report = json.load(open(out / 'coverage.json'))
    assert report['folds'] == 2 and report['nominal_coverage'] == 0.5
    errors = FakeTools.ERRORS
    for gt, extra in (('mean', 0.0), ('doc_a', 0.5), ('doc_b', 0.5)):
        covered = radii = 0
        for fold in (0, 1):
            # alpha 0.5 on the other fold's 3 images: the 2nd smallest of
            # their errors against the mean (rank ceil(4 * 0.5))
            radius = sorted(errors[s] for s in fold_images(out, 1 - fold))[1]
            mine = [errors[s] + extra for s in fold_images(out, fold)]
            covered += sum(e <= radius for e in mine)
            radii += radius * len(mine)
        overall = report['ground_truths'][gt]['coverage']['overall']
        assert overall['coverage'] == pytest.approx(covered / 6)
        assert overall['mean_radius_mm'] == pytest.approx(radii / 6)
        assert overall['num_points'] == 12
    with open(out / 'coverage.csv') as f:
        rows = list(csv.DictReader(f))
    assert [(r['ground_truth'], r['landmark'])
            for r in rows[:4]] == [('mean', 'L1'), ('mean', 'L2'),
                                   ('mean', 'overall'),
                                   ('mean', 'min landmark')]
    # the calibration of all six images: the 4th smallest error (rank
    # ceil(7 * 0.5))
    calibration = json.load(open(out / 'calibration.json'))
    assert calibration['radius']['radii_mm'] == [4.0, 4.0]
    printed = capsys.readouterr().out
    assert 'Error radii (50% nominal)' in printed
    assert 'calibration of all folds written to' in printed

    # --resume keeps the tests and predictions newer than the checkpoints
    fake_tools.calls.clear()
    protocol.main(
        protocol_args(tmp_path, '--folds', '2', '--calibrate', '--alpha',
                      '0.5', '--refine-config', 'configs/r.py', '--resume'))
    assert not fake_tools.tool_calls('infer.py')
    assert not fake_tools.tool_calls('test.py')


def test_external_coverage_of_a_given_calibration(tmp_path, fake_tools):
    calibration = ModelCalibration(
        radius=RadiusCalibration(
            alpha=0.1, landmark_names=['L1', 'L2'], radii_mm=[1.2, 0.5]),
        shape=None,
        description='by hand')
    save_calibration(calibration, str(tmp_path / 'c.json'))
    protocol.main(
        protocol_args(tmp_path, '--test-ann-dirs', 'y/clinic_a', 'y/clinic_b',
                      '--test-spacing', '0.2', '--calibration',
                      str(tmp_path / 'c.json')))
    report = json.load(open(tmp_path / 'out' / 'coverage.json'))
    assert list(report['ground_truths']) == ['mean', 'clinic_a', 'clinic_b']
    # the fake external images e1..e3 have error 1 mm (1.5 alone): L1's
    # 1.2 mm radius covers the mean only, L2's 0.5 mm nothing
    mean = report['ground_truths']['mean']['coverage']['per_landmark']
    assert [r['coverage'] for r in mean] == [1.0, 0.0]
    alone = report['ground_truths']['clinic_a']['coverage']['overall']
    assert alone['coverage'] == 0.0
