"""The process's settings, read from the environment when the app or a command starts."""

from __future__ import annotations

import os
from dataclasses import dataclass

DEFAULT_DATABASE_URL = "sqlite://myopenip.sqlite3"


def _int(name: str, default: int) -> int:
    value = os.environ.get(name)
    return int(value) if value else default


def _flag(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    return default if value is None or value == "" else value.lower() not in ("0", "false", "no", "off")


def _choice(name: str, choices: tuple[str, ...]) -> str:
    """One of `choices` (the first by default); anything else stops the start, saying why."""
    value = (os.environ.get(name) or choices[0]).strip().lower()
    if value not in choices:
        raise ValueError(f"{name} must be one of {', '.join(choices)}, not {value!r}")
    return value


def _list(name: str) -> tuple[str, ...]:
    return tuple(item.strip() for item in os.environ.get(name, "").split(",") if item.strip())


def http_limits() -> tuple[int, float, float]:
    """The bounds of a request's framing (api/http_protocol.py), read when a connection opens:
    header bytes, and seconds for the headers and for the body."""
    return (
        _int("MAX_HEADER_BYTES", 32 * 1024),
        float(os.environ.get("HEADER_TIMEOUT_SECONDS") or 10),
        float(os.environ.get("BODY_TIMEOUT_SECONDS") or 30),
    )


@dataclass(frozen=True)
class Settings:
    """Every setting, with its default (README, *Running it*)."""

    database_url: str = DEFAULT_DATABASE_URL
    broker_url: str = "memory://"
    max_query_depth: int = 10
    max_aliases: int = 30
    max_tokens: int = 5000
    max_cost: int = 50_000
    max_body_bytes: int = 100_000
    # The request line and headers, and the time for them and for the body (api/http_protocol.py).
    max_header_bytes: int = 32 * 1024
    header_timeout_seconds: float = 10.0
    body_timeout_seconds: float = 30.0
    # How long an idle HTTP connection is kept open for its next request: longer than clients and
    # proxies keep theirs (nginx's upstream keep-alive: 60 s; httpx's: 5 s), so that the server
    # never closes one just as a request comes on it.
    http_keep_alive_seconds: int = 75
    # A WebSocket message, and the first one (connection_init) before the socket is acknowledged.
    max_websocket_message_bytes: int = 100_000
    log_level: str = "INFO"
    # Seconds between keep-alive messages on an idle WebSocket (`ping` on graphql-transport-ws,
    # `ka` on graphql-ws): well under the idle timeouts of common proxies (60 s).
    keep_alive_seconds: float = 15.0
    connection_init_seconds: float = 60.0
    # Seconds between two readings of the rights of the open WebSockets (api/rights.py): a
    # revoked token or a removed right ends a socket within about that long.
    rights_check_seconds: float = 2.0
    response_cache_entries: int = 2048
    response_cache_bytes: int = 32 * 1024 * 1024
    # Parsed and validated documents kept for their next request (schema/documents.py).
    document_cache_bytes: int = 32 * 1024 * 1024
    ws_compression: bool = False
    # Browser origins (scheme://host[:port]) other than the app's own that may call the API
    # (CORS) and open its WebSocket; "*" for any. Same-origin pages and clients that send no
    # Origin (curl, servers) need no entry.
    allowed_origins: tuple[str, ...] = ()
    # On SIGTERM: seconds that requests in flight get to finish before they are cancelled.
    graceful_shutdown_seconds: float = 20.0
    # One JSON line per request on standard output (logger api.access).
    access_log: bool = True
    # Where the GraphiQL page (GET /graphql in a browser) takes its files from: "local", the
    # app itself (the npm packages of api/graphiql-assets; the CDN, with a warning, when they
    # are not installed), or "cdn", the unpkg CDN (api/graphiql.py).
    graphiql_assets: str = "local"
    # Demo mode (`python -m api serve --demo`, `make run`): the GraphiQL page opens with the demo's
    # token and ids. Otherwise it embeds nothing of anyone's data.
    demo: bool = False
    # The contacts kept on orders placed more than this many days ago are erased by
    # `python -m api purge-personal-data` (contacts/retention.py); 0: every order placed before
    # the run.
    personal_data_retention_days: int = 1095

    @classmethod
    def from_env(cls) -> Settings:
        header_bytes, header_seconds, body_seconds = http_limits()
        return cls(
            database_url=os.environ.get("DATABASE_URL") or DEFAULT_DATABASE_URL,
            broker_url=os.environ.get("BROKER_URL") or "memory://",
            max_query_depth=_int("MAX_QUERY_DEPTH", 10),
            max_aliases=_int("MAX_ALIASES", 30),
            max_tokens=_int("MAX_TOKENS", 5000),
            max_cost=_int("MAX_COST", 50_000),
            max_body_bytes=_int("MAX_BODY_BYTES", 100_000),
            max_header_bytes=header_bytes,
            header_timeout_seconds=header_seconds,
            body_timeout_seconds=body_seconds,
            max_websocket_message_bytes=_int("MAX_WEBSOCKET_MESSAGE_BYTES", 100_000),
            http_keep_alive_seconds=_int("HTTP_KEEP_ALIVE_SECONDS", 75),
            log_level=os.environ.get("LOG_LEVEL", "INFO"),
            keep_alive_seconds=float(os.environ.get("KEEP_ALIVE_SECONDS") or 15),
            connection_init_seconds=float(os.environ.get("CONNECTION_INIT_SECONDS") or 60),
            rights_check_seconds=float(os.environ.get("RIGHTS_CHECK_SECONDS") or 2),
            response_cache_entries=_int("RESPONSE_CACHE_ENTRIES", 2048),
            response_cache_bytes=_int("RESPONSE_CACHE_BYTES", 32 * 1024 * 1024),
            document_cache_bytes=_int("DOCUMENT_CACHE_BYTES", 32 * 1024 * 1024),
            ws_compression=os.environ.get("WS_COMPRESSION", "0") not in ("", "0", "false", "no"),
            allowed_origins=_list("ALLOWED_ORIGINS"),
            graceful_shutdown_seconds=float(os.environ.get("GRACEFUL_SHUTDOWN_SECONDS") or 20),
            access_log=_flag("ACCESS_LOG", True),
            graphiql_assets=_choice("GRAPHIQL_ASSETS", ("local", "cdn")),
            demo=_flag("DEMO", False),
            personal_data_retention_days=_int("PERSONAL_DATA_RETENTION_DAYS", 1095),
        )


def __getattr__(name: str):
    """`TORTOISE_ORM`, for the ORM's command line only (`tortoise makemigrations`, see
    [tool.tortoise] in pyproject.toml): the configuration of DATABASE_URL, read when asked."""
    if name == "TORTOISE_ORM":
        from contacts.db import tortoise_config

        return tortoise_config(Settings.from_env().database_url)
    raise AttributeError(name)
