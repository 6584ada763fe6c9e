"""The typed side for React and Vue frontends (frontend_stub/types/, written by `make types`):

- the .graphql documents (operations/) and the TypeScript types (generated/) are what
  `make types` writes now from frontend_stub/operations.js and schema.graphql: regenerated into a
  temporary folder, they must be the committed files;
- the typed example type-checks with tsc, and the generated types refuse each mistake of
  example/mistakes.ts.
(Compiled, the example runs against a real server: tests/system/test_typed_example.py.)

Without node or the npm packages these tests skip and say why; `make test` runs `npm ci` in
frontend_stub/types/ when npm is there.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

TYPES = Path(__file__).resolve().parents[2] / "frontend_stub" / "types"
NODE = shutil.which("node")
TSC = TYPES / "node_modules" / "typescript" / "bin" / "tsc"
GENERATED = ("operations", "generated")
STALE = "frontend_stub/types/ is stale: run `make types` and commit what it writes.\n"


def node_major() -> int:
    if NODE is None:
        return 0
    version = subprocess.run([NODE, "--version"], capture_output=True, text=True, timeout=30).stdout
    return int(version.strip().lstrip("v").split(".")[0] or 0)


pytestmark = [
    pytest.mark.skipif(NODE is None, reason="node is not installed: the TypeScript types need Node.js 20 or later"),
    pytest.mark.skipif(NODE is not None and node_major() < 20, reason="graphql-ws and the types need Node.js 20 or later"),
    pytest.mark.skipif(
        not (TYPES / "node_modules" / "@graphql-codegen" / "cli").is_dir() or not TSC.is_file(),
        reason="the npm packages of frontend_stub/types/ are not installed: run `npm ci` there (make test does)",
    ),
]


def tree(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): p.read_text(encoding="utf-8") for p in sorted(folder.rglob("*")) if p.is_file()}


def test_the_generated_files_are_what_make_types_writes_now(tmp_path):
    run = subprocess.run([NODE, str(TYPES / "generate.mjs"), "--out", str(tmp_path)],
                         capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stdout + run.stderr
    for folder in GENERATED:
        fresh, committed = tree(tmp_path / folder), tree(TYPES / folder)
        assert sorted(fresh) == sorted(committed), STALE + f"{folder}/: {sorted(set(fresh) ^ set(committed))}"
        changed = [name for name in fresh if fresh[name] != committed[name]]
        assert not changed, STALE + f"{folder}/: {changed} differ"
    operations = tree(TYPES / "operations")
    assert "QuoteStep2.query.graphql" in operations and "QuoteContactsChanged.subscription.graphql" in operations
    assert "export const QuoteStep2Document" in tree(TYPES / "generated")["graphql.ts"]


def test_the_typed_example_type_checks_and_the_types_refuse_its_mistakes():
    run = subprocess.run([NODE, str(TSC), "-p", str(TYPES / "tsconfig.json"), "--noEmit"],
                         capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stdout + run.stderr
