"""``ceph_landmarks.core.io.batch_inputs``: the arguments of every
predictor's ``predict_batch``, checked in one order before any work."""
import logging
from pathlib import Path

import numpy as np
import pytest

from ceph_landmarks.core.io.batch_inputs import BatchInputs, check_batch_inputs
from helpers.dicom import write_dicom

GREY = np.zeros((4, 6), np.uint8)


def test_defaults_name_paths_and_arrays(tmp_path):
    missing = tmp_path / 'not_yet.png'  # not read here: only named
    checked = check_batch_inputs([str(missing), GREY, Path(missing)])
    assert isinstance(checked, BatchInputs)
    assert checked.sources == [str(missing), '<array>', str(missing)]
    assert checked.images[0] == checked.images[2] == str(missing)
    assert checked.images[1].shape == (4, 6, 3)
    assert checked.images[1].dtype == np.uint8
    assert checked.spacings == [None, None, None]
    assert checked.spacing_sources == [None, None, None]


def test_spacings_are_normalised_with_their_sources():
    checked = check_batch_inputs([GREY, GREY, GREY], [0.1, None, (0.2, 0.3)],
                                 sources=['a', 'b', 'c'])
    assert checked.sources == ['a', 'b', 'c']
    assert checked.spacings == [(0.1, 0.1), None, (0.2, 0.3)]
    assert checked.spacing_sources == [
        'spacing argument', None, 'spacing argument'
    ]
    checked = check_batch_inputs([GREY, GREY], [0.1, None],
                                 spacing_sources=['--spacing', 'x.csv'])
    assert checked.spacing_sources == ['--spacing', None]


def test_high_bit_arrays_are_scaled_like_files():
    twelve_bit = np.full((3, 3), 4095, np.uint16)
    [pixels] = check_batch_inputs([twelve_bit]).images
    assert pixels.dtype == np.uint8 and (pixels == 255).all()


def test_a_file_without_spacing_gets_its_header_spacing(tmp_path, caplog):
    dcm = write_dicom(
        str(tmp_path / 'a.dcm'),
        np.zeros((8, 8), np.uint8),
        pixel_spacing=(0.2, 0.3))  # (row, column): sx 0.3, sy 0.2
    checked = check_batch_inputs([dcm])
    assert checked.spacings == [(0.3, 0.2)]
    assert checked.spacing_sources == ['DICOM Pixel Spacing']

    with caplog.at_level(logging.WARNING, logger='ceph_landmarks'):
        checked = check_batch_inputs([dcm], [0.1],
                                     spacing_sources=['--spacing'])
    assert checked.spacings == [(0.1, 0.1)]  # the given one wins, logged
    assert checked.spacing_sources == ['--spacing']
    assert 'the spacing from --spacing, [0.1, 0.1] mm/px, overrides the ' \
        'one in its header, [0.3, 0.2] mm/px (DICOM Pixel Spacing)' \
        in caplog.text


@pytest.mark.parametrize('kwargs, error, message', [
    (dict(images=[GREY, 3], sources=['a', 'b']), TypeError,
     r'^images\[1\] must be an image file name or a numpy array, but got '
     r'int$'),
    (dict(images=[np.zeros(
        (4, 6), np.float32)], batch_size=0), ValueError, r'^image: '),
    (dict(images=[GREY], batch_size=0, spacings=[]), ValueError,
     r'^batch_size must be at least 1, but got 0$'),
    (dict(images=[GREY], spacings=[],
          sources=[]), ValueError, r'^got 0 spacings for 1 images$'),
    (dict(images=[GREY], sources=['a', 'b'],
          spacing_sources=[]), ValueError, r'^got 2 sources for 1 images$'),
    (dict(
        images=[GREY], spacings=[-1.0], sources=['a.png'],
        spacing_sources=[]), ValueError, r'spacing of a\.png'),
    (dict(images=[GREY], spacing_sources=['x', 'y']), ValueError,
     r'^got 2 spacing sources for 1 images$'),
])
def test_refused_inputs_first_error_wins(kwargs, error, message):
    with pytest.raises(error, match=message):
        check_batch_inputs(**kwargs)
