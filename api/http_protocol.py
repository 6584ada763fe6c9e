"""uvicorn's HTTP protocol (httptools), with the bounds on request framing that its settings lack.

uvicorn reads request headers without a size limit with httptools (its
`h11_max_incomplete_event_size` applies to h11 only), and without a time limit: a client that
sends its headers or its body a byte at a time holds a connection and a task for ever. Here:

- the request line and headers are at most MAX_HEADER_BYTES (431 past them, before more is read);
- they must be complete within HEADER_TIMEOUT_SECONDS of the connection or of the request's
  first byte (408, or the connection closed when nothing came);
- the body must be complete within BODY_TIMEOUT_SECONDS of the headers (408 when no answer has
  started, the connection closed otherwise: the application then sees the client gone).

A refusal is sent, then the connection is half-closed and what the client still sends is read
and dropped for LINGER_SECONDS before it is closed: closed at once with data unread, the
connection would be reset, and the client would lose the answer.

Everything else (keep-alive, pipelining, WebSocket upgrades, flow control) is uvicorn's. The
limits are read from the environment when a connection opens (api/settings.py, `http_limits`).
"""

from __future__ import annotations

import json
from asyncio import TimerHandle

from uvicorn.protocols.http.httptools_impl import STATUS_LINE, HttpToolsProtocol

from api.settings import http_limits

END_OF_HEADERS = b"\r\n\r\n"
LINGER_SECONDS = 2.0


def _refusal(status: int, code: str, message: str) -> bytes:
    body = json.dumps({"errors": [{"message": message, "extensions": {"code": code}}]}).encode()
    return b"".join([
        STATUS_LINE[status],
        b"content-type: application/json\r\n",
        b"content-length: %d\r\n" % len(body),
        b"connection: close\r\n\r\n",
        body,
    ])


class BoundedHttpToolsProtocol(HttpToolsProtocol):
    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.max_header_bytes, self.header_timeout, self.body_timeout = http_limits()
        self.reading_headers = True  # until the current request's headers are complete
        self.header_bytes = 0
        self.header_tail = b""  # the last bytes of headers received, to find their end across reads
        self.deadline: TimerHandle | None = None
        self.lingering: TimerHandle | None = None  # a refusal sent: what comes is dropped until then

    # --- the header size ------------------------------------------------------------------

    def data_received(self, data: bytes) -> None:
        if self.lingering is not None:
            return
        if self.reading_headers:
            seen = self.header_tail + data
            end = seen.find(END_OF_HEADERS)
            counted = len(data) if end < 0 else end + len(END_OF_HEADERS) - len(self.header_tail)
            self.header_bytes += max(counted, 0)
            if self.header_bytes > self.max_header_bytes:
                self._refuse(431, "REQUEST_HEADER_FIELDS_TOO_LARGE",
                             f"The request line and headers are larger than {self.max_header_bytes} bytes.")
                return
            self.header_tail = seen[-(len(END_OF_HEADERS) - 1):]
        super().data_received(data)

    # --- the deadlines --------------------------------------------------------------------

    def connection_made(self, transport) -> None:
        super().connection_made(transport)
        self._deadline(self.header_timeout, self._headers_too_slow)

    def connection_lost(self, exc) -> None:
        self._cancel_deadline()
        if self.lingering is not None:
            self.lingering.cancel()
        super().connection_lost(exc)

    def on_message_begin(self) -> None:
        super().on_message_begin()
        if self.deadline is None:
            self._deadline(self.header_timeout, self._headers_too_slow)

    def on_headers_complete(self) -> None:
        self.reading_headers = False
        self._cancel_deadline()
        super().on_headers_complete()
        if not (self.parser.should_upgrade() and self._should_upgrade()):
            self._deadline(self.body_timeout, self._body_too_slow)

    def on_message_complete(self) -> None:
        super().on_message_complete()
        self._cancel_deadline()
        # What comes next on this connection is the next request's headers.
        self.reading_headers = True
        self.header_bytes = 0
        self.header_tail = b""

    def _deadline(self, seconds: float, then) -> None:
        self._cancel_deadline()
        self.deadline = self.loop.call_later(seconds, then)

    def _cancel_deadline(self) -> None:
        if self.deadline is not None:
            self.deadline.cancel()
            self.deadline = None

    def _headers_too_slow(self) -> None:
        self.deadline = None
        if self.header_bytes or self.header_tail:
            self._refuse(408, "REQUEST_TIMEOUT", f"The request headers did not come within {self.header_timeout:g} s.")
        else:
            self.transport.close()  # nothing was asked: nothing to answer

    def _body_too_slow(self) -> None:
        self.deadline = None
        cycle = self.cycle
        if cycle is not None and not cycle.response_started and not cycle.response_complete:
            cycle.disconnected = True  # the application now sees the client gone: its answer is not sent
            cycle.message_event.set()
            self._refuse(408, "REQUEST_TIMEOUT", f"The request body did not come within {self.body_timeout:g} s.")
        else:
            self.transport.close()

    def _refuse(self, status: int, code: str, message: str) -> None:
        self._cancel_deadline()
        if self.transport.is_closing() or self.lingering is not None:
            return
        self.transport.write(_refusal(status, code, message))
        if self.transport.can_write_eof():
            self.transport.write_eof()
        self.flow.resume_reading()
        self.lingering = self.loop.call_later(LINGER_SECONDS, self.transport.close)
