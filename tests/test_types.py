"""The typed side for React and Vue frontends (types/, written by `make types`):

- the .graphql documents (types/operations/) and the TypeScript types (types/generated/) are what
  `make types` writes now from frontend_stub/operations.js and schema.graphql: regenerated into a
  temporary folder, they must be the committed files;
- the typed example type-checks with tsc, and the generated types refuse each mistake of
  types/example/mistakes.ts;
- compiled, the example runs the step-2 query and the subscription with the graphql-ws client
  against a real server, and shows a change made by another user.

Without node or the npm packages these tests skip and say why; `make test` runs `npm ci` in
types/ when npm is there.
"""

from __future__ import annotations

import json
import os
import select
import shutil
import subprocess
import time
from pathlib import Path

import httpx
import pytest

from tests.servers import Server

TYPES = Path(__file__).resolve().parents[1] / "types"
NODE = shutil.which("node")
TSC = TYPES / "node_modules" / "typescript" / "bin" / "tsc"
GENERATED = ("operations", "generated")
STALE = "types/ is stale: run `make types` and commit what it writes.\n"


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
        reason="the npm packages of types/ are not installed: run `npm ci` in types/ (make test does)",
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


# --- The example against a real server --------------------------------------------------------------

LOOKUP = """{ quotes(first: 10, status: DRAFT) { edges { node { id reference
  eligibleContacts { client { contact { id lastName } } } } } } }"""
ASSIGN = """mutation($input: AssignContactInput!) { assignContact(input: $input) {
  assignment { id } userErrors { code } } }"""
TICK = """mutation($input: SetAssignmentFunctionInput!) { setAssignmentFunction(input: $input) {
  userErrors { code } } }"""


@pytest.fixture(scope="module")
def demo_server(tmp_path_factory):
    server = Server(f"sqlite://{tmp_path_factory.mktemp('types') / 'types.sqlite3'}", demo=True)
    yield server
    server.stop()


def graphql(server: Server, query: str, variables: dict | None = None, token: str = "demo-alice") -> dict:
    response = httpx.post(f"{server.url}/graphql", json={"query": query, "variables": variables or {}},
                          headers={"Authorization": f"Bearer {token}"}, timeout=10)
    body = response.json()
    assert response.status_code == 200 and "errors" not in body, body
    return body["data"]


class Lines:
    """The JSON lines a process prints, read as they come."""

    def __init__(self, process: subprocess.Popen) -> None:
        self.process, self.buffer = process, b""

    def next(self, timeout: float) -> dict | None:
        deadline = time.monotonic() + timeout
        while b"\n" not in self.buffer:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([self.process.stdout], [], [], left)[0]:
                return None
            chunk = os.read(self.process.stdout.fileno(), 65536)
            if not chunk:
                return None
            self.buffer += chunk
        line, self.buffer = self.buffer.split(b"\n", 1)
        return json.loads(line)


def test_the_example_runs_the_step2_query_and_the_subscription(demo_server, tmp_path):
    build = tmp_path / "build"
    run = subprocess.run([NODE, str(TSC), "-p", str(TYPES / "tsconfig.json"), "--noEmit", "false", "--outDir", str(build)],
                         capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stdout + run.stderr
    (build / "package.json").write_text('{"type": "module"}', encoding="utf-8")
    (build / "node_modules").symlink_to(TYPES / "node_modules", target_is_directory=True)

    quote = next(edge["node"] for edge in graphql(demo_server, LOOKUP)["quotes"]["edges"]
                 if edge["node"]["reference"] == "DV-2026-0101")
    smith = next(e["contact"]["id"] for e in quote["eligibleContacts"]["client"] if e["contact"]["lastName"] == "Smith")

    example = subprocess.Popen([NODE, str(build / "example" / "run.js"), demo_server.url, "demo-alice", quote["id"]],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        lines = Lines(example)
        read = lines.next(timeout=30)
        assert read is not None, example.stderr.read1().decode() if example.poll() is not None else "no answer"
        assert read["kind"] == "READ" and read["reference"] == "DV-2026-0101" and read["contacts"] == []
        assert len(read["errors"]) == 3  # on-site, delivery and tracking contacts required

        # Bob adds a contact; should the subscription not be running yet when he does, he
        # changes the quote again until the example reports a change.
        added = graphql(demo_server, ASSIGN, {"input": {"quoteId": quote["id"], "contactId": smith, "functions": ["TRACKING"]}},
                        token="demo-bob")["assignContact"]
        assert added["userErrors"] == [], added
        event, deadline, enabled = lines.next(timeout=2), time.monotonic() + 30, True
        while event is None and time.monotonic() < deadline and example.poll() is None:
            tick = {"assignmentId": added["assignment"]["id"], "function": "DELIVERY", "enabled": enabled}
            assert graphql(demo_server, TICK, {"input": tick}, token="demo-bob")["setAssignmentFunction"]["userErrors"] == []
            enabled = not enabled
            event = lines.next(timeout=2)
        assert event is not None, "the example reported no change: " + (example.stderr.read1().decode() if example.poll() is not None else "")
        assert event["kind"] in ("CONTACT_ADDED", "FUNCTIONS_CHANGED") and event["actor"] == "Bob Lefèvre", event
        assert event["version"] > read["version"] and [c["lastName"] for c in event["contacts"]] == ["Smith"], event
        assert example.wait(timeout=10) == 0, example.stderr.read().decode()
    finally:
        if example.poll() is None:
            example.kill()
            example.wait()
