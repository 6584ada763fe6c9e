"""Search keys: text folded for matching that ignores case and accents."""

from __future__ import annotations

import unicodedata


def search_key(*parts: str | None) -> str:
    """Lower case, accents and control characters removed, parts joined by spaces:
    "Éloïse" -> "eloise"."""
    text = " ".join(part for part in parts if part)
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c) and not is_control(c)).casefold()


def is_control(char: str) -> bool:
    """NUL, tabs, line breaks and the like (PostgreSQL text cannot even hold NUL)."""
    return unicodedata.category(char) == "Cc"


def without_controls(text: str) -> str:
    """Typed-in text with its control characters (a paste accident) turned into spaces."""
    return "".join(" " if is_control(c) else c for c in text)


def is_invisible(char: str) -> bool:
    """Characters that show nothing by themselves: spaces of any kind, control and format
    characters (zero-width spaces and joiners, bidirectional marks, the byte order mark)."""
    return char.isspace() or unicodedata.category(char) in ("Cc", "Cf", "Zs", "Zl", "Zp")


def tidy(text: str) -> str:
    """Typed-in text as it is kept: control characters as spaces, and whatever shows nothing at
    either end dropped (so that a value of zero-width characters only is empty)."""
    text = without_controls(text)
    start, end = 0, len(text)
    while start < end and is_invisible(text[start]):
        start += 1
    while end > start and is_invisible(text[end - 1]):
        end -= 1
    return text[start:end]
