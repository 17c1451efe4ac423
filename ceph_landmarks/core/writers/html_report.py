"""A report page a person reads: one self-contained HTML file per image.

The page of an image holds, when the image's quality check asks for review
or finds the image unusable, a banner saying so (a quality check of the
automatic landmarks, never a diagnosis); then the landmark overlay, the
landmark table (px, mm, confidence, calibrated error radius in mm and px,
with a line saying what the radius means, or that there is no
calibration), the cephalometric analyses with their norms, flags and
uncertainties and, when ground truth is given, the errors. The index page
of a run links to each image's page and shows its verdict. Both are plain
HTML built with the standard library: the overlay PNG is embedded as a
base64 data URI, the CSS is inline, there is no JavaScript and no external
resource (a Content-Security-Policy says so to the browser), so a page can
be mailed or archived as one file.

Every table has an ``id`` (``summary``, ``landmarks``, ``errors``,
``analyses``, ``images``; the banner is ``quality``, the radius line
``radii``) and one header row, so a script can read it back
(``pandas.read_html(path, attrs={'id': 'analyses'})``). Every text value
is escaped; a missing number is shown as an em dash.
"""
import base64
import numbers
import os
import os.path as osp
from html import escape
from typing import Any, Iterable, Mapping, Optional, Sequence, Tuple
from urllib.parse import quote, urlsplit

__all__ = ['write_html_report', 'write_report_index', 'NO_CALIBRATION']

MISSING = '\u2014'  # em dash: a value that does not exist
#: What the report says instead of a radius without a calibration.
NO_CALIBRATION = 'no calibration: no error radii'
_PLUS_MINUS = '\u00b1'

#: The banner of a quality verdict: its opening words and what is added
#: after its reasons. No banner for ``'ok'``.
_BANNERS = {
    'review': ('Automatic landmarks need review', ''),
    'refuse': ('Automatic landmarks not usable',
               ' (not a lateral cephalogram in the expected orientation?)'),
}
_VERDICTS = ('ok', 'review', 'refuse')
_BANNER_NOTE = ('This is a quality check of the automatic landmark '
                'detection, not a diagnosis.')
_UNCERTAINTY_NOTE = (
    '\u00b1: the standard deviation of the value, propagated from the '
    'landmarks\' calibrated error radii by Monte Carlo sampling.')
_PNG_SIGNATURE = b'\x89PNG\r\n\x1a\n'

#: CSS class of an analysis row for each ``deviation`` of the analyses.
_DEVIATION_CLASS = {
    'within': 'within',
    'outside 1 SD': 'outside-1sd',
    'outside 2 SD': 'outside-2sd',
    None: 'no-norm',
}
_UNIT_SUFFIX = {'deg': '\u00b0', 'mm': ' mm', '%': ' %'}

DISCLAIMER = ('Flags mark values outside the reference range (mean \u00b1 1 '
              'SD or \u00b1 2 SD) of the cited norms. They are not a '
              'diagnosis: norms differ between populations, ages and sexes, '
              'and every measurement depends on the predicted landmarks, '
              'which should be checked on the image.')

_CSS = """
body { font-family: sans-serif; margin: 1.5em; color: #222; }
h1 { font-size: 1.4em; word-break: break-all; }
h2 { font-size: 1.15em; margin-top: 1.5em; }
table { border-collapse: collapse; margin: 0.5em 0; }
th, td { border: 1px solid #bbb; padding: 0.2em 0.6em; text-align: left; }
th { background: #eee; }
td.num { text-align: right; white-space: nowrap;
         font-variant-numeric: tabular-nums; }
tbody + tbody { border-top: 3px solid #888; }
img.overlay { max-width: 100%; max-height: 90vh; border: 1px solid #888; }
.note { background: #fff8e0; border-left: 4px solid #e0a000;
        padding: 0.4em 0.8em; max-width: 60em; }
tr.review td, tr.outside-1sd td { background: #fff3cd; }
tr.outside-2sd td { background: #f8d7da; }
tr.failed td { background: #f8d7da; }
td.flag { font-weight: bold; min-width: 14em; }
.banner { padding: 0.6em 1em; margin: 0.8em 0; max-width: 60em;
          border-left: 6px solid; font-size: 1.05em; }
.banner.review { background: #fff3cd; border-color: #e0a000; }
.banner.refuse { background: #f8d7da; border-color: #b00020; }
p.caption { font-size: 0.9em; color: #444; max-width: 60em; }
tr.quality-review td { background: #fff3cd; }
tr.quality-refuse td { background: #f8d7da; }
"""

Row = Sequence[str]


def _number(value: Any, digits: int) -> str:
    """``value`` with ``digits`` decimals; None or NaN as an em dash."""
    if value is None or value != value:  # NaN is not equal to itself
        return MISSING
    return f'{float(value):.{digits}f}'


def _text(value: Any) -> str:
    """A summary value as text: numbers to 4 significant digits."""
    if value is None:
        return MISSING
    if isinstance(value, bool):
        return 'yes' if value else 'no'
    if isinstance(value, numbers.Integral):
        return str(value)
    if isinstance(value, numbers.Real):  # numpy floats too
        return MISSING if value != value else f'{float(value):.4g}'
    if isinstance(value, Mapping):
        return ', '.join(f'{k}: {_text(v)}' for k, v in value.items())
    if isinstance(value, (list, tuple)):
        return ', '.join(_text(v) for v in value)
    return str(value)


def _href(path: str, what: str) -> str:
    """A relative file path as an escaped, percent-encoded link target."""
    path = path.replace(os.sep, '/')
    if urlsplit(path).scheme or path.startswith('/'):
        raise ValueError(f'{what} must be a path relative to the page, but '
                         f'got {path!r}')
    return escape(quote(path), quote=True)


def _class(name: Optional[str]) -> str:
    return f' class="{name}"' if name else ''


def _table(table_id: str,
           header: Row,
           groups: Iterable[Iterable[Tuple[str, Row]]],
           column_class: Optional[Mapping[int, str]] = None) -> str:
    """An HTML table with one header row and a ``<tbody>`` per group.

    Args:
        table_id (str): The table's ``id``.
        header (Sequence[str]): Column titles (plain text, escaped here).
        groups: Row groups; a row is ``(css_class, cells)`` with each cell
            already escaped HTML.
        column_class (Mapping[int, str], optional): CSS class of the cells
            of some columns (``'num'`` aligns numbers right).
    """
    column_class = column_class or {}
    lines = [f'<table id="{table_id}">', '<thead><tr>']
    lines += [f'<th>{escape(title)}</th>' for title in header]
    lines.append('</tr></thead>')
    for rows in groups:
        lines.append('<tbody>')
        for row_class, cells in rows:
            tds = ''.join(f'<td{_class(column_class.get(i))}>{cell}</td>'
                          for i, cell in enumerate(cells))
            lines.append(f'<tr{_class(row_class)}>{tds}</tr>')
        lines.append('</tbody>')
    lines.append('</table>')
    return '\n'.join(lines)


def _page(title: str, body: Sequence[str]) -> str:
    """A whole HTML document that may load nothing but data URI images."""
    policy = "default-src 'none'; img-src data:; style-src 'unsafe-inline'"
    return '\n'.join([
        '<!DOCTYPE html>', '<html lang="en">', '<head>',
        '<meta charset="utf-8">',
        f'<meta http-equiv="Content-Security-Policy" content="{policy}">',
        '<meta name="viewport" content="width=device-width, '
        'initial-scale=1">', f'<title>{escape(title)}</title>',
        f'<style>{_CSS}</style>', '</head>', '<body>', *body, '</body>',
        '</html>', ''
    ])


def _write(out_file: str, text: str) -> str:
    folder = osp.dirname(osp.abspath(out_file))
    if not osp.isdir(folder):
        raise FileNotFoundError(
            f'cannot write {out_file}: folder {folder} does not exist')
    with open(out_file, 'w', encoding='utf-8') as f:
        f.write(text)
    return out_file


def _spacing_line(spacing: Optional[Tuple[float, float]],
                  spacing_source: Optional[str]) -> str:
    source = f' (from {escape(spacing_source)})' if spacing_source else ''
    if spacing is None:
        return ('<p id="spacing">Pixel spacing unknown: mm values are not '
                f'available{source}.</p>')
    sx, sy = (float(s) for s in spacing)
    value = f'{sx:.4g}' if sx == sy else f'{sx:.4g} \u00d7 {sy:.4g}'
    return f'<p id="spacing">Pixel spacing: {value} mm/px{source}.</p>'


def _radius_caption(calibration: Optional[str]) -> str:
    """What the radius columns mean, or that there is no calibration."""
    if calibration is None:
        return (f'<p id="radii" class="caption">Error radius: '
                f'{NO_CALIBRATION} (the model was run without a '
                'calibration file).</p>')
    return ('<p id="radii" class="caption">Error radius: '
            f'{escape(calibration)}. The true position of a landmark lies '
            'within its radius of the predicted one with the stated '
            'probability, on images like those of the calibration; another '
            'scanner or population may need its own calibration.</p>')


def _quality_banner(quality: Optional[Mapping], image_name: str) -> list:
    """The banner of a ``review`` or ``refuse`` verdict (none for ``ok``)."""
    if quality is None:
        return []
    verdict = quality.get('verdict')
    if verdict not in _VERDICTS:
        raise ValueError(f'{image_name}: quality verdict must be one of '
                         f'{_VERDICTS}, but got {verdict!r}')
    if verdict not in _BANNERS:
        return []
    opening, ending = _BANNERS[verdict]
    reasons = '; '.join(str(r) for r in quality.get('reasons') or [])
    text = f'{opening}: {reasons}{ending}.' if reasons else \
        f'{opening}{ending}.'
    return [
        f'<div id="quality" class="banner {verdict}" role="alert">'
        f'<strong>{escape(text)}</strong> {escape(_BANNER_NOTE)}</div>'
    ]


def _landmark_tables(landmarks: Sequence[dict],
                     calibration: Optional[str]) -> list:
    """The landmark table (with the radius caption) and, when any row has
    ground truth, the errors."""
    rows = []
    for i, row in enumerate(landmarks, 1):
        review = bool(row.get('review'))
        rows.append(('review' if review else '', [
            str(i),
            escape(str(row['name'])),
            _number(row['x'], 1),
            _number(row['y'], 1),
            _number(row.get('x_mm'), 2),
            _number(row.get('y_mm'), 2),
            _number(row.get('confidence'), 3),
            _number(row.get('radius_mm'), 2),
            _number(row.get('radius_px'), 1),
            'review' if review else '',
        ]))
    parts = [
        '<h2>Landmarks</h2>',
        _radius_caption(calibration),
        _table('landmarks', [
            '#', 'Landmark', 'x (px)', 'y (px)', 'x (mm)', 'y (mm)',
            'Confidence', 'Error radius (mm)', 'Error radius (px)', 'Review'
        ], [rows], dict.fromkeys((0, 2, 3, 4, 5, 6, 7, 8), 'num'))
    ]
    truth_keys = ('gt_x', 'gt_y', 'error_px', 'error_mm')
    if any(key in row for row in landmarks for key in truth_keys):
        rows = [('', [
            str(i),
            escape(str(row['name'])),
            _number(row.get('gt_x'), 1),
            _number(row.get('gt_y'), 1),
            _number(row.get('error_px'), 1),
            _number(row.get('error_mm'), 2),
        ]) for i, row in enumerate(landmarks, 1)]
        parts += [
            '<h2>Errors against the ground truth</h2>',
            _table('errors', [
                '#', 'Landmark', 'true x (px)', 'true y (px)', 'error (px)',
                'error (mm)'
            ], [rows], dict.fromkeys((0, 2, 3, 4, 5), 'num'))
        ]
    return parts


def _analysis_row(row: dict, with_truth: bool) -> Tuple[str, Row]:
    deviation = row.get('deviation')
    if deviation not in _DEVIATION_CLASS:
        raise ValueError(
            f'measurement {row.get("key")!r}: deviation must be one of '
            f'{sorted(map(str, _DEVIATION_CLASS))}, but got {deviation!r}')
    unit_name = row.get('unit')
    unit = _UNIT_SUFFIX.get(unit_name, f' {unit_name}' if unit_name else '')

    def with_unit(value: Any, sd: Any = None) -> str:
        text = _number(value, 2)
        if text == MISSING:
            return text
        if _number(sd, 2) != MISSING:
            text += f' {_PLUS_MINUS} {_number(sd, 2)}'
        return escape(text + unit)

    if row.get('norm_mean') is None:
        norm = MISSING
    else:
        norm = escape(f'{_number(row["norm_mean"], 2)} \u00b1 '
                      f'{_number(row.get("norm_sd"), 2)}{unit}')
    if row.get('flag'):
        flag = escape(row['flag'])
    elif deviation == 'within':
        flag = 'within the reference range'
    else:
        flag = MISSING
    cells = [
        escape(str(row['analysis'])),
        escape(str(row['name'])),
        with_unit(row.get('value'), row.get('uncertainty')), norm, flag,
        escape(str(row.get('norm_source') or MISSING))
    ]
    if with_truth:
        cells += [
            with_unit(row.get('ground_truth')),
            with_unit(row.get('error'))
        ]
    return _DEVIATION_CLASS[deviation], cells


def _analyses_table(analyses: Sequence[dict]) -> list:
    """The analyses, one ``<tbody>`` per analysis in order of appearance."""
    if not analyses:
        return [
            '<h2>Cephalometric analyses</h2>',
            '<p>No measurement: the landmark set has none of the '
            'landmarks the analyses need.</p>'
        ]
    with_truth = any('ground_truth' in row for row in analyses)
    groups = {}
    for row in analyses:
        groups.setdefault(str(row['analysis']),
                          []).append(_analysis_row(row, with_truth))
    header = [
        'Analysis', 'Measurement', 'Value', 'Norm (mean \u00b1 SD)', 'Flag',
        'Norm source'
    ]
    if with_truth:
        header += ['Ground truth', 'Error']
    column_class = dict.fromkeys((2, 3, 6, 7), 'num')
    column_class[4] = 'flag'  # text, bold, coloured by its row's class
    table = _table('analyses', header, groups.values(), column_class)
    parts = [
        '<h2>Cephalometric analyses</h2>', f'<p class="note">{DISCLAIMER}</p>',
        table
    ]
    if any(_number(row.get('uncertainty'), 2) != MISSING for row in analyses):
        parts.append(f'<p id="uncertainty" class="caption">'
                     f'{escape(_UNCERTAINTY_NOTE)}</p>')
    return parts


def write_html_report(out_file: str,
                      *,
                      image_name: str,
                      overlay_png: bytes,
                      landmarks: Sequence[dict],
                      analyses: Sequence[dict],
                      spacing: Optional[Tuple[float, float]],
                      spacing_source: Optional[str],
                      summary: Optional[dict] = None,
                      index_href: Optional[str] = None,
                      quality: Optional[Mapping] = None,
                      calibration: Optional[str] = None) -> str:
    """Write the report page of one image.

    Args:
        out_file (str): The HTML file to write (overwritten); its folder
            must exist.
        image_name (str): The image's name, the page's title.
        overlay_png (bytes): The landmark overlay, PNG encoded; embedded
            in the page.
        landmarks (Sequence[dict]): One row per landmark:
            ``name, x, y`` (px), ``x_mm, y_mm`` (None without spacing),
            ``confidence``, and optionally ``radius_mm, radius_px`` (the
            calibrated error radius; None or absent without), ``review``
            (True marks a point to check) and, with ground truth, ``gt_x,
            gt_y, error_px, error_mm``.
        analyses (Sequence[dict]): One row per measurement, as the
            analyses' ``MeasurementResult.to_dict()``: ``key, analysis,
            name, value, unit ('deg' | 'mm' | '%'), norm_mean, norm_sd,
            norm_source, deviation ('within' | 'outside 1 SD' |
            'outside 2 SD' | None), flag`` and optionally
            ``uncertainty`` (its standard deviation, shown as plus-minus),
            ``ground_truth, error``. Grouped by ``analysis``.
        spacing (tuple[float, float], optional): Pixel spacing ``(sx, sy)``
            in mm/px; None when unknown.
        spacing_source (str, optional): Where the spacing came from, e.g.
            ``'DICOM Pixel Spacing'`` or ``'--spacing'``.
        summary (dict, optional): Shown as a two-column table (e.g.
            ``MRE_mm``, model and checkpoint names).
        index_href (str, optional): Path of the run's index page relative
            to this page; a link back to it when given.
        quality (Mapping, optional): The image's quality check
            (``QualityCheck.to_dict()``: ``verdict`` ``'ok' | 'review' |
            'refuse'`` and ``reasons``); a ``review`` or ``refuse``
            verdict puts a banner with the reasons at the top of the page.
        calibration (str, optional): What the error radii mean (the
            calibration's one-line description), shown above the landmark
            table; ``None`` says :data:`NO_CALIBRATION` instead.

    Returns:
        str: ``out_file``.

    Raises:
        FileNotFoundError: The folder of ``out_file`` does not exist.
        ValueError: ``overlay_png`` is not a PNG, ``index_href`` is not a
            relative path, a measurement has an unknown ``deviation``, or
            ``quality`` an unknown ``verdict``.
    """
    if not bytes(overlay_png[:8]) == _PNG_SIGNATURE:
        raise ValueError(f'overlay_png of {image_name!r} for {out_file} is '
                         f'not a PNG: it starts with {bytes(overlay_png[:8])}')
    banner = _quality_banner(quality, image_name)
    body = []
    if index_href is not None:
        body.append(f'<p><a href="{_href(index_href, "index_href")}">'
                    '\u2190 all images of this run</a></p>')
    body += [
        f'<h1>{escape(image_name)}</h1>', *banner,
        _spacing_line(spacing, spacing_source)
    ]
    if summary:
        rows = [('', [escape(str(key)), escape(_text(value))])
                for key, value in summary.items()]
        body.append(_table('summary', ['Item', 'Value'], [rows]))
    data = base64.b64encode(bytes(overlay_png)).decode('ascii')
    circles = ', with a circle of their error radius' \
        if calibration is not None else ''
    body.append(f'<figure><img class="overlay" id="overlay" '
                f'alt="{escape(image_name, quote=True)} with landmarks" '
                f'src="data:image/png;base64,{data}"><figcaption>Predicted '
                f'landmarks (red){circles} and, when given, the ground '
                'truth (green).</figcaption></figure>')
    body += _landmark_tables(landmarks, calibration)
    body += _analyses_table(analyses)
    return _write(out_file, _page(f'{image_name}: landmark report', body))


def write_report_index(out_file: str,
                       entries: Sequence[dict],
                       title: str = 'Cephalometric landmark report') -> str:
    """Write the index page of a run: one row per image.

    Args:
        out_file (str): The HTML file to write (overwritten); its folder
            must exist.
        entries (Sequence[dict]): One per image: ``image`` (its name),
            ``href`` (its page, a path relative to the index; None when it
            failed), optionally ``mre_mm``, ``num_flagged`` (measurements
            outside the reference range), ``verdict`` (the quality check's
            ``'ok' | 'review' | 'refuse'``, None when not run) and
            ``error`` (why the image failed). A ``Quality check`` column
            appears when any entry has a verdict; else a line says the
            check was not run.
        title (str): The page's title.

    Returns:
        str: ``out_file``.

    Raises:
        FileNotFoundError: The folder of ``out_file`` does not exist.
        ValueError: An ``href`` is not a relative path.
    """
    with_mre = any(entry.get('mre_mm') is not None for entry in entries)
    with_verdict = any(entry.get('verdict') is not None for entry in entries)
    rows = []
    for entry in entries:
        href = entry.get('href')
        link = (f'<a href="{_href(href, "href")}">report</a>'
                if href else MISSING)
        error = entry.get('error')
        cells = [escape(str(entry['image'])), link]
        if with_mre:
            cells.append(_number(entry.get('mre_mm'), 2))
        num_flagged = entry.get('num_flagged')
        verdict = entry.get('verdict')
        if verdict is not None and verdict not in _VERDICTS:
            raise ValueError(f'{entry["image"]}: quality verdict must be one '
                             f'of {_VERDICTS}, but got {verdict!r}')
        if with_verdict:
            cells.append(escape(verdict) if verdict else MISSING)
        cells += [
            MISSING if num_flagged is None else str(int(num_flagged)),
            escape(str(error)) if error else 'ok'
        ]
        row_class = 'failed' if error else \
            f'quality-{verdict}' if verdict in _BANNERS else ''
        rows.append((row_class, cells))
    header = ['Image', 'Report'] + (['MRE (mm)'] if with_mre else [])
    header += ['Quality check'] if with_verdict else []
    header += ['Flagged measurements', 'Status']
    numeric = {len(header) - 2: 'num'}  # flagged measurements
    if with_mre:
        numeric[2] = 'num'
    failed = sum(1 for entry in entries if entry.get('error'))
    counts = f'{len(entries)} images, {failed} failed'
    if with_verdict:
        verdicts = [entry.get('verdict') for entry in entries]
        counts += (f'; quality check of the landmarks: '
                   f'{verdicts.count("review")} to review, '
                   f'{verdicts.count("refuse")} not usable.')
    else:
        counts += ('. Quality check of the landmarks: not run (it needs a '
                   'calibration).')
    body = [
        f'<h1>{escape(title)}</h1>', f'<p>{escape(counts)}</p>',
        _table('images', header, [rows], numeric),
        f'<p class="note">{DISCLAIMER}</p>'
    ]
    return _write(out_file, _page(title, body))
