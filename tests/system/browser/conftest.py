"""The browser fixture of the browser tests (see tests/system/browser/chromium.py)."""

from __future__ import annotations

import pytest

from tests.system.browser.chromium import CHROMIUM, CHROMIUM_ARGS, sync_playwright


# Module scope, not session: the sync API runs its own event loop while it is open, which the
# other test modules (pytest-asyncio, one loop per session) must not meet.
@pytest.fixture(scope="module")
def browser():
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        b.close()
