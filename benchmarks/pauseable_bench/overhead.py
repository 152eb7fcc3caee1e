"""What pauseable adds to a control call, in a process of its own (one per backend).

``python -m pauseable_bench.overhead '{"bootstrap": ..., "backend": ..., "topic": T, "calls": N,
"repeats": R, "count_windows": M, "broker_pids": [...]}'`` prints one JSON object.

On one warm consumer, caught up on a one-partition topic with a committed offset: each of pause,
resume (no strategy), seek_to_end and committed is called ``calls`` times in a row through the
controller and through the native client (:mod:`pauseable_bench.native`), ``repeats`` times,
alternating which side goes first. pause and resume alternate, so each call changes the state.
seek_to_end and committed are timed with the partition paused (natively), as the skip strategies
call them at resume: a consumer that is fetching keeps a long-poll Fetch in flight (up to
``fetch.wait.max.ms``) on the leader's connection, and the broker answers one request per
connection at a time, so an offset lookup may wait for it. ``seek-to-end-fetching`` measures that
case, with :data:`FETCHING_CALLS` calls per repeat. Then broker requests are counted per call:
``count_windows`` single calls per operation and side, each between two request counts (the median
window is the figure).
"""

from __future__ import annotations

import inspect
import json
import statistics
import sys
import time
from collections.abc import Callable
from typing import Any

from pauseable.registry import get_backend
from pauseable.types import TopicPartition
from pauseable_bench import native
from pauseable_bench.cpu import client_cpu_s, processes_cpu_s
from pauseable_testing.cluster import KafkaCluster, unique_name
from pauseable_testing.harness import BackendHarness, count

OPERATIONS = ("pause", "resume", "seek-to-end", "committed", "seek-to-end-fetching")
#: calls per repeat of seek-to-end on a fetching partition (each may wait out a long-poll fetch)
FETCHING_CALLS = 3
#: sides of a comparison; "native-eager" is seek-to-end done as pauseable does it (end offset, then seek)
SIDES = ("pauseable", "native", "native-eager")

Call = Callable[[], Any]


def sample(config: dict[str, Any]) -> dict[str, Any]:
    """Time and count every operation on both sides; return the raw figures."""
    backend = config["backend"]
    tp = TopicPartition(config["topic"], 0)
    counter = native.RequestCounter(backend)
    harness = BackendHarness(get_backend(backend), KafkaCluster(config["bootstrap"]))
    if backend.startswith("confluent-kafka"):
        _side_statistics(counter)
    try:
        view = harness.controller(unique_name("overhead"), native=counter.config())
        view.assign([tp])
        harness.produce(config["topic"], 10)
        harness.consume(view, lambda d: count(d) >= 10)
        view.commit()  # so committed() answers an offset, not "nothing committed"
        ctl = view.target
        counter.install(ctl.consumer)
        ours: dict[str, Call] = {
            "pause": lambda: ctl.pause([tp]),
            "resume": lambda: ctl.resume([tp]),
            "seek-to-end": lambda: ctl.seek_to_end([tp]),
            "committed": lambda: ctl.committed([tp]),
        }
        theirs = native.calls(backend, ctl.consumer, tp.topic, tp.partition)
        sides: dict[str, dict[str, Call]] = {
            "pauseable": ours,
            "native": {
                "pause": theirs.pause,
                "resume": theirs.resume,
                "seek-to-end": theirs.seek_to_end,
                "committed": theirs.committed,
            },
            "native-eager": {"seek-to-end": theirs.seek_to_end_eager},
        }
        cpu0, broker0 = client_cpu_s(), processes_cpu_s(config["broker_pids"])
        timings = _timings(harness, sides, config["calls"], config["repeats"])
        cpu, broker1 = client_cpu_s() - cpu0, processes_cpu_s(config["broker_pids"])
        if backend.startswith("confluent-kafka") and ctl._lookups is not ctl._adapter:
            counter.watch(ctl._lookups._consumer)  # the side client the lookups built
        round_trips = _round_trips(harness, counter, sides, config["count_windows"])
        return {
            "backend": backend,
            "calls": config["calls"],
            "repeats": config["repeats"],
            "timings": timings,
            "round_trips": round_trips,
            "cpu_s": cpu,
            "broker_cpu_s": None if broker0 is None or broker1 is None else broker1 - broker0,
        }
    finally:
        harness.close()


def _side_statistics(counter: native.RequestCounter) -> None:
    """librdkafka's side client for offset lookups is built without statistics (nothing polls it, so they
    would queue up): in this process only, build it with the counter's, so its requests are counted too."""
    import pauseable_confluent_kafka as adapter

    plain = adapter.side_config
    adapter.side_config = lambda config: {**plain(config), **counter.config()}


def _timings(harness: BackendHarness, sides: dict[str, dict[str, Call]], calls: int, repeats: int) -> list[Any]:
    rows: list[dict[str, Any]] = []
    _measure(harness, sides, max(1, calls // 10), 0, [])  # warm-up: code paths, connections, caches
    for repeat in range(repeats):
        _measure(harness, sides, calls, repeat, rows)
    return rows


def _measure(
    harness: BackendHarness, sides: dict[str, dict[str, Call]], calls: int, repeat: int, rows: list[dict[str, Any]]
) -> None:
    order = list(SIDES) if repeat % 2 == 0 else list(reversed(SIDES))
    for side in order:
        ops = sides[side]
        if "pause" in ops:
            paused_s, resumed_s = _pairs(harness, ops["pause"], ops["resume"], calls)
            rows.append(_row("pause", side, repeat, paused_s / calls))
            rows.append(_row("resume", side, repeat, resumed_s / calls))
        _once(harness, sides["native"]["pause"])  # no fetch in flight: the state skip strategies look up in
        for operation in ("seek-to-end", "committed"):
            if operation in ops:
                rows.append(_row(operation, side, repeat, _repeated(harness, ops[operation], calls) / calls))
        _once(harness, sides["native"]["resume"])
        if "seek-to-end" in ops:
            seconds = _repeated(harness, ops["seek-to-end"], FETCHING_CALLS, warm=False) / FETCHING_CALLS
            rows.append(_row("seek-to-end-fetching", side, repeat, seconds))


def _once(harness: BackendHarness, call: Call) -> Any:
    """One call, inside the harness's event loop for an asyncio client (aiokafka's plain methods need it)."""
    return call() if harness.loop is None else harness.run(_once_async(call))


async def _once_async(call: Call) -> Any:
    result = call()
    return await result if inspect.isawaitable(result) else result


def _row(operation: str, side: str, repeat: int, seconds: float) -> dict[str, Any]:
    return {"operation": operation, "side": side, "repeat": repeat, "us_per_call": seconds * 1e6}


def _repeated(harness: BackendHarness, call: Call, calls: int, *, warm: bool = True) -> float:
    """Seconds for ``calls`` calls in a row (after one untimed call with ``warm``); awaited only when the
    call is a coroutine, as a user would."""
    if harness.loop is None:
        if warm:
            call()
        began = time.perf_counter()
        for _ in range(calls):
            call()
        return time.perf_counter() - began
    seconds: float = harness.run(_repeated_async(call, calls, warm))
    return seconds


async def _repeated_async(call: Call, calls: int, warm: bool) -> float:
    # The first call tells whether the client's method is a coroutine (aiokafka's pause is a plain method).
    began = time.perf_counter()
    first = call()
    awaited = inspect.isawaitable(first)
    if awaited:
        await first
    if warm:
        began = time.perf_counter()
    else:
        calls -= 1  # the first call was one of them
    if awaited:
        for _ in range(calls):
            await call()
    else:
        for _ in range(calls):
            call()
    return time.perf_counter() - began


def _pairs(harness: BackendHarness, pause: Call, resume: Call, calls: int) -> tuple[float, float]:
    """Seconds spent in ``calls`` pauses and in as many resumes, alternating (each call changes the state)."""
    clock = time.perf_counter
    if harness.loop is None:
        pause(), resume()
        paused = resumed = 0.0
        for _ in range(calls):
            t0 = clock()
            pause()
            t1 = clock()
            resume()
            t2 = clock()
            paused += t1 - t0
            resumed += t2 - t1
        return paused, resumed
    result: tuple[float, float] = harness.run(_pairs_async(pause, resume, calls))
    return result


async def _pairs_async(pause: Call, resume: Call, calls: int) -> tuple[float, float]:
    clock = time.perf_counter
    awaited = inspect.isawaitable(first := pause())
    if awaited:
        await first
        await resume()
    else:
        resume()
    paused = resumed = 0.0
    for _ in range(calls):
        t0 = clock()
        if awaited:
            await pause()
            t1 = clock()
            await resume()
        else:
            pause()
            t1 = clock()
            resume()
        t2 = clock()
        paused += t1 - t0
        resumed += t2 - t1
    return paused, resumed


def _round_trips(
    harness: BackendHarness, counter: native.RequestCounter, sides: dict[str, dict[str, Call]], windows: int
) -> list[dict[str, Any]]:
    rows = []
    for side in SIDES:
        for operation, call in sides[side].items():
            per_window: list[int] = []
            requests: dict[str, int] = {}
            for _ in range(windows):
                if operation == "resume":
                    _once(harness, sides[side]["pause"])  # resume something paused, outside the window
                before = harness.run(counter.counts())
                _once(harness, call)
                sent = native.difference(harness.run(counter.counts()), before)
                per_window.append(sum(sent.values()))
                for name, n in sent.items():
                    requests[name] = requests.get(name, 0) + n
                if operation == "pause":
                    _once(harness, sides[side]["resume"])
            rows.append(
                {
                    "operation": operation,
                    "side": side,
                    "windows": windows,
                    "per_call": int(statistics.median_low(per_window)),
                    "max_per_call": max(per_window),
                    "requests": requests,
                }
            )
    return rows


def main() -> int:
    print(json.dumps(sample(json.loads(sys.argv[1]))))
    return 0


if __name__ == "__main__":
    sys.exit(main())
