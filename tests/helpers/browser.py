"""A real headless browser for the tests: Chromium, found or installed.

:func:`chromium_or_skip` returns a Chromium executable on ``PATH``. When
there is none, it tries once per test session to install Debian's
``chromium`` package (as root, with ``apt-get``; ``apt-get update`` only if
the install fails without it), and skips the test with the command to run
where it cannot (not root, no ``apt-get``, offline).
:func:`screenshot` renders a local HTML file into a PNG.
"""
import fcntl
import os
import os.path as osp
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Optional, Tuple

import pytest

#: Executable names of Chromium builds, tried in this order.
CHROMIUM_NAMES = ('chromium', 'chromium-browser', 'google-chrome',
                  'headless_shell')
INSTALL_COMMAND = ('apt-get', 'install', '-y', '--no-install-recommends',
                   'chromium')

#: Why the install of this session failed; None until it is tried.
_install_failure: Optional[str] = None


def find_chromium() -> Optional[str]:
    """The path of the first Chromium executable on ``PATH``, if any."""
    for name in CHROMIUM_NAMES:
        path = shutil.which(name)
        if path:
            return path
    return None


def _apt_get(*args: str, timeout: int) -> Tuple[bool, str]:
    """Run ``apt-get``; whether it succeeded and the end of its output."""
    env = dict(os.environ, DEBIAN_FRONTEND='noninteractive')
    try:
        proc = subprocess.run(
            args, env=env, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return False, f'{" ".join(args)} ran over {timeout} s'
    tail = (proc.stdout + proc.stderr).strip().splitlines()[-3:]
    return proc.returncode == 0, ' | '.join(tail)


def _install_chromium() -> Optional[str]:
    """Install Debian's Chromium; why it failed, or None."""
    if not shutil.which('apt-get'):
        return 'apt-get is not available'
    if os.geteuid() != 0:
        return 'the tests do not run as root'
    done, _ = _apt_get(*INSTALL_COMMAND, timeout=900)
    if not done:  # the package lists may be missing or stale
        updated, output = _apt_get('apt-get', 'update', timeout=300)
        if not updated:
            return f'apt-get update failed (offline?): {output}'
        done, output = _apt_get(*INSTALL_COMMAND, timeout=900)
        if not done:
            return f'{" ".join(INSTALL_COMMAND)} failed: {output}'
    if find_chromium() is None:
        return 'chromium was installed but is not on PATH'
    return None


def chromium_or_skip() -> str:
    """A Chromium executable, installed once per session if needed.

    Returns:
        str: The executable's path. Skips the calling test, saying which
        command installs Chromium, when none is found or can be installed.
    """
    global _install_failure
    found = find_chromium()
    if found:
        return found
    if _install_failure is None:
        # one install at a time: pytest-xdist workers share the machine
        with open(
                osp.join(tempfile.gettempdir(), 'ceph_landmarks_apt.lock'),
                'w') as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            found = find_chromium()  # installed by another worker
            _install_failure = '' if found else _install_chromium() or ''
        found = find_chromium()
        if found:
            return found
    pytest.skip(f'no headless Chromium ({", ".join(CHROMIUM_NAMES)} not on '
                f'PATH) and it could not be installed: {_install_failure}. '
                f'Install it with `{" ".join(INSTALL_COMMAND)}` as root.')


def screenshot(chromium: str,
               html_file: str,
               png_file: str,
               size: Tuple[int, int] = (1200, 1600),
               timeout: int = 120) -> str:
    """Render a local HTML file in headless Chromium into a PNG.

    Args:
        chromium (str): The executable, from :func:`chromium_or_skip`.
        html_file (str): The page to render.
        png_file (str): The screenshot to write.
        size (tuple[int, int]): Window width and height in px (the
            screenshot's size at device scale factor 1).
        timeout (int): Seconds before the browser is killed.

    Returns:
        str: ``png_file``. Fails the test with the browser's output when no
        screenshot was written.
    """
    width, height = size
    with tempfile.TemporaryDirectory(prefix='chromium-profile-') as profile:
        proc = subprocess.run([
            chromium, '--headless', '--no-sandbox', '--disable-gpu',
            '--disable-dev-shm-usage', '--no-first-run', '--hide-scrollbars',
            '--force-device-scale-factor=1', f'--user-data-dir={profile}',
            f'--screenshot={png_file}', f'--window-size={width},{height}',
            Path(html_file).resolve().as_uri()
        ],
                              capture_output=True,
                              text=True,
                              timeout=timeout)
    if not os.path.isfile(png_file):
        raise AssertionError(f'{chromium} wrote no screenshot of {html_file} '
                             f'(exit {proc.returncode}):\n'
                             f'{proc.stderr[-2000:]}')
    return png_file
