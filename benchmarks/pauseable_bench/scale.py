"""Control calls at scale: pause, resume(SeekToEnd), committed and seek_to_end of many partitions.

``python -m pauseable_bench.scale '{"bootstrap": ..., "backend": ..., "topic": T, "partitions": N,
"repeats": R, "count_windows": M, "settle_s": S}'`` prints one JSON object.

One topic per size (10, 100 and 1,000 partitions; :func:`prepare` fills every partition with
:data:`RECORDS_PER_PARTITION` records, so end offsets are not zero). One process per backend and size:
a consumer assigned every partition of the topic, caught up, with its positions committed. Then,
``repeats`` times per side (alternating which side goes first), after one untimed cycle, each call
of every partition at once:

- ``pause`` of partitions that are fetching;
- ``committed`` and ``seek-to-end`` of paused partitions (as the skip strategies call them at resume);
- ``resume-seek-to-end``: ``resume(partitions, SeekToEnd())`` of paused partitions.

Native, on the same consumer: the client's own pause and committed (kafka-python and aiokafka take
one partition per ``committed`` call, so it is called once per partition), the client's own
seek-to-end (lazy on confluent-kafka and kafka-python), and by hand what pauseable does eagerly:
the client's end-offset lookup of all the partitions in one call (one ListOffsets per leader:
``offsets_for_times`` at ``OFFSET_END`` on confluent-kafka, ``end_offsets`` elsewhere), then a
seek each (``native-eager`` for seek-to-end; then one resume of them all for resume-seek-to-end).

Before each timed call the consumer rests ``settle_s`` after a pause or resume, longer than the
clients' long-poll fetch wait (500 ms by default), so no lookup waits behind a Fetch still in flight
(that case has a benchmark of its own). Timing and request counting use two consumers, one after the
other: librdkafka's statistics (how requests are counted on confluent-kafka) describe every assigned
partition, a large document at 1,000 partitions, which would load the timed one. Requests are
counted by API name as in :mod:`pauseable_bench.overhead` (Fetch left out), over ``count_windows``
single calls per operation and side.
"""

from __future__ import annotations

import asyncio
import inspect
import json
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from rich.progress import Progress
from rich.table import Table

from pauseable.registry import get_backend
from pauseable.strategies import SeekToEnd
from pauseable.types import TopicPartition
from pauseable_bench import anchor, native
from pauseable_bench.samples import Run, runners, take
from pauseable_testing.broker import create_topic
from pauseable_testing.cluster import KafkaCluster, unique_name
from pauseable_testing.harness import BackendHarness, count

OPERATIONS = ("pause", "resume-seek-to-end", "committed", "seek-to-end")
#: "native-eager" is seek-to-end done by hand as pauseable does it (end offsets, then a seek each)
SIDES = ("pauseable", "native", "native-eager")
RECORDS_PER_PARTITION = 3
#: the issue's target: a 1,000-partition resume(SeekToEnd) within this many times the same client by hand
RESUME_TARGET_RATIO = 2.0
RESUME_TARGET_PARTITIONS = 1_000
#: librdkafka statistics interval for the counting consumer (its counts wait for the next statistics)
_STATS_INTERVAL_MS = 200

Call = Callable[[], Any]


# -- the sample (one process per backend and size) ---------------------------------------------------


def sample(config: dict[str, Any]) -> dict[str, Any]:
    """Time and count every operation on both sides; return the raw figures."""
    backend, n = config["backend"], config["partitions"]
    tps = [TopicPartition(config["topic"], p) for p in range(n)]
    harness = BackendHarness(get_backend(backend), KafkaCluster(config["bootstrap"]), timeout=120)
    try:
        timed = _warm(harness, tps, {})
        timings = _timings(harness, timed, tps, config["repeats"], config["settle_s"])
        timed.close()
        counter = native.RequestCounter(backend)
        counted = _warm(harness, tps, {**counter.config(), **_stats_interval(backend)})
        counter.install(counted.target.consumer)
        round_trips = _round_trips(harness, counted, tps, counter, config["count_windows"], config["settle_s"])
        return {"backend": backend, "partitions": n, "repeats": config["repeats"], "timings": timings,
                "round_trips": round_trips}  # fmt: skip
    finally:
        harness.close()


def _stats_interval(backend: str) -> dict[str, Any]:
    return {"statistics.interval.ms": _STATS_INTERVAL_MS} if backend.startswith("confluent-kafka") else {}


def _warm(harness: BackendHarness, tps: list[TopicPartition], native_config: dict[str, Any]) -> Any:
    """A controller assigned ``tps``, caught up on all of them, its positions committed."""
    view = harness.controller(unique_name("scale"), native=native_config)
    view.assign(tps)
    harness.consume(view, lambda d: count(d) >= len(tps) * RECORDS_PER_PARTITION, what="every partition's records")
    view.commit()  # so committed() answers offsets, not "nothing committed"
    return view


def _sides(harness: BackendHarness, view: Any, tps: list[TopicPartition]) -> dict[str, dict[str, Call]]:
    ctl = view.target
    theirs = native_calls(harness.name, ctl.consumer, tps[0].topic, len(tps))
    return {
        "pauseable": {
            "pause": lambda: ctl.pause(tps),
            "committed": lambda: ctl.committed(tps),
            "seek-to-end": lambda: ctl.seek_to_end(tps),
            "resume-seek-to-end": lambda: ctl.resume(tps, SeekToEnd()),
        },
        "native": theirs,
    }


def _cycle(harness: BackendHarness, side: str, ops: dict[str, Call], measure: Callable[[str, str, Call], None],
           settle_s: float) -> None:  # fmt: skip
    """One of each operation on one side, from a fetching consumer back to a fetching consumer."""
    measure("pause", side, ops["pause"])
    _settle(harness, settle_s)  # the Fetch in flight at the pause has returned
    measure("committed", side, ops["committed"])
    measure("seek-to-end", side, ops["seek-to-end"])
    if "seek-to-end-eager" in ops:
        _settle(harness, settle_s)  # a lazy seek-to-end looks the end up in the background
        measure("seek-to-end", "native-eager", ops["seek-to-end-eager"])
    measure("resume-seek-to-end", side, ops["resume-seek-to-end"])
    _settle(harness, settle_s)  # fetching again


def _timings(
    harness: BackendHarness, view: Any, tps: list[TopicPartition], repeats: int, settle_s: float
) -> list[dict[str, Any]]:
    sides = _sides(harness, view, tps)
    rows: list[dict[str, Any]] = []
    for repeat in range(-1, repeats):  # -1: the untimed cycle (code paths, connections, the coordinator)

        def measure(operation: str, side: str, call: Call, repeat: int = repeat) -> None:
            seconds = _timed(harness, call)
            if repeat >= 0:
                rows.append({"operation": operation, "side": side, "repeat": repeat, "ms": seconds * 1000})

        for side in ("pauseable", "native") if repeat % 2 == 0 else ("native", "pauseable"):
            _cycle(harness, side, sides[side], measure, settle_s)
    return rows


def _timed(harness: BackendHarness, call: Call) -> float:
    """Seconds from the call to its result (awaited on the harness's loop when it is a coroutine)."""
    if harness.loop is None:
        began = time.perf_counter()
        call()
        return time.perf_counter() - began
    seconds: float = harness.run(_timed_async(call))
    return seconds


async def _timed_async(call: Call) -> float:
    began = time.perf_counter()
    result = call()
    if inspect.isawaitable(result):
        await result
    return time.perf_counter() - began


def _settle(harness: BackendHarness, seconds: float) -> None:
    if harness.loop is None:
        time.sleep(seconds)
    else:  # an asyncio client's background tasks (fetcher, connections) run meanwhile
        harness.run(asyncio.sleep(seconds))


def _round_trips(
    harness: BackendHarness,
    view: Any,
    tps: list[TopicPartition],
    counter: native.RequestCounter,
    windows: int,
    settle_s: float,
) -> list[dict[str, Any]]:
    sides = _sides(harness, view, tps)
    sent: dict[tuple[str, str], list[dict[str, int]]] = {}

    def measure(operation: str, side: str, call: Call) -> None:
        before = harness.run(counter.counts())
        _once(harness, call)
        sent.setdefault((operation, side), []).append(native.difference(harness.run(counter.counts()), before))

    for _ in range(windows):
        for side in ("pauseable", "native"):
            _cycle(harness, side, sides[side], measure, settle_s)
    rows = []
    for (operation, side), found in sent.items():
        names = sorted({name for window in found for name in window})
        rows.append(
            {
                "operation": operation,
                "side": side,
                "windows": len(found),
                "per_call": int(statistics.median_low(sum(w.values()) for w in found)),
                "max_per_call": max(sum(w.values()) for w in found),
                "by_kind": {name: int(statistics.median_low(w.get(name, 0) for w in found)) for name in names},
                "requests": {name: sum(w.get(name, 0) for w in found) for name in names},
            }
        )
    return rows


def _once(harness: BackendHarness, call: Call) -> None:
    """One call, inside the harness's event loop for an asyncio client (aiokafka's plain methods need it)."""
    if harness.loop is None:
        call()
    else:
        harness.run(_timed_async(call))


# -- what a user of each client writes for many partitions ------------------------------------------


def native_calls(backend: str, consumer: Any, topic: str, partitions: int) -> dict[str, Call]:
    """The native calls of ``backend`` for partitions ``0 .. partitions-1`` of ``topic``: ``pause``,
    ``committed``, ``seek-to-end`` (the client's own), ``seek-to-end-eager`` and ``resume-seek-to-end``
    (by hand: the end offsets of all of them in one lookup, a seek each, then one resume)."""
    if backend == "confluent-kafka":
        return _confluent(consumer, topic, partitions)
    if backend == "confluent-kafka-aio":
        return _confluent_aio(consumer, topic, partitions)
    if backend == "kafka-python":
        return _kafka_python(consumer, topic, partitions)
    if backend == "aiokafka":
        return _aiokafka(consumer, topic, partitions)
    raise ValueError(f"no native calls for backend {backend!r}")


def _confluent(consumer: Any, topic: str, partitions: int) -> dict[str, Call]:
    from confluent_kafka import OFFSET_END
    from confluent_kafka import TopicPartition as TP

    tps = [TP(topic, p) for p in range(partitions)]
    to_end = [TP(topic, p, OFFSET_END) for p in range(partitions)]

    def eager() -> None:
        # the broker resolves OFFSET_END: one ListOffsets per leader (get_watermark_offsets asks per partition)
        for tp in consumer.offsets_for_times(to_end, timeout=30):
            consumer.seek(tp)

    def resume_to_end() -> None:
        eager()
        consumer.resume(tps)

    def lazy_to_end() -> None:
        for tp in to_end:
            consumer.seek(tp)

    return {
        "pause": lambda: consumer.pause(tps),
        "committed": lambda: consumer.committed(tps, timeout=30),
        "seek-to-end": lazy_to_end,
        "seek-to-end-eager": eager,
        "resume-seek-to-end": resume_to_end,
    }


def _confluent_aio(consumer: Any, topic: str, partitions: int) -> dict[str, Call]:
    from confluent_kafka import OFFSET_END
    from confluent_kafka import TopicPartition as TP

    tps = [TP(topic, p) for p in range(partitions)]
    to_end = [TP(topic, p, OFFSET_END) for p in range(partitions)]

    async def eager() -> None:
        for tp in await consumer.offsets_for_times(to_end, timeout=30):
            await consumer.seek(tp)

    async def resume_to_end() -> None:
        await eager()
        await consumer.resume(tps)

    async def lazy_to_end() -> None:
        for tp in to_end:
            await consumer.seek(tp)

    return {
        "pause": lambda: consumer.pause(tps),
        "committed": lambda: consumer.committed(tps, timeout=30),
        "seek-to-end": lazy_to_end,
        "seek-to-end-eager": eager,
        "resume-seek-to-end": resume_to_end,
    }


def _kafka_python(consumer: Any, topic: str, partitions: int) -> dict[str, Call]:
    from kafka import TopicPartition as TP

    tps = [TP(topic, p) for p in range(partitions)]

    def eager() -> None:
        for tp, offset in consumer.end_offsets(tps).items():
            consumer.seek(tp, offset)

    def resume_to_end() -> None:
        eager()
        consumer.resume(*tps)

    return {
        "pause": lambda: consumer.pause(*tps),
        "committed": lambda: {tp: consumer.committed(tp) for tp in tps},  # one partition per call
        "seek-to-end": lambda: consumer.seek_to_end(*tps),
        "seek-to-end-eager": eager,
        "resume-seek-to-end": resume_to_end,
    }


def _aiokafka(consumer: Any, topic: str, partitions: int) -> dict[str, Call]:
    from aiokafka import TopicPartition as TP

    tps = [TP(topic, p) for p in range(partitions)]

    async def committed() -> dict[Any, Any]:
        return {tp: await consumer.committed(tp) for tp in tps}  # one partition per call

    async def eager() -> None:
        for tp, offset in (await consumer.end_offsets(tps)).items():
            consumer.seek(tp, offset)

    async def resume_to_end() -> None:
        await eager()
        consumer.resume(*tps)

    return {
        "pause": lambda: consumer.pause(*tps),  # plain methods in aiokafka: a user does not await them
        "committed": committed,
        "seek-to-end": lambda: consumer.seek_to_end(*tps),
        "seek-to-end-eager": eager,
        "resume-seek-to-end": resume_to_end,
    }


# -- the section of the run -----------------------------------------------------------------------------


def prepare(bootstrap: str, sizes: list[int]) -> dict[int, str]:
    """One topic per size, :data:`RECORDS_PER_PARTITION` records in every partition; name by size."""
    topics = {}
    for n in sizes:
        topic = unique_name(f"scale-{n}")
        create_topic(bootstrap, topic, partitions=n)
        _produce_everywhere(bootstrap, topic, n)
        topics[n] = topic
    return topics


def _produce_everywhere(bootstrap: str, topic: str, partitions: int) -> None:
    try:
        import confluent_kafka
    except ImportError:
        import kafka

        producer = kafka.KafkaProducer(bootstrap_servers=bootstrap, linger_ms=5)
        for p in range(partitions):
            for i in range(RECORDS_PER_PARTITION):
                producer.send(topic, value=f"r{i}".encode(), partition=p)
        producer.flush(120)
        producer.close()
        return
    bulk = confluent_kafka.Producer({"bootstrap.servers": bootstrap, "linger.ms": 20})
    for p in range(partitions):
        for i in range(RECORDS_PER_PARTITION):
            bulk.produce(topic, value=f"r{i}".encode(), partition=p)
        bulk.poll(0)
    if bulk.flush(120):
        raise AssertionError(f"producing to every partition of {topic} did not finish in 120 s")


def run(
    backends: list[str], sizes: list[int], repeats: int, windows: int, settle_s: float, bootstrap: str,
    franz: Path | None, progress: Progress,
) -> list[dict[str, Any]]:  # fmt: skip
    """One sample per backend and size, each in its own process; franz-go's beside."""
    topics = prepare(bootstrap, sizes)
    runs = [
        Run(backend, f"control calls of {n:,} partitions", {
            "bootstrap": bootstrap, "backend": backend, "topic": topics[n], "partitions": n,
            "repeats": repeats, "count_windows": windows, "settle_s": settle_s,
        })
        for n in sizes
        for backend in runners(backends, franz)
    ]  # fmt: skip
    return take(progress, "control calls at scale", "pauseable_bench.scale", runs, franz, anchor.scale)


# -- summary, tables ------------------------------------------------------------------------------------


def section(samples: list[dict[str, Any]]) -> dict[str, Any]:
    """The ``scale`` section of ``bench.json``: the raw samples, the summary and the growth with partitions."""
    rows = summary(samples)
    return {"samples": samples, "summary": rows, "growth": growth(rows)}


def summary(samples: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Per backend, size and operation: median and p95 ms of each side, ratios, µs per partition, requests;
    franz-go's figures beside every row."""
    franz = {s["partitions"]: _by_side(s) for s in samples if s["backend"] == "franz-go"}
    franz_trips = {s["partitions"]: _trips(s) for s in samples if s["backend"] == "franz-go"}
    rows = []
    ordered = sorted((s for s in samples if s["backend"] != "franz-go"), key=lambda s: (s["backend"], s["partitions"]))
    for sample in ordered:
        n, times, trips = sample["partitions"], _by_side(sample), _trips(sample)
        anchor_times = franz.get(n, {})
        anchor_trips = franz_trips.get(n, {})
        for operation in OPERATIONS:
            ours = times.get((operation, "pauseable"), [])
            theirs = times.get((operation, "native"), [])
            eager = times.get((operation, "native-eager"), [])
            anchor = anchor_times.get((operation, "native"), [])
            p50, native_p50, eager_p50 = _p50(ours), _p50(theirs), _p50(eager)
            counted = {side: trips.get((operation, side)) for side in SIDES}
            counted["franz-go"] = anchor_trips.get((operation, "native"))
            target = operation == "resume-seek-to-end" and n == RESUME_TARGET_PARTITIONS
            ratio = _ratio(p50, native_p50)
            rows.append(
                {
                    "backend": sample["backend"],
                    "partitions": n,
                    "operation": operation,
                    "runs": len(ours),
                    "pauseable_p50_ms": p50,
                    "pauseable_p95_ms": _p95(ours),
                    "native_p50_ms": native_p50,
                    "native_p95_ms": _p95(theirs),
                    "ratio": ratio,
                    "native_eager_p50_ms": eager_p50,
                    "native_eager_p95_ms": _p95(eager),
                    "ratio_vs_eager": _ratio(p50, eager_p50),
                    "franz_go_p50_ms": _p50(anchor),
                    "franz_go_p95_ms": _p95(anchor),
                    "pauseable_us_per_partition": None if p50 is None else p50 * 1000 / n,
                    "native_us_per_partition": None if native_p50 is None else native_p50 * 1000 / n,
                    "round_trips": {side: None if r is None else r["per_call"] for side, r in counted.items()},
                    "requests": {side: r["by_kind"] for side, r in counted.items() if r is not None},
                    "target_ratio": RESUME_TARGET_RATIO if target else None,
                    "meets_target": None if not target or ratio is None else ratio <= RESUME_TARGET_RATIO,
                }
            )
    return rows


def growth(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Per backend and operation: time per partition at the smallest and the largest size, and their
    quotient (1.0: the call grows linearly with the partitions; below: a fixed cost, e.g. a round trip,
    spread over more partitions; above: worse than linear)."""
    by: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for r in rows:
        by.setdefault((r["backend"], r["operation"]), []).append(r)
    out = []
    for (backend, operation), group in sorted(by.items()):
        group.sort(key=lambda r: r["partitions"])
        small, large = group[0], group[-1]
        if small is large:
            continue
        entry: dict[str, Any] = {"backend": backend, "operation": operation, "from_partitions": small["partitions"],
                                 "to_partitions": large["partitions"]}  # fmt: skip
        for side in ("pauseable", "native"):
            a, b = small[f"{side}_us_per_partition"], large[f"{side}_us_per_partition"]
            entry[f"{side}_us_per_partition_from"] = a
            entry[f"{side}_us_per_partition_to"] = b
            entry[f"{side}_growth"] = _ratio(b, a)
        out.append(entry)
    return out


def _by_side(sample: dict[str, Any]) -> dict[tuple[str, str], list[float]]:
    times: dict[tuple[str, str], list[float]] = {}
    for t in sample["timings"]:
        times.setdefault((t["operation"], t["side"]), []).append(t["ms"])
    return times


def _trips(sample: dict[str, Any]) -> dict[tuple[str, str], dict[str, Any]]:
    return {(r["operation"], r["side"]): r for r in sample["round_trips"]}


def _p50(values: list[float]) -> float | None:
    return statistics.median(values) if values else None


def _p95(values: list[float]) -> float | None:
    """The 95th percentile, nearest rank (the largest value for fewer than 20)."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(0.95 * (len(ordered) - 1))))]


def _ratio(a: float | None, b: float | None) -> float | None:
    return None if a is None or not b else a / b


def table(rows: list[dict[str, Any]]) -> Table:
    out = Table(
        title="control calls at scale: ms per call (median / p95), pauseable vs native by hand and franz-go; "
        "broker requests per call"
    )
    for column in ("backend", "partitions", "operation", "pauseable", "native", "ratio (vs eager)", "native eager",
                   "franz-go", "µs/partition p/n", "requests p/n/e/franz", "target"):  # fmt: skip
        out.add_column(column, justify="left" if column in ("backend", "operation") else "right", no_wrap=True)
    for r in rows:
        out.add_row(
            r["backend"], f"{r['partitions']:,}", r["operation"], _pair(r["pauseable_p50_ms"], r["pauseable_p95_ms"]),
            _pair(r["native_p50_ms"], r["native_p95_ms"]), _ratios(r),
            _pair(r["native_eager_p50_ms"], r["native_eager_p95_ms"]),
            _pair(r["franz_go_p50_ms"], r["franz_go_p95_ms"]),
            f"{_num(r['pauseable_us_per_partition'])} / {_num(r['native_us_per_partition'])}",
            _requests(r["round_trips"]), _met(r["meets_target"]),
        )  # fmt: skip
    return out


def markdown(section: dict[str, Any], config: dict[str, Any]) -> str:
    """The section of ``bench.md`` (empty when the run had none)."""
    rows = section.get("summary", [])
    if not rows:
        return ""
    lines = [
        "",
        f"Control calls at scale: one call of all {', '.join(f'{n:,}' for n in config['scale_partitions'])} assigned "
        f"partitions of one topic ({RECORDS_PER_PARTITION} records each), ms per call, median / p95 of "
        f"{config['scale_repeats']} runs per side, one warm consumer per backend and size, sides alternated; "
        "native: the client's own pause, committed and seek-to-end on the same consumer, and by hand "
        "(native eager) the client's end-offset lookup of all of them then a seek each (then one resume, for "
        "resume-seek-to-end); franz-go beside each (PauseFetchPartitions, ListOffsets + SetOffsets + "
        "ResumeFetchPartitions, FetchOffsets). committed and seek-to-end on paused partitions, every lookup after "
        f"the last Fetch returned. Broker requests per call (Fetch left out): pauseable / native / native eager / "
        f"franz-go. Target: a {RESUME_TARGET_PARTITIONS:,}-partition resume-seek-to-end within "
        f"{RESUME_TARGET_RATIO:g}x native by hand.",
        "",
        "| backend | partitions | operation | pauseable | native | ratio (vs eager) | native eager | franz-go "
        "| µs/partition pauseable / native | requests | target |",
        "|---|---:|---|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    for r in rows:
        lines.append(
            f"| {r['backend']} | {r['partitions']:,} | {r['operation']} | "
            f"{_pair(r['pauseable_p50_ms'], r['pauseable_p95_ms'])} | "
            f"{_pair(r['native_p50_ms'], r['native_p95_ms'])} | "
            f"{_ratios(r)} | {_pair(r['native_eager_p50_ms'], r['native_eager_p95_ms'])} | "
            f"{_pair(r['franz_go_p50_ms'], r['franz_go_p95_ms'])} | "
            f"{_num(r['pauseable_us_per_partition'])} / {_num(r['native_us_per_partition'])} | "
            f"{_requests(r['round_trips'])} | {_met(r['meets_target'])} |"
        )
    grown = section.get("growth", [])
    if grown:
        lines += [
            "",
            "Growth: µs per partition at the smallest and the largest size, and their quotient (1.0: linear in the "
            "partitions; below 1: a fixed cost such as a round trip spread over more partitions).",
            "",
            "| backend | operation | pauseable µs/partition | growth | native µs/partition | growth |",
            "|---|---|---:|---:|---:|---:|",
        ]
        for g in grown:
            lines.append(
                f"| {g['backend']} | {g['operation']} | "
                f"{_num(g['pauseable_us_per_partition_from'])} → {_num(g['pauseable_us_per_partition_to'])} | "
                f"{_x(g['pauseable_growth'])} | "
                f"{_num(g['native_us_per_partition_from'])} → {_num(g['native_us_per_partition_to'])} | "
                f"{_x(g['native_growth'])} |"
            )
    return "\n".join(lines) + "\n"


def _pair(p50: float | None, p95: float | None) -> str:
    return "-" if p50 is None else f"{_ms(p50)} / {_ms(p95)}"


def _ms(value: float | None) -> str:
    if value is None:
        return "-"
    return f"{value:,.0f} ms" if value >= 100 else f"{value:.1f} ms" if value >= 1 else f"{value:.2f} ms"


def _num(value: float | None) -> str:
    return "-" if value is None else f"{value:,.0f}" if value >= 100 else f"{value:.1f}"


def _x(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}x"


def _ratios(row: dict[str, Any]) -> str:
    """pauseable / native, and (seek-to-end) pauseable / native eager in brackets."""
    eager = row["ratio_vs_eager"]
    return _x(row["ratio"]) + ("" if eager is None else f" ({_x(eager)})")


def _met(meets: bool | None) -> str:
    return "-" if meets is None else "met" if meets else "missed"


def _requests(trips: dict[str, int | None]) -> str:
    return " / ".join("-" if v is None else str(v) for v in trips.values())


def main() -> int:
    print(json.dumps(sample(json.loads(sys.argv[1]))))
    return 0


if __name__ == "__main__":
    sys.exit(main())
