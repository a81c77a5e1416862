"""A real browser for the tests of pages: Debian's headless chromium, DOM dumped after load."""

import os
import shutil
import subprocess
from pathlib import Path

import pytest


def chromium() -> str:
    """The chromium command; skip without one, unless ETHICS_REQUIRE_BROWSER (CI) is set."""
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if found is None:
        if os.environ.get("ETHICS_REQUIRE_BROWSER"):
            pytest.fail("ETHICS_REQUIRE_BROWSER is set but no chromium is installed")
        pytest.skip("no chromium: the browser checks of pages are not run")
    return found


def rendered_dom(url: str, profile: Path, wait_ms: int = 15000) -> str:
    """The page's DOM once chromium has loaded it and run its scripts (up to `wait_ms`)."""
    result = subprocess.run(
        [
            chromium(),
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-dev-shm-usage",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            f"--user-data-dir={profile}",
            f"--virtual-time-budget={wait_ms}",
            "--dump-dom",
            url,
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    return result.stdout
