"""The served schema as SDL, committed as `schema.graphql` at the top of the repository.

    make schema              # or: python -m schema.sdl
rewrites that file. tests/test_schema_file.py fails when the file and the schema that a real
server serves differ, and `.ci/run` checks the file against the contract
(../shared/contract/check.py schema.graphql) before the test suite.
"""

from __future__ import annotations

import sys
from pathlib import Path

FILE = Path(__file__).resolve().parent.parent / "schema.graphql"
HEADER = (
    "# The GraphQL schema that /graphql serves, as SDL. Written by `make schema` from schema/:\n"
    "# do not edit it by hand. The contract it must keep is ../shared/contract/schema.graphql.\n\n"
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
