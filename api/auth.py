"""Who is calling: bearer tokens (stored as SHA-256 only) and the viewer they stand for."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from enum import Enum

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


_VIEWER_COLUMNS = (
    "user__id",
    "user__username",
    "user__name",
    "user__email",
    "user__partner_id",
    "user__can_edit_quotes",
    "user__can_edit_contacts",
    "user__partner__data_version",
)


async def authenticate(authorization: str | None) -> Viewer | None:
    """The viewer of an Authorization header, or None when the token is missing or unknown.

    One SQL query: the token's user, and its partner's data version."""
    token = bearer_token(authorization)
    if token is None:
        return None
    rows = await ApiToken.filter(token_hash=hash_token(token)).limit(1).values_list(*_VIEWER_COLUMNS)
    if not rows:
        return None
    user_id, username, name, email, partner_id, quotes, contacts, data_version = rows[0]
    return Viewer(user_id, username, name, email, partner_id, _permissions(quotes, contacts), data_version)


async def issue_token(username: str, token: str | None = None) -> str:
    """Creates a token for a user and returns it; only its hash is kept."""
    user = await User.get(username=username)
    token = token or secrets.token_urlsafe(32)
    await ApiToken.create(user=user, token_hash=hash_token(token))
    return token
