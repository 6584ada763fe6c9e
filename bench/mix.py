"""The realistic mix of issue 18: 20 users of one partner, each on their own draft quote, one
change for every four reads, in a closed loop (bench/pyload.py, "mix" mode).

Each user (`bench-user-01`... of the dataset) has one connection and one draft of the demo
partner; it reads the step-2 screen of its draft (the frontend's QUOTE_QUERY) four times, then
ticks or unticks TRACKING or ON_SITE on one of its contacts with the frontend's
SET_ASSIGNMENT_FUNCTION (the whole QuoteStep2 fragment in the answer), and again. Reads and
changes are timed apart and together; a read older than the user's own last change is
counted as stale (an error).
"""

from __future__ import annotations

import random

import orjson

from bench import operations
from bench.dataset import Dataset
from bench.load import LoadResult, python_load
from bench.mutations import follow
from bench.procs import Process, database_name
from schema.ids import encode_id

READS_PER_CHANGE = 4



def drafts_of_users(dataset: Dataset, seed: int = 18) -> dict[str, int]:
    """Each user's own draft: a draft quote drawn for each, the subscribers' quote left out."""
    drafts = sorted(q for q, rows in dataset.drafts.items() if q != dataset.hot_quote and len(rows) >= 2)
    return dict(zip(dataset.users, random.Random(seed).sample(drafts, len(dataset.users))))


def spec(url: str, dataset: Dataset, *, seconds: float, seed: int = 6, users: int | None = None) -> dict:
    query = operations.quote_query()
    owned = list(drafts_of_users(dataset).items())[:users]
    return {
        "url": url, "connections": len(owned), "seconds": seconds, "seed": seed, "mode": "mix",
        "reads": READS_PER_CHANGE, "query": operations.set_assignment_function(),
        "users": [[token, quote, orjson.dumps({"query": query, "variables": {"id": encode_id("Quote", quote)}}).decode()]
                  for token, quote in owned],
        "drafts": {str(quote): [[a.id, sorted(a.functions)] for a in dataset.drafts[quote]] for _, quote in owned},
    }


def run(server: Process, dataset: Dataset, *, seconds: float = 10, warmup: float = 2,
        users: int | None = None) -> LoadResult:
    """Warm-up, then the measured load, each from the state the one before left."""
    database = database_name(dataset.url)
    if warmup:
        follow(dataset, python_load(spec(server.url, dataset, seconds=warmup, seed=7, users=users),
                                    server.pid, database))
    return follow(dataset, python_load(spec(server.url, dataset, seconds=seconds, users=users), server.pid, database))
