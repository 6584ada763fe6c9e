"""What the HTTP tests share: the step-2 selection, the mutations, and the demo data's ids.

Ids are read from the API (they differ between backends and between resets), by quote
reference and by contact last name, which are unique in the demo data.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass

SEED_FR = {
    "CONTACT_WITHOUT_FUNCTION": "Un des contacts n'a pas de fonction assignée. Veuillez cocher la case correspondante ou retirer le contact du devis",
    "ON_SITE_CONTACT_REQUIRED": "Vous devez sélectionner au moins un contact sur site pour l'intervention du fournisseur",
    "DELIVERY_CONTACT_REQUIRED": "Vous devez renseigner au moins un contact pour la réception de votre colis",
    "TRACKING_CONTACT_REQUIRED": "Vous devez renseigner au moins un contact pour le suivi de votre commande",
    "TRACKING_CONTACT_LIMIT": "Le nombre maximum de contact est atteint, veuillez créer une liste de diffusion si vous souhaitez ajouter plus de 3 contacts pour le suivi de votre commande",
    "CONTACT_INCOMPLETE": "Il manque des informations à ce contact. Veuillez le compléter dans le module Entreprises si vous souhaitez l'ajouter au devis.",
    "PHONE_NOT_MOBILE": "Veuillez privilégier un numéro de mobile.",
}

ERROR = "code message field assignmentId function"
NAMED_ERROR = "code message field assignmentId function contactId"

CONTACT = "id lastName firstName email phone phoneIsMobile role missingFields isComplete canEdit"

ASSIGNMENT = f"id source lastName firstName email phone phoneIsMobile role functions contact {{ {CONTACT} }}"

STEP2 = f"""
fragment Step2 on Quote {{
  id reference status version viewerCanEdit orderedAt
  client {{ id name kind }}
  lines {{ id quantity product {{ id code name requiresOnSiteContact requiresDeliveryContact }} }}
  assignments {{ {ASSIGNMENT} }}
  contactRequirements {{ function min max count summary requiredBy {{ product {{ code }} }} }}
  eligibleContacts {{
    client {{ canAdd contact {{ {CONTACT} }} reasons {{ {ERROR} }} }}
    partner {{ canAdd contact {{ {CONTACT} }} reasons {{ {ERROR} }} }}
  }}
  contactValidation {{ isValid errors {{ {ERROR} }} warnings {{ {ERROR} }} }}
}}
"""

QUOTE = "query Quote($id: ID!) { quote(id: $id) { ...Step2 } }" + STEP2

PAYLOAD = f"quote {{ ...Step2 }} assignment {{ {ASSIGNMENT} }} userErrors {{ {ERROR} }}"

ASSIGN = f"mutation($input: AssignContactInput!) {{ assignContact(input: $input) {{ {PAYLOAD} }} }}" + STEP2
ADHOC = f"mutation($input: AssignAdhocContactInput!) {{ assignAdhocContact(input: $input) {{ {PAYLOAD} }} }}" + STEP2
UNASSIGN = f"mutation($input: UnassignContactInput!) {{ unassignContact(input: $input) {{ {PAYLOAD} }} }}" + STEP2
SET_FUNCTION = (
    f"mutation($input: SetAssignmentFunctionInput!) {{ setAssignmentFunction(input: $input) {{ {PAYLOAD} }} }}" + STEP2
)
PLACE_ORDER = (
    f"mutation($input: PlaceOrderInput!) {{ placeOrder(input: $input) {{ quote {{ ...Step2 }} userErrors {{ {ERROR} }} }} }}"
    + STEP2
)
CREATE_CONTACT = (
    f"mutation($input: CreateContactInput!) {{ createContact(input: $input) {{ contact {{ {CONTACT} enterprise {{ id }} }} userErrors {{ {ERROR} }} }} }}"
)
UPDATE_CONTACT = (
    f"mutation($input: UpdateContactInput!) {{ updateContact(input: $input) {{ contact {{ {CONTACT} updatedAt }} userErrors {{ {ERROR} }} }} }}"
)

SUGGESTION = f"""
  source label canApply fromQuote {{ id reference status }}
  entries {{ contact {{ id lastName isComplete }} lastName firstName functions problems {{ {NAMED_ERROR} }} }}
"""
SUGGESTIONS = f"""query($id: ID!, $first: Int) {{
  quote(id: $id) {{ id version contactSuggestions(first: $first) {{ {SUGGESTION} }} }}
}}"""
APPLY = (
    f"mutation($input: ApplyContactSuggestionInput!) {{ applyContactSuggestion(input: $input) {{ quote {{ ...Step2 }} "
    f"applied {{ {ASSIGNMENT} }} skipped {{ {NAMED_ERROR} }} userErrors {{ {NAMED_ERROR} }} }} }}" + STEP2
)
SET_DEFAULTS = f"""mutation($input: SetContactDefaultsInput!) {{ setContactDefaults(input: $input) {{
  enterprise {{ id name contactDefaults {{ contact {{ id lastName }} functions }} }}
  userErrors {{ {NAMED_ERROR} }}
}} }}"""
DEFAULTS = "query($id: ID!) { enterprise(id: $id) { id kind contactDefaults { contact { id lastName } functions } } }"

LOOKUP = """{
  quotes(first: 100) { edges { node { id reference status } } }
  enterprises(first: 100) { edges { node { id name kind contacts(first: 100) { edges { node { id lastName } } } } } }
}"""

# Adds an ad-hoc contact, valid unless told otherwise.
def adhoc_input(quote_id: str, **overrides) -> dict:
    values = {
        "quoteId": quote_id,
        "lastName": "Ponctuel",
        "firstName": "Paul",
        "email": "paul.ponctuel@example.fr",
        "phone": "06 11 22 33 44",
        "role": "Gardien",
        "functions": [],
    }
    values.update(overrides)
    return values


@dataclass
class Demo:
    """The demo data of one partner as its user sees it: quotes by reference, enterprises by
    name and kind, contacts by last name."""

    quotes: dict[str, str]
    enterprises: dict[str, str]
    partner: str
    clients: list[str]
    contacts: dict[str, str]

    @property
    def full(self) -> str:
        """The draft whose products need an on-site and a delivery contact."""
        return self.quotes["DV-2026-0101"]

    @property
    def plain(self) -> str:
        """The draft whose products need neither."""
        return self.quotes["DV-2026-0102"]

    @property
    def ordered(self) -> str:
        return self.quotes["DV-2026-0090"]


async def demo_of(api, token: str = "demo-alice") -> Demo:
    data = await api(LOOKUP, token=token)
    quotes = {e["node"]["reference"]: e["node"]["id"] for e in data["quotes"]["edges"]}
    enterprises = {e["node"]["name"]: e["node"]["id"] for e in data["enterprises"]["edges"]}
    partner = next(e["node"]["id"] for e in data["enterprises"]["edges"] if e["node"]["kind"] == "PARTNER")
    clients = [e["node"]["id"] for e in data["enterprises"]["edges"] if e["node"]["kind"] == "CLIENT"]
    contacts = {
        c["node"]["lastName"]: c["node"]["id"]
        for e in data["enterprises"]["edges"]
        for c in e["node"]["contacts"]["edges"]
    }
    return Demo(quotes, enterprises, partner, clients, contacts)


def codes(errors: list[dict]) -> list[str]:
    return [e["code"] for e in errors]


def eligible(quote: dict, side: str) -> dict[str, dict]:
    """An eligible list by contact last name."""
    return {e["contact"]["lastName"]: e for e in quote["eligibleContacts"][side]}


def by_name(quote: dict) -> dict[str, dict]:
    """The quote's assignments by last name."""
    return {a["lastName"]: a for a in quote["assignments"]}


def missing_id(type_name: str) -> str:
    """A well-formed id that no row has."""
    return base64.b64encode(f"{type_name}:987654".encode()).decode()


async def assign(api, quote_id: str, contact_id: str, functions=(), **kwargs) -> dict:
    data = await api(ASSIGN, {"input": {"quoteId": quote_id, "contactId": contact_id, "functions": list(functions)}}, **kwargs)
    return data["assignContact"]


async def add_adhoc(api, quote_id: str, **overrides) -> dict:
    token = overrides.pop("token", "demo-alice")
    language = overrides.pop("language", None)
    data = await api(ADHOC, {"input": adhoc_input(quote_id, **overrides)}, token=token, language=language)
    return data["assignAdhocContact"]


async def set_function(api, assignment_id: str, function: str, enabled: bool = True, **kwargs) -> dict:
    data = await api(
        SET_FUNCTION, {"input": {"assignmentId": assignment_id, "function": function, "enabled": enabled}}, **kwargs
    )
    return data["setAssignmentFunction"]


async def unassign(api, assignment_id: str, **kwargs) -> dict:
    return (await api(UNASSIGN, {"input": {"assignmentId": assignment_id}}, **kwargs))["unassignContact"]


async def place_order(api, quote_id: str, **kwargs) -> dict:
    return (await api(PLACE_ORDER, {"input": {"quoteId": quote_id}}, **kwargs))["placeOrder"]


async def create_contact(api, **values) -> dict:
    token = values.pop("token", "demo-alice")
    language = values.pop("language", None)
    return (await api(CREATE_CONTACT, {"input": values}, token=token, language=language))["createContact"]


async def update_contact(api, **values) -> dict:
    token = values.pop("token", "demo-alice")
    language = values.pop("language", None)
    return (await api(UPDATE_CONTACT, {"input": values}, token=token, language=language))["updateContact"]


async def quote(api, quote_id: str, **kwargs) -> dict | None:
    return (await api(QUOTE, {"id": quote_id}, **kwargs))["quote"]


async def suggestions(api, quote_id: str, first: int | None = None, **kwargs) -> list[dict]:
    variables = {"id": quote_id} if first is None else {"id": quote_id, "first": first}
    return (await api(SUGGESTIONS, variables, **kwargs))["quote"]["contactSuggestions"]


async def apply_suggestion(api, quote_id: str, source: str = "CLIENT_DEFAULTS", from_quote: str | None = None,
                           **kwargs) -> dict:
    values = {"quoteId": quote_id, "source": source}
    if from_quote is not None:
        values["fromQuoteId"] = from_quote
    return (await api(APPLY, {"input": values}, **kwargs))["applyContactSuggestion"]


async def set_defaults(api, enterprise_id: str, defaults: list[tuple[str, list[str]]], **kwargs) -> dict:
    values = {"enterpriseId": enterprise_id,
              "defaults": [{"contactId": contact, "functions": list(functions)} for contact, functions in defaults]}
    return (await api(SET_DEFAULTS, {"input": values}, **kwargs))["setContactDefaults"]
