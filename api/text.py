"""Search keys: text folded for matching that ignores case and accents."""

from __future__ import annotations

import unicodedata


def search_key(*parts: str | None) -> str:
    """Lower case, accents removed, parts joined by spaces: "Éloïse" -> "eloise"."""
    text = " ".join(part for part in parts if part)
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()
