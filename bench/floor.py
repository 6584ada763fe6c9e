"""The floor: the step-2 answer served the fastest plain way, to measure the service against.

A bare Starlette endpoint, served by uvicorn as the service is (one worker), that answers
POST /graphql with the same JSON `data` as the service's step-2 query: it reads the same rows
straight through asyncpg, with as many SQL statements as the service sends for one step-2
request (`--statements`, 1 to 6), builds the answer in plain Python with the project's own
rules and messages (`contacts.rules`, `contacts.messages`), and writes it with orjson. It takes the
quote id from the request's variables and ignores the query text: it only knows this query.

    python -m bench.floor --port 8001 --statements 6 [--workers 2]    (DATABASE_URL=postgres://...)

The statements, by how many there are (T token and user, Q quote, E client enterprise,
L lines with products, A assignments with contacts, C the eligible contacts):
6: T | Q | E | L | A | C     5: T | Q+E | L | A | C     4: T+Q+E | L | A | C
3: T+Q+E | L | A+C           2: T+Q+E | L+A+C           1: T+Q+E+L+A+C
Merged reads of different shapes come back as JSON aggregates (json_agg), decoded by orjson.

It also answers the frontend's setAssignmentFunction (a body whose variables hold
`input.assignmentId`) with the statements the service sends for it: T, then in one
transaction the quote (with its client) locked through the assignment, A, an UPDATE per
assignment changed, the quote's version raised, the change's history entries written (one
INSERT, as contacts/history.py writes them), the partner's data version raised; after the
commit L and C, and the answer (the QuoteStep2 fragment, the assignment, userErrors) built as for the read.
Any user's token is taken (T reads its partner, rights and name), so the floor serves the realistic
mix (bench/mix.py: 20 users, reads and changes of their own drafts) as the service does.
"""

from __future__ import annotations

import argparse
import os
from contextlib import asynccontextmanager
from datetime import datetime, timezone

import asyncpg
import orjson
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from contacts import rules
from api.authentication import bearer_token
from contacts.auth import hash_token
from schema.ids import decode_id, encode_id
from contacts.messages import message, negotiate, summary
from contacts.history import function_moves, name_of
from contacts.text import search_key

# --- The reads ------------------------------------------------------------------------------

T = ("SELECT u.partner_id, u.can_edit_quotes, u.can_edit_contacts, u.name "
     "FROM api_token t JOIN app_user u ON u.id = t.user_id WHERE t.token_hash = $1")
Q = ("SELECT id, reference, status, version, ordered_at, client_id, partner_id "
     "FROM quote WHERE id = $1 AND partner_id = $2")
E = "SELECT id, name FROM enterprise WHERE id = $1"
QE = ("SELECT q.id, q.reference, q.status, q.version, q.ordered_at, q.client_id, q.partner_id, e.name AS client_name "
      "FROM quote q JOIN enterprise e ON e.id = q.client_id WHERE q.id = $1 AND q.partner_id = $2")
TQE = ("SELECT u.partner_id, u.can_edit_quotes, u.can_edit_contacts, q.id, q.reference, q.status, q.version, "
       "q.ordered_at, q.client_id, e.name AS client_name "
       "FROM api_token t JOIN app_user u ON u.id = t.user_id "
       "LEFT JOIN quote q ON q.id = $2 AND q.partner_id = u.partner_id "
       "LEFT JOIN enterprise e ON e.id = q.client_id WHERE t.token_hash = $1")

# Each block: columns, FROM ... WHERE with {quote}/{client}/{partner} placeholders, ORDER BY.
LINES = ("l.id, l.quantity, p.id AS product_id, p.code, p.name, p.requires_on_site_contact, p.requires_delivery_contact",
         "FROM quote_line l JOIN product p ON p.id = l.product_id WHERE l.quote_id = {quote}", "id")
ASSIGNMENTS = ("a.id, a.contact_id, a.source, a.on_site, a.delivery, a.tracking, a.last_name, a.first_name, a.email, "
               "a.phone, a.role, a.phone_is_mobile, c.last_name AS c_last_name, c.first_name AS c_first_name, "
               "c.email AS c_email, c.phone AS c_phone, c.role AS c_role, c.phone_is_mobile AS c_phone_is_mobile",
               "FROM contact_assignment a LEFT JOIN contact c ON c.id = a.contact_id WHERE a.quote_id = {quote}", "id")
CONTACTS = ("id, enterprise_id, last_name, first_name, email, phone, role, missing, phone_is_mobile",
            "FROM contact WHERE enterprise_id IN ({client}, {partner})", "id")


def rows_sql(block: tuple[str, str, str], **places: str) -> str:
    columns, source, order = block
    return f"SELECT {columns} {source.format(**places)} ORDER BY {order}"


def json_sql(block: tuple[str, str, str], **places: str) -> str:
    columns, source, order = block
    order = ", ".join(f"x.{name.strip()}" for name in order.split(","))
    return f"(SELECT COALESCE(json_agg(x ORDER BY {order}), '[]') FROM (SELECT {columns} {source.format(**places)}) x)"


def _json_statement(*blocks: tuple[str, str, str], **places: str) -> str:
    return "SELECT " + ", ".join(json_sql(block, **places) for block in blocks)


LINES_SQL = rows_sql(LINES, quote="$1")
ASSIGNMENTS_SQL = rows_sql(ASSIGNMENTS, quote="$1")
CONTACTS_SQL = rows_sql(CONTACTS, client="$1", partner="$2")
AC_SQL = _json_statement(ASSIGNMENTS, CONTACTS, quote="$1", client="$2", partner="$3")
LAC_SQL = _json_statement(LINES, ASSIGNMENTS, CONTACTS, quote="$1", client="$2", partner="$3")
ALL_SQL = TQE.replace(
    " FROM api_token",
    ", " + ", ".join(json_sql(b, quote="q.id", client="q.client_id", partner="q.partner_id")
                     for b in (LINES, ASSIGNMENTS, CONTACTS)) + " FROM api_token",
    1,
)


async def read(conn: asyncpg.Connection, statements: int, token_hash: str, quote_id: int | None):
    """(viewer, quote, lines, assignments, contacts) in `statements` SQL statements; viewer
    None for an unknown token, quote None when not visible. Rows are Records or dicts."""
    if statements == 1:
        row = await conn.fetchrow(ALL_SQL, token_hash, quote_id)
        if row is None:
            return None, None, (), (), ()
        if row["id"] is None:
            return row, None, (), (), ()
        return row, row, orjson.loads(row[10]), orjson.loads(row[11]), orjson.loads(row[12])
    if statements >= 5:
        viewer = await conn.fetchrow(T, token_hash)
        if viewer is None:
            return None, None, (), (), ()
        if statements == 6:
            quote = await conn.fetchrow(Q, quote_id, viewer["partner_id"])
            if quote is None:
                return viewer, None, (), (), ()
            client = await conn.fetchrow(E, quote["client_id"])
            quote = {**quote, "client_name": client["name"]}
        else:
            quote = await conn.fetchrow(QE, quote_id, viewer["partner_id"])
            if quote is None:
                return viewer, None, (), (), ()
    else:
        viewer = quote = await conn.fetchrow(TQE, token_hash, quote_id)
        if viewer is None:
            return None, None, (), (), ()
        if quote["id"] is None:
            return viewer, None, (), (), ()
    partner_id = viewer["partner_id"]
    if statements == 2:
        row = await conn.fetchrow(LAC_SQL, quote["id"], quote["client_id"], partner_id)
        return viewer, quote, orjson.loads(row[0]), orjson.loads(row[1]), orjson.loads(row[2])
    lines = await conn.fetch(LINES_SQL, quote["id"])
    if statements == 3:
        row = await conn.fetchrow(AC_SQL, quote["id"], quote["client_id"], partner_id)
        return viewer, quote, lines, orjson.loads(row[0]), orjson.loads(row[1])
    assignments = await conn.fetch(ASSIGNMENTS_SQL, quote["id"])
    contacts = await conn.fetch(CONTACTS_SQL, quote["client_id"], partner_id)
    return viewer, quote, lines, assignments, contacts


# --- The answer -----------------------------------------------------------------------------

FUNCTION_COLUMNS = (("ON_SITE", "on_site"), ("DELIVERY", "delivery"), ("TRACKING", "tracking"))
DETAILS = ("last_name", "first_name", "email", "phone", "role")


def missing_of(contact) -> list:
    """As the service reads it: the verdict stored with the details, else the rules' own."""
    stored = contact["missing"]
    if stored is None:
        return rules.missing_fields(contact)
    return [rules.ContactField(name) for name in stored.split(",")] if stored else []


def shows_a_mobile(a) -> bool:
    """Whether the phone an assignment row shows is a mobile: its own (ad hoc, or frozen), else
    its contact's; the stored verdict, else the rules' own."""
    own = a["contact_id"] is None or a["last_name"] is not None
    stored, phone = (a["phone_is_mobile"], a["phone"]) if own else (a["c_phone_is_mobile"], a["c_phone"])
    return stored if stored is not None else rules.is_mobile(phone)


def contact_order(row) -> tuple[str, str, int]:
    """As the service lists contacts: by last name, then first name, ignoring case and accents."""
    return search_key(row["last_name"]), search_key(row["first_name"]), row["id"]


def user_error(problem: rules.Problem, language: str) -> dict:
    return {
        "code": problem.code.value,
        "message": message(problem, language),
        "field": list(problem.field) if problem.field else None,
        "assignmentId": encode_id("ContactAssignment", problem.assignment_id) if problem.assignment_id else None,
        "function": problem.function.value if problem.function else None,
    }


def quote_data(viewer, quote, lines, assignments, contacts, language: str) -> dict:
    may_edit_quotes = viewer["can_edit_quotes"]
    may_edit_contacts = viewer["can_edit_contacts"]
    is_draft = quote["status"] == "DRAFT"

    slots, assignment_list = [], []
    for a in assignments:
        own = a["contact_id"] is None or a["last_name"] is not None  # ad hoc, or frozen at ordering
        last, first, email, phone, role = (a[k] for k in DETAILS) if own else (a["c_" + k] for k in DETAILS)
        names = [name for name, column in FUNCTION_COLUMNS if a[column]]
        mobile = shows_a_mobile(a)
        slots.append(rules.Slot(a["id"], frozenset(rules.Function(n) for n in names), mobile))
        assignment_list.append({
            "id": encode_id("ContactAssignment", a["id"]),
            "source": a["source"],
            "lastName": last or "",
            "firstName": first,
            "email": email or "",
            "phone": phone or "",
            "phoneIsMobile": mobile,
            "role": role or "",
            "functions": names,
            "contact": {"id": encode_id("Contact", a["contact_id"]), "canEdit": may_edit_contacts}
            if a["contact_id"] else None,
        })

    needs = [rules.LineNeeds(l["id"], l["requires_on_site_contact"], l["requires_delivery_contact"]) for l in lines]
    requirements = rules.requirements(needs, slots)
    errors, warnings = rules.validate(requirements, slots)

    on_quote = {a["contact_id"] for a in assignments}
    client_list, partner_list = [], []
    for c in sorted(contacts, key=contact_order):
        missing = missing_of(c)
        reasons = rules.add_problems(
            contact_missing=missing,
            already_on_quote=c["id"] in on_quote,
            contacts_on_quote=len(assignments),
            quote_is_draft=is_draft,
            may_edit=may_edit_quotes,
        )
        (client_list if c["enterprise_id"] == quote["client_id"] else partner_list).append({
            "canAdd": not reasons,
            "reasons": [user_error(p, language) for p in reasons],
            "contact": {
                "id": encode_id("Contact", c["id"]),
                "lastName": c["last_name"],
                "firstName": c["first_name"],
                "email": c["email"],
                "phone": c["phone"],
                "role": c["role"],
                "missingFields": [f.value for f in missing],
                "isComplete": not missing,
                "canEdit": may_edit_contacts,
            },
        })

    return {
        "id": encode_id("Quote", quote["id"]),
        "reference": quote["reference"],
        "status": quote["status"],
        "version": quote["version"],
        "viewerCanEdit": may_edit_quotes and is_draft,
        "orderedAt": quote["ordered_at"],
        "client": {"id": encode_id("Enterprise", quote["client_id"]), "name": quote["client_name"]},
        "lines": [
            {
                "id": encode_id("QuoteLine", l["id"]),
                "quantity": l["quantity"],
                "product": {
                    "id": encode_id("Product", l["product_id"]),
                    "code": l["code"],
                    "name": l["name"],
                    "requiresOnSiteContact": l["requires_on_site_contact"],
                    "requiresDeliveryContact": l["requires_delivery_contact"],
                },
            }
            for l in lines
        ],
        "assignments": assignment_list,
        "contactRequirements": [
            {"function": r.function.value, "min": r.min, "max": r.max, "count": r.count, "summary": summary(r, language)}
            for r in requirements
        ],
        "eligibleContacts": {"client": client_list, "partner": partner_list},
        "contactValidation": {
            "isValid": not errors,
            "errors": [user_error(p, language) for p in errors],
            "warnings": [user_error(p, language) for p in warnings],
        },
    }


# --- setAssignmentFunction -----------------------------------------------------------------

LOCK_QUOTE_OF_ASSIGNMENT = (
    "SELECT q.id, q.reference, q.status, q.version, q.ordered_at, q.client_id, q.partner_id, e.name AS client_name "
    "FROM quote q JOIN enterprise e ON e.id = q.client_id "
    "WHERE q.id = (SELECT quote_id FROM contact_assignment WHERE id = $1) AND q.partner_id = $2 FOR UPDATE OF q"
)
SET_FUNCTIONS = "UPDATE contact_assignment SET on_site = $2, delivery = $3, tracking = $4 WHERE id = $1"
BUMP_QUOTE = "UPDATE quote SET version = version + 1, updated_at = now() WHERE id = $1 RETURNING version"
# The partner's data version and the client's contacts version (contacts/dependencies.py):
# the client's row locked first, the partner's last, as the service does.
BUMP_PARTNER = (
    "WITH locked AS (SELECT id FROM enterprise WHERE id = $1 OR id = $2 ORDER BY id = $1, id FOR UPDATE) "
    "UPDATE enterprise SET data_version = data_version + (CASE WHEN id = $1 THEN 1 ELSE 0 END), "
    "contacts_version = contacts_version + (CASE WHEN id = $2 THEN 1 ELSE 0 END) WHERE id IN (SELECT id FROM locked)"
)
# The change's history entries (contacts/history.py), one statement for all of them.
HISTORY = ("INSERT INTO quote_history (quote_id, at, kind, actor, contact_name, contact_id, email, assignment_id, "
           "function, erased) VALUES {rows}")


def history_values(quote_id: int, actor: str, entries: list[tuple]) -> list:
    """The INSERT's values: the contact named and reached as the assignment shows it on a draft
    (an enterprise contact's current details, else its own)."""
    at, values = datetime.now(timezone.utc), []
    for kind, a, function in entries:
        own = a["contact_id"] is None or a["last_name"] is not None
        details = {name: a[name] if own else a[f"c_{name}"] for name in ("last_name", "first_name", "email")}
        email = details["email"]
        values += [quote_id, at, kind, actor, name_of(details), a["contact_id"], email.strip().lower() if email else None,
                   a["id"], function.value, False]
    return values


async def set_assignment_function(pool: asyncpg.Pool, viewer, variables: dict, language: str) -> dict:
    """The mutation's `data`, as the service answers it (refusals by the rules included)."""
    given = variables.get("input") or {}
    assignment_id = decode_id("ContactAssignment", given.get("assignmentId"))
    function, enabled = rules.Function(given["function"]), bool(given["enabled"])
    problems: list[rules.Problem] = []
    async with pool.acquire() as conn:
        async with conn.transaction():
            quote = await conn.fetchrow(LOCK_QUOTE_OF_ASSIGNMENT, assignment_id, viewer["partner_id"])
            if quote is None:
                return {"setAssignmentFunction": {"quote": None, "assignment": None, "userErrors": [
                    user_error(rules.Problem(rules.Code.NOT_FOUND, field=("input", "assignmentId")), language)]}}
            assignments = [dict(a) for a in await conn.fetch(ASSIGNMENTS_SQL, quote["id"])]
            quote = dict(quote)
            slots = [rules.Slot(a["id"], frozenset(rules.Function(n) for n, c in FUNCTION_COLUMNS if a[c]), shows_a_mobile(a))
                     for a in assignments]
            changes, refused = rules.set_function(slots, assignment_id, function, enabled)
            problems = [rules.Problem(p.code, ("input", "function"), assignment_id, p.function, p.limit) for p in refused]
            if changes and not problems:
                by_id = {a["id"]: a for a in assignments}
                before = {slot.id: slot.functions for slot in slots}
                entries = [(kind.value, by_id[moved], function)
                           for kind, moved, function in function_moves(before, {**before, **changes}, assignment_id)]
                for changed, functions in sorted(changes.items(), key=lambda item: item[0] == assignment_id):
                    columns = [f in functions for f in (rules.Function.ON_SITE, rules.Function.DELIVERY,
                                                        rules.Function.TRACKING)]
                    await conn.execute(SET_FUNCTIONS, changed, *columns)
                    by_id[changed].update(zip(("on_site", "delivery", "tracking"), columns))
                quote["version"] = await conn.fetchval(BUMP_QUOTE, quote["id"])
                if entries:
                    rows = ", ".join("(" + ", ".join(f"${10 * i + n}" for n in range(1, 11)) + ")" for i in range(len(entries)))
                    await conn.execute(HISTORY.format(rows=rows), *history_values(quote["id"], viewer["name"], entries))
                await conn.execute(BUMP_PARTNER, viewer["partner_id"], quote["client_id"])
        lines = await conn.fetch(LINES_SQL, quote["id"])
        contacts = await conn.fetch(CONTACTS_SQL, quote["client_id"], viewer["partner_id"])
    data = quote_data(viewer, quote, lines, assignments, contacts, language)
    changed = next((a for a in data["assignments"] if a["id"] == given.get("assignmentId")), None)
    return {"setAssignmentFunction": {
        "quote": data,
        "assignment": None if problems or changed is None else {"id": changed["id"], "functions": changed["functions"]},
        "userErrors": [user_error(p, language) for p in problems],
    }}


# --- The endpoint ---------------------------------------------------------------------------

UNAUTHENTICATED = orjson.dumps({"data": None, "errors": [{"message": "Authentication required",
                                                          "extensions": {"code": "UNAUTHENTICATED"}}]})


def create_app(database_url: str, statements: int) -> Starlette:
    state: dict[str, asyncpg.Pool] = {}

    async def graphql(request: Request) -> Response:
        body = orjson.loads(await request.body())
        token = bearer_token(request.headers.get("authorization"))
        if token is None:
            return Response(UNAUTHENTICATED, status_code=401, media_type="application/json")
        language = negotiate(request.headers.get("accept-language"))
        variables = body.get("variables") or {}
        if "input" in variables:
            async with state["pool"].acquire() as conn:
                viewer = await conn.fetchrow(T, hash_token(token))
            if viewer is None:
                return Response(UNAUTHENTICATED, status_code=401, media_type="application/json")
            data = await set_assignment_function(state["pool"], viewer, variables, language)
            return Response(orjson.dumps({"data": data}), media_type="application/json")
        quote_id = decode_id("Quote", variables.get("id"))
        async with state["pool"].acquire() as conn:
            viewer, quote, lines, assignments, contacts = await read(conn, statements, hash_token(token), quote_id)
        if viewer is None:
            return Response(UNAUTHENTICATED, status_code=401, media_type="application/json")
        data = {"quote": quote_data(viewer, quote, lines, assignments, contacts, language) if quote else None}
        return Response(orjson.dumps({"data": data}), media_type="application/json")

    async def healthz(request: Request) -> Response:
        return Response(b'{"status":"ok"}', media_type="application/json")

    @asynccontextmanager
    async def lifespan(app: Starlette):
        # The service's ORM keeps an asyncpg pool of 1 to 5 connections: the same here.
        state["pool"] = await asyncpg.create_pool(database_url.replace("postgres://", "postgresql://", 1),
                                                  min_size=1, max_size=5)
        try:
            yield
        finally:
            await state["pool"].close()

    return Starlette(routes=[Route("/graphql", graphql, methods=["POST"]), Route("/healthz", healthz)],
                     lifespan=lifespan)


def app_from_environment() -> Starlette:
    """The app of each worker process of `--workers N` (uvicorn imports it by name)."""
    return create_app(os.environ["DATABASE_URL"], int(os.environ["FLOOR_STATEMENTS"]))


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.floor", description=__doc__.split("\n\n")[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8001)
    parser.add_argument("--statements", type=int, default=6, choices=range(1, 7))
    parser.add_argument("--workers", type=int, default=1, help="server processes, as the service's --workers")
    args = parser.parse_args()
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith("postgres"):
        raise SystemExit("bench.floor: DATABASE_URL must be a postgres:// URL")
    if args.workers > 1:
        os.environ["FLOOR_STATEMENTS"] = str(args.statements)
        uvicorn.run("bench.floor:app_from_environment", factory=True, host=args.host, port=args.port,
                    workers=args.workers, proxy_headers=True, log_level="warning")
        return
    uvicorn.run(create_app(url, args.statements), host=args.host, port=args.port, workers=1,
                proxy_headers=True, log_level="warning")


if __name__ == "__main__":
    main()
