"""tools/run_protocol.py with an external test set, end to end on a few real
Hamedan images (tiny model, one epoch): trained on all the images of one
set, tested on another set against its mean and each annotator."""
import json
import os.path as osp
import shutil

import pytest

from conftest import REFINE_CONFIG, REPO_ROOT, run_tool

HAMEDAN = osp.join(REPO_ROOT, '..', 'shared', 'data', 'hamedan')
TINY_HAMEDAN = osp.join(REPO_ROOT, 'tests', 'data', 'configs',
                        'tiny_hamedan-128x160.py')
DOCTORS = ('farhadifar', 'mollabashi')

needs_hamedan = pytest.mark.skipif(
    not osp.isdir(HAMEDAN),
    reason=f'real Hamedan data not found at {osp.normpath(HAMEDAN)}')


def labelme_folders(root, stems, doctors=DOCTORS):
    """Copy the doctors' LabelMe files of ``stems`` into ``root/<doctor>``.
    """
    folders = []
    for doctor in doctors:
        target = root / doctor
        target.mkdir(parents=True)
        for stem in stems:
            shutil.copy(
                osp.join(HAMEDAN, 'annotations', doctor, f'{stem}.json'),
                target)
        folders.append(str(target))
    return folders


def run_external_protocol(tmp_path, *options, test_doctors=DOCTORS):
    """Train on four images (011-014), test on two others (015, 016)."""
    ann_dirs = labelme_folders(tmp_path / 'train_set',
                               ('011', '012', '013', '014'))
    test_dirs = labelme_folders(tmp_path / 'test_set', ('015', '016'),
                                test_doctors)
    out = tmp_path / 'protocol'
    images = osp.join(HAMEDAN, 'images')
    proc = run_tool('run_protocol.py', TINY_HAMEDAN, '--ann-dirs', *ann_dirs,
                    '--img-dir', images, '--spacing', '0.144',
                    '--test-ann-dirs', *test_dirs, '--test-spacing', '0.1',
                    '--test-img-dir', images, '--out', str(out),
                    '--train-args', '--image-size 96 128', *options,
                    '--cfg-options', 'train_cfg.max_epochs=1')
    return out, proc


@needs_hamedan
def test_external_test_set_on_real_images(tmp_path):
    out, proc = run_external_protocol(tmp_path, '--seeds', '3')
    summary = json.load(open(out / 'summary.json'))
    assert [(r['fold'], r['ground_truth'], r['variant'])
            for r in summary] == [('external', gt, 'seed3')
                                  for gt in ('mean', *DOCTORS)]
    for row in summary:
        assert 0 < row['MRE'] < 200 and 0 <= row['SDR@2mm'] <= 100
    # trained on all four images, tested on the two others with their own
    # spacing
    train = json.load(open(out / 'data' / 'mean' / 'annotations' /
                           'all.json'))
    assert sorted(i['file_name'] for i in train['images']) == [
        f'{s}.png' for s in ('011', '012', '013', '014')]
    for gt in ('mean', *DOCTORS):
        test = json.load(open(out / 'test_data' / gt / 'annotations' /
                              'test.json'))
        assert [(i['file_name'], i['spacing']) for i in test['images']
                ] == [('015.png', 0.1), ('016.png', 0.1)]
    work = out / 'external'  # one seed: no seed folder
    dumped = work / 'tiny_hamedan-128x160.py'
    assert 'seed=3' in dumped.read_text()
    assert f'test.py {dumped} {work / "epoch_1.pth"}' in proc.stdout
    assert list((work / 'report').glob('*.png'))
    assert (work / 'metrics_farhadifar.json').is_file()


@needs_hamedan
def test_external_seeds_ensemble_refinement_and_flip_on_real_images(
        tmp_path):
    """The whole recipe on the external set: two seeds, their ensemble,
    the refinement stage and the flip test."""
    out, _ = run_external_protocol(tmp_path, '--seeds', '0', '1',
                                   '--flip-test', '--refine-config',
                                   REFINE_CONFIG, '--refine-train-args',
                                   '--epochs 1',
                                   test_doctors=DOCTORS[:1])
    summary = json.load(open(out / 'summary.json'))
    variants = [m + s for m in ('seed0', 'seed1', 'seed-mean', 'ensemble')
                for s in ('', '+flip', '+refined', '+refined+flip')]
    assert [(r['ground_truth'], r['variant']) for r in summary] == [
        (gt, v) for gt in ('mean', DOCTORS[0]) for v in variants]
    rows = {(r['ground_truth'], r['variant']): r for r in summary}
    for row in summary:
        assert 0 < row['MRE'] < 200 and 0 <= row['SDR@2mm'] <= 100
    seeds = [rows[('mean', f'seed{s}')]['MRE'] for s in (0, 1)]
    assert rows[('mean', 'seed-mean')]['MRE_seed_range'] == pytest.approx(
        max(seeds) - min(seeds))
    assert (out / 'external' / 'ensemble' / 'metrics_mean_flip.json'
            ).is_file()
    assert (out / 'external' / 'ensemble' /
            'metrics_mean_refined_flip.json').is_file()
    assert (out / 'external' / 'seed1' / 'refine' / 'epoch_1.pth').is_file()
