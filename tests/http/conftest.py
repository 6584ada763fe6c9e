"""The HTTP tests run on one database: PostgreSQL when TEST_DATABASE_URL is set (CI), SQLite
otherwise. What they check (GraphQL over HTTP and WebSocket, rights, limits, live updates) lies
above the domain, whose commands and reads the domain tests (tests/domain/) run on both
databases. A module whose inputs reach the database in ways the two treat differently (text
with NUL or lone surrogates...) says `both_databases = True` and runs on each."""

from __future__ import annotations

import pytest

from tests.conftest import POSTGRES_URL


@pytest.hookimpl(tryfirst=True)
def pytest_generate_tests(metafunc) -> None:
    if "backend" not in metafunc.fixturenames or getattr(metafunc.module, "both_databases", False):
        return
    if any("backend" in mark.args[0] for mark in metafunc.definition.iter_markers("parametrize")):
        return
    metafunc.definition.add_marker(
        pytest.mark.parametrize("backend", ["postgres" if POSTGRES_URL else "sqlite"], indirect=True, scope="session"))
