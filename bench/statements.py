"""How many SQL statements the service sends for one request, counted by bench/sqlcount.py."""

from __future__ import annotations

import random
from dataclasses import dataclass, field

import httpx

from bench import operations
from bench.dataset import Dataset
from bench.procs import counting_server
from schema.ids import encode_id


@dataclass
class StatementCount:
    step2_first: list[int] = field(default_factory=list)  # first read of each sampled quote
    step2_again: list[int] = field(default_factory=list)  # the same quote read again at once
    step2_resets: list[int] = field(default_factory=list)  # asyncpg pool resets (PostgreSQL)
    mutation: int | None = None  # one setAssignmentFunction moving ON_SITE (with its QuoteStep2 answer)
    sample_sql: list[str] = field(default_factory=list)  # the statements of one step-2 read

    @staticmethod
    def _span(values: list[int]) -> str:
        if not values:
            return "-"
        low, high = min(values), max(values)
        return str(low) if low == high else f"{low}-{high}"

    @property
    def step2(self) -> str:
        """e.g. "6", or "2-7" when reads differ (first read, read again)."""
        return self._span(self.step2_first + self.step2_again)

    @property
    def resets(self) -> str:
        return self._span(self.step2_resets)

    @property
    def step2_fixed(self) -> bool:
        return len(set(self.step2_first)) == 1 and len(set(self.step2_again)) == 1



def count(dataset: Dataset, samples: int = 20, seed: int = 6) -> StatementCount:
    result = StatementCount()
    query = operations.quote_query()
    picks = random.Random(seed).sample(dataset.quote_ids, samples)
    with counting_server(dataset.url) as server, httpx.Client(
        base_url=server.url, headers={"Authorization": "Bearer demo-alice"}, timeout=30
    ) as http:
        # A first read opens the database connections (SQLite's PRAGMAs): not counted.
        http.post("/graphql", json={"query": query, "variables": {"id": encode_id("Quote", 1)}}).raise_for_status()
        http.get("/__bench/sql")
        for quote in picks:
            for reads in (result.step2_first, result.step2_again):
                response = http.post("/graphql", json={"query": query, "variables": {"id": encode_id("Quote", quote)}})
                response.raise_for_status()
                counted = http.get("/__bench/sql").json()
                reads.append(counted["statements"])
                if reads is result.step2_first:
                    result.step2_resets.append(counted["resets"])
                    result.sample_sql = result.sample_sql or counted["sql"]
        # One mutation, undone afterwards: ON_SITE moved from the contact that holds it to another
        # of the same draft (two rows changed), then back; the same case on every dataset.
        quote, contacts = next((q, a) for q, a in sorted(dataset.drafts.items()) if q != dataset.hot_quote
                               and any("ON_SITE" in c.functions for c in a)
                               and any("ON_SITE" not in c.functions for c in a))
        target = next(c for c in contacts if "ON_SITE" not in c.functions)
        holder = next(c for c in contacts if "ON_SITE" in c.functions)
        mutation = operations.set_assignment_function()

        def tick(assignment_id: int, enabled: bool) -> None:
            variables = {"input": {"assignmentId": encode_id("ContactAssignment", assignment_id),
                                   "function": "ON_SITE", "enabled": enabled}}
            http.post("/graphql", json={"query": mutation, "variables": variables}).raise_for_status()

        tick(target.id, True)
        result.mutation = http.get("/__bench/sql").json()["statements"]
        tick(holder.id, True)
    return result
