"""What users read: error messages, function labels and help texts, suggestion labels, in
French and English.

French is the default. The seven French texts marked "seed" are the user's own words and
are served exactly as written. A problem that names its contact (`Problem.name`: the
suggestions and default contacts) reads the name first: for a code with a seed text, the
name, then that text as it is (« Éric Dupont : Il manque des informations à ce contact… »).
"""

from __future__ import annotations

import re
from datetime import datetime, timezone
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from contacts.models import HistoryKind
from contacts.rules import Code, Function, Problem, Requirement

FR, EN = "fr", "en"
LANGUAGES = (FR, EN)

MESSAGES: dict[Code, dict[str, str]] = {
    Code.CONTACT_WITHOUT_FUNCTION: {  # seed
        FR: "Un des contacts n'a pas de fonction assignée. Veuillez cocher la case correspondante ou retirer le contact du devis",
        EN: "One of the contacts has no function assigned. Please tick the matching box or remove the contact from the quote",
    },
    Code.ON_SITE_CONTACT_REQUIRED: {  # seed
        FR: "Vous devez sélectionner au moins un contact sur site pour l'intervention du fournisseur",
        EN: "You must select at least one on-site contact for the supplier's intervention",
    },
    Code.DELIVERY_CONTACT_REQUIRED: {  # seed
        FR: "Vous devez renseigner au moins un contact pour la réception de votre colis",
        EN: "You must provide at least one contact to receive your parcel",
    },
    Code.TRACKING_CONTACT_REQUIRED: {  # seed
        FR: "Vous devez renseigner au moins un contact pour le suivi de votre commande",
        EN: "You must provide at least one contact to follow your order",
    },
    Code.TRACKING_CONTACT_LIMIT: {  # seed
        FR: "Le nombre maximum de contact est atteint, veuillez créer une liste de diffusion si vous souhaitez ajouter plus de 3 contacts pour le suivi de votre commande",
        EN: "The maximum number of contacts is reached, please create a mailing list if you want more than 3 contacts to follow your order",
    },
    Code.CONTACT_INCOMPLETE: {  # seed
        FR: "Il manque des informations à ce contact. Veuillez le compléter dans le module Entreprises si vous souhaitez l'ajouter au devis.",
        EN: "This contact is missing some information. Please complete it in the Enterprises module if you want to add it to the quote.",
    },
    Code.PHONE_NOT_MOBILE: {  # seed
        FR: "Veuillez privilégier un numéro de mobile.",
        EN: "Please give a mobile number if you can.",
    },
    Code.CONTACT_ALREADY_ON_QUOTE: {
        FR: "Ce contact figure déjà dans la liste des contacts du devis.",
        EN: "This contact is already on the quote's contact list.",
    },
    Code.CONTACT_NOT_ELIGIBLE: {
        FR: "Ce contact n'appartient ni au client du devis ni à votre entreprise.",
        EN: "This contact belongs neither to the quote's client nor to your company.",
    },
    Code.QUOTE_CONTACT_LIMIT: {
        FR: "Un devis compte au plus {limit} contacts. Retirez-en un pour en ajouter un autre.",
        EN: "A quote holds at most {limit} contacts. Remove one to add another.",
    },
    Code.QUOTE_NOT_EDITABLE: {
        FR: "La commande est passée : ses contacts ne peuvent plus être modifiés.",
        EN: "The order is placed: its contacts can no longer be changed.",
    },
    Code.NOT_FOUND: {
        FR: "Cet élément est introuvable.",
        EN: "This item cannot be found.",
    },
    Code.FORBIDDEN: {
        FR: "Vous n'avez pas le droit de faire cette modification.",
        EN: "You are not allowed to make this change.",
    },
    Code.REQUIRED: {
        FR: "Ce champ est obligatoire.",
        EN: "This field is required.",
    },
    Code.INVALID_EMAIL: {
        FR: "Cette adresse email n'est pas valide.",
        EN: "This email address is not valid.",
    },
    Code.INVALID_PHONE: {
        FR: "Ce numéro de téléphone n'est pas valide.",
        EN: "This phone number is not valid.",
    },
    Code.TOO_LONG: {
        FR: "Ce champ est trop long : {limit} caractères au plus.",
        EN: "This field is too long: {limit} characters at most.",
    },
    Code.FUNCTION_TAKEN: {
        FR: "Cette fonction appartient déjà à un autre contact de la liste : une suggestion ne la lui retire pas.",
        EN: "This function already belongs to another contact of the list: a suggestion does not take it away.",
    },
    Code.SUGGESTION_EMPTY: {
        FR: "Cette suggestion n'a rien à ajouter au devis : chacun de ses contacts y est déjà ou ne peut pas y être ajouté.",
        EN: "This suggestion has nothing to add to the quote: each of its contacts is already there or cannot be added.",
    },
}

SEED_CODES = frozenset({
    Code.CONTACT_WITHOUT_FUNCTION, Code.ON_SITE_CONTACT_REQUIRED, Code.DELIVERY_CONTACT_REQUIRED,
    Code.TRACKING_CONTACT_REQUIRED, Code.TRACKING_CONTACT_LIMIT, Code.CONTACT_INCOMPLETE, Code.PHONE_NOT_MOBILE,
})
_NAME_FIRST = {FR: "{name} : ", EN: "{name}: "}

# The messages that name their contact, for the codes without a seed text ({function}: its label).
NAMED_MESSAGES: dict[Code, dict[str, str]] = {
    Code.CONTACT_ALREADY_ON_QUOTE: {
        FR: "{name} figure déjà dans la liste.",
        EN: "{name} is already on the list.",
    },
    Code.CONTACT_NOT_ELIGIBLE: {
        FR: "{name} n'appartient ni au client ni à votre entreprise.",
        EN: "{name} belongs neither to the client nor to your company.",
    },
    Code.QUOTE_CONTACT_LIMIT: {
        FR: "Pas de place pour {name} : un devis compte au plus {limit} contacts.",
        EN: "No room for {name}: a quote holds at most {limit} contacts.",
    },
    Code.FUNCTION_TAKEN: {
        FR: "{name} : la fonction « {function} » appartient déjà à un autre contact de la liste, qui la garde.",
        EN: "{name}: {function} already belongs to another contact of the list, who keeps it.",
    },
}

FUNCTION_LABELS: dict[Function, dict[str, str]] = {
    Function.ON_SITE: {FR: "Intervention sur site", EN: "On-site intervention"},
    Function.DELIVERY: {FR: "Livraison de matériel", EN: "Equipment delivery"},
    Function.TRACKING: {FR: "Suivi de commande", EN: "Order tracking"},
}

FUNCTION_HELP: dict[Function, dict[str, str]] = {
    Function.ON_SITE: {
        FR: "Le contact sera sollicité par le fournisseur ou sous-traitant pour la mise en service de la solution souscrite (ex : prise de rendez-vous, accueil et vérification le jour du rendez-vous). Veuillez privilégier un numéro de mobile.",
        EN: "The supplier or subcontractor will contact this person to commission the service ordered (e.g. making an appointment, welcoming the technician and checking on the day). Please give a mobile number if you can.",
    },
    Function.DELIVERY: {
        FR: "Le contact pourra être sollicité pour la livraison du matériel commandé (routeur, modem). Veuillez privilégier un numéro de mobile.",
        EN: "This person may be contacted for the delivery of the equipment ordered (router, modem). Please give a mobile number if you can.",
    },
    Function.TRACKING: {
        FR: "Le(s) contact(s) pourra être sollicité par le service déploiement pour des précisions ou des informations de rejet de commandes fournisseurs. Veuillez créer une liste de diffusion si vous souhaitez ajouter plus de 3 contacts.",
        EN: "The deployment team may contact these people for details, or to pass on a supplier's rejection of the order. Please create a mailing list if you want more than 3 contacts.",
    },
}

_SUMMARY = {
    "single_required": {FR: "1 contact unique obligatoire", EN: "1 single contact, required"},
    "single_optional": {FR: "1 contact au plus, facultatif", EN: "At most 1 contact, optional"},
    "tracking": {FR: "1 contact obligatoire, 3 max.", EN: "1 contact required, 3 max."},
}


# The codes whose problems name their contact (a suggestion's entries and skipped, default contacts).
NAMED_CODES = (
    Code.CONTACT_WITHOUT_FUNCTION, Code.CONTACT_NOT_ELIGIBLE, Code.CONTACT_INCOMPLETE, Code.CONTACT_ALREADY_ON_QUOTE,
    Code.QUOTE_CONTACT_LIMIT, Code.FUNCTION_TAKEN, Code.TRACKING_CONTACT_LIMIT,
)


def named_template(code: Code, language: str) -> str:
    """The message of a problem that names its contact: the name, then the seed's text for a
    code that has one; else a sentence of its own (or the name, then the plain message)."""
    if code in NAMED_MESSAGES and code not in SEED_CODES:
        return NAMED_MESSAGES[code][language]
    return _NAME_FIRST[language] + MESSAGES[code][language]


_PLACE = re.compile(r"\{(\w+)\}")


# A quote's history (contacts/history.py): one sentence per entry, naming the actor, the change
# and the contact as it was named then.
HISTORY: dict[HistoryKind, dict[str, str]] = {
    HistoryKind.CONTACT_ADDED: {FR: "{actor} a ajouté {contact} au devis", EN: "{actor} added {contact} to the quote"},
    HistoryKind.CONTACT_REMOVED: {FR: "{actor} a retiré {contact} du devis", EN: "{actor} removed {contact} from the quote"},
    HistoryKind.FUNCTION_TICKED: {FR: "{actor} a coché {function} pour {contact}", EN: "{actor} ticked {function} for {contact}"},
    HistoryKind.FUNCTION_UNTICKED: {
        FR: "{actor} a décoché {function} pour {contact}", EN: "{actor} unticked {function} for {contact}",
    },
    HistoryKind.CONTACT_EDITED: {
        FR: "{actor} a modifié {contact} dans le module Entreprises", EN: "{actor} edited {contact} in the Enterprises module",
    },
    HistoryKind.ORDER_PLACED: {FR: "{actor} a passé la commande", EN: "{actor} placed the order"},
    HistoryKind.CONTACT_ERASED: {FR: "{actor} a effacé les données de {contact}", EN: "{actor} erased the data of {contact}"},
}
# The actor of what the service does by itself (the retention period of personal data).
RETENTION_ACTOR = {FR: "Durée de conservation", EN: "Retention period"}
# The name an assignment or a history entry shows once the person's data is erased
# (contacts/personal_data.py): stored as a mark (`erased`), named in the request's language.
ERASED_NAME = {FR: "Contact effacé", EN: "Erased contact"}


def actor_name(actor: str | None, language: str) -> str:
    return actor if actor is not None else RETENTION_ACTOR[language]


def contact_name(name: str | None, erased: bool, language: str) -> str | None:
    """How a contact is named to a reader: as stored, or the placeholder once erased."""
    return ERASED_NAME[language] if erased else name


def history_summary(kind: HistoryKind, actor: str | None, contact: str | None, function: Function | None,
                    language: str) -> str:
    """One sentence for a history entry, e.g. « Alice Martin a coché Suivi de commande pour Éric Dupont »."""
    return HISTORY[kind][language].format(
        actor=actor_name(actor, language), contact=contact or "",
        function=FUNCTION_LABELS[function][language] if function else "",
    )


def message(problem: Problem, language: str) -> str:
    if problem.name is not None:
        text = named_template(problem.code, language)
    else:
        text = MESSAGES[problem.code][language]
    values = {
        "limit": "" if problem.limit is None else str(problem.limit),
        "name": problem.name or "",
        "function": FUNCTION_LABELS[problem.function][language] if problem.function else "",
    }
    return _PLACE.sub(lambda match: values.get(match.group(1), match.group(0)), text)


# --- Suggestion labels ------------------------------------------------------------------------

LABELS = {
    "defaults": {FR: "Contacts par défaut de {client}", EN: "Default contacts of {client}"},
    "order": {FR: "Contacts de la commande {reference} du {date}", EN: "Contacts from order {reference} of {date}"},
    "draft": {FR: "Contacts du devis {reference} modifié le {date}", EN: "Contacts from quote {reference} changed on {date}"},
}
_MONTHS_EN = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def _local(moment: datetime) -> datetime:
    """A moment as the partners read it: in France (UTC where no time zone data is installed)."""
    try:
        zone = ZoneInfo("Europe/Paris")
    except ZoneInfoNotFoundError:
        zone = timezone.utc
    return moment.astimezone(zone) if moment.tzinfo else moment.replace(tzinfo=timezone.utc).astimezone(zone)


def short_date(moment: datetime, language: str) -> str:
    """12/11/2026 in French, 12 Nov 2026 in English."""
    day = _local(moment)
    return f"{day:%d/%m/%Y}" if language == FR else f"{day.day} {_MONTHS_EN[day.month - 1]} {day.year}"


def suggestion_label(language: str, *, client: str | None = None, reference: str | None = None,
                     moment: datetime | None = None, ordered: bool = False) -> str:
    """What a page shows of a suggestion: the client's defaults, or the order or draft it
    comes from, with the day it was ordered (or last changed)."""
    if reference is None:
        return LABELS["defaults"][language].format(client=client or "")
    key = "order" if ordered else "draft"
    return LABELS[key][language].format(reference=reference, date=short_date(moment, language) if moment else "")


def summary(requirement: Requirement, language: str) -> str:
    if requirement.function == Function.TRACKING:
        key = "tracking"
    else:
        key = "single_required" if requirement.is_required else "single_optional"
    return _SUMMARY[key][language]


def negotiate(accept_language: str | None) -> str:
    """English when, among the fr* and en* tags, the first with the highest q is an en one."""
    best, best_q = FR, -1.0
    for part in (accept_language or "").split(","):
        tag, _, params = part.strip().partition(";")
        primary = tag.strip().lower().split("-")[0]
        if primary not in LANGUAGES:
            continue
        q = 1.0
        for param in params.split(";"):
            key, _, value = param.strip().partition("=")
            if key.strip().lower() == "q":
                try:
                    q = float(value)
                except ValueError:
                    q = 0.0
        if q > best_q:
            best, best_q = primary, q
    return best if best_q > 0 else FR
