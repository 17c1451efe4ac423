"""Reading a written HTML page back with the standard library's parser:
its tables by ``id``, its images and links, every attribute value."""
from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Dict, List, Optional, Tuple


@dataclass
class HtmlPage:
    """What :func:`read_html_page` found in a page.

    Attributes:
        tables: Each table's rows by its ``id``; a row is the text of its
            cells (``th`` and ``td``), the header row first.
        row_classes: The ``class`` of each row of each table (``''`` when
            none), parallel to ``tables``.
        images: ``src`` of every ``<img>``.
        links: ``href`` of every ``<a>``.
        attributes: ``(tag, name, value)`` of every attribute.
        title: The text of ``<title>``.
        text: All text of the page, joined by spaces.
    """
    tables: Dict[str, List[List[str]]] = field(default_factory=dict)
    row_classes: Dict[str, List[str]] = field(default_factory=dict)
    images: List[str] = field(default_factory=list)
    links: List[str] = field(default_factory=list)
    attributes: List[Tuple[str, str, str]] = field(default_factory=list)
    title: str = ''
    text: str = ''


class _PageParser(HTMLParser):

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.page = HtmlPage()
        self._table: Optional[str] = None
        self._cell: Optional[List[str]] = None
        self._in_title = False
        self._text: List[str] = []

    def handle_starttag(self, tag, attrs):
        attrs = {name: value or '' for name, value in attrs}
        self.page.attributes += [(tag, n, v) for n, v in attrs.items()]
        if tag == 'table':
            self._table = attrs.get('id', f'table{len(self.page.tables)}')
            self.page.tables[self._table] = []
            self.page.row_classes[self._table] = []
        elif tag == 'tr' and self._table is not None:
            self.page.tables[self._table].append([])
            self.page.row_classes[self._table].append(attrs.get('class', ''))
        elif tag in ('td', 'th') and self._table is not None:
            self._cell = []
        elif tag == 'img':
            self.page.images.append(attrs.get('src', ''))
        elif tag == 'a':
            self.page.links.append(attrs.get('href', ''))
        elif tag == 'title':
            self._in_title = True

    def handle_endtag(self, tag):
        if tag in ('td', 'th') and self._cell is not None:
            self.page.tables[self._table][-1].append(''.join(
                self._cell).strip())
            self._cell = None
        elif tag == 'table':
            self._table = None
        elif tag == 'title':
            self._in_title = False

    def handle_data(self, data):
        self._text.append(data)
        if self._cell is not None:
            self._cell.append(data)
        if self._in_title:
            self.page.title += data


def read_html_page(path: str) -> HtmlPage:
    """Parse an HTML file (UTF-8) with :class:`html.parser.HTMLParser`."""
    parser = _PageParser()
    with open(path, encoding='utf-8') as f:
        parser.feed(f.read())
    parser.close()
    parser.page.text = ' '.join(' '.join(parser._text).split())
    return parser.page
