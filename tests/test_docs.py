"""The manual (README.md and docs/**/*.md) against the repository.

For every page:

* every relative link ``[text](path)`` / ``[text](path#anchor)`` names an
  existing file or folder, and an anchor names a heading of the target page
  (GitHub's heading ids); http(s) and mailto links are not followed;
* every option a command line of the page passes to ``tools/*.py`` or
  ``data_converters/*.py`` (in a shell code block, or in inline code that
  starts with the tool) is an option of that tool's argument parser;
  ``tools/dist_train.sh``, ``dist_test.sh`` and ``gpu_check.sh`` stand for
  the Python tool they start, and a quoted ``--train-args "..."`` of
  ``tools/run_protocol.py`` is checked against ``tools/train.py``; a shell
  code block's line that runs a tool also passes its required options
  (``--checkpoints``, ``--out``...);
* every keyword argument of a ``LandmarkPredictor(...)`` or
  ``OnnxLandmarkPredictor(...)`` call in a Python code block is one of its
  parameters;
* every ``configs/....py`` path exists;
* every ``ceph_landmarks/...`` path and dotted ``ceph_landmarks.x.y`` name
  exists (a module, or a name that module defines or imports), and so does
  every ``tools/``, ``data_converters/``, ``tests/`` and ``requirements/``
  path. Paths with placeholders (``<name>``, ``{i}``, ``*``) are skipped.

The parsers are read in this process: each tool runs as ``__main__`` with
``ArgumentParser.parse_known_args`` replaced by a function that hands back
the parser before anything is parsed, so no tool does any work.
The changelog names removed paths on purpose: only its links are checked.
"""
import argparse
import functools
import glob
import inspect
import os
import os.path as osp
import re
import runpy
import sys
import warnings
from typing import List, NamedTuple, Optional, Set, Tuple
from unittest import mock

import pytest

from helpers import REPO_ROOT

PAGES = ['README.md'] + sorted(
    osp.relpath(path, REPO_ROOT) for path in glob.glob(
        osp.join(REPO_ROOT, 'docs', '**', '*.md'), recursive=True))
#: Pages that name removed paths and old options on purpose.
HISTORY_PAGES = {osp.join('docs', 'notes', 'changelog.md')}
CHECKED_PAGES = [page for page in PAGES if page not in HISTORY_PAGES]

SHELL_LANGUAGES = {'', 'bash', 'sh', 'shell', 'console'}
#: Shell scripts that pass their options on to a Python tool.
WRAPPERS = {
    'tools/dist_train.sh': 'tools/train.py',
    'tools/dist_test.sh': 'tools/test.py',
    'tools/gpu_check.sh': 'tools/gpu_check.py',
}
#: Options whose quoted value is the command line of another tool.
NESTED = {
    ('tools/run_protocol.py', '--train-args'): 'tools/train.py',
    ('tools/run_protocol.py', '--refine-train-args'): 'tools/train.py',
}

FENCE = re.compile(r'^\s*(`{3,}|~{3,})\s*([\w+-]*)')
INLINE_CODE = re.compile(r'(`+)(.+?)\1')
LINK = re.compile(r'!?\[[^\]]*\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)')
HEADING = re.compile(r'^\s{0,3}(#{1,6})\s+(.*?)\s*#*\s*$')
INLINE_COMMAND = re.compile(
    r'^(?:\.venv/bin/)?(?:python3?\s+|bash\s+)?(?:tools|data_converters)/')
TOOL = re.compile(r'(?:^|/)((?:tools|data_converters)/[\w-]+\.(?:py|sh))$')
OPTION = re.compile(r'^[\[(]*(--[A-Za-z0-9][\w-]*)')
TOKEN = re.compile(r'"[^"]*"|\'[^\']*\'|\S+')
CONFIG_PATH = re.compile(r'(?<![\w./-])configs/[\w./<>{}*-]+\.py')
REPO_PATH = re.compile(r'(?<![\w./-])(?:ceph_landmarks|tools|data_converters|'
                       r'tests|requirements)/[\w./<>{}*-]*')
DOTTED = re.compile(r'(?<![\w./-])ceph_landmarks(?:\.[A-Za-z_]\w*)+')
PLACEHOLDER = re.compile(r'[<>{}*]')


class _ParserFound(BaseException):
    """Raised in place of parsing: carries the tool's parser (a
    ``BaseException``, so that no ``except Exception`` of a tool stops
    it)."""

    def __init__(self, parser: argparse.ArgumentParser) -> None:
        super().__init__()
        self.parser = parser


def _hand_back_parser(self, args=None, namespace=None):
    raise _ParserFound(self)


class ToolParser(NamedTuple):
    """What a tool's parser accepts: every option string (``--out``,
    ``-h``...), and the required options, each as the set of strings that
    satisfy it (an option's aliases, or the members of a required group of
    mutually exclusive options)."""
    options: frozenset
    required: Tuple[frozenset, ...]


@functools.lru_cache(maxsize=None)
def tool_parser(script: str) -> Tuple[Optional[ToolParser], str]:
    """The parser of a tool, read without running the tool.

    Args:
        script (str): Path from the repository root, e.g.
            ``'tools/train.py'``.

    Returns:
        tuple: ``(ToolParser, '')``, or ``(None, why)`` where the tool
        cannot be imported here for want of an optional third-party module.
    """
    path = osp.join(REPO_ROOT, script)
    if not osp.isfile(path):
        raise AssertionError(f'{script} does not exist')
    with mock.patch.object(argparse.ArgumentParser, 'parse_known_args',
                           _hand_back_parser), \
            mock.patch.object(sys, 'argv', [path, '--help']):
        try:
            runpy.run_path(path, run_name='__main__')
        except _ParserFound as found:
            parser = found.parser
        except ModuleNotFoundError as err:
            if err.name and not err.name.startswith('ceph_landmarks'):
                return None, f'{script} needs {err.name}'
            raise
        else:
            raise AssertionError(f'{script} parsed no command line')
    required = [
        frozenset(action.option_strings) for action in parser._actions
        if action.required and action.option_strings
    ]
    required += [
        frozenset(s for action in group._group_actions
                  for s in action.option_strings)
        for group in parser._mutually_exclusive_groups if group.required
    ]
    return ToolParser(
        frozenset(parser._option_string_actions), tuple(required)), ''


def read_page(page: str) -> str:
    with open(osp.join(REPO_ROOT, page), encoding='utf-8') as f:
        return f.read()


def split_fences(text: str) -> Tuple[str, List[Tuple[str, str]]]:
    """The page without its fenced code blocks (their lines left blank),
    and the blocks as ``(language, code)``."""
    prose, blocks = [], []
    fence, language, code = None, '', []
    for line in text.splitlines():
        match = FENCE.match(line)
        if fence is None and match:
            fence, language, code = match.group(1), match.group(2), []
            prose.append('')
        elif fence is not None and line.strip().startswith(fence) \
                and not line.strip()[len(fence):].strip():
            blocks.append((language.lower(), '\n'.join(code)))
            fence = None
            prose.append('')
        elif fence is not None:
            code.append(line)
            prose.append('')
        else:
            prose.append(line)
    return '\n'.join(prose), blocks


def heading_ids(text: str) -> Set[str]:
    """GitHub's ids of a page's headings: lower case, punctuation dropped,
    spaces to hyphens, repeated ids numbered."""
    ids, seen = set(), {}
    prose, _ = split_fences(text)
    for line in prose.splitlines():
        match = HEADING.match(line)
        if not match:
            continue
        title = re.sub(r'!?\[([^\]]*)\]\([^)]*\)', r'\1', match.group(2))
        slug = re.sub(r'[^\w\- ]', '', title.lower()).replace(' ', '-')
        count = seen.get(slug, 0)
        seen[slug] = count + 1
        ids.add(slug if count == 0 else f'{slug}-{count}')
    return ids


def check_links(page: str, text: str) -> List[str]:
    """Relative links of ``text`` (the content of ``page``) that do not
    resolve."""
    errors = []
    prose, _ = split_fences(text)
    prose = INLINE_CODE.sub('', prose)
    for target in LINK.findall(prose):
        if re.match(r'^[A-Za-z][\w+.-]*:', target):  # http:, mailto:
            continue
        path, _, anchor = target.partition('#')
        resolved = osp.normpath(
            osp.join(REPO_ROOT, osp.dirname(page), path) if path else osp.
            join(REPO_ROOT, page))
        if not osp.exists(resolved):
            errors.append(f'link {target}: {path} does not exist')
        elif anchor and resolved.endswith('.md'):
            with open(resolved, encoding='utf-8') as f:
                if anchor not in heading_ids(f.read()):
                    errors.append(f'link {target}: no heading #{anchor} in '
                                  f'{osp.relpath(resolved, REPO_ROOT)}')
    return errors


class Invocation(NamedTuple):
    """A tool on a command line, the options given to it, and whether the
    command line is complete (a shell code block's line that runs the tool
    itself), so that it must hold the tool's required options."""
    tool: str
    options: List[str]
    complete: bool


def command_lines(text: str) -> List[Tuple[str, bool]]:
    """The shell command lines of a page, each with whether it is complete:
    the lines of its shell code blocks (continuations joined, comments
    dropped), and its inline code that starts with a tool (a fragment)."""
    prose, blocks = split_fences(text)
    commands = []
    for language, code in blocks:
        if language not in SHELL_LANGUAGES:
            continue
        code = re.sub(r'\\\n', ' ', code)
        for line in code.splitlines():
            line = re.sub(r'(^|\s)#.*$', '', line).strip()
            if line:
                commands.append((line, True))
    for _, code in INLINE_CODE.findall(prose):
        if INLINE_COMMAND.match(code.strip()):
            commands.append((code.strip(), False))
    return commands


def tool_invocations(command: str, complete: bool = True) -> List[Invocation]:
    """The tools a command line runs and the options it passes to each,
    those of a nested quoted command line included (as a fragment)."""
    calls: List[Invocation] = []
    call, depth = None, 0
    for token in TOKEN.findall(command):
        if token[0] in '"\'':
            nested = call and call.options and NESTED.get(
                (call.tool, call.options[-1]))
            if nested:
                calls += tool_invocations(f'{nested} {token[1:-1]}', False)
            continue
        depth += token.count('[') - token.count(']')
        match = TOOL.search(token)
        if match:
            call = None
            tool = WRAPPERS.get(match.group(1), match.group(1))
            if tool.endswith('.py'):  # not install.sh, demo.sh
                call = Invocation(tool, [], complete
                                  and tool == match.group(1))
                calls.append(call)
        elif token in ('&&', '||', ';') or (token == '|' and depth <= 0):
            call = None
        else:
            option = OPTION.match(token)
            if option and call:
                call.options.append(option.group(1))
    return calls


def check_tool_options(text: str) -> List[str]:
    """Options of the page's command lines that their tool lacks, and
    complete command lines that lack a required option."""
    errors, unchecked = [], set()
    for command, complete in command_lines(text):
        for call in tool_invocations(command, complete):
            parser, why = tool_parser(call.tool)
            if parser is None:
                unchecked.add(why)
                continue
            errors += [
                f'{call.tool} has no option {option} (in: {command})'
                for option in call.options if option not in parser.options
            ]
            if call.complete and not {'-h', '--help'} & set(call.options):
                errors += [
                    f'{call.tool} needs {" or ".join(sorted(alternatives))}'
                    f' (in: {command})' for alternatives in parser.required
                    if not alternatives & set(call.options)
                ]
    for why in sorted(unchecked):
        warnings.warn(f'options not checked: {why}')
    return errors


def check_api_keywords(text: str) -> List[str]:
    """Keyword arguments of ``LandmarkPredictor(...)`` and
    ``OnnxLandmarkPredictor(...)`` calls in the page's Python code blocks
    that their ``__init__`` does not take."""
    from ceph_landmarks.apis import LandmarkPredictor
    from ceph_landmarks.runtime import OnnxLandmarkPredictor
    accepted = {
        cls.__name__: set(inspect.signature(cls).parameters)
        for cls in (LandmarkPredictor, OnnxLandmarkPredictor)
    }
    errors = []
    _, blocks = split_fences(text)
    for language, code in blocks:
        if language != 'python':
            continue
        for name, call in re.findall(
                r'\b((?:Onnx)?LandmarkPredictor)\(([^)]*)\)', code):
            errors += [
                f'{name} takes no {keyword}='
                for keyword in re.findall(r'(\w+)\s*=(?!=)', call)
                if keyword not in accepted[name]
            ]
    return errors


def _repo_paths(pattern: re.Pattern, text: str) -> List[str]:
    paths = []
    for path in pattern.findall(text):
        path = path.rstrip('.')
        if not PLACEHOLDER.search(path):
            paths.append(path)
    return paths


def check_config_paths(text: str) -> List[str]:
    """``configs/....py`` paths of the page that do not exist."""
    return [
        f'config {path} does not exist'
        for path in _repo_paths(CONFIG_PATH, text)
        if not osp.isfile(osp.join(REPO_ROOT, path))
    ]


def _module_file(parts: List[str]) -> Optional[str]:
    base = osp.join(REPO_ROOT, *parts)
    if osp.isfile(osp.join(base, '__init__.py')):
        return osp.join(base, '__init__.py')
    if osp.isfile(base + '.py'):
        return base + '.py'
    return None


def _defines(module_file: str, name: str) -> bool:
    """Whether a module's source (a package's: any of its files) has the
    word ``name``."""
    files = [module_file]
    if module_file.endswith('__init__.py'):
        files = glob.glob(
            osp.join(osp.dirname(module_file), '**', '*.py'), recursive=True)
    word = re.compile(rf'\b{re.escape(name)}\b')
    for path in files:
        with open(path, encoding='utf-8') as f:
            if word.search(f.read()):
                return True
    return False


def check_package_paths(text: str) -> List[str]:
    """``ceph_landmarks/...`` (and ``tools/``, ``data_converters/``,
    ``tests/``, ``requirements/``) paths and dotted ``ceph_landmarks.``
    names of the page that do not exist."""
    errors = []
    for path in _repo_paths(REPO_PATH, text):
        file_path = path.split('::')[0]
        if not osp.exists(osp.join(REPO_ROOT, file_path)):
            errors.append(f'{path} does not exist')
    for dotted in DOTTED.findall(text):
        parts = dotted.split('.')
        for end in range(len(parts), 0, -1):
            module_file = _module_file(parts[:end])
            if module_file:
                break
        if end == len(parts):
            continue
        if end < len(parts) - 2 or not _defines(module_file, parts[end]):
            errors.append(f'{dotted}: {".".join(parts[:end])} has no '
                          f'{parts[end]}')
    return errors


def _report(page: str, errors: List[str]) -> None:
    assert not errors, f'{page}:\n  ' + '\n  '.join(errors)


def test_the_manual_has_its_pages():
    for page in ('docs/index.md', 'docs/get_started.md',
                 'docs/where_things_live.md', 'docs/notes/figures.md'):
        assert page.replace('/', os.sep) in PAGES, page
    assert len(read_page('README.md').splitlines()) <= 200


@pytest.mark.parametrize('page', PAGES)
def test_links_resolve(page):
    _report(page, check_links(page, read_page(page)))


@pytest.mark.parametrize('page', CHECKED_PAGES)
def test_tool_options_exist(page):
    _report(page, check_tool_options(read_page(page)))


@pytest.mark.parametrize('page', CHECKED_PAGES)
def test_api_keywords_exist(page):
    _report(page, check_api_keywords(read_page(page)))


@pytest.mark.parametrize('page', CHECKED_PAGES)
def test_config_paths_exist(page):
    _report(page, check_config_paths(read_page(page)))


@pytest.mark.parametrize('page', CHECKED_PAGES)
def test_package_paths_exist(page):
    _report(page, check_package_paths(read_page(page)))


# The checkers find what they are for, on made-up pages.
FAKE_PAGE = osp.join('docs', 'user_guides', 'fake.md')


def test_link_checker_finds_missing_files_and_headings():
    text = ('[a](train_and_test.md) [b](../index.md#contents) '
            '[c](https://example.org/x.md) [d](missing.md) '
            '[e](inference.md#no-such-heading) `[f](in_code.md)`\n'
            '```\n[g](in_a_block.md)\n```\n')
    errors = check_links(FAKE_PAGE, text)
    assert len(errors) == 2, errors
    assert 'missing.md does not exist' in errors[0]
    assert '#no-such-heading' in errors[1]


def test_heading_ids_follow_github():
    ids = heading_ids('# What `--out` holds\n## A, b: c\n## A, b: c\n')
    assert ids == {'what---out-holds', 'a-b-c', 'a-b-c-1'}


def test_option_checker_finds_unknown_options():
    text = ('```bash\n'
            '.venv/bin/python tools/train.py CONFIG --work-dir w \\\n'
            '    --no-such-option  # --in-a-comment\n'
            'python data_converters/labelme.py --ann-dirs A [--bogus B]\n'
            'tools/dist_train.sh CONFIG 4 --epochs 3 --nope\n'
            'python tools/run_protocol.py C --ann-dirs A --spacing 1 '
            '--out O --train-args "--epochs 2 --nah"\n'
            'make demo --whatever\n'
            'python tools/extend_checkpoint.py M --src-landmarks isbi2015\n'
            'python tools/extend_checkpoint.py --help\n'
            '```\n'
            'Inline: `tools/test.py --not-there`, not `--free-text`.\n')
    errors = check_tool_options(text)
    assert [e.split(' (in:')[0] for e in errors] == [
        'tools/train.py has no option --no-such-option',
        'data_converters/labelme.py has no option --bogus',
        'data_converters/labelme.py needs --out',
        'tools/train.py has no option --nope',
        'tools/train.py has no option --nah',
        'tools/extend_checkpoint.py needs --dst-landmarks',
        'tools/extend_checkpoint.py needs --out',
        'tools/test.py has no option --not-there',
    ]


def test_api_checker_finds_unknown_keywords():
    text = ('```python\n'
            'predictor = LandmarkPredictor(CONFIG, [C0, C1], device=\'cpu\',\n'
            '                              no_such_keyword=True)\n'
            'light = OnnxLandmarkPredictor(DIR, threads=2, flip_test=True)\n'
            '```\n'
            '```bash\nLandmarkPredictor(x, shell_is_not_checked=1)\n```\n')
    assert check_api_keywords(text) == [
        'LandmarkPredictor takes no no_such_keyword=',
        'OnnxLandmarkPredictor takes no flip_test='
    ]


def test_path_checkers_find_missing_paths():
    text = ('`configs/nope/x.py`, configs/_base_/default_runtime.py, '
            '`configs/hamedan/...640x512.py`, '
            '`ceph_landmarks/no_such.py`, `ceph_landmarks/core/io/dicom.py`, '
            '`tests/test_nothing.py`, `ceph_landmarks/core/metainfo/<n>.py`, '
            'ceph_landmarks.core.nope, ceph_landmarks.models.NoSuchThing, '
            'ceph_landmarks.models.LandmarkCascade, ceph_landmarks.apis.')
    assert len(check_config_paths(text)) == 2
    errors = check_package_paths(text)
    assert len(errors) == 4, errors
    assert any('NoSuchThing' in e for e in errors)
    assert any('core has no nope' in e for e in errors)
