"""A person's data across real processes (additions/privacy), on SQLite and PostgreSQL:

- an erasure made through one server process is not answered from the other's response cache,
  and neither process's log (access log and every other log, at LOG_LEVEL=DEBUG) ever carried
  the person: not their name, email, phone or role, sent in documents, variables (also in a GET's
  query string), answers and events before the erasure;
- `python -m api purge-personal-data` run on two processes at once: every expired copy erased
  once, the work shared, one line per partner and nothing of a person in what they print. On
  PostgreSQL the test holds the first expired order meanwhile: both processes share the others
  (SKIP LOCKED), then both wait for it, and once it is released one erases it and the other
  finds it done. On SQLite every batch takes the database's write lock: the runs take turns.
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import time
from datetime import timedelta

import asyncpg
from tortoise.timezone import now

from contacts.models import Contact, ContactAssignment, ContactSource, Enterprise, HistoryKind, Quote, QuoteHistoryEntry, QuoteStatus
from tests.conftest import reset_demo
from tests.http.test_live import listening
from tests.http.test_personal_data import REPORT, read_everything
from tests.support import api as h
from tests.support.process import ROOT, api_server
from tests.support.service import GraphQLClient
from tests.support.wsclient import WAIT, LiveClient

PERSON = {"lastName": "Quasimodo", "firstName": "Zébulon", "email": "Zebulon.Quasimodo@Exemple-Unique.fr",
          "phone": "06 55 44 33 22", "role": "Sonneur de cloches"}
TRACES = ("quasimodo", "zébulon", "zebulon", "+33655443322", "06 55 44 33 22", "sonneur de cloches")
ERASE = """mutation Erase($input: ErasePersonalDataInput!) { erasePersonalData(input: $input) {
  erasedContacts erasedAssignments userErrors { code } } }"""


def traces_in(text: str) -> list[str]:
    return [t for t in TRACES if t in text.lower()]


async def test_an_erasure_leaves_nothing_in_another_process_cache_nor_in_any_log(backend):
    await reset_demo()
    servers = [api_server(backend.database_url, env={"LOG_LEVEL": "DEBUG"}) for _ in range(2)]
    a, b = (GraphQLClient.of(s.url) for s in servers)
    try:
        demo = await h.demo_of(a)
        bakery = demo.enterprises["Boulangerie Éloïse"]
        created = await h.create_contact(a, enterpriseId=bakery, **PERSON)
        assert created["userErrors"] == []
        assert (await h.assign(a, demo.full, created["contact"]["id"], ["TRACKING"]))["userErrors"] == []
        typed = await h.add_adhoc(a, demo.plain, **PERSON, functions=["TRACKING"])
        assert typed["userErrors"] == [] and (await h.place_order(a, demo.plain))["userErrors"] == []

        cached = await read_everything(b)  # kept by the other process's response cache
        assert traces_in(json.dumps(cached, ensure_ascii=False)) != []
        by_get = await b.http.get("/graphql", params={"query": REPORT, "variables": json.dumps({"email": PERSON["email"]})},
                                  headers={"Authorization": "Bearer demo-alice"})
        assert by_get.status_code == 200 and traces_in(by_get.text) != []
        async with await LiveClient.connect(a.url, "demo-alice") as live:  # events stay in their process (memory://)
            await live.subscribe(demo.full, "draft")
            await live.subscribe(demo.plain, "order")
            await listening(a.http, 2)  # both subscriptions listen before the change is made
            # A change that the subscription hears of while the person is there: the event names them.
            renamed = await h.update_contact(a, contactId=created["contact"]["id"], role="Sonneur de cloches en chef")
            assert renamed["userErrors"] == []
            first = await live.event("draft")
            assert traces_in(json.dumps(first, ensure_ascii=False)) != []
            erased = (await a(ERASE, {"input": {"email": PERSON["email"]}}))["erasePersonalData"]
            assert (erased["erasedContacts"], erased["erasedAssignments"], erased["userErrors"]) == (1, 2, [])
            events = [await live.event("draft"), await live.event("order")]
        assert traces_in(json.dumps(events, ensure_ascii=False)) == []

        after = await read_everything(b)  # the same requests, through the process that cached them
        assert traces_in(json.dumps(after, ensure_ascii=False)) == []
        assert (await b(REPORT, {"email": PERSON["email"]}))["personalData"]["assignments"] == []
    finally:
        for client in (a, b):
            await client.http.aclose()
        for server in servers:
            server.stop()

    for server in servers:
        log = server.log_path.read_text(encoding="utf-8")
        assert log.count('"path":"/graphql"') >= 3  # the access log is on
        if server is servers[0]:  # the process that erased logged it at DEBUG, and nothing of the person
            assert " DEBUG contacts.changes erasePersonalData committed" in log, log[-2000:]
        assert traces_in(log) == [], f"{server.log_path} carries {traces_in(log)}"


# --- The retention period on two processes ---------------------------------------------------------


async def expired_orders(count: int) -> int:
    """`count` orders of the bakery placed 400 days ago, each with a one-off contact and a frozen
    copy of Smith; answers how many copies the demo's and these orders hold."""
    partner = await Enterprise.get(name="Réseaux Atlantique")
    bakery = await Enterprise.get(name="Boulangerie Éloïse")
    smith = await Contact.get(enterprise_id=bakery.id, last_name="Smith")
    placed = now() - timedelta(days=400)
    await Quote.bulk_create([
        Quote(reference=f"DV-OLD-{i:04d}", partner_id=partner.id, client_id=bakery.id, status=QuoteStatus.ORDERED,
              ordered_at=placed) for i in range(count)])
    quotes = await Quote.filter(reference__startswith="DV-OLD-").order_by("id")
    copies = []
    for i, quote in enumerate(quotes):
        copies.append(ContactAssignment(quote_id=quote.id, source=ContactSource.ADHOC, tracking=True,
                                        last_name=f"Ancien{i}", email=f"ancien{i}@example.fr", phone="+33611111111",
                                        role="Gardien"))
        copies.append(ContactAssignment(quote_id=quote.id, contact_id=smith.id, source=ContactSource.CLIENT,
                                        on_site=True, last_name="Smith", first_name="John", email=smith.email,
                                        phone=smith.phone, role=smith.role))
    await ContactAssignment.bulk_create(copies)
    return await ContactAssignment.filter(quote__status=QuoteStatus.ORDERED).count()


def purge(database_url: str, *args: str, days: str | None = "0") -> subprocess.Popen:
    env = {**os.environ, "DATABASE_URL": database_url, "BROKER_URL": "memory://"}
    env.pop("PERSONAL_DATA_RETENTION_DAYS", None)
    if days is not None:
        env["PERSONAL_DATA_RETENTION_DAYS"] = days
    return subprocess.Popen([sys.executable, "-m", "api", "purge-personal-data", *args], cwd=ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


async def both_wait_for(holder: asyncpg.Connection, processes: list[subprocess.Popen]) -> None:
    """Polls until two other sessions wait for a lock (the two purges, on the held order)."""
    deadline = time.monotonic() + 4 * WAIT
    while True:
        await holder.execute("SELECT pg_stat_clear_snapshot()")  # else the view is read once per transaction
        waiting = await holder.fetchval("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                                        "AND wait_event_type = 'Lock'")
        if waiting >= 2:
            return
        assert all(p.poll() is None for p in processes), "a purge ended without waiting for the held order"
        assert time.monotonic() < deadline, "the two purges did not both wait for the held order"
        await asyncio.sleep(0.05)


def finished(process: subprocess.Popen) -> tuple[list[str], str]:
    out, err = process.communicate(timeout=300)
    assert process.returncode == 0, err
    return out.splitlines(), err


async def test_two_purges_on_two_processes_erase_every_copy_once(backend):
    await reset_demo()
    total = await expired_orders(150)
    url = backend.database_url

    lines, _ = finished(purge(url, "--dry-run", days=None))  # the default period: nothing is 1095 days old
    assert lines == []
    lines, err = finished(purge(url, "--dry-run"))
    assert lines == [f"Réseaux Atlantique: {total} contact(s) to erase (dry run: nothing changed)"], err
    assert await ContactAssignment.filter(erased=True).count() == 0

    holder = None
    if backend.name == "postgres":  # the first expired order held by another transaction
        first = await Quote.filter(status=QuoteStatus.ORDERED).order_by("id").first()
        holder = await asyncpg.connect(url.replace("postgres://", "postgresql://", 1))
        await holder.execute("BEGIN")
        await holder.execute('SELECT "id" FROM "quote" WHERE "id" = $1 FOR UPDATE', first.id)
    try:
        both = [purge(url, "--batch-size", "5") for _ in range(2)]
        if holder is not None:
            await both_wait_for(holder, both)
    finally:
        if holder is not None:
            await holder.execute("ROLLBACK")
            await holder.close()
    outputs = [finished(process) for process in both]
    counts = []
    for lines, err in outputs:
        assert len(lines) <= 1, (lines, err)  # a run that started when the other had done all finds no partner
        if holder is not None:
            assert len(lines) == 1, (lines, err)  # both started before the held order was erased
        for line in lines:
            assert line.startswith("Réseaux Atlantique: "), (lines, err)
            counts.append(int(line.split(": ")[1].split(" ")[0]))
        assert [word for word in ("ancien", "smith", "garnier", "martin", "@") if word in (str(lines) + err).lower()] == []
    assert sum(counts) == total, (counts, [err for _, err in outputs])
    assert await ContactAssignment.filter(quote__status=QuoteStatus.ORDERED, erased=False).count() == 0
    entries = await QuoteHistoryEntry.filter(kind=HistoryKind.CONTACT_ERASED)
    assert len(entries) == len({e.assignment_id for e in entries}) == total  # none erased twice
    assert {e.actor for e in entries} == {None}

    lines, err = finished(purge(url))
    assert lines == [] and " 0 contact(s) erased" in err  # a copy already erased stays as it is
