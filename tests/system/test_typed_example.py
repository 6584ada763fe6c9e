"""The typed example of frontend_stub/types/, compiled, runs the step-2 query and the
subscription with the graphql-ws client against a real server (`python -m api serve`), and
shows a change made by another user."""

from __future__ import annotations

import json
import os
import select
import subprocess
import time

import httpx
import pytest

from tests.support.process import ServerProcess, api_server
from tests.unit.test_types import NODE, TSC, TYPES, pytestmark  # noqa: F401 - the same skips


LOOKUP = """{ quotes(first: 10, status: DRAFT) { edges { node { id reference
  eligibleContacts { client { contact { id lastName } } } } } } }"""
ASSIGN = """mutation($input: AssignContactInput!) { assignContact(input: $input) {
  assignment { id } userErrors { code } } }"""
TICK = """mutation($input: SetAssignmentFunctionInput!) { setAssignmentFunction(input: $input) {
  userErrors { code } } }"""


@pytest.fixture(scope="module")
def demo_server(tmp_path_factory):
    server = api_server(f"sqlite://{tmp_path_factory.mktemp('types') / 'types.sqlite3'}", demo=True)
    yield server
    server.stop()


def graphql(server: ServerProcess, query: str, variables: dict | None = None, token: str = "demo-alice") -> dict:
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
