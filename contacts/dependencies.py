"""What an answer depends on, and the versions that say it has not changed.

Every change raises, in its own transaction (`contacts.changes.run_change`):
- its partner's data version (`enterprise.data_version` of the partner): anything the partner's
  users can read may have changed;
- the contacts version (`enterprise.contacts_version`) of each enterprise whose data it
  touched: a client whose quote's contact list, contacts or defaults changed, or the partner
  whose own contacts changed. A change that does not say which (an erasure, the retention
  period) raises those of every enterprise of the partner.

An answer about one quote shows only the quote, its client's data (contacts, defaults, the
lists of its other quotes) and the partner's own contacts: it stays true while the contacts
versions of the client and of the partner stay what they were when it was read. Those versions
are read before the data they cover (the client's with the quote, the partner's with the
viewer's token), so an answer is never kept under a version newer than what it shows.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from contacts import db

# One statement per partner, in the change's transaction, last: the rows of the enterprises
# touched (`{ids}`), or of all the partner's enterprises, locked in id order, then the partner's
# row, the very last. Every change takes them in that order, and a change that locks a client's
# row earlier (setContactDefaults) takes it before the partner's too: two changes never wait for
# each other's rows.
RAISE_SOME = (
    'WITH locked AS (SELECT "id" FROM "enterprise" WHERE "id" = $1 OR "id" IN ({ids}) ORDER BY "id" = $1, "id" FOR UPDATE) '
    'UPDATE "enterprise" SET "data_version" = "data_version" + (CASE WHEN "id" = $1 THEN 1 ELSE 0 END), '
    '"contacts_version" = "contacts_version" + (CASE WHEN "id" IN ({ids}) THEN 1 ELSE 0 END) '
    'WHERE "id" IN (SELECT "id" FROM locked) RETURNING "id", "data_version", "contacts_version"'
)
RAISE_ALL = (
    'WITH locked AS (SELECT "id" FROM "enterprise" WHERE "id" = $1 OR "partner_id" = $1 ORDER BY "id" = $1, "id" FOR UPDATE) '
    'UPDATE "enterprise" SET "data_version" = "data_version" + (CASE WHEN "id" = $1 THEN 1 ELSE 0 END), '
    '"contacts_version" = "contacts_version" + 1 '
    'WHERE "id" IN (SELECT "id" FROM locked) RETURNING "id", "data_version", "contacts_version"'
)
CONTACTS_VERSIONS = 'SELECT "id", "contacts_version" FROM "enterprise" WHERE "id" IN ({ids})'


@dataclass
class Versions:
    """The versions a change left: each partner's data version, and the contacts version of
    each enterprise it raised."""

    data: dict[int, int] = field(default_factory=dict)
    contacts: dict[int, int] = field(default_factory=dict)


async def raise_versions(partner_ids: Sequence[int], touched: Sequence[int] | None) -> Versions:
    """Raises the versions of what a change touched (None: every enterprise of the partners),
    in the change's transaction; answers them as committed with it."""
    versions = Versions()
    for partner_id in sorted(set(partner_ids)):
        if touched is None:
            rows = await db.run(RAISE_ALL, partner_id)
        else:
            rows = await db.run(RAISE_SOME, partner_id, ids=sorted(set(touched)) or [0])
        for row in rows:
            enterprise_id, data_version, contacts_version = tuple(row)
            if enterprise_id == partner_id:
                versions.data[partner_id] = data_version
            if touched is None or enterprise_id in touched:
                versions.contacts[enterprise_id] = contacts_version
    return versions


async def contacts_versions(enterprise_ids: Sequence[int]) -> dict[int, int]:
    """The contacts versions of these enterprises as they stand (one statement)."""
    if not enterprise_ids:
        return {}
    rows = await db.run(CONTACTS_VERSIONS, ids=sorted(set(enterprise_ids)))
    return {row[0]: row[1] for row in rows}
