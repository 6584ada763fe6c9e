"""Machine instructions a request, the service's and the floor's, counted by valgrind.

    python -m bench.instructions --database-url postgres://postgres@127.0.0.1:5432/bench

Requests per second move with the machine: the same code measured 0.40× and 0.51× the floor in
two runs, and a core ran at a third of its speed one day with no other load seen. The number of
instructions a process executes for the same work does not: valgrind's callgrind counts them,
the same count to a few in a million from one run to the next, whatever else the machine does.

Each app (the service's `api.app.create_app`, response cache off, no access log; the floor's
`bench.floor.create_app`) is driven in its own process under `valgrind --tool=callgrind`,
through ASGI as bench/profile.py drives it (no client nor socket: the app's own work, the HTTP
server's left out), on the benchmark's database (its rows as they are): the same requests twice,
counted the second time only (`callgrind_control -i on/off` around it). The step-2 read on
quotes of the demo partner, and setAssignmentFunction ticking TRACKING on contacts that have it
not, then unticking it (each change leaves the data as it found it). PostgreSQL's own work is
not counted: it is the same statements for both.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass

import asyncpg
import orjson

from bench import operations
from bench.procs import ROOT
from schema.ids import encode_id

KINDS = ("read", "change")
APPS = ("service", "floor")
TOKEN = "demo-alice"


@dataclass
class Counts:
    """Instructions a request, by kind of request and app."""

    requests: int
    per_request: dict[str, float]  # "<kind> <app>" -> instructions

    def of(self, kind: str, app: str) -> float:
        return self.per_request[f"{kind} {app}"]

    def ratio(self, kind: str) -> float:
        """The floor's count divided by the service's: as requests/s ÷ the floor's would be,
        were the app's CPU all there is."""
        return self.of(kind, "floor") / self.of(kind, "service")


def available() -> bool:
    return shutil.which("valgrind") is not None and shutil.which("callgrind_control") is not None



async def _requests(url: str, kind: str, count: int) -> list[bytes]:
    from contacts.auth import hash_token

    conn = await asyncpg.connect(url.replace("postgres://", "postgresql://", 1))
    try:
        partner = await conn.fetchval(
            "SELECT u.partner_id FROM api_token t JOIN app_user u ON u.id = t.user_id WHERE t.token_hash = $1",
            hash_token(TOKEN))
        if kind == "read":
            ids = [r[0] for r in await conn.fetch(
                "SELECT id FROM quote WHERE partner_id = $1 ORDER BY id LIMIT $2", partner, count)]
            return [orjson.dumps({"query": operations.quote_query(), "variables": {"id": encode_id("Quote", ids[i % len(ids)])}})
                    for i in range(count)]
        # One contact without TRACKING on each draft where at most one has it: ticked, then unticked, within the limit of 3.
        ids = [r[0] for r in await conn.fetch(
            "SELECT a.id FROM contact_assignment a JOIN quote q ON q.id = a.quote_id "
            "WHERE q.partner_id = $1 AND q.status = 'DRAFT' AND NOT a.tracking AND NOT a.erased "
            "AND (SELECT count(*) FROM contact_assignment b WHERE b.quote_id = q.id AND b.tracking) <= 1 "
            "AND a.id = (SELECT min(c.id) FROM contact_assignment c WHERE c.quote_id = q.id AND NOT c.tracking) "
            "ORDER BY a.id LIMIT $2", partner, count // 2)]
    finally:
        await conn.close()
    query = operations.set_assignment_function()
    return [orjson.dumps({"query": query, "variables": {"input": {
        "assignmentId": encode_id("ContactAssignment", i), "function": "TRACKING", "enabled": enabled}}})
        for enabled in (True, False) for i in ids]


async def _drive(url: str, kind: str, app_name: str, count: int) -> int:
    """Runs in the process under valgrind: the requests once, then again counted."""
    from api.app import create_app
    from api.settings import Settings
    from bench import floor
    from bench.profile import call, request

    if app_name == "floor":
        app = floor.create_app(url, 5)
    else:
        app = create_app(dataclasses.replace(Settings(database_url=url, access_log=False),
                                             response_cache_entries=0, log_level="WARNING"))
    bodies = await _requests(url, kind, count)
    requests = [request("POST", "/graphql", body, TOKEN) for body in bodies]
    async with app.router.lifespan_context(app):
        for scope, body in requests:
            assert await call(app, scope, body) == 200
        subprocess.run(["callgrind_control", "-i", "on", str(os.getpid())], check=True, capture_output=True)
        for scope, body in requests:
            await call(app, scope, body)
        subprocess.run(["callgrind_control", "-i", "off", str(os.getpid())], check=True, capture_output=True)
    return len(requests)


def count(url: str, requests: int = 100) -> Counts:
    """Instructions a request for each kind of request and app (a few minutes in all)."""
    per_request = {}
    for kind in KINDS:
        for app in APPS:
            completed = subprocess.run(
                ["valgrind", "--tool=callgrind", "--instr-atstart=no", "--callgrind-out-file=/dev/null",
                 sys.executable, "-m", "bench.instructions", "--drive", kind, app, "--database-url", url,
                 "--requests", str(requests)],
                cwd=ROOT, env={**os.environ, "PYTHONHASHSEED": "0"}, capture_output=True, text=True, check=True)
            collected = re.search(r"Collected : (\d+)", completed.stderr)
            sent = re.search(r"^requests (\d+)$", completed.stdout, re.MULTILINE)
            if not collected or not sent:
                raise RuntimeError(f"bench.instructions: no count for {kind} on the {app}: {completed.stderr[-2000:]}")
            per_request[f"{kind} {app}"] = int(collected.group(1)) / int(sent.group(1))
    return Counts(requests, per_request)


def lines(counts: Counts) -> list[str]:
    """The counts as markdown, for BENCHMARKS.md."""
    names = {"read": "step-2 read", "change": "setAssignmentFunction (TRACKING ticked, then unticked)"}
    rows = [f"| {names[kind]} | {counts.of(kind, 'floor') / 1e6:.2f} M | {counts.of(kind, 'service') / 1e6:.2f} M "
            f"| {counts.ratio(kind):.2f}× |" for kind in KINDS]
    return ["| request | floor | service | floor ÷ service |", "|---|--:|--:|--:|", *rows]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.instructions", description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", default="postgres://postgres@127.0.0.1:5432/bench")
    parser.add_argument("--requests", type=int, default=100)
    parser.add_argument("--drive", nargs=2, metavar=("KIND", "APP"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.drive:
        from bench.profile import run_loop

        kind, app = args.drive
        print(f"requests {run_loop(_drive(args.database_url, kind, app, args.requests))}", flush=True)
        return
    if not available():
        raise SystemExit("bench.instructions: valgrind is not installed (apt-get install valgrind)")
    print("\n".join(lines(count(args.database_url, args.requests))))


if __name__ == "__main__":
    main()
