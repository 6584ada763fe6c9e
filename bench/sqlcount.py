"""The service's application with every SQL statement it sends counted, for the benchmark.

    python -m bench.sqlcount --port 8002        (DATABASE_URL as for `python -m api serve`)

Serves `api.app.create_app()` unchanged under uvicorn, with the database drivers' methods
wrapped so that each statement they send (asyncpg: execute, executemany, fetch, fetchrow,
fetchval, fetchmany, transaction BEGIN/COMMIT included; aiosqlite: execute, executemany,
execute_fetchall, execute_insert, executescript, commit, rollback) adds one to a counter.
asyncpg's reset of a connection handed back to its pool is counted apart, as `resets`.
`GET /__bench/sql` answers the counters and the statements' text since the previous call,
then sets them to zero.
Only for counting: the timed runs use `python -m api serve` itself.
"""

from __future__ import annotations

import argparse
import functools
import json

COUNTS = {"statements": 0, "resets": 0}
STATEMENTS: list[str] = []  # the text of each statement counted, until the next read


def _counted(method):
    @functools.wraps(method)
    async def wrapper(self, *args, **kwargs):
        query = args[0] if args else method.__name__
        if isinstance(query, str) and query == getattr(self, "_reset_query", None):
            COUNTS["resets"] += 1  # asyncpg's reset of a connection handed back to its pool
        else:
            COUNTS["statements"] += 1
            STATEMENTS.append(str(query))
        return await method(self, *args, **kwargs)

    return wrapper


def install() -> None:
    import aiosqlite
    import asyncpg.connection

    for name in ("execute", "executemany", "fetch", "fetchrow", "fetchval", "fetchmany"):
        setattr(asyncpg.connection.Connection, name, _counted(getattr(asyncpg.connection.Connection, name)))
    for name in ("execute", "executemany", "execute_fetchall", "execute_insert", "executescript", "commit", "rollback"):
        setattr(aiosqlite.Connection, name, _counted(getattr(aiosqlite.Connection, name)))


def wrap(app):
    async def counting_app(scope, receive, send):
        if scope["type"] == "http" and scope["path"] == "/__bench/sql":
            body = json.dumps({**COUNTS, "sql": STATEMENTS}).encode()
            COUNTS.update(statements=0, resets=0)
            STATEMENTS.clear()
            await send({"type": "http.response.start", "status": 200,
                        "headers": [(b"content-type", b"application/json")]})
            await send({"type": "http.response.body", "body": body})
            return
        await app(scope, receive, send)

    return counting_app


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.sqlcount")
    parser.add_argument("--port", type=int, default=8002)
    args = parser.parse_args()
    install()
    import uvicorn

    from api.app import create_app

    uvicorn.run(wrap(create_app()), host="127.0.0.1", port=args.port, workers=1, log_level="warning")


if __name__ == "__main__":
    main()
