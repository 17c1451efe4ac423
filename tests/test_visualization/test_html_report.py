"""The HTML report page of an image and the index page of a run: tables
read back with the standard library's parser, and a screenshot taken in a
real headless Chromium."""
import base64
import re

import cv2
import numpy as np
import pytest

from ceph_landmarks.core.writers.html_report import (write_html_report,
                                                     write_report_index)
from helpers import chromium_or_skip, read_html_page, screenshot

NAME = 'case <script>alert(1)</script> & 1.dcm'
MAGENTA = (255, 0, 255)  # BGR
BLOCK = (150, 100)  # magenta block of the overlay, W x H, at (150, 100)


def _overlay_png(width=480, height=360) -> bytes:
    """A grey ramp with a magenta block: easy to find in a screenshot."""
    ramp = np.linspace(0, 255, width, dtype=np.uint8)
    image = np.repeat(np.tile(ramp, (height, 1))[..., None], 3, axis=2)
    image[100:100 + BLOCK[1], 150:150 + BLOCK[0]] = MAGENTA
    return cv2.imencode('.png', image)[1].tobytes()


def _landmarks(mm=True, truth=True):
    rows = [
        dict(name='Sella', x=101.234, y=88.0, confidence=0.98765),
        dict(name='Nasion <N>', x=412.5, y=95.25, confidence=0.4, review=True),
    ]
    for i, row in enumerate(rows):
        row['x_mm'] = row['x'] * 0.1 if mm else None
        row['y_mm'] = row['y'] * 0.1 if mm else None
        if truth:
            row.update(
                gt_x=row['x'] + 3,
                gt_y=row['y'] + 4,
                error_px=5.0,
                error_mm=0.5 + i)
    return rows


#: Measurements as the analyses' ``MeasurementResult.to_dict()`` gives them.
FIELDS = ('key', 'analysis', 'name', 'value', 'unit', 'norm_mean', 'norm_sd',
          'norm_source', 'deviation', 'flag')
MEASUREMENTS = [
    ('steiner/SNA', 'Steiner', 'SNA', 84.567, 'deg', 82.0, 3.5, 'Steiner 1953',
     'within', ''),
    ('downs/convexity', 'Downs', 'Angle of convexity N-A-Pog', 12.0, 'deg',
     0.0, 5.1, 'Downs 1948', 'outside 2 SD',
     'above the reference range (mean + 2 SD)'),
    ('steiner/ANB', 'Steiner', 'ANB', 5.9, 'deg', 2.0, 2.0, 'Steiner 1953',
     'outside 1 SD', 'above the reference range (mean + 1 SD)'),
    ('jarabak/ratio', 'Jarabak', 'S-Go / N-Me', None, '%', 63.5, 1.5,
     'Jarabak & Fizzell 1972', None, ''),
]


def _analyses(truth=True):
    rows = [dict(zip(FIELDS, values)) for values in MEASUREMENTS]
    if truth:
        for row in rows:
            row.update(ground_truth=80.0, error=1.234)
    return rows


def _ids(page):
    return {value for _, name, value in page.attributes if name == 'id'}


def _write_page(tmp_path, **kwargs):
    args = dict(
        image_name=NAME,
        overlay_png=_overlay_png(),
        landmarks=_landmarks(),
        analyses=_analyses(),
        spacing=(0.1, 0.1),
        spacing_source='DICOM Pixel Spacing',
        summary=dict(MRE_mm=np.float32(1.23456), checkpoint='best.pth'),
        index_href='index.html')
    args.update(kwargs)
    out = str(tmp_path / 'page.html')
    assert write_html_report(out, **args) == out
    return out


def test_page_tables_hold_the_input_rounded(tmp_path):
    page = read_html_page(_write_page(tmp_path))
    assert page.tables['landmarks'] == [
        [
            '#', 'Landmark', 'x (px)', 'y (px)', 'x (mm)', 'y (mm)',
            'Confidence', 'Error radius (mm)', 'Error radius (px)', 'Review'
        ],
        [
            '1', 'Sella', '101.2', '88.0', '10.12', '8.80', '0.988', '\u2014',
            '\u2014', ''
        ],
        [
            '2', 'Nasion <N>', '412.5', '95.2', '41.25', '9.53', '0.400',
            '\u2014', '\u2014', 'review'
        ],
    ]
    # no calibration given: the page says so instead of a radius
    assert 'Error radius: no calibration: no error radii' in page.text
    assert 'quality' not in _ids(page)  # no quality check: no banner
    assert page.row_classes['landmarks'] == ['', '', 'review']
    assert page.tables['errors'][1:] == [
        ['1', 'Sella', '104.2', '92.0', '5.0', '0.50'],
        ['2', 'Nasion <N>', '415.5', '99.2', '5.0', '1.50'],
    ]
    assert page.tables['summary'] == [['Item', 'Value'], ['MRE_mm', '1.235'],
                                      ['checkpoint', 'best.pth']]


def test_analyses_are_grouped_with_norms_and_worded_flags(tmp_path):
    page = read_html_page(_write_page(tmp_path))
    table = page.tables['analyses']
    assert table[0] == [
        'Analysis', 'Measurement', 'Value', 'Norm (mean \u00b1 SD)', 'Flag',
        'Norm source', 'Ground truth', 'Error'
    ]
    # grouped by analysis in order of first appearance: Steiner, Downs, ...
    assert [row[:3] + row[4:5] for row in table[1:]] == [
        ['Steiner', 'SNA', '84.57\u00b0', 'within the reference range'],
        [
            'Steiner', 'ANB', '5.90\u00b0',
            'above the reference range (mean + 1 SD)'
        ],
        [
            'Downs', 'Angle of convexity N-A-Pog', '12.00\u00b0',
            'above the reference range (mean + 2 SD)'
        ],
        ['Jarabak', 'S-Go / N-Me', '\u2014', '\u2014'],
    ]
    assert table[1][3] == '82.00 \u00b1 3.50\u00b0'
    assert table[4][3] == '63.50 \u00b1 1.50 %'
    assert table[4][5] == 'Jarabak & Fizzell 1972'
    assert table[1][6:] == ['80.00\u00b0', '1.23\u00b0']
    assert page.row_classes['analyses'][1:] == [
        'within', 'outside-1sd', 'outside-2sd', 'no-norm'
    ]
    assert re.search(
        r'outside the reference range .* of the cited norms\. '
        r'They are not a diagnosis', page.text)


def test_overlay_is_the_given_png_embedded(tmp_path):
    png = _overlay_png()
    page = read_html_page(_write_page(tmp_path, overlay_png=png))
    assert len(page.images) == 1
    prefix = 'data:image/png;base64,'
    assert page.images[0].startswith(prefix)
    assert base64.b64decode(page.images[0][len(prefix):]) == png


def test_text_is_escaped_and_nothing_is_loaded_from_outside(tmp_path):
    path = _write_page(tmp_path)
    with open(path, encoding='utf-8') as f:
        raw = f.read()
    assert '<script' not in raw
    assert '&lt;script&gt;alert(1)&lt;/script&gt; &amp; 1.dcm' in raw
    page = read_html_page(path)
    assert page.title == f'{NAME}: landmark report'
    assert NAME in page.text
    assert 'http://' not in raw and 'https://' not in raw
    sources = [v for _, n, v in page.attributes if n == 'src']
    assert sources and all(v.startswith('data:image/png') for v in sources)
    assert page.links == ['index.html']
    assert 'Pixel spacing: 0.1 mm/px (from DICOM Pixel Spacing)' in page.text


def test_page_without_spacing_or_ground_truth(tmp_path):
    page = read_html_page(
        _write_page(
            tmp_path,
            landmarks=_landmarks(mm=False, truth=False),
            analyses=_analyses(truth=False),
            spacing=None,
            spacing_source=None,
            summary=None,
            index_href=None))
    assert 'mm values are not available' in page.text
    assert [row[4:6] for row in page.tables['landmarks'][1:]
            ] == [['\u2014', '\u2014']] * 2
    assert set(page.tables) == {'landmarks', 'analyses'}
    assert len(page.tables['analyses'][0]) == 6
    assert page.links == []


def _calibrated(landmarks):
    """The rows with error radii: 1.5 and 4.25 mm at 0.1 mm/px."""
    for row, radius in zip(landmarks, (1.5, 4.25)):
        row.update(radius_mm=radius, radius_px=radius / 0.1)
    return landmarks


DESCRIPTION = ('90 % error radii, split-conformal, fitted on 100 '
               'out-of-fold images: <dev> 5-fold')


def test_radius_columns_and_what_they_mean(tmp_path):
    page = read_html_page(
        _write_page(
            tmp_path,
            landmarks=_calibrated(_landmarks()),
            calibration=DESCRIPTION,
            quality=dict(verdict='ok', reasons=[])))
    assert [row[7:9] for row in page.tables['landmarks']] == [
        ['Error radius (mm)', 'Error radius (px)'],
        ['1.50', '15.0'],
        ['4.25', '42.5'],
    ]
    assert f'Error radius: {DESCRIPTION}. The true position' in page.text
    assert 'no calibration' not in page.text
    assert 'with a circle of their error radius' in page.text
    assert 'quality' not in _ids(page)  # verdict ok: no banner
    with open(tmp_path / 'page.html', encoding='utf-8') as f:
        assert '&lt;dev&gt; 5-fold' in f.read()  # escaped


@pytest.mark.parametrize('verdict, opening, ending', [
    ('review', 'Automatic landmarks need review: ', '.'),
    ('refuse', 'Automatic landmarks not usable: ',
     ' (not a lateral cephalogram in the expected orientation?).'),
])
def test_quality_banner_lists_the_reasons(tmp_path, verdict, opening, ending):
    reasons = [
        'landmark configuration unlike the training shapes <d=7.1>',
        'rotated by 178 degrees from the training orientation'
    ]
    path = _write_page(
        tmp_path,
        quality=dict(
            verdict=verdict,
            reasons=reasons,
            shape_distance=7.1,
            rotation_deg=178.0))
    page = read_html_page(path)
    assert ('div', 'id', 'quality') in page.attributes
    assert ('div', 'class', f'banner {verdict}') in page.attributes
    assert (
        f'{opening}{"; ".join(reasons)}{ending} This is a quality check '
        'of the automatic landmark detection, not a diagnosis.') in page.text
    raw = open(path, encoding='utf-8').read()
    assert '&lt;d=7.1&gt;' in raw and '<d=7.1>' not in raw
    # at the top: before the overlay and the tables
    assert raw.index('id="quality"') < raw.index('id="overlay"')
    assert raw.index('id="quality"') < raw.index('<table')


def test_unknown_verdict_is_refused(tmp_path):
    with pytest.raises(ValueError, match="verdict.*'bad'"):
        _write_page(tmp_path, quality=dict(verdict='bad', reasons=[]))
    with pytest.raises(ValueError, match="a.png: quality verdict.*'bad'"):
        write_report_index(
            str(tmp_path / 'index.html'),
            [dict(image='a.png', href='a.html', verdict='bad')])


def test_measurement_uncertainty_is_shown_with_its_unit(tmp_path):
    analyses = _analyses()
    analyses[0]['uncertainty'] = 1.234
    analyses[3]['uncertainty'] = 0.5  # no value: no uncertainty shown
    page = read_html_page(_write_page(tmp_path, analyses=analyses))
    table = page.tables['analyses']
    assert table[1][2] == '84.57 \u00b1 1.23\u00b0'
    assert table[2][2] == '5.90\u00b0'  # none given
    assert table[4][2] == '\u2014'
    assert 'propagated from the landmarks\' calibrated error radii' in \
        page.text
    plain = read_html_page(_write_page(tmp_path))
    assert '\u00b1: the standard deviation' not in plain.text


def test_index_shows_each_verdict(tmp_path):
    out = write_report_index(
        str(tmp_path / 'index.html'), [
            dict(image='a.png', href='a.html', verdict='ok'),
            dict(image='b.png', href='b.html', verdict='review'),
            dict(image='c.png', href='c.html', verdict='refuse'),
            dict(image='d.png', href=None, error='d.png: unreadable'),
        ])
    page = read_html_page(out)
    assert [row[:3] for row in page.tables['images']] == [
        ['Image', 'Report', 'Quality check'],
        ['a.png', 'report', 'ok'],
        ['b.png', 'report', 'review'],
        ['c.png', 'report', 'refuse'],
        ['d.png', '\u2014', '\u2014'],
    ]
    assert page.row_classes['images'] == [
        '', '', 'quality-review', 'quality-refuse', 'failed'
    ]
    assert ('4 images, 1 failed; quality check of the landmarks: 1 to '
            'review, 1 not usable.') in page.text


def test_index_links_each_page_and_names_failures(tmp_path):
    out = str(tmp_path / 'index.html')
    entries = [
        dict(
            image='a b#1.png', href='a b#1.html', mre_mm=1.2345,
            num_flagged=2),
        dict(
            image='bad <1>.dcm', href=None,
            error='bad <1>.dcm: no pixel data'),
    ]
    assert write_report_index(out, entries, title='Run & test') == out
    page = read_html_page(out)
    assert page.title == 'Run & test'
    assert page.tables['images'] == [
        ['Image', 'Report', 'MRE (mm)', 'Flagged measurements', 'Status'],
        ['a b#1.png', 'report', '1.23', '2', 'ok'],
        [
            'bad <1>.dcm', '\u2014', '\u2014', '\u2014',
            'bad <1>.dcm: no pixel data'
        ],
    ]
    assert page.row_classes['images'] == ['', '', 'failed']
    assert page.links == ['a%20b%231.html']  # the file, not a fragment
    assert '2 images, 1 failed' in page.text


def test_index_without_mre_has_no_mre_column(tmp_path):
    out = write_report_index(
        str(tmp_path / 'index.html'), [dict(image='a.png', href='a.html')])
    assert read_html_page(out).tables['images'] == [
        ['Image', 'Report', 'Flagged measurements', 'Status'],
        ['a.png', 'report', '\u2014', 'ok'],
    ]
    assert 'Quality check of the landmarks: not run' in read_html_page(
        out).text


def test_bad_input_is_refused_with_its_name(tmp_path):
    missing = tmp_path / 'no_such_folder'
    with pytest.raises(FileNotFoundError, match='no_such_folder'):
        _write_page(missing)
    with pytest.raises(FileNotFoundError, match='no_such_folder'):
        write_report_index(str(missing / 'index.html'), [])
    with pytest.raises(ValueError, match='not a PNG'):
        _write_page(tmp_path, overlay_png=b'\xff\xd8\xff\xe0 a JPEG')
    with pytest.raises(ValueError, match='relative'):
        _write_page(tmp_path, index_href='https://example.org/index.html')
    with pytest.raises(ValueError, match="'steiner/SNA'.*'far off'"):
        _write_page(
            tmp_path, analyses=[dict(_analyses()[0], deviation='far off')])


@pytest.mark.slow  # starts a browser in a subprocess (and may install it)
def test_page_renders_in_headless_chromium(tmp_path):
    chromium = chromium_or_skip()
    shot = screenshot(
        chromium,
        _write_page(tmp_path),
        str(tmp_path / 'shot.png'),
        size=(1200, 1600))
    image = cv2.imread(shot)
    assert image is not None and image.shape == (1600, 1200, 3)
    grey = cv2.cvtColor(image, cv2.COLOR_BGR2GRAY)
    assert len(np.unique(grey)) > 100  # the ramp, text, table shading
    assert (grey < 200).mean() > 0.05  # not a blank page
    # the overlay is drawn at its own size: its magenta block is found
    magenta = np.all(np.abs(image.astype(int) - MAGENTA) < 40, axis=2)
    ys, xs = np.nonzero(magenta)
    assert abs(np.ptp(xs) + 1 - BLOCK[0]) <= 2
    assert abs(np.ptp(ys) + 1 - BLOCK[1]) <= 2
    # and the grey ramp around it, left of the block, is not blank
    ramp = grey[ys.min():ys.max() + 1, max(xs.min() - 140, 0):xs.min()]
    assert ramp.std() > 20
    # text is rendered below the overlay (the tables)
    assert (grey[ys.max() + 300:] < 128).mean() > 0.005


def test_browser_install_is_tried_once_and_skips_offline(monkeypatch):
    from helpers import browser
    calls = []

    def offline_apt_get(*args, timeout):
        calls.append(args[1])
        return False, 'Temporary failure resolving deb.debian.org'

    monkeypatch.setattr(browser, 'find_chromium', lambda: None)
    monkeypatch.setattr(browser, '_apt_get', offline_apt_get)
    monkeypatch.setattr(browser.os, 'geteuid', lambda: 0)
    monkeypatch.setattr(browser.shutil, 'which', lambda name: name)
    monkeypatch.setattr(browser, '_install_failure', None)
    for _ in range(2):
        with pytest.raises(
                pytest.skip.Exception,
                match='(?s)offline.*Install it with `apt-get '
                'install -y --no-install-recommends chromium`'):
            chromium_or_skip()
    assert calls == ['install', 'update']  # once, update after the install
