"""Headless Debian chromium driven by Playwright (python), for the web view's browser tests.

Playwright's own browser download does not work here: the tests launch the system
``chromium`` (installed by ``.ci/run`` from Debian's packages) through ``executable_path``.
With ``CI=true`` a missing chromium or Playwright fails the test; elsewhere it skips.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest


def chromium_path() -> str:
    """Return the system chromium's path; fail (CI) or skip (elsewhere) when there is none."""
    path = shutil.which("chromium") or shutil.which("chromium-browser")
    if path is None:
        message = "Debian's chromium is not installed (apt-get install -y chromium; .ci/run does)"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    return path


@contextmanager
def browser() -> Iterator[Any]:
    """Yield a headless chromium (Playwright ``Browser``), closed afterwards."""
    executable = chromium_path()
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        if os.environ.get("CI") == "true":
            pytest.fail("playwright is not installed (pip install -e '.[test]')")
        pytest.skip("playwright is not installed")
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=executable, headless=True,
                                              args=["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"])
        try:
            yield chromium
        finally:
            chromium.close()
