"""The operations of docs/*.md run against the demo, so that the docs cannot rot.

Conventions of the docs pages (docs/README.md says them to writers):
- every ```graphql block is one operation, run in page order as demo-alice on fresh demo data;
- a ```json block right after it holds its variables; strings such as "<quoteId>" in it are
  placeholders, filled from the demo data (PLACEHOLDERS below) or from an earlier answer:
  "<assignmentId>" is the assignment of the latest answer that has one, and a block with
  `save=NAME` keeps its assignment as "<NAME>";
- a comment `<!-- docs-test: ... -->` before a block changes how it runs: `as=demo-victor`
  (the token; `as=none` sends none), `lang=en` (Accept-Language), `expect=CODE,CODE` (the
  userErrors codes of the answer, in order, or the top-level error codes; without it, the
  answer must have neither), `save=NAME`, `event=KIND` (for a subscription);
- a subscription is started over WebSocket (graphql-transport-ws); the next operation of the
  page then runs, and the subscription must receive an event (of kind KIND when given);
- ```js blocks are checked for syntax with `node --check` when node is there;
- ```ts blocks are excerpts of the typed example, frontend_stub/types/example/*.ts (which tests/unit/test_types.py
  type-checks and runs): each must appear there as it is.

docs/rules.md carries every text the service sends: each value of the served `ErrorCode` enum
has a table row there with its French and English messages exactly as the service sends them
(and, for the problems that name their contact, those messages for one contact), and so do the
functions' labels and help texts and the columns' summaries.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from graphql import OperationType, parse

from tests.http.test_live import health, listening
from tests.support import api as h
from tests.support.wsclient import WAIT, LiveClient

DOCS = Path(__file__).resolve().parents[2] / "docs"
PAGES = sorted(DOCS.glob("*.md"))
RULES = DOCS / "rules.md"
BLOCK = re.compile(r"^```(\w*)[^\n]*\n(.*?)^```[ \t]*$", re.S | re.M)
DIRECTIVE = re.compile(r"<!--\s*docs-test:(.*?)-->", re.S)
NODE = shutil.which("node")


def blocks(text: str) -> list[dict]:
    """The fenced blocks of a page, each with the docs-test directives written before it."""
    found, previous_end = [], 0
    for match in BLOCK.finditer(text):
        before = text[previous_end:match.start()]
        directives = {}
        for comment in DIRECTIVE.findall(before):
            for item in comment.split():
                key, _, value = item.partition("=")
                directives[key] = value
        found.append({"lang": match.group(1), "text": match.group(2), "directives": directives,
                      "prose": before, "line": text.count("\n", 0, match.start()) + 1})
        previous_end = match.end()
    return found


def operations(text: str) -> list[dict]:
    """The graphql blocks of a page, each with its variables (the json block right after it)."""
    found = blocks(text)
    result = []
    for i, block in enumerate(found):
        if block["lang"] != "graphql":
            continue
        variables = None
        following = found[i + 1] if i + 1 < len(found) else None
        if following and following["lang"] == "json" and not following["prose"].strip():
            variables = following["text"]
        result.append({**block, "variables": variables})
    return result


def fill(value, placeholders: dict[str, str]):
    if isinstance(value, str):
        match = re.fullmatch(r"<(\w+)>", value)
        if match:
            assert match.group(1) in placeholders, f"unknown placeholder {value}: known are {sorted(placeholders)}"
            return placeholders[match.group(1)]
        return value
    if isinstance(value, list):
        return [fill(v, placeholders) for v in value]
    if isinstance(value, dict):
        return {k: fill(v, placeholders) for k, v in value.items()}
    return value


def user_error_codes(data) -> list[str]:
    codes = []
    if isinstance(data, dict):
        for key, value in data.items():
            if key == "userErrors" and isinstance(value, list):
                codes += [e["code"] for e in value]
            else:
                codes += user_error_codes(value)
    elif isinstance(data, list):
        for value in data:
            codes += user_error_codes(value)
    return codes


def assignment_ids(data) -> list[str]:
    found = []
    if isinstance(data, dict):
        for key, value in data.items():
            if key == "assignment" and isinstance(value, dict) and value.get("id"):
                found.append(value["id"])
            else:
                found += assignment_ids(value)
    elif isinstance(data, list):
        for value in data:
            found += assignment_ids(value)
    return found


async def demo_placeholders(api) -> dict[str, str]:
    alice = await h.demo_of(api)
    mallory = await h.demo_of(api, token="demo-mallory")
    return {
        "quoteId": alice.full,  # the draft whose products need an on-site and a delivery contact
        "plainQuoteId": alice.plain,  # the draft whose products need neither
        "orderedQuoteId": alice.ordered,
        "mobileContactId": alice.contacts["Smith"],
        "otherMobileContactId": alice.contacts["Dupont"],
        "landlineContactId": alice.contacts["Listen"],
        "receptionContactId": alice.contacts["Leroy"],
        "incompleteContactId": alice.contacts["Fabre"],
        "partnerContactId": alice.contacts["Durand"],
        "clientId": alice.enterprises["Boulangerie Éloïse"],
        "earlierOrderId": alice.quotes["DV-2026-0085"],  # the client's order with an ad-hoc contact
        "otherPartnerQuoteId": mallory.quotes["DV-2026-0201"],
    }


def test_every_page_has_operations_and_is_linked_from_both_readmes():
    readme = (DOCS.parent / "README.md").read_text(encoding="utf-8")
    index = (DOCS / "README.md").read_text(encoding="utf-8")
    assert len(PAGES) >= 6
    for page in PAGES:
        if page.name == "README.md":
            continue
        assert operations(page.read_text(encoding="utf-8")), f"{page.name} has no ```graphql block"
        assert f"](docs/{page.name})" in readme, f"README.md does not link to docs/{page.name}"
        assert f"]({page.name})" in index, f"docs/README.md does not link to {page.name}"


@pytest.mark.skipif(NODE is None, reason="node is not installed: the docs' JavaScript is not checked")
@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.name)
def test_the_javascript_of_the_docs_parses(page, tmp_path):
    for i, block in enumerate(b for b in blocks(page.read_text(encoding="utf-8")) if b["lang"] in ("js", "javascript")):
        source = tmp_path / f"block{i}.mjs"
        source.write_text(block["text"], encoding="utf-8")
        run = subprocess.run([NODE, "--check", str(source)], capture_output=True, text=True, timeout=30)
        assert run.returncode == 0, f"{page.name}, line {block['line']}:\n{run.stderr}"


def test_the_typescript_of_the_docs_is_the_typed_example():
    example = "\n".join(p.read_text(encoding="utf-8") for p in sorted((DOCS.parent / "frontend_stub" / "types" / "example").glob("*.ts")))
    shown = 0
    for page in PAGES:
        for block in blocks(page.read_text(encoding="utf-8")):
            if block["lang"] in ("ts", "typescript"):
                shown += 1
                assert block["text"].strip() in example, (
                    f"{page.name}, line {block['line']}: not an excerpt of frontend_stub/types/example/*.ts, as it is")
    assert shown, "no ```ts block in the docs"


@pytest.mark.parametrize("page", [p for p in PAGES if p.name != "README.md"], ids=lambda p: p.name)
async def test_the_operations_of_the_docs_run_against_the_demo(api, page):
    placeholders = await demo_placeholders(api)
    ops = operations(page.read_text(encoding="utf-8"))
    live: list[tuple[LiveClient, dict, str]] = []  # subscriptions waiting for the next operation's change
    try:
        for op in ops:
            where = f"{page.name}, line {op['line']}"
            d = op["directives"]
            variables = fill(json.loads(op["variables"]), placeholders) if op["variables"] else {}
            token = None if d.get("as") == "none" else d.get("as", "demo-alice")
            expected = [c for c in d.get("expect", "").split(",") if c]
            document = parse(op["text"])
            kinds = {definition.operation for definition in document.definitions if hasattr(definition, "operation")}

            if OperationType.SUBSCRIPTION in kinds:
                client = await LiveClient.connect(api.url, token, language=d.get("lang"))
                op_id = str(len(live) + 1)
                queues = (await health(api.http))["eventQueues"]
                await client.ws.send(json.dumps({"id": op_id, "type": "subscribe",
                                                 "payload": {"query": op["text"], "variables": variables}}))
                if expected:  # refused at once: one result with the error, then complete
                    result = await client.result(op_id)
                    assert [e["extensions"]["code"] for e in result["errors"]] == expected, (where, result)
                    assert (await client.message_of(op_id, WAIT))["type"] == "complete", where
                    await client.close()
                else:
                    await listening(api.http, queues + 1)  # before the change that it is to see
                    live.append((client, d, op_id))
                continue

            response = await api.post(op["text"], variables, token=token, language=d.get("lang"))
            body = response.json()
            if body.get("errors"):
                got = [e.get("extensions", {}).get("code") for e in body["errors"]]
                assert got == expected, (where, response.status_code, body["errors"])
            else:
                assert response.status_code == 200, (where, response.status_code, body)
                assert user_error_codes(body["data"]) == expected, (where, body["data"])
                ids = assignment_ids(body["data"])
                if ids:
                    placeholders["assignmentId"] = ids[0]
                    if d.get("save"):
                        placeholders[d["save"]] = ids[0]

            for client, sub, op_id in live:  # the change just made reaches the subscriptions
                event = await client.event(op_id)
                if sub.get("event"):
                    assert event["kind"] == sub["event"], (where, event)
                await client.close()
            live = []
        assert not live, f"{page.name}: a subscription with no operation after it to show a change"
    finally:
        for client, _, _ in live:
            await client.close()


# --- docs/rules.md carries the service's texts ------------------------------------------------


def service_messages() -> dict[str, dict[str, str]]:
    """The user-error texts of the service by code, then by language ("fr", "en"), from the
    module the service sends them from: the one place to change when that module moves."""
    from contacts.messages import MESSAGES

    return {getattr(code, "value", code): dict(texts) for code, texts in MESSAGES.items()}


def table_rows(text: str, key: str) -> list[list[str]]:
    """The cells of every table row of the page whose first cell is `key`."""
    rows = []
    for line in text.splitlines():
        if line.startswith("|"):
            cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
            if cells[0] == key:
                rows.append(cells)
    return rows


def as_sent(template: str) -> re.Pattern:
    """A message template as the service fills it in: a number for `{limit}`, any text for
    another placeholder."""
    parts = re.split(r"\{(\w+)\}", template)
    return re.compile("".join(
        re.escape(part) if i % 2 == 0 else (r"\d+" if part == "limit" else ".+?") for i, part in enumerate(parts)
    ))


def row_with(rows: list[list[str]], *texts: str | re.Pattern) -> bool:
    """Whether one of the rows has a cell that is each of `texts`, exactly."""
    def cell_is(cell: str, text: str | re.Pattern) -> bool:
        return bool(text.fullmatch(cell)) if isinstance(text, re.Pattern) else cell == text

    return any(all(any(cell_is(cell, text) for cell in row[1:]) for text in texts) for row in rows)


SERVED = """{
  __type(name: "ErrorCode") { enumValues { name } }
  contactFunctions { function label help }
}"""
SUMMARIES = "query($id: ID!) { quote(id: $id) { contactRequirements { function summary } } }"


async def test_the_rules_page_has_every_error_code_with_its_messages(api):
    body = (await api.post(SERVED)).json()
    codes = [value["name"] for value in body["data"]["__type"]["enumValues"]]
    assert "CONTACT_WITHOUT_FUNCTION" in codes and len(codes) >= 17, codes
    messages = service_messages()
    page = RULES.read_text(encoding="utf-8")
    problems = []
    for code in codes:
        texts = messages.get(code)
        if not texts:
            problems.append(f"{code}: the service has no message for it (see service_messages())")
            continue
        rows = table_rows(page, f"`{code}`")
        if not rows:
            problems.append(f"{code}: no table row starting | `{code}` |")
        elif not row_with(rows, as_sent(texts["fr"]), as_sent(texts["en"])):
            problems.append(f"{code}: no row with the messages as sent:\n  fr: {texts['fr']}\n  en: {texts['en']}")
    assert not problems, "docs/rules.md differs from the service:\n" + "\n".join(problems)


def test_the_rules_page_has_the_messages_that_name_a_contact():
    """The problems of suggestions and default contacts name their contact: each code's named
    message, for one contact and one function, has its row as the service sends it."""
    from contacts.messages import EN, FR, NAMED_CODES, message
    from contacts.rules import Code, Function, Problem

    page = RULES.read_text(encoding="utf-8")
    problems = []
    for code in NAMED_CODES:
        named = Problem(Code(code), function=Function.ON_SITE if code == Code.FUNCTION_TAKEN else None,
                        limit=10, name="Éric Dupont")
        texts = {language: message(named, language) for language in (FR, EN)}
        if not row_with(table_rows(page, f"`{code.value}`"), texts[FR], texts[EN]):
            problems.append(f"{code.value}: no row with the named messages:\n  fr: {texts[FR]}\n  en: {texts[EN]}")
    assert not problems, "docs/rules.md differs from the service:\n" + "\n".join(problems)


async def test_the_rules_page_has_the_labels_help_and_summaries_the_service_sends(api):
    demo = await h.demo_of(api)
    page = RULES.read_text(encoding="utf-8")
    problems = []
    functions = {}
    for language in ("fr", "en"):
        for entry in (await api(SERVED, language=language))["contactFunctions"]:
            functions.setdefault(entry["function"], {})[language] = entry
    assert sorted(functions) == ["DELIVERY", "ON_SITE", "TRACKING"]
    for function, texts in functions.items():
        rows = table_rows(page, f"`{function}`")
        label = f"{texts['fr']['label']} / {texts['en']['label']}"
        if not row_with(rows, label):
            problems.append(f"{function}: no row with the label {label!r}")
        if not row_with(rows, texts["fr"]["help"], texts["en"]["help"]):
            problems.append(f"{function}: no row with the help texts as sent")
    summaries = set()
    for quote in (demo.full, demo.plain):  # every function required, then ON_SITE and DELIVERY not
        sent = {language: (await api(SUMMARIES, {"id": quote}, language=language))["quote"]["contactRequirements"]
                for language in ("fr", "en")}
        summaries |= {(fr["summary"], en["summary"]) for fr, en in zip(sent["fr"], sent["en"])}
    assert len(summaries) == 3, summaries
    summary_rows = [line for line in page.splitlines() if line.startswith("|")]
    for fr, en in sorted(summaries):
        if not any(f"| {fr} | {en} |" in line for line in summary_rows):
            problems.append(f"no row with the summaries {fr!r} / {en!r}")
    assert not problems, "docs/rules.md differs from the service:\n" + "\n".join(problems)
