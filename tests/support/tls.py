"""One TLS context for the tests' HTTP clients. The servers are reached by plain HTTP, but an
httpx client not given a context builds its own, loading the certificate authorities anew
(about 50 ms of CPU): the suite makes some two hundred clients."""

from __future__ import annotations

import ssl

TLS = ssl.create_default_context()
