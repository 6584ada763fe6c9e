"""Who is acting: the viewer a bearer token stands for (tokens are stored as SHA-256 only),
and what it may do."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from enum import Enum

from tortoise.timezone import now

from contacts import db

MAX_TOKEN_LENGTH = 512


class Permission(str, Enum):
    QUOTE_EDIT = "QUOTE_EDIT"
    CONTACT_EDIT = "CONTACT_EDIT"


@dataclass(frozen=True)
class Viewer:
    """The signed-in user; every read and write is scoped to `partner_id`."""

    user_id: int
    username: str
    name: str
    email: str
    partner_id: int
    permissions: frozenset[Permission]
    data_version: int = 0  # the partner's, read with the token (see api/response_cache.py)
    # The partner's contacts version, read with the token (see contacts/dependencies.py).
    partner_contacts_version: int = 0

    def can(self, permission: Permission) -> bool:
        return permission in self.permissions

    @property
    def audience(self) -> tuple[int, frozenset[Permission]]:
        """What decides how a quote looks to this viewer, besides the language."""
        return self.partner_id, self.permissions


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _permissions(can_edit_quotes: bool, can_edit_contacts: bool) -> frozenset[Permission]:
    granted = set()
    if can_edit_quotes:
        granted.add(Permission.QUOTE_EDIT)
    if can_edit_contacts:
        granted.add(Permission.CONTACT_EDIT)
    return frozenset(granted)


_VIEWER = (
    'SELECT u."id", u."username", u."name", u."email", u."partner_id", u."can_edit_quotes", '
    'u."can_edit_contacts", p."data_version", p."contacts_version" FROM "app_user" u JOIN "enterprise" p ON p."id" = u."partner_id" '
)
VIEWER_BY_TOKEN = _VIEWER + 'WHERE u."id" = (SELECT "user_id" FROM "api_token" WHERE "token_hash" = $1)'
VIEWER_BY_NAME = _VIEWER + 'WHERE u."username" = $1'
VIEWERS_BY_TOKENS = (
    'SELECT t."token_hash", u."id", u."username", u."name", u."email", u."partner_id", u."can_edit_quotes", '
    'u."can_edit_contacts", p."data_version", p."contacts_version" FROM "api_token" t JOIN "app_user" u ON u."id" = t."user_id" '
    'JOIN "enterprise" p ON p."id" = u."partner_id" WHERE t."token_hash" IN ({ids})'
)
TOKENS_PER_STATEMENT = 500


def _viewer(row) -> Viewer:
    user_id, username, name, email, partner_id, quotes, contacts, data_version, contacts_version = tuple(row)
    return Viewer(user_id, username, name, email, partner_id, _permissions(bool(quotes), bool(contacts)), data_version,
                  contacts_version)


async def viewer_of_token(token: str | None) -> Viewer | None:
    """The viewer of a bearer token, or None when it is missing or unknown. One statement,
    on every request: the token's user, and its partner's data version."""
    if not token or len(token) > MAX_TOKEN_LENGTH:
        return None
    return await viewer_of_token_hash(hash_token(token))


async def viewer_of_token_hash(token_hash: str | None) -> Viewer | None:
    """The viewer of a token known by its hash (a WebSocket keeps only that), or None when the
    token was revoked or its user deleted."""
    if not token_hash:
        return None
    rows = await db.run(VIEWER_BY_TOKEN, token_hash)
    return _viewer(rows[0]) if rows else None


async def viewers_of_token_hashes(token_hashes: Iterable[str]) -> dict[str, Viewer]:
    """The viewers of many tokens known by their hashes, in one statement per
    TOKENS_PER_STATEMENT of them; a revoked token, or one whose user is gone, is missing."""
    hashes = sorted(set(token_hashes))
    found: dict[str, Viewer] = {}
    for start in range(0, len(hashes), TOKENS_PER_STATEMENT):
        for row in await db.run(VIEWERS_BY_TOKENS, ids=hashes[start:start + TOKENS_PER_STATEMENT]):
            values = tuple(row)
            found[values[0]] = _viewer(values[1:])
    return found


def rights_narrowed(before: Viewer, now: Viewer | None) -> bool:
    """Whether `now` (the token's viewer as it stands) may no longer do all that `before` could:
    the token revoked, the user deleted or moved to another partner, a permission removed."""
    return (
        now is None
        or now.user_id != before.user_id
        or now.partner_id != before.partner_id
        or not before.permissions <= now.permissions
    )


async def viewer_named(username: str) -> Viewer | None:
    """The viewer of a user (for scripts and tests; requests come with a token)."""
    rows = await db.run(VIEWER_BY_NAME, username)
    return _viewer(rows[0]) if rows else None


async def issue_token(username: str, token: str | None = None) -> str:
    """Creates a token for a user and returns it; only its hash is kept."""
    rows = await db.run('SELECT "id" FROM "app_user" WHERE "username" = $1', username)
    if not rows:
        raise LookupError(f"no user named {username!r}")
    token = token or secrets.token_urlsafe(32)
    await db.run('INSERT INTO "api_token" ("user_id", "token_hash", "created_at") VALUES ($1, $2, $3)',
                 rows[0][0], hash_token(token), now())
    return token
