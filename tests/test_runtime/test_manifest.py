"""``model.json``: what an export records, and what the runtime refuses
(the refusals of the command line are rows of test_bad_inputs.py)."""
import json
import shutil

import pytest

from ceph_landmarks.runtime import ManifestError, load_manifest
from ceph_landmarks.version import __version__


def test_manifest_records_the_recipe(untrained_export):
    manifest = load_manifest(untrained_export)
    assert manifest.package_version == __version__
    assert len(manifest.landmark_names) == len(manifest.labels) == 19
    assert manifest.landmark_names[0] == 'sella'
    assert manifest.refinement is None and not manifest.flip_test
    stage = manifest.first_stage
    assert stage.input_size == [64, 64]
    assert stage.codec['heatmap_size'] == [16, 16]
    assert stage.codec['unbiased'] is True
    assert stage.box == dict(type='whole_image', padding=1.0)
    assert stage.members == 1
    assert len(stage.networks[0]['sha256']) == 64


def _copy(untrained_export, tmp_path, change) -> str:
    folder = tmp_path / 'model'
    shutil.copytree(untrained_export, folder)
    path = folder / 'model.json'
    data = json.loads(path.read_text())
    change(data)
    path.write_text(json.dumps(data))
    return str(folder)


@pytest.mark.parametrize('change, message', [
    (lambda d: d.update(format_version=2), 'manifest format version 2'),
    (lambda d: d.update(format='other'), 'not a manifest of format'),
    (lambda d: d['first_stage'].update(codec=dict(type='UDPHeatmap')),
     "'UDPHeatmap' is not one the runtime decodes"),
    (lambda d: d.update(labels=['S']), '19 landmark names but 1 labels'),
    (lambda d: d['first_stage']['networks'][0].update(file='../x.onnx'),
     'bad entry'),
    (lambda d: d.update(ensemble='median'), "unknown ensemble mode"),
])
def test_manifest_refusals_name_the_file(untrained_export, tmp_path, change,
                                         message):
    folder = _copy(untrained_export, tmp_path, change)
    with pytest.raises(ManifestError) as info:
        load_manifest(folder)
    assert str(info.value).startswith(f'{folder}/model.json: ')
    assert message in str(info.value)


def test_unreadable_manifest(untrained_export, tmp_path):
    folder = tmp_path / 'model'
    shutil.copytree(untrained_export, folder)
    (folder / 'model.json').write_text('{not json')
    with pytest.raises(ManifestError, match='model.json: cannot read it'):
        load_manifest(str(folder))
