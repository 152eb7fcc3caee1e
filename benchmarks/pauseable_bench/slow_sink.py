"""A slow sink: the naive loop, a hand-written pause/resume per batch, and a flow with Backpressure (issue 12).

``python -m pauseable_bench.slow_sink '{"bootstrap": ..., "backend": ..., "loop": "naive"|"hand-written"|"flow",
"topic": T, "records": N, "record_size": S, "batch": B}'`` prints one JSON object; ``python -m
pauseable_bench.slow_sink [BACKEND ...]`` runs every loop in a fresh process on the local broker and prints a table
(markdown). The ``slow-sink`` section of ``pauseable bench`` runs the same samples (:func:`run`).

A fresh group subscribes to a one-partition topic holding ``records`` records of ``record_size`` bytes. The sink
sleeps :data:`SINK_S` per record (it does not burn CPU) in a worker thread (an asyncio task on the async
backends, each loop written as an asyncio user writes it, with :class:`~pauseable.AsyncFlow`);
``max.poll.interval.ms`` is a third of the time a batch of ``batch`` records (default :data:`BATCH`) takes in it
(at least 1 s, the broker's floor), so a batch's work outlasts it 3 times.

- ``naive``: poll a batch, sink it in the poll loop (the member misses its poll interval);
- ``hand-written``: poll a batch, pause the assignment, hand the batch to the worker, poll (nothing) until it is
  done, resume: one pause per batch;
- ``flow``: :class:`~pauseable.Flow` with ``Backpressure(high=batch, min_pause_s=1.0)``, the worker reporting
  each record done: it pauses natively whenever the workers are full;
- ``flow-hold``: the same with ``hold=H``, one fetch's worth of records (:data:`FETCH_BYTES` / ``record_size``):
  the flow holds up to that many, polling one record a poll slice, before it pauses natively.

franz-go stands beside them (``benchmarks/franz/slowsink.go``): its naive loop, and a hand-written one pausing with
``PauseFetchPartitions``; it heartbeats on a goroutine of its own and has no ``max.poll.interval.ms``.

Figures: records/s (from the first record handed over to the end of the last one's sink: the group's join is
not the sink's) against the sink's rate (records over the time the sink took, measured: a sleep of 2 ms takes
longer on a busy machine), the p99 latency of a record from the poll that handed it over to the
end of its sink (the records are all produced before the run: the time from production is the run's length),
rebalances (revocations after the first assignment), and on
confluent-kafka the bytes fetched per byte delivered (librdkafka's per-partition ``rxbytes`` statistic): each
native pause drops what librdkafka prefetched for the partition, which it fetches again after the resume.
"""

from __future__ import annotations

import asyncio
import json
import math
import queue
import sys
import threading
import time
from collections.abc import Callable
from typing import Any

from rich.table import Table

from pauseable import registry
from pauseable.flow import AsyncFlow, Backpressure, Flow
from pauseable.registry import get_backend
from pauseable.types import TopicPartition
from pauseable_bench import anchor
from pauseable_bench.samples import FRANZ_GO, Run, run_worker
from pauseable_bench.stats import percentile
from pauseable_testing.broker import create_topic, running_cluster
from pauseable_testing.cluster import KafkaCluster, unique_name
from pauseable_testing.harness import BackendHarness, Producer

LOOPS = ("naive", "hand-written", "flow", "flow-hold")
#: the sink's time per record, and the batch a poll takes
SINK_S, BATCH = 0.002, 1500
#: the clients' default ``max.partition.fetch.bytes``: the most one fetch brings of a partition
FETCH_BYTES = 1_048_576
_TIMEOUT_S = 120.0


class _Sunk:
    """What a loop sank: per record, when a poll handed it over and when its sink began and ended."""

    def __init__(self) -> None:
        self.records: list[tuple[float, float, float]] = []
        #: when the first record was handed over
        self.first: float | None = None

    def handed(self, records: list[Any]) -> float:
        now = time.monotonic()
        if records and self.first is None:
            self.first = now
        return now

    def sink(self, records: list[Any], handed: float) -> None:
        for _ in records:
            began = time.monotonic()
            time.sleep(SINK_S)
            self.records.append((handed, began, time.monotonic()))

    async def sink_async(self, records: list[Any], handed: float) -> None:
        for _ in records:
            began = time.monotonic()
            await asyncio.sleep(SINK_S)
            self.records.append((handed, began, time.monotonic()))


def sample(config: dict[str, Any]) -> dict[str, Any]:
    """Sink the whole topic once with one loop; return its figures."""
    backend, loop, total = config["backend"], config["loop"], config["records"]
    batch_size = config.get("batch", BATCH)
    tp = TopicPartition(config["topic"], 0)
    harness = BackendHarness(get_backend(backend), KafkaCluster(config["bootstrap"]))
    fetched = {"bytes": -1}

    def stats(report: str) -> None:
        fetched.update(bytes=_rxbytes(json.loads(report), tp, fetched["bytes"]))

    async def stats_async(report: str) -> None:  # AIOConsumer awaits its callbacks on the event loop
        stats(report)

    if backend.startswith("confluent-kafka"):
        harness.native = {"statistics.interval.ms": 100, "stats_cb": stats_async if harness.loop else stats}
    interval_ms = max(1000, int(batch_size * SINK_S * 1000 / 3))
    view = harness.controller(
        unique_name("slow-sink"), max_poll_interval_ms=interval_ms, session_timeout_ms=interval_ms,
        heartbeat_interval_ms=interval_ms // 4,
    )  # fmt: skip
    ctl, run = view.target, harness.run
    revocations: list[list[TopicPartition]] = []
    sunk = _Sunk()

    def on_revoked(tps: list[TopicPartition]) -> None:
        if tps:
            revocations.append(tps)

    try:
        flow: Flow | AsyncFlow | None = None
        if loop.startswith("flow"):
            hold = FETCH_BYTES // config["record_size"] if loop == "flow-hold" else 0
            pressure = Backpressure(high=batch_size, min_pause_s=1.0, hold=hold)
            flow = AsyncFlow(ctl, backpressure=pressure) if harness.loop else Flow(ctl, backpressure=pressure)
            run(flow.subscribe(config["topic"], on_revoked=on_revoked))
        else:
            run(ctl.subscribe(config["topic"], on_revoked=on_revoked))
        if harness.loop:
            delivered = run(_async_loop(ctl, flow, loop, total, batch_size, sunk))
        else:
            delivered = _sync_loop(ctl, flow, loop, total, batch_size, sunk)
        elapsed = max(end for _, _, end in sunk.records) - sunk.first if sunk.first and sunk.records else math.inf
        # the sink's own time (a sleep overshoots on a busy box)
        sinking = sum(end - began for _, began, end in sunk.records)
        settle = time.monotonic() + 0.3  # one more statistics report
        while time.monotonic() < settle:
            run(ctl.poll(0.1))
        rebalances = len(revocations)  # not the revocation of the close below
    finally:
        harness.close()
    size = config["record_size"]
    return {
        "backend": backend,
        "loop": loop,
        "records": total,
        "delivered": delivered,
        "records_per_s": delivered / elapsed,
        "sink_per_s": len(sunk.records) / sinking if sinking else 1 / SINK_S,
        "latency_p99_s": percentile([end - handed for handed, _, end in sunk.records], 0.99) if sunk.records else None,
        "rebalances": rebalances,
        "fetched_per_delivered": fetched["bytes"] / (delivered * size) if fetched["bytes"] >= 0 and delivered else None,
    }


def _sync_loop(ctl: Any, flow: Any, loop: str, total: int, batch_size: int, sunk: _Sunk) -> int:
    """One loop as a user of a sync client writes it (the sink in a worker thread); records delivered."""
    deadline = time.monotonic() + _TIMEOUT_S
    delivered = 0
    if loop == "naive":
        while delivered < total and time.monotonic() < deadline:
            batch = ctl.poll(0.5, batch_size)
            sunk.sink(batch, sunk.handed(batch))
            delivered += len(batch)
    elif loop == "hand-written":
        while delivered < total and time.monotonic() < deadline:
            batch = ctl.poll(0.5, batch_size)
            if not batch:
                continue
            handed = sunk.handed(batch)
            assigned = ctl.assignment()
            ctl.pause(assigned)
            worker = threading.Thread(target=sunk.sink, args=(batch, handed))
            worker.start()
            while worker.is_alive():
                ctl.poll(0.1)
            ctl.resume(assigned & ctl.assignment())
            delivered += len(batch)
    else:
        work: queue.Queue[Any] = queue.Queue()
        finished = [0]

        def worker_loop() -> None:
            while (item := work.get()) is not None:
                record, handed = item
                sunk.sink([record], handed)
                flow.done(record)
                finished[0] += 1

        threading.Thread(target=worker_loop, daemon=True).start()
        while finished[0] < total and time.monotonic() < deadline:
            records = flow.poll(0.5)
            handed = sunk.handed(records)
            for record in records:
                work.put((record, handed))
        work.put(None)
        delivered = finished[0]
    return delivered


async def _async_loop(ctl: Any, flow: Any, loop: str, total: int, batch_size: int, sunk: _Sunk) -> int:
    """The same loops as an asyncio user writes them (the sink in a task); records delivered."""
    deadline = time.monotonic() + _TIMEOUT_S
    delivered = 0
    if loop == "naive":
        while delivered < total and time.monotonic() < deadline:
            batch = await ctl.poll(0.5, batch_size)
            await sunk.sink_async(batch, sunk.handed(batch))
            delivered += len(batch)
    elif loop == "hand-written":
        while delivered < total and time.monotonic() < deadline:
            batch = await ctl.poll(0.5, batch_size)
            if not batch:
                continue
            handed = sunk.handed(batch)
            assigned = await ctl.assignment()
            await ctl.pause(assigned)
            worker = asyncio.create_task(sunk.sink_async(batch, handed))
            while not worker.done():
                await ctl.poll(0.1)
            await worker
            await ctl.resume(assigned & await ctl.assignment())
            delivered += len(batch)
    else:
        work: asyncio.Queue[Any] = asyncio.Queue()
        finished = [0]

        async def worker_loop() -> None:
            while (item := await work.get()) is not None:
                record, handed = item
                await sunk.sink_async([record], handed)
                flow.done(record)
                finished[0] += 1

        worker = asyncio.create_task(worker_loop())
        while finished[0] < total and time.monotonic() < deadline:
            records = await flow.poll(0.5)
            handed = sunk.handed(records)
            for record in records:
                work.put_nowait((record, handed))
        worker.cancel()
        delivered = finished[0]
    return delivered


def _rxbytes(stats: dict[str, Any], tp: TopicPartition, before: int) -> int:
    """librdkafka's bytes fetched for the partition (message bytes, every fetch, re-fetches included); ``before``
    until the partition is in the statistics."""
    found = stats.get("topics", {}).get(tp.topic, {}).get("partitions", {}).get(str(tp.partition))
    return before if found is None else int(found["rxbytes"])


def runs(
    bootstrap: str, backends: list[str], records: int, record_size: int, batch: int, franz: bool = False
) -> list[Run]:
    """Every loop on every backend of ``backends``, each on a fresh topic of ``records`` records (made and filled
    when its turn comes); with ``franz``, franz-go's naive and hand-written loops after them."""
    ours = [
        Run(backend, f"slow sink ({loop})", _filled(bootstrap, backend, loop, records, record_size, batch))
        for backend in backends
        for loop in LOOPS
    ]
    theirs = [
        Run(FRANZ_GO, f"slow sink ({loop})", _filled(bootstrap, FRANZ_GO, loop, records, record_size, batch))
        for loop in (anchor.SLOW_SINK_LOOPS if franz else ())
    ]
    return ours + theirs


def _filled(
    bootstrap: str, backend: str, loop: str, records: int, size: int, batch: int
) -> Callable[[], dict[str, Any]]:
    def make() -> dict[str, Any]:
        topic = unique_name(f"slow-sink-{backend}-{loop}")
        create_topic(bootstrap, topic, partitions=1)
        producer = Producer(bootstrap)
        try:
            producer.produce_bulk(topic, records, size, b"", 0)
        finally:
            producer.close()
        return {"bootstrap": bootstrap, "backend": backend, "loop": loop, "topic": topic, "records": records,
                "record_size": size, "batch": batch, "group": unique_name(f"g-{topic}")}  # fmt: skip

    return make


def run(bootstrap: str, backends: list[str], records: int = 4500, record_size: int = 1000) -> list[dict[str, Any]]:
    """Every loop on every backend, each in a process of its own, printed as it ends."""
    samples = []
    for one in runs(bootstrap, backends, records, record_size, BATCH):
        assert callable(one.config)
        samples.append(run_worker("pauseable_bench.slow_sink", one.config()))
        print(json.dumps(samples[-1]), flush=True)
    return samples


def summary(samples: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One row per backend and loop, each figure beside the hand-written loop's on the same backend."""
    hand = {s["backend"]: s for s in samples if s["loop"] == "hand-written"}
    rows = []
    for s in sorted(samples, key=lambda s: (s["backend"] == FRANZ_GO, s["backend"], LOOPS.index(s["loop"]))):
        base = hand.get(s["backend"])
        row = {k: s[k] for k in ("backend", "loop", "records", "delivered", "records_per_s", "sink_per_s",
                                 "latency_p99_s", "rebalances", "fetched_per_delivered")}  # fmt: skip
        row["of_sink"] = s["records_per_s"] / s["sink_per_s"]
        for key in ("records_per_s", "latency_p99_s", "rebalances", "fetched_per_delivered"):
            row[f"hand_{key}"] = None if base is None else base[key]
        rows.append(row)
    return rows


def markdown(rows: list[dict[str, Any]], config: dict[str, Any] | None = None) -> str:
    """The rows as a markdown table, the hand-written loop's figure in brackets beside each."""
    if not rows:
        return ""
    config = config or {}
    lines = [
        "",
        f"Slow sink: {config.get('slow_sink_records', rows[0]['records']):,} records of "
        f"{config.get('slow_sink_record_size', 1000):,} B on one partition, a sink sleeping {SINK_S * 1000:.0f} ms "
        f"per record ({1 / SINK_S:.0f}/s) in a worker thread (a task on the async backends), batches of "
        f"{config.get('slow_sink_batch', BATCH):,} "
        "(3x `max.poll.interval.ms` of work, at least 1 s); one sample each. Each figure, and in brackets the "
        "hand-written pause/resume loop's on the same backend. Records/s from the first record handed over; "
        "(of sink): against the sink's measured rate (its sleeps overshoot on a busy machine). Latency: from the "
        "poll that handed a record over to the end of its sink. Bytes fetched per byte delivered: librdkafka's "
        "`rxbytes` (the confluent-kafka backends only; franz-go: the record batches it read). flow-hold: `hold` = "
        "one fetch's worth of records. franz-go (the anchor): its naive loop and a hand-written one with "
        "`PauseFetchPartitions`; it heartbeats on a goroutine of its own and has no `max.poll.interval.ms`, so "
        "its naive loop keeps its place in the group.",
        "",
        "| backend | loop | records/s (of sink) | p99 latency | rebalances | bytes fetched / delivered |",
        "|---|---|---:|---:|---:|---:|",
    ]
    for r in rows:
        lines.append(
            f"| {r['backend']} | {r['loop']} | {r['records_per_s']:.0f} ({r['of_sink']:.0%}) "
            f"[{_num(r['hand_records_per_s'], '{:.0f}')}] | {_ms(r['latency_p99_s'])} [{_ms(r['hand_latency_p99_s'])}] "
            f"| {r['rebalances']} [{_num(r['hand_rebalances'], '{}')}] | {_num(r['fetched_per_delivered'], '{:.2f}')} "
            f"[{_num(r['hand_fetched_per_delivered'], '{:.2f}')}] |"
        )
    return "\n".join(lines) + "\n"


def table(rows: list[dict[str, Any]]) -> Table:
    """The rows for the terminal."""
    out = Table(title="slow sink: records/s, p99 latency, rebalances, bytes fetched / delivered [hand-written]")
    for column in ("backend", "loop", "records/s", "of sink", "p99 latency", "rebalances", "fetched / delivered"):
        out.add_column(column, justify="left" if column in ("backend", "loop") else "right", no_wrap=True)
    for r in rows:
        out.add_row(
            r["backend"], r["loop"], f"{r['records_per_s']:.0f} [{_num(r['hand_records_per_s'], '{:.0f}')}]",
            f"{r['of_sink']:.0%}", f"{_ms(r['latency_p99_s'])} [{_ms(r['hand_latency_p99_s'])}]",
            f"{r['rebalances']} [{_num(r['hand_rebalances'], '{}')}]",
            f"{_num(r['fetched_per_delivered'], '{:.2f}')} [{_num(r['hand_fetched_per_delivered'], '{:.2f}')}]",
        )  # fmt: skip
    return out


def _num(value: float | None, form: str) -> str:
    return "-" if value is None else form.format(value)


def _ms(seconds: float | None) -> str:
    return "-" if seconds is None else f"{seconds * 1000:.0f} ms"


def main() -> int:
    if len(sys.argv) > 1 and sys.argv[1].startswith("{"):
        print(json.dumps(sample(json.loads(sys.argv[1]))))
        return 0
    with running_cluster() as bootstrap:
        print(markdown(summary(run(bootstrap, sys.argv[1:] or sorted(registry.backends())))))
    return 0


if __name__ == "__main__":
    sys.exit(main())
