"""Pages of a list, as GraphQL connections: `first` (at most MAX_PAGE), opaque cursors, and the
text a list is searched by (at most MAX_SEARCH characters)."""

from __future__ import annotations

import base64
import json

import strawberry

from schema.errors import PublicError

MAX_PAGE = 100
MAX_SEARCH = 200  # the longest name or contact text a search can match is 200 characters


@strawberry.type
class PageInfo:
    has_next_page: bool
    end_cursor: str | None


def encode_cursor(*values: object) -> str:
    return base64.urlsafe_b64encode(json.dumps(values, default=str).encode()).decode()


MAX_ID = 2**31 - 1  # the database's integer ids


def decode_cursor(cursor: str | None, kinds: tuple[type, ...]) -> list | None:
    """The values of a cursor of ours, of the given kinds (str, int), or a PublicError:
    what reaches the database is text it can hold and ids within its integers."""
    if cursor is None:
        return None
    try:
        values = json.loads(base64.urlsafe_b64decode(cursor.encode()).decode())
    except (ValueError, UnicodeError):
        raise PublicError("The cursor `after` is not valid.") from None
    if not isinstance(values, list) or len(values) != len(kinds) or not all(
        (type(v) is int and 0 <= v <= MAX_ID) if kind is int else (isinstance(v, str) and "\x00" not in v)
        for v, kind in zip(values, kinds)
    ):
        raise PublicError("The cursor `after` is not valid.")
    return values


def check_first(first: int | None, default: int) -> int:
    if first is None:
        return default
    if first < 0 or first > MAX_PAGE:
        raise PublicError(f"`first` must be between 0 and {MAX_PAGE}.")
    return first


def check_search(search: str | None) -> str | None:
    """The text to search by, or a PublicError when it is longer than anything it could match."""
    if search is not None and len(search) > MAX_SEARCH:
        raise PublicError(f"`search` is at most {MAX_SEARCH} characters.")
    return search
