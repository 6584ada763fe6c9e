"""The stored data: enterprises, users, contacts, products, quotes and their contact lists.

The database holds what it can: foreign keys, an enterprise contact at most once per
quote (and in a client's defaults), and (migrations 0002 and 0005) at most one ON_SITE and one
DELIVERY contact per quote and per client's defaults.
"""

from __future__ import annotations

import secrets
from enum import Enum

from tortoise import fields
from tortoise.models import Model


class EnterpriseKind(str, Enum):
    PARTNER = "PARTNER"
    CLIENT = "CLIENT"


class QuoteStatus(str, Enum):
    DRAFT = "DRAFT"
    ORDERED = "ORDERED"


class HistoryKind(str, Enum):
    CONTACT_ADDED = "CONTACT_ADDED"
    CONTACT_REMOVED = "CONTACT_REMOVED"
    FUNCTION_TICKED = "FUNCTION_TICKED"
    FUNCTION_UNTICKED = "FUNCTION_UNTICKED"
    CONTACT_EDITED = "CONTACT_EDITED"
    ORDER_PLACED = "ORDER_PLACED"
    CONTACT_ERASED = "CONTACT_ERASED"


class ContactSource(str, Enum):
    CLIENT = "CLIENT"
    PARTNER = "PARTNER"
    ADHOC = "ADHOC"


def new_data_version() -> int:
    return secrets.randbelow(2**62)


class Enterprise(Model):
    """A partner (a reseller, whose users sign in) or a client of a partner."""

    id = fields.IntField(primary_key=True)
    name = fields.CharField(max_length=200)
    search_name = fields.CharField(max_length=200, db_index=True)
    kind = fields.CharEnumField(EnterpriseKind, max_length=10, description="PARTNER or CLIENT")
    partner: fields.ForeignKeyNullableRelation[Enterprise] = fields.ForeignKeyField(
        "models.Enterprise", related_name="clients", null=True, on_delete=fields.RESTRICT
    )
    # For a partner: raised in the transaction of every change to what its users can read,
    # so that a cached answer is never served after a change. It starts at a random value,
    # so that a database rebuilt or restored never repeats a version a cache has seen.
    data_version = fields.BigIntField(default=new_data_version, db_default=0)
    # Raised in the transaction of every change to this enterprise's contacts, its defaults, or
    # (for a client) its quotes' contact lists: a cached answer that shows only such data of a
    # few enterprises stays good while their versions stay (see contacts/dependencies.py).
    contacts_version = fields.BigIntField(default=new_data_version, db_default=0)

    class Meta:
        table = "enterprise"
        indexes = (("partner_id",),)  # a partner's clients

    @property
    def owner_id(self) -> int:
        """The partner whose users may see this enterprise."""
        return self.partner_id if self.kind == EnterpriseKind.CLIENT else self.id  # type: ignore[return-value]


class User(Model):
    """A user of a partner, who signs in with a bearer token."""

    id = fields.IntField(primary_key=True)
    username = fields.CharField(max_length=100, unique=True)
    name = fields.CharField(max_length=200)
    email = fields.CharField(max_length=254)
    partner: fields.ForeignKeyRelation[Enterprise] = fields.ForeignKeyField(
        "models.Enterprise", related_name="users", on_delete=fields.RESTRICT
    )
    can_edit_quotes = fields.BooleanField(default=False)
    can_edit_contacts = fields.BooleanField(default=False)

    class Meta:
        table = "app_user"
        indexes = (("partner_id",),)


class ApiToken(Model):
    """A bearer token, of which only the SHA-256 is stored."""

    id = fields.IntField(primary_key=True)
    user: fields.ForeignKeyRelation[User] = fields.ForeignKeyField(
        "models.User", related_name="tokens", on_delete=fields.CASCADE
    )
    token_hash = fields.CharField(max_length=64, unique=True)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "api_token"
        indexes = (("user_id",),)


class Contact(Model):
    """A permanent contact of an enterprise (the list of the enterprise module)."""

    id = fields.IntField(primary_key=True)
    enterprise: fields.ForeignKeyRelation[Enterprise] = fields.ForeignKeyField(
        "models.Enterprise", related_name="contacts", on_delete=fields.RESTRICT
    )
    last_name = fields.CharField(max_length=100)
    first_name = fields.CharField(max_length=100, null=True)
    email = fields.CharField(max_length=254, null=True)
    phone = fields.CharField(max_length=40, null=True)
    role = fields.CharField(max_length=100, null=True)
    search_text = fields.CharField(max_length=500)
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)
    # What the contact rules make of the details, written with them (contacts.state.verdict):
    # not worked out again (a phone parsed, an email checked) each time a list shows the
    # contact. Null when not known (a row written another way): worked out when read.
    missing = fields.CharField(max_length=60, null=True, description="The ContactFields it lacks, comma-separated")
    phone_is_mobile = fields.BooleanField(null=True)

    class Meta:
        table = "contact"
        indexes = (("enterprise_id", "last_name"),)


class Product(Model):
    """A product of the catalogue, and which contacts its order needs."""

    id = fields.IntField(primary_key=True)
    code = fields.CharField(max_length=50, unique=True)
    name = fields.CharField(max_length=200)
    requires_on_site_contact = fields.BooleanField(default=False)
    requires_delivery_contact = fields.BooleanField(default=False)

    class Meta:
        table = "product"


class Quote(Model):
    """A quote of a partner for one of its clients, ORDERED once the order is placed."""

    id = fields.IntField(primary_key=True)
    reference = fields.CharField(max_length=50, unique=True)
    partner: fields.ForeignKeyRelation[Enterprise] = fields.ForeignKeyField(
        "models.Enterprise", related_name="quotes", on_delete=fields.RESTRICT
    )
    client: fields.ForeignKeyRelation[Enterprise] = fields.ForeignKeyField(
        "models.Enterprise", related_name="client_quotes", on_delete=fields.RESTRICT
    )
    status = fields.CharEnumField(QuoteStatus, max_length=10, default=QuoteStatus.DRAFT, description="DRAFT or ORDERED")
    version = fields.IntField(default=1)
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)
    ordered_at = fields.DatetimeField(null=True)

    class Meta:
        table = "quote"
        # By client: the earlier quotes a draft's suggestions come from (contacts.reads.earlier_quotes).
        # By status and order date: the orders past the retention period (contacts.personal_data).
        indexes = (("partner_id", "status"), ("client_id", "status"), ("status", "ordered_at"))


class QuoteLine(Model):
    """A product line of a quote."""

    id = fields.IntField(primary_key=True)
    quote: fields.ForeignKeyRelation[Quote] = fields.ForeignKeyField(
        "models.Quote", related_name="lines", on_delete=fields.CASCADE
    )
    product: fields.ForeignKeyRelation[Product] = fields.ForeignKeyField(
        "models.Product", related_name="lines", on_delete=fields.RESTRICT
    )
    quantity = fields.IntField(default=1)

    class Meta:
        table = "quote_line"
        indexes = (("quote_id",), ("product_id",))  # a quote's lines: found by index whatever the table's size


class ContactAssignment(Model):
    """A contact on the contact list of a quote, with its three functions.

    `contact` is set for CLIENT and PARTNER sources. The detail columns hold an ad-hoc
    contact's details, and every contact's details once the order is placed (the freeze).
    `erased`: the person's data was erased (contacts.personal_data): the details are empty,
    `contact` is null, the functions are kept; the name shown is a placeholder.
    """

    id = fields.IntField(primary_key=True)
    quote: fields.ForeignKeyRelation[Quote] = fields.ForeignKeyField(
        "models.Quote", related_name="assignments", on_delete=fields.CASCADE
    )
    contact: fields.ForeignKeyNullableRelation[Contact] = fields.ForeignKeyField(
        "models.Contact", related_name="assignments", null=True, on_delete=fields.RESTRICT
    )
    source = fields.CharEnumField(ContactSource, max_length=10, description="CLIENT, PARTNER or ADHOC")
    on_site = fields.BooleanField(default=False)
    delivery = fields.BooleanField(default=False)
    tracking = fields.BooleanField(default=False)
    last_name = fields.CharField(max_length=100, null=True)
    first_name = fields.CharField(max_length=100, null=True)
    email = fields.CharField(max_length=254, null=True)
    phone = fields.CharField(max_length=40, null=True)
    role = fields.CharField(max_length=100, null=True)
    added_at = fields.DatetimeField(auto_now_add=True)
    erased = fields.BooleanField(default=False, db_default=False)
    # Whether its own phone (ad-hoc, or frozen) is a mobile, written with it; null when not
    # known: worked out when read (contacts.state.assignment_is_mobile).
    phone_is_mobile = fields.BooleanField(null=True)

    class Meta:
        table = "contact_assignment"
        # An enterprise contact at most once per quote. The partial unique indexes on
        # ON_SITE and DELIVERY are in migration 0002 (the ORM has no portable form for them).
        unique_together = (("quote", "contact"),)
        indexes = (("contact_id",),)  # the quotes a contact is on (an edit, an erasure)


class ContactDefault(Model):
    """A contact proposed by default on a client's quotes, with its functions
    (`Enterprise.contactDefaults`): a contact of the client or of its partner. Replaced as a
    whole by setContactDefaults; `position` keeps the order they were set in. Deleting the
    contact takes it out of the defaults."""

    id = fields.IntField(primary_key=True)
    enterprise: fields.ForeignKeyRelation[Enterprise] = fields.ForeignKeyField(
        "models.Enterprise", related_name="contact_defaults", on_delete=fields.CASCADE
    )
    contact: fields.ForeignKeyRelation[Contact] = fields.ForeignKeyField(
        "models.Contact", related_name="defaults", on_delete=fields.CASCADE
    )
    position = fields.IntField()
    on_site = fields.BooleanField(default=False)
    delivery = fields.BooleanField(default=False)
    tracking = fields.BooleanField(default=False)

    class Meta:
        table = "contact_default"
        # A contact once per client's defaults. The partial unique indexes on ON_SITE and
        # DELIVERY are in migration 0005, as for the quotes' lists.
        unique_together = (("enterprise", "contact"),)
        indexes = (("contact_id",),)


class QuoteHistoryEntry(Model):
    """One change of a quote's contact list, written in the transaction of the change
    (contacts/history.py): who did what to which contact, as the contact was named then."""

    id = fields.IntField(primary_key=True)
    quote: fields.ForeignKeyRelation[Quote] = fields.ForeignKeyField(
        "models.Quote", related_name="history", on_delete=fields.CASCADE
    )
    at = fields.DatetimeField()
    kind = fields.CharEnumField(HistoryKind, max_length=20)
    # The user's name; null when the service itself acted (the retention period).
    actor = fields.CharField(max_length=200, null=True)
    # The contact as it was named then (null for ORDER_PLACED), and what tells it apart when a
    # person's data is erased: its enterprise contact and its email, in lower case.
    contact_name = fields.CharField(max_length=201, null=True)
    contact_id = fields.IntField(null=True)
    email = fields.CharField(max_length=254, null=True)
    assignment_id = fields.IntField(null=True)
    function = fields.CharField(max_length=10, null=True)
    # The person's data was erased: the name, email and contact id are gone (null), and the
    # entry names the contact with a placeholder (contacts.personal_data).
    erased = fields.BooleanField(default=False, db_default=False)

    class Meta:
        table = "quote_history"
        indexes = (("quote_id", "id"),)
