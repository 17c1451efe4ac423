"""tools/run_protocol.py with an external test set, end to end on a few real
Hamedan images (tiny model, one epoch): trained on all the images of one
set, tested on another set against its mean and each annotator."""
import json
import os.path as osp
import shutil

import pytest

from helpers import (HAMEDAN, REFINE_CONFIG, TINY_HAMEDAN, needs_hamedan,
                     run_tool)

DOCTORS = ('farhadifar', 'mollabashi')

pytestmark = [needs_hamedan, pytest.mark.slow]


def labelme_folders(root, stems):
    """Copy the doctors' LabelMe files of ``stems`` into ``root/<doctor>``.
    """
    folders = []
    for doctor in DOCTORS:
        target = root / doctor
        target.mkdir(parents=True)
        for stem in stems:
            shutil.copy(
                osp.join(HAMEDAN, 'annotations', doctor, f'{stem}.json'),
                target)
        folders.append(str(target))
    return folders


def run_external_protocol(tmp_path, *options):
    """Train on four images (011-014), test on two others (015, 016)."""
    ann_dirs = labelme_folders(tmp_path / 'train_set',
                               ('011', '012', '013', '014'))
    test_dirs = labelme_folders(tmp_path / 'test_set', ('015', '016'))
    out = tmp_path / 'protocol'
    images = osp.join(HAMEDAN, 'images')
    proc = run_tool('run_protocol.py', TINY_HAMEDAN, '--ann-dirs', *ann_dirs,
                    '--img-dir', images, '--spacing', '0.144',
                    '--test-ann-dirs', *test_dirs,
                    '--test-spacing', '0.1', '--test-img-dir', images, '--out',
                    str(out), '--train-args', '--image-size 96 128', *options,
                    '--cfg-options', 'train_cfg.max_epochs=1')
    return out, proc


def test_external_test_set_with_refinement_and_flip(tmp_path):
    """One run of the whole recipe on the external set: one seed, the
    refinement stage and the flip test (several seeds and their ensemble:
    test_protocol.py with fake tools, test_cascade_tools.py through the
    real tools)."""
    out, proc = run_external_protocol(tmp_path, '--seeds', '3', '--flip-test',
                                      '--refine-config', REFINE_CONFIG,
                                      '--refine-train-args', '--epochs 1')
    summary = json.load(open(out / 'summary.json'))
    variants = ['seed3', 'seed3+flip', 'seed3+refined', 'seed3+refined+flip']
    assert [(r['fold'], r['ground_truth'], r['variant']) for r in summary] == [
        ('external', gt, v) for gt in ('mean', *DOCTORS) for v in variants
    ]
    for row in summary:
        assert 0 < row['MRE'] < 200 and 0 <= row['SDR@2mm'] <= 100
    rows = {(r['ground_truth'], r['variant']): r for r in summary}
    assert rows[('mean', 'seed3')]['MRE'] != \
        rows[('mean', 'seed3+refined')]['MRE']
    # trained on all four images, tested on the two others with their own
    # spacing
    train = json.load(open(out / 'data' / 'mean' / 'annotations' / 'all.json'))
    assert sorted(i['file_name'] for i in train['images']) == [
        f'{s}.png' for s in ('011', '012', '013', '014')
    ]
    for gt in ('mean', *DOCTORS):
        test = json.load(
            open(out / 'test_data' / gt / 'annotations' / 'test.json'))
        assert [(i['file_name'], i['spacing'])
                for i in test['images']] == [('015.png', 0.1),
                                             ('016.png', 0.1)]
    work = out / 'external'  # one seed: no seed folder
    dumped = work / 'tiny_hamedan-160x128.py'
    assert 'seed=3' in dumped.read_text()
    assert f'test.py {dumped} --checkpoints {work / "epoch_1.pth"}' \
        in proc.stdout
    assert list((work / 'report').glob('*.png'))
    assert (work / 'metrics_farhadifar.json').is_file()
    assert (work / 'metrics_mean_refined_flip.json').is_file()
    assert (work / 'refine' / 'epoch_1.pth').is_file()
