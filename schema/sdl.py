"""The served schema as SDL, committed as `schema.graphql` at the top of the repository.

    make schema              # or: python -m schema.sdl
rewrites that file. tests/http/test_schema_file.py fails when the file and the schema that a real
server serves differ, and `.ci/run` checks, before the test suite, that the file still keeps
the API contract promised to frontends and partners.
"""

from __future__ import annotations

import sys
from pathlib import Path

FILE = Path(__file__).resolve().parent.parent / "schema.graphql"
HEADER = (
    "# The GraphQL schema that /graphql serves, as SDL. Written by `make schema` from schema/:\n"
    "# do not edit it by hand. Its rules, messages and limits: docs/rules.md.\n\n"
)


def sdl() -> str:
    from schema import build_schema

    return HEADER + build_schema().as_str() + "\n"


def main() -> int:
    text = sdl()
    temporary = FILE.with_suffix(".graphql.tmp")
    temporary.write_text(text, encoding="utf-8")
    temporary.replace(FILE)
    print(f"{FILE.name}: {text.count(chr(10))} lines", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
