"""The benchmark's loads taken in turns (bench/__main__.py `in_turns`, bench/load.py `merged`):
the floor and the service alternate floor, service, service, floor, twice, and each side's turns
add up to the figures BENCHMARKS.md divides."""

from __future__ import annotations

from bench.__main__ import in_turns
from bench.load import LoadResult, merged, turn_seconds


def result(requests: int, seconds: float, p99: float, *, mix: bool = False, server: float = 1.0) -> LoadResult:
    parts = {"read": {"requests": requests * 4 // 5, "rps": 0.0, "p50_ms": p99 / 4, "p90_ms": p99 / 2,
                      "p99_ms": p99, "max_ms": p99 * 2},
             "change": {"requests": requests // 5, "rps": 0.0, "p50_ms": p99 / 2, "p90_ms": p99,
                        "p99_ms": p99 * 2, "max_ms": p99 * 3}} if mix else {}
    return LoadResult(client="python", connections=20, seconds=seconds, requests=requests, rps=requests / seconds,
                      p50_ms=p99 / 4, p90_ms=p99 / 2, p99_ms=p99, max_ms=p99 * 2, errors={"read_errors": 1},
                      cpu={"server": server}, accepted=requests, drafts={"1": [[requests, []]]}, parts=parts)


def test_the_floor_and_the_service_alternate_and_each_side_adds_up_its_turns():
    order: list[str] = []
    figures = {"floor": iter([result(1000, 5, 10), result(1000, 5, 10), result(1000, 5, 10), result(1000, 5, 10)]),
               "service": iter([result(200, 5, 40), result(200, 5, 40), result(200, 5, 40), result(400, 5, 120)])}

    def load(side):
        def run() -> LoadResult:
            order.append(side)
            return next(figures[side])
        return run

    floor, service = in_turns(load("floor"), load("service"))
    assert order == ["floor", "service", "service", "floor"] * 2
    assert (floor.requests, floor.seconds, floor.rps) == (4000, 20, 200.0)
    assert (service.requests, service.seconds, service.rps) == (1000, 20, 50.0)
    assert service.p99_ms == (200 * 40 * 3 + 400 * 120) / 1000  # weighted by requests
    assert service.max_ms == 240  # the worst turn's
    assert floor.errors == {"read_errors": 4} and floor.accepted == 4000
    assert service.drafts == {"1": [[400, []]]}  # the state the last turn left


def test_each_turn_is_whole_seconds_of_the_load():
    assert turn_seconds(10) == 2.0 and turn_seconds(10, 2) == 5.0  # wrk counts whole seconds
    assert turn_seconds(2) == 1.0 and turn_seconds(1) == 1.0  # at least one


def test_a_mix_adds_up_its_reads_and_changes_apart():
    both = merged([result(1000, 5, 10, mix=True, server=0.5), result(500, 5, 40, mix=True, server=1.0)])
    read, change = both.parts["read"], both.parts["change"]
    assert (read["requests"], change["requests"]) == (1200, 300)
    assert (read["rps"], change["rps"]) == (120.0, 30.0)
    assert read["p99_ms"] == (800 * 10 + 400 * 40) / 1200
    assert change["max_ms"] == 120
    assert both.cpu == {"server": 0.75}  # weighted by time
