r"""The GraphQL operations the benchmark sends, read from the frontend's own file.

`frontend_stub/operations.js` holds every operation of the step-2 screen as
`export const NAME = /* GraphQL */ \`...\`;`, with `${OTHER}` spliced in. Reading that file,
rather than copying its text, keeps the benchmark on the query the frontend really sends.
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

OPERATIONS_JS = Path(__file__).resolve().parents[1] / "frontend_stub" / "operations.js"

# The Accept header the frontend sends (frontend_stub/graphql.js). Every request of the
# benchmark carries it (wrk, bench/pyload.py, the priming reads): the response cache's key
# holds Accept, so a read primed with another Accept (httpx's `*/*`) would not warm what the
# load then reads.
ACCEPT = "application/json"

_CONST = re.compile(r"export\s+const\s+(\w+)\s*=\s*/\*\s*GraphQL\s*\*/\s*`(.*?)`\s*;", re.S)
_SPLICE = re.compile(r"\$\{(\w+)\}")


@cache
def constants(path: Path = OPERATIONS_JS) -> dict[str, str]:
    """Every GraphQL constant of the file, with its `${...}` splices resolved."""
    raw = dict(_CONST.findall(path.read_text(encoding="utf-8")))

    def resolve(name: str, seen: tuple[str, ...] = ()) -> str:
        if name in seen:
            raise ValueError(f"{path.name}: circular splice through {name}")
        return _SPLICE.sub(lambda m: resolve(m.group(1), (*seen, name)), raw[name])

    return {name: resolve(name) for name in raw}


def operation(name: str) -> str:
    try:
        return constants()[name]
    except KeyError:
        raise KeyError(f"{OPERATIONS_JS} has no constant {name}") from None


def quote_query() -> str:
    """The step-2 query: QUOTE_QUERY with the QUOTE_STEP2 fragment."""
    return operation("QUOTE_QUERY")


def set_assignment_function() -> str:
    return operation("SET_ASSIGNMENT_FUNCTION")


def quote_contacts_changed() -> str:
    return operation("QUOTE_CONTACTS_CHANGED")
