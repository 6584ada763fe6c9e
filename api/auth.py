"""Who is calling: bearer tokens (stored as SHA-256 only) and the viewer they stand for."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from enum import Enum

from tortoise import connections

from api.models import ApiToken, User


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

    def can(self, permission: Permission) -> bool:
        return permission in self.permissions

    @property
    def audience(self) -> tuple[int, frozenset[Permission]]:
        """What decides how a quote looks to this viewer, besides the language."""
        return self.partner_id, self.permissions


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def bearer_token(authorization: str | None) -> str | None:
    """The token of an `Authorization: Bearer <token>` header, or None."""
    scheme, _, token = (authorization or "").strip().partition(" ")
    if scheme.lower() != "bearer" or not token.strip() or len(token) > 512:
        return None
    return token.strip()


def _permissions(can_edit_quotes: bool, can_edit_contacts: bool) -> frozenset[Permission]:
    granted = set()
    if can_edit_quotes:
        granted.add(Permission.QUOTE_EDIT)
    if can_edit_contacts:
        granted.add(Permission.CONTACT_EDIT)
    return frozenset(granted)


def viewer_of(user: User) -> Viewer:
    """The viewer of a user row (for scripts and tests; requests use `authenticate`)."""
    return Viewer(
        user.id, user.username, user.name, user.email, user.partner_id,  # type: ignore[arg-type]
        _permissions(user.can_edit_quotes, user.can_edit_contacts),
    )


_VIEWER_SQL = (
    'SELECT u."id", u."username", u."name", u."email", u."partner_id", u."can_edit_quotes", '
    'u."can_edit_contacts", p."data_version" FROM "api_token" t '
    'JOIN "app_user" u ON u."id" = t."user_id" JOIN "enterprise" p ON p."id" = u."partner_id" '
    'WHERE t."token_hash" = {} LIMIT 1'
)


async def authenticate(authorization: str | None) -> Viewer | None:
    """The viewer of an Authorization header, or None when the token is missing or unknown.

    One SQL statement, written out since it runs on every request: the token's user, and
    its partner's data version."""
    token = bearer_token(authorization)
    if token is None:
        return None
    db = connections.get("default")
    placeholder = "$1" if db.capabilities.dialect == "postgres" else "?"
    _, rows = await db.execute_query(_VIEWER_SQL.format(placeholder), [hash_token(token)])
    if not rows:
        return None
    user_id, username, name, email, partner_id, quotes, contacts, data_version = tuple(rows[0])
    return Viewer(user_id, username, name, email, partner_id, _permissions(bool(quotes), bool(contacts)), data_version)


async def issue_token(username: str, token: str | None = None) -> str:
    """Creates a token for a user and returns it; only its hash is kept."""
    user = await User.get(username=username)
    token = token or secrets.token_urlsafe(32)
    await ApiToken.create(user=user, token_hash=hash_token(token))
    return token
