"""Cost flat with size (issue 18, point 4): the step-2 read and setAssignmentFunction on the
usual dataset and on one 100 times larger (100,000 quotes, 400,000 contacts on PostgreSQL),
with the response cache off so that every read is resolved.

The large dataset is built by bench.dataset (COPY) in a database of its own, named after the
benchmark's with `_large` (`bench_large` by default), and dropped at the end of the run. The
loads read and change 1,000 of its quotes drawn at random over the whole table (as many as
the usual dataset has), so that both runs touch as many distinct quotes and only the size of
the tables differs. The per-request figures, divided one by the other, should stay within 15%
(the target), and the SQL statements per request the same.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import asyncpg

from bench.dataset import Dataset
from bench.load import LoadResult
from bench.statements import StatementCount

SCALE = 100
SAMPLE = 1000  # the quotes the loads use, drawn among the large dataset's
FLAT_WITHIN = 0.15


def large_url(url: str) -> str:
    """The large dataset's database: the benchmark's, named with `_large`."""
    server, _, name = url.rpartition("/")
    name, _, query = name.partition("?")
    return f"{server}/{name}_large" + (f"?{query}" if query else "")


async def drop(url: str) -> None:
    server, _, name = url.rpartition("/")
    conn = await asyncpg.connect(server.replace("postgres://", "postgresql://", 1) + "/postgres")
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name.partition("?")[0]}" WITH (FORCE)')
    finally:
        await conn.close()


@dataclass
class ScaleResult:
    scale: int = SCALE
    large: Dataset | None = None
    statements: StatementCount | None = None  # on the large dataset (the usual one's: Run.statements)
    reads: dict[str, LoadResult] = field(default_factory=dict)  # "usual", "large"
    changes: dict[str, LoadResult] = field(default_factory=dict)  # "usual", "large"
    skipped: str = ""  # why the large part did not run


def per_request_ms(result: LoadResult, who: str) -> float:
    """CPU milliseconds that `who` ("server", "postgres") spent per request."""
    return result.cpu.get(who, 0.0) / result.rps * 1000 if result.rps else float("nan")


def cost_ms(result: LoadResult) -> float:
    """The CPU of one request, the server's and PostgreSQL's."""
    return per_request_ms(result, "server") + per_request_ms(result, "postgres")


def flat(usual: LoadResult, large: LoadResult) -> tuple[float, float, bool]:
    """(requests/s large ÷ usual, CPU per request large ÷ usual, both within 15% of 1)."""
    rate = large.rps / usual.rps if usual.rps else float("nan")
    cost = cost_ms(large) / cost_ms(usual) if cost_ms(usual) else float("nan")
    return rate, cost, abs(rate - 1) <= FLAT_WITHIN and abs(cost - 1) <= FLAT_WITHIN
