"""setAssignmentFunction under load: 20 clients as demo-alice, each ticking or unticking
TRACKING or ON_SITE on a contact of a random draft quote (bench/pyload.py, "toggle" mode),
with the mutation the frontend sends (SET_ASSIGNMENT_FUNCTION, which answers the whole
QuoteStep2 fragment)."""

from __future__ import annotations

from bench import operations
from bench.dataset import Dataset
from bench.load import LoadResult, python_load
from bench.procs import Process, database_name


# What an integrator's script might ask instead: the change and the contact list's functions,
# not the whole step-2 screen (measured for reference: the cost of the change itself).
SHORT_SELECTION = """mutation SetAssignmentFunction($input: SetAssignmentFunctionInput!) {
  setAssignmentFunction(input: $input) {
    quote { id version assignments { id functions } }
    assignment { id functions }
    userErrors { code message field assignmentId function }
  }
}"""


def spec(url: str, dataset: Dataset, *, connections: int, seconds: float, seed: int = 6,
         query: str | None = None) -> dict:
    drafts = {str(q): [[a.id, sorted(a.functions)] for a in rows]
              for q, rows in dataset.drafts.items() if q != dataset.hot_quote}
    return {"url": url, "connections": connections, "seconds": seconds, "seed": seed, "token": "demo-alice",
            "mode": "toggle", "query": query or operations.set_assignment_function(), "drafts": drafts}


def run(server: Process, dataset: Dataset, *, connections: int = 20, seconds: float = 10,
        warmup: float = 2, query: str | None = None) -> LoadResult:
    """Warm-up, then the measured load; each starts from the state the one before left (so
    that every request changes something), and `dataset` is left knowing the last state."""
    database = database_name(dataset.url)
    if warmup:
        follow(dataset, python_load(spec(server.url, dataset, connections=connections, seconds=warmup, seed=7,
                                         query=query), server.pid, database))
    return follow(dataset, python_load(spec(server.url, dataset, connections=connections, seconds=seconds,
                                            query=query), server.pid, database))


def follow(dataset: Dataset, result: LoadResult) -> LoadResult:
    for quote, rows in result.drafts.items():
        functions = {aid: set(names) for aid, names in rows}
        for assignment in dataset.drafts[int(quote)]:
            assignment.functions = functions.get(assignment.id, assignment.functions)
    return result
