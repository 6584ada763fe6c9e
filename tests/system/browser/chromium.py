"""What the browser tests share: Debian's Chromium driven by Playwright's sync API.

Needs Debian's Chromium and the `playwright` package (no `playwright install`: the browser is
Debian's). Without them, `browser_missing` says why and the tests skip. The browser is
CHROMIUM_PATH when set; otherwise Chromium's headless shell (Debian's chromium-headless-shell,
the same engine without the desktop browser around it: Playwright's own choice for headless
runs) when installed, else /usr/bin/chromium. Both browser modules, in turns on one machine:
the headless shell 20.5-24.6 s of the machine's CPU and 17-19 s of wall, the whole browser
34.5-38.1 s and 24-25 s.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

try:
    from playwright.sync_api import expect as _playwright_expect
    from playwright.sync_api import sync_playwright
except ImportError:  # pragma: no cover - depends on the machine
    sync_playwright = _playwright_expect = None

HEADLESS_SHELL = "/usr/bin/chromium-headless-shell"
CHROMIUM = os.environ.get("CHROMIUM_PATH") or (HEADLESS_SHELL if Path(HEADLESS_SHELL).exists() else "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]


def browser_missing() -> str | None:
    """Why the browser tests cannot run here, or None."""
    if sync_playwright is None:
        return "the playwright package is not installed (pip install playwright)"
    if not Path(CHROMIUM).exists():
        return f"no Chromium at {CHROMIUM} (apt-get install chromium-headless-shell, or set CHROMIUM_PATH)"
    return None


# Playwright checks an assertion at once, then after 20, 50, 100 and 100 ms, then every 500 ms
# (every 100 ms when its timeout is under 2.5 s): what shows 300 ms after a click was seen up to
# half a second late. `expect` asks it in slices of 2 s until the assertion's own timeout.
DEFAULT_TIMEOUT_MS = 5000
SLICE_MS = 2000


def expect(actual, message: str | None = None) -> _Polled:
    """Playwright's `expect`, polled every 100 ms however long it may wait (default 5 s)."""
    return _Polled(_playwright_expect(actual, message))


class _Polled:
    def __init__(self, assertions) -> None:
        self._assertions = assertions

    @property
    def not_(self) -> _Polled:
        return _Polled(self._assertions.not_)

    def __getattr__(self, name: str):
        check = getattr(self._assertions, name)
        if not name.startswith(("to_", "not_to_")):
            return check

        def polled(*args, timeout: float | None = None, **kwargs):
            deadline = time.monotonic() + (DEFAULT_TIMEOUT_MS if timeout is None else timeout) / 1000
            while True:
                left_ms = (deadline - time.monotonic()) * 1000
                try:
                    return check(*args, timeout=max(1.0, min(SLICE_MS, left_ms)), **kwargs)
                except AssertionError:
                    if time.monotonic() >= deadline:
                        raise

        return polled
