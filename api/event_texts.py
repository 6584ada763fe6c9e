"""The JSON text of a live event shared by many subscribers (schema/live.py), encoded once.

Every subscriber of an audience gets the same result object for a change: its payload's text,
and the UTF-8 bytes of that text, are made for the first and spliced into the message of each
other one (an `EncodedText`, which the WebSocket protocol sends without encoding it again:
api/websocket_protocol.py). The latest few are kept (at most MAX_TEXTS, and MAX_BYTES in all),
by the identity of their data.
"""

from __future__ import annotations

import json

MAX_TEXTS = 64
MAX_BYTES = 4 * 1024 * 1024


class EncodedText(str):
    """A message's text that comes with its WebSocket frame (`frame`: a final, unmasked TEXT
    frame, as a server sends it without extensions), made from parts encoded once for every
    subscriber of the event: encoding a step-2 event (some 15 KB, with accents) costs about
    9 µs, paid once instead of once per subscriber; the frame is written as it is."""

    frame: bytes
    header_size: int

    @property
    def utf8(self) -> bytes:
        """The text in UTF-8: the frame's payload."""
        return self.frame[self.header_size:]


def frame_header(size: int) -> bytes:
    """The header of a final TEXT frame of `size` bytes, unmasked (RFC 6455, 5.2)."""
    if size < 126:
        return bytes((0x81, size))
    if size < 1 << 16:
        return bytes((0x81, 126)) + size.to_bytes(2, "big")
    return bytes((0x81, 127)) + size.to_bytes(8, "big")


def encoded(parts: tuple[str, ...], utf8_parts: tuple[bytes, ...]) -> EncodedText:
    """The EncodedText of the text made of `parts`, whose UTF-8 encodings are `utf8_parts`."""
    text = EncodedText("".join(parts))
    header = frame_header(sum(map(len, utf8_parts)))
    text.frame = b"".join((header, *utf8_parts))
    text.header_size = len(header)
    return text


class EventTexts:
    def __init__(self, max_texts: int = MAX_TEXTS, max_bytes: int = MAX_BYTES) -> None:
        self.max_texts = max_texts
        self.max_bytes = max_bytes
        self._texts: dict[int, tuple[dict, str, bytes]] = {}  # id(data) -> (data, its payload's text, in UTF-8)
        self.bytes = 0

    def message(self, message: object) -> str | None:
        """The text of a `next` (or legacy `data`) message whose payload is a result's, or None
        for any other message."""
        if not (isinstance(message, dict) and message.get("type") in ("next", "data")):
            return None
        payload = message.get("payload")
        shared = payload.get("data") if isinstance(payload, dict) else None
        if not isinstance(shared, dict) or not set(payload) <= {"data", "errors", "extensions"}:
            return None
        found = self._texts.get(id(shared))
        if found is None or found[0] is not shared:
            text = json.dumps(payload, ensure_ascii=False)
            found = (shared, text, text.encode())
            self._keep(id(shared), found)
        # json.dumps with its default settings is the C encoder's; any other setting makes an
        # encoder in Python at each call (ten times the cost for an id).
        head = '{"type": "%s", "id": %s, "payload": ' % (message["type"], json.dumps(message.get("id")))
        return encoded((head, found[1], "}"), (head.encode(), found[2], b"}"))

    def _keep(self, key: int, entry: tuple[dict, str, bytes]) -> None:
        old = self._texts.pop(key, None)
        self.bytes += _size(entry) - (_size(old) if old else 0)
        self._texts[key] = entry
        while len(self._texts) > self.max_texts or (self.bytes > self.max_bytes and len(self._texts) > 1):
            self.bytes -= _size(self._texts.pop(next(iter(self._texts))))

    def __len__(self) -> int:
        return len(self._texts)


def _size(entry: tuple[dict, str, bytes]) -> int:
    return len(entry[1]) + len(entry[2])
