"""The command line of the service."""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

from api.settings import Settings
from contacts.db import Database

# uvicorn's websockets-sansio protocol, lighter per idle connection (api/websocket_protocol.py).
WS_PROTOCOL = "api.websocket_protocol:LeanWebSocketProtocol"
# uvicorn's httptools protocol, with bounds on the headers' size and time and the body's time
# (api/http_protocol.py).
HTTP_PROTOCOL = "api.http_protocol:BoundedHttpToolsProtocol"


def server_options(settings: Settings) -> dict:
    """What uvicorn is told of the protocols, as `serve` runs them (the tests' in-process
    server too)."""
    return {
        "http": HTTP_PROTOCOL,
        "ws": WS_PROTOCOL,
        # A WebSocket message over this is refused (1009) before it is parsed; the first one
        # (connection_init) is held to less (api/websocket_protocol.py).
        "ws_max_size": settings.max_websocket_message_bytes,
        # Compressing each event for each subscriber costs CPU at every change and some 40 KB
        # of memory per connection; off unless WS_COMPRESSION=1.
        "ws_per_message_deflate": settings.ws_compression,
        # uvicorn's own bound on headers, for its h11 protocol (ours bounds httptools').
        "h11_max_incomplete_event_size": settings.max_header_bytes,
        # uvicorn's 5 s would close idle connections that clients still count on (api/settings.py).
        "timeout_keep_alive": settings.http_keep_alive_seconds,
    }


async def migrate(database_url: str) -> None:
    """Applies the ORM's migrations (creates the SQLite file when missing)."""
    await Database(database_url).migrate()


async def _with_db(database_url: str, work):
    database = Database(database_url)
    await database.open()
    try:
        return await work()
    finally:
        await database.close()


async def load_demo_if_empty(database_url: str) -> bool:
    from contacts import demo

    async def work() -> bool:
        if await demo.has_data():
            return False
        await demo.load_demo()
        return True

    return await _with_db(database_url, work)


async def purge_personal_data(settings: Settings, *, dry_run: bool, batch_size: int) -> int:
    """Erases the contacts kept on orders past the retention period (contacts/retention.py).
    Standard output: one line per partner, its name and how many contacts were erased (or would
    be), never a person's data; standard error: what was done, in one line. Events go to the
    servers' subscribers through BROKER_URL."""
    from tortoise.timezone import now

    from contacts import retention
    from contacts.broker import make_bus

    started = time.perf_counter()
    before = retention.cutoff(now(), settings.personal_data_retention_days)
    bus = make_bus(settings.broker_url)
    batches: list[float] = []

    def on_batch(partner, batch) -> None:
        batches.append(batch.seconds)

    async def work():
        return await retention.purge(before, bus=bus, batch_size=batch_size, dry_run=dry_run, on_batch=on_batch)

    try:
        lines = await _with_db(settings.database_url, work)
    finally:
        await bus.stop()
    done = "to erase (dry run: nothing changed)" if dry_run else "erased"
    for line in lines:
        print(f"{line.name}: {line.assignments} contact(s) {done}")
    total = sum(line.assignments for line in lines)
    longest = f", the longest {max(batches) * 1000:.0f} ms" if batches else ""
    print(
        f"purge-personal-data: orders placed before {before.isoformat(timespec='seconds')} "
        f"(PERSONAL_DATA_RETENTION_DAYS={settings.personal_data_retention_days}): {total} contact(s) {done}, "
        f"{len(lines)} partner(s), {len(batches)} batch(es){longest}, {time.perf_counter() - started:.2f} s",
        file=sys.stderr,
    )
    return total


def prepare_metrics_dir(workers: int) -> str | None:
    """Several workers write their metrics to files that /metrics adds up (prometheus_client's
    multiprocess mode): the folder is PROMETHEUS_MULTIPROC_DIR, or a new temporary one; the
    files of an earlier run are removed. Set before the workers start, which read it."""
    folder = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if workers <= 1 and not folder:
        return None
    if not folder:
        folder = tempfile.mkdtemp(prefix="myopenip-metrics-")
        os.environ["PROMETHEUS_MULTIPROC_DIR"] = folder
    Path(folder).mkdir(parents=True, exist_ok=True)
    for stale in Path(folder).glob("*.db"):
        stale.unlink(missing_ok=True)
    return folder


def _positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError("must be 1 or more")
    return value


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m api", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    serve = commands.add_parser("serve", help="migrate the database, then serve HTTP and WebSocket")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument("--workers", type=int, default=1)
    serve.add_argument("--demo", action="store_true",
                       help="load the demo data when the database holds none; GraphiQL opens with the demo's token")
    commands.add_parser("migrate", help="apply the database migrations")
    commands.add_parser("demo", help="load the demo data when the database holds none")
    token = commands.add_parser("create-token", help="create a bearer token for a user and print it")
    token.add_argument("username")
    purge = commands.add_parser(
        "purge-personal-data",
        help="erase the contacts kept on orders placed more than PERSONAL_DATA_RETENTION_DAYS (default 1095) days ago",
    )
    purge.add_argument("--dry-run", action="store_true", help="count what would be erased, change nothing")
    purge.add_argument("--batch-size", type=_positive, default=100, metavar="N",
                       help="orders erased per transaction (default 100)")
    args = parser.parse_args(argv)
    settings = Settings.from_env()
    url = settings.database_url

    if args.command in ("serve", "migrate", "demo"):
        asyncio.run(migrate(url))
    if args.command == "demo" or (args.command == "serve" and args.demo):
        if asyncio.run(load_demo_if_empty(url)):
            print("Demo data loaded.", file=sys.stderr)
    if args.command == "serve" and args.demo:
        os.environ["DEMO"] = "1"  # for the app of each worker (api/settings.py): GraphiQL's demo token
    if args.command == "create-token":
        from contacts.auth import issue_token

        async def work() -> str:
            return await issue_token(args.username)

        try:
            print(asyncio.run(_with_db(url, work)))
        except Exception as error:  # unknown user
            sys.exit(f"create-token: {error}")
    if args.command == "purge-personal-data":
        if settings.personal_data_retention_days < 0:
            sys.exit("purge-personal-data: PERSONAL_DATA_RETENTION_DAYS must be 0 or more")
        asyncio.run(purge_personal_data(settings, dry_run=args.dry_run, batch_size=args.batch_size))
    if args.command == "serve":
        import uvicorn

        if args.workers > 1 and settings.broker_url.startswith("memory://"):
            print(
                f"Warning: {args.workers} workers with BROKER_URL=memory://: a subscriber hears only of the changes "
                "made in its own worker process. Set BROKER_URL=redis://... for live updates across workers.",
                file=sys.stderr,
            )

        made = not os.environ.get("PROMETHEUS_MULTIPROC_DIR")
        metrics_dir = prepare_metrics_dir(args.workers)
        try:
            uvicorn.run(
                "api.app:create_app",
                factory=True,
                host=args.host,
                port=args.port,
                workers=args.workers,
                proxy_headers=True,
                log_level=settings.log_level.lower(),
                **server_options(settings),
                # One JSON line per request comes from the app (api/observability.py).
                access_log=False,
                # On SIGTERM, requests in flight get this long to finish (api/shutdown.py).
                timeout_graceful_shutdown=settings.graceful_shutdown_seconds,
            )
        finally:
            if made and metrics_dir:
                shutil.rmtree(metrics_dir, ignore_errors=True)
