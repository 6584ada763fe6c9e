"""/healthz (alive, and this process's live updates) and /readyz (the database and the event
broker answer): what a load balancer and an operator ask of each process."""

from __future__ import annotations

import asyncio
import os
import time

from starlette.requests import Request
from starlette.responses import JSONResponse

from contacts import db

READY_TIMEOUT = 1.0  # seconds each dependency gets to answer /readyz


async def healthz(request: Request) -> JSONResponse:
    """Liveness, and the live updates of the process that answers (each process of
    `--workers N` has its own): open WebSocket connections, the operations running over them
    (subscriptions), the event bus's subscriber queues, all asyncio tasks (to see that
    nothing is left behind) and the broker link."""
    state = request.app.state
    return JSONResponse(
        {
            "status": "ok",
            "pid": os.getpid(),  # the process that answers, as in the JSON log lines
            "websockets": state.connections.websockets,
            "subscriptions": state.connections.operations,
            "eventQueues": state.bus.subscriber_count(),
            "tasks": len(asyncio.all_tasks()),
            "broker": state.bus.status(),
        }
    )


async def _check(name: str, probe) -> tuple[str, dict]:
    started = time.perf_counter()
    try:
        async with asyncio.timeout(READY_TIMEOUT):
            await probe()
    except Exception as error:  # noqa: BLE001 - any failure makes the dependency down
        reason = str(error) or type(error).__name__
        if isinstance(error, TimeoutError):
            reason = f"no answer within {READY_TIMEOUT:g}s"
        return name, {"ok": False, "error": reason}
    return name, {"ok": True, "ms": round((time.perf_counter() - started) * 1000, 2)}


async def _database() -> None:
    await db.run("SELECT 1")


async def readyz(request: Request) -> JSONResponse:
    """Readiness: 200 when the database and the event broker answer, else 503 naming what is
    down. A load balancer sends traffic only to a ready process; /healthz says it is alive."""
    bus = request.app.state.bus
    checks = dict(await asyncio.gather(_check("database", _database), _check("broker", bus.check)))
    checks["broker"]["kind"] = bus.status()["kind"]
    ready = all(check["ok"] for check in checks.values())
    return JSONResponse(
        {"status": "ready" if ready else "unavailable", "checks": checks},
        status_code=200 if ready else 503,
        headers={"Cache-Control": "no-store"},
    )
