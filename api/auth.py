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


def viewer_of(user: User) -> Viewer:
    permissions = set()
    if user.can_edit_quotes:
        permissions.add(Permission.QUOTE_EDIT)
    if user.can_edit_contacts:
        permissions.add(Permission.CONTACT_EDIT)
    return Viewer(
        user_id=user.id,
        username=user.username,
        name=user.name,
        email=user.email,
        partner_id=user.partner_id,  # type: ignore[arg-type]
        permissions=frozenset(permissions),
    )


async def authenticate(authorization: str | None) -> Viewer | None:
    """The viewer of an Authorization header, or None when the token is missing or unknown."""
    token = bearer_token(authorization)
    if token is None:
        return None
    row = await ApiToken.filter(token_hash=hash_token(token)).select_related("user").first()
    return viewer_of(row.user) if row else None


async def issue_token(username: str, token: str | None = None) -> str:
    """Creates a token for a user and returns it; only its hash is kept."""
    user = await User.get(username=username)
    token = token or secrets.token_urlsafe(32)
    await ApiToken.create(user=user, token_hash=hash_token(token))
    return token
