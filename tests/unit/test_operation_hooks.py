"""The operations' `on_operation` hooks run as Strawberry's own runner runs them (entered in
order, left in reverse, an exception thrown into each and swallowed or replaced as a hook
decides), whether schema.extensions.operation_hooks or Strawberry's runner drives them."""

from __future__ import annotations

import asyncio

import pytest
from strawberry.extensions import SchemaExtension
from strawberry.extensions.runner import SchemaExtensionsRunner

from schema.extensions import operation_hooks


def _extensions(seen: list[str], *, swallow: bool = False, replace: bool = False):
    class First(SchemaExtension):
        def on_operation(self):
            seen.append("first in")
            try:
                yield
            except ValueError as error:
                seen.append(f"first saw {error}")
                if not swallow:
                    raise
            finally:
                seen.append("first out")

    class Second(SchemaExtension):
        def on_operation(self):
            seen.append("second in")
            try:
                yield
            except ValueError as error:
                seen.append(f"second saw {error}")
                if replace:
                    raise KeyError("replaced") from error
                raise
            seen.append("second out")

    class Silent(SchemaExtension):  # no on_operation of its own
        pass

    return [First(), Silent(), Second()]


async def _run(driver, seen: list[str], fail: bool, **options) -> str:
    extensions = _extensions(seen, **options)
    manager = operation_hooks(extensions) if driver == "ours" else SchemaExtensionsRunner(None, extensions).operation()
    assert manager is not None
    try:
        async with manager:
            seen.append("operation")
            if fail:
                raise ValueError("boom")
    except Exception as error:  # noqa: BLE001 - what comes out is what is compared
        return f"{type(error).__name__}: {error}"
    return "answered"


@pytest.mark.parametrize("fail,options", [
    (False, {}),
    (True, {}),
    (True, {"swallow": True}),
    (True, {"replace": True}),
])
def test_hooks_run_as_strawberry_runs_them(fail, options):
    ours: list[str] = []
    theirs: list[str] = []
    outcome = asyncio.run(_run("ours", ours, fail, **options))
    expected = asyncio.run(_run("strawberry", theirs, fail, **options))
    assert (ours, outcome) == (theirs, expected)
    assert ours[:3] == ["first in", "second in", "operation"]


def test_an_async_hook_is_left_to_strawberry():
    class Async(SchemaExtension):
        async def on_operation(self):
            yield

    assert operation_hooks([Async()]) is None
