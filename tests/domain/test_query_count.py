"""The step-2 query, and a draft's suggestions, run a fixed number of SQL queries, whatever the
number of lines, contacts and earlier quotes.

In-process: the schema is executed against the backend's database (opened by the `backend`
fixture in this process) while every SQL statement Tortoise sends is counted, from the
DEBUG records its database clients write to the "tortoise.db_client" logger (one per
statement: "<sql>: <values>").
"""

from __future__ import annotations

import logging
from contextlib import contextmanager

from contacts.auth import viewer_named
from contacts.events import MemoryBus
from schema.ids import encode_id
from contacts.models import (
    Contact,
    ContactAssignment,
    ContactDefault,
    ContactSource,
    Enterprise,
    EnterpriseKind,
    Product,
    Quote,
    QuoteLine,
    QuoteStatus,
)
from contacts.text import search_key
from schema import build_schema
from schema.context import Context
from tests.support.api import QUOTE, SUGGESTION
from tests.conftest import reset_demo

schema = build_schema()


class SqlCounter(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.statements: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        # Statements are logged as ("%s: %s", sql, values); connection messages are not.
        if record.msg == "%s: %s" and record.args and isinstance(record.args[0], str):
            self.statements.append(record.args[0])


@contextmanager
def counting():
    logger = logging.getLogger("tortoise.db_client")
    counter, level = SqlCounter(), logger.level
    logger.addHandler(counter)
    logger.setLevel(logging.DEBUG)
    try:
        yield counter.statements
    finally:
        logger.removeHandler(counter)
        logger.setLevel(level)


async def make_quote(partner: Enterprise, lines: int, enterprise_contacts: int, assigned: int, adhoc: int) -> int:
    """A quote for a new client with `enterprise_contacts` contacts, `lines` lines, `assigned` of
    those contacts and `adhoc` one-off contacts on it."""
    client = await Enterprise.create(name=f"Client {lines}", search_name=f"client {lines}", kind=EnterpriseKind.CLIENT, partner=partner)
    quote = await Quote.create(reference=f"DV-COUNT-{lines}", partner=partner, client=client)
    products = await Product.all().order_by("id")
    for i in range(lines):
        await QuoteLine.create(quote=quote, product=products[i % len(products)], quantity=i + 1)
    contacts = []
    for i in range(enterprise_contacts):
        last = f"Nom{i:02d}"
        contacts.append(await Contact.create(
            enterprise=client, last_name=last, first_name=None if i % 3 else "Prénom", email=f"c{i}@client.fr",
            phone="+33612345678" if i % 2 == 0 else ("+33142868200" if i % 5 else None), role="Rôle",
            search_text=search_key(last),
        ))
    complete = [c for c in contacts if c.phone]
    for i, contact in enumerate(complete[:assigned]):
        await ContactAssignment.create(
            quote=quote, contact=contact, source=ContactSource.CLIENT, on_site=i == 0, delivery=i == 1, tracking=i < 3
        )
    for i in range(adhoc):
        await ContactAssignment.create(
            quote=quote, source=ContactSource.ADHOC, last_name=f"Ponctuel{i}", email=f"p{i}@x.fr", phone="+33611111111", role="Gardien"
        )
    return quote.id


async def step2(viewer, quote_id: int) -> tuple[dict, list[str]]:
    with counting() as statements:
        result = await schema.execute(QUOTE, variable_values={"id": encode_id("Quote", quote_id)},
                                      context_value=Context(viewer=viewer, language="fr", bus=MemoryBus()))
    assert result.errors is None, result.errors
    return result.data["quote"], list(statements)


async def test_step2_query_count_does_not_grow_with_lines_and_contacts(backend):
    await reset_demo()
    alice = await viewer_named("demo-alice")
    partner = await Enterprise.get(id=alice.partner_id)

    # The counter sees every statement: an N+1 loop is counted as such.
    with counting() as statements:
        quotes = await Quote.filter(partner_id=alice.partner_id)
        for q in quotes:
            await QuoteLine.filter(quote_id=q.id)
    assert len(quotes) == 4 and len(statements) == 5

    small_id = await make_quote(partner, lines=1, enterprise_contacts=1, assigned=1, adhoc=0)
    large_id = await make_quote(partner, lines=8, enterprise_contacts=36, assigned=7, adhoc=3)

    small, small_sql = await step2(alice, small_id)
    large, large_sql = await step2(alice, large_id)

    # The two quotes really differ in size...
    assert (len(small["lines"]), len(small["assignments"]), len(small["eligibleContacts"]["client"])) == (1, 1, 1)
    assert (len(large["lines"]), len(large["assignments"]), len(large["eligibleContacts"]["client"])) == (8, 10, 36)
    assert len(large["eligibleContacts"]["partner"]) == 3
    assert {a["source"] for a in large["assignments"]} == {"CLIENT", "ADHOC"}
    assert any(r["requiredBy"] for r in large["contactRequirements"])
    assert large["contactValidation"]["errors"] or large["contactValidation"]["warnings"]
    # ...and are read with the same, small number of queries.
    assert len(small_sql) == len(large_sql), "\n".join(large_sql)
    assert 0 < len(large_sql) <= 6, "\n".join(large_sql)


SUGGESTIONS = f"""query($id: ID!) {{ quote(id: $id) {{ id contactSuggestions(first: 10) {{
  {SUGGESTION} fromQuote {{ id reference client {{ name }} assignments {{ id lastName functions }} }}
}} }} }}"""


async def make_client_history(partner: Enterprise, name: str, earlier: int, per_quote: int, defaults: int) -> int:
    """A client with `per_quote` + 1 contacts, `defaults` of them as its defaults, `earlier`
    quotes (every other one ordered) each holding `per_quote` of them (and an ad-hoc contact),
    and an empty draft: the draft's id."""
    client = await Enterprise.create(name=name, search_name=name.lower(), kind=EnterpriseKind.CLIENT, partner=partner)
    contacts = [await Contact.create(enterprise=client, last_name=f"Nom{i:02d}", first_name="Prénom", email=f"c{i}@{name}.fr",
                                     phone="+33612345678", role="Rôle", search_text=f"nom{i:02d}")
                for i in range(per_quote + 1)]
    for position, contact in enumerate(contacts[:defaults]):
        await ContactDefault.create(enterprise=client, contact=contact, position=position, tracking=position < 3)
    for q in range(earlier):
        quote = await Quote.create(reference=f"DV-{name}-{q}", partner=partner, client=client)
        for i, contact in enumerate(contacts[q % 2:q % 2 + per_quote]):
            await ContactAssignment.create(quote=quote, contact=contact, source=ContactSource.CLIENT, tracking=i < 3,
                                           on_site=i == 3)
        await ContactAssignment.create(quote=quote, source=ContactSource.ADHOC, last_name="Ponctuel", delivery=True,
                                       email=f"p{q}@x.fr", phone="+33611111111", role="Gardien")
        if q % 2:
            await Quote.filter(id=quote.id).update(status=QuoteStatus.ORDERED, ordered_at=quote.created_at)
    draft = await Quote.create(reference=f"DV-{name}-draft", partner=partner, client=client)
    return draft.id


async def suggested(viewer, quote_id: int) -> tuple[list, list[str]]:
    with counting() as statements:
        result = await schema.execute(SUGGESTIONS, variable_values={"id": encode_id("Quote", quote_id)},
                                      context_value=Context(viewer=viewer, language="fr", bus=MemoryBus()))
    assert result.errors is None, result.errors
    return result.data["quote"]["contactSuggestions"], list(statements)


async def test_suggestions_query_count_does_not_grow_with_earlier_quotes_and_contacts(backend):
    await reset_demo()
    alice = await viewer_named("demo-alice")
    partner = await Enterprise.get(id=alice.partner_id)
    small_id = await make_client_history(partner, "petit", earlier=1, per_quote=1, defaults=1)
    large_id = await make_client_history(partner, "grand", earlier=14, per_quote=9, defaults=10)

    small, small_sql = await suggested(alice, small_id)
    large, large_sql = await suggested(alice, large_id)

    # The two drafts really differ: one earlier quote of two contacts and one default, against
    # ten suggestions (the defaults, then nine of fourteen quotes, ordered first) of ten contacts each.
    assert [(s["source"], len(s["entries"])) for s in small] == [("CLIENT_DEFAULTS", 1), ("EARLIER_QUOTE", 2)]
    assert [(s["source"], len(s["entries"])) for s in large] == [("CLIENT_DEFAULTS", 10)] + [("EARLIER_QUOTE", 10)] * 9
    statuses = [s["fromQuote"]["reference"] for s in large[1:]]
    assert all(int(r.rsplit("-", 1)[1]) % 2 for r in statuses[:7]) and len(set(statuses)) == 9  # the seven orders first
    assert all(len(s["fromQuote"]["assignments"]) == 10 and s["fromQuote"]["client"]["name"] == "grand" for s in large[1:])
    assert any(e["problems"] for s in large for e in s["entries"])
    # ...and are read with the same, small number of statements: the quote, the defaults, the
    # earlier quotes, and every list at once.
    assert len(small_sql) == len(large_sql), "\n".join(large_sql)
    assert len(large_sql) == 4, "\n".join(large_sql)


HISTORY_PAGE = """query($id: ID!, $first: Int) { quote(id: $id) { id
  history(first: $first) { edges { cursor node { id kind actor contactName assignmentId function summary } }
  pageInfo { hasNextPage endCursor } } } }"""


async def test_a_page_of_history_is_one_statement_whatever_its_size(backend):
    """The quote (found as for any read) and one statement for the page, for 1 entry or 100."""
    from contacts import quote_contacts
    from contacts.models import QuoteHistoryEntry
    from contacts.rules import Function

    await reset_demo()
    alice = await viewer_named("demo-alice")
    quote = await Quote.get(reference="DV-2026-0101")
    bus = MemoryBus()
    details = {"email": "h@example.com", "phone": "0612345678", "role": "Test"}
    first = await quote_contacts.assign_adhoc_contact(alice, quote.id, {**details, "last_name": "H0"}, [], bus=bus)
    for i in range(30):
        function = (Function.TRACKING, Function.ON_SITE, Function.DELIVERY)[i % 3]
        await quote_contacts.set_assignment_function(alice, first.assignment_id, function, i % 2 == 0, bus=bus)

    async def page(size: int) -> tuple[int, list[str]]:
        with counting() as statements:
            result = await schema.execute(HISTORY_PAGE, variable_values={"id": encode_id("Quote", quote.id), "first": size},
                                          context_value=Context(viewer=alice, language="fr", bus=bus))
        assert result.errors is None, result.errors
        return len(result.data["quote"]["history"]["edges"]), list(statements)

    small, small_sql = await page(1)
    large, large_sql = await page(100)
    assert (small, large) == (1, await QuoteHistoryEntry.filter(quote_id=quote.id).count()) and large > 20
    assert len(small_sql) == len(large_sql) == 2, large_sql  # the quote, then the page
