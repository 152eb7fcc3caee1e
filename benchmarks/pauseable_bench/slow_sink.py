"""A slow sink: the naive loop, a hand-written pause/resume per batch, and a flow with Backpressure (issue 12).

``python -m pauseable_bench.slow_sink '{"bootstrap": ..., "backend": ..., "loop": "naive"|"hand-written"|"flow",
"topic": T, "records": N, "record_size": S}'`` prints one JSON object; ``python -m pauseable_bench.slow_sink
[BACKEND ...]`` runs every loop in a fresh process on the local broker and prints a table (markdown). Not yet a
section of ``pauseable bench``.

A fresh group subscribes to a one-partition topic holding ``records`` records of ``record_size`` bytes. The sink
sleeps :data:`SINK_S` per record (it does not burn CPU) in a worker thread; ``max.poll.interval.ms`` is a third
of the time a batch of :data:`BATCH` records takes in it (at least 1 s), so a batch's work outlasts it 3 times.

- ``naive``: poll a batch, sink it in the poll loop (the member misses its poll interval);
- ``hand-written``: poll a batch, pause the assignment, hand the batch to the worker, poll (nothing) until it is
  done, resume: one pause per batch;
- ``flow``: :class:`~pauseable.Flow` with ``Backpressure(high=BATCH, min_pause_s=1.0)``, the worker reporting
  each record done.

Figures: records/s against the sink's rate, rebalances (revocations after the first assignment), and on
confluent-kafka the bytes fetched per byte delivered (librdkafka's per-partition ``rxbytes`` statistic): each
native pause drops what librdkafka prefetched for the partition, which it fetches again after the resume.
"""

from __future__ import annotations

import json
import queue
import sys
import threading
import time
from typing import Any

from pauseable.flow import Backpressure, Flow
from pauseable.registry import get_backend
from pauseable.types import TopicPartition
from pauseable_bench.samples import run_worker
from pauseable_testing.broker import create_topic, running_cluster
from pauseable_testing.cluster import KafkaCluster, unique_name
from pauseable_testing.harness import BackendHarness, Producer

LOOPS = ("naive", "hand-written", "flow")
#: the sink's time per record, and the batch a poll takes
SINK_S, BATCH = 0.002, 1500
_TIMEOUT_S = 120.0


def sample(config: dict[str, Any]) -> dict[str, Any]:
    """Sink the whole topic once with one loop; return its figures."""
    backend, loop, total = config["backend"], config["loop"], config["records"]
    tp = TopicPartition(config["topic"], 0)
    harness = BackendHarness(get_backend(backend), KafkaCluster(config["bootstrap"]))
    fetched = {"bytes": -1}
    if backend == "confluent-kafka":
        harness.native = {
            "statistics.interval.ms": 100,
            "stats_cb": lambda stats: fetched.update(bytes=_rxbytes(json.loads(stats), tp, fetched["bytes"])),
        }
    interval_ms = max(1000, int(BATCH * SINK_S * 1000 / 3))
    view = harness.controller(
        unique_name("slow-sink"), max_poll_interval_ms=interval_ms, session_timeout_ms=interval_ms,
        heartbeat_interval_ms=interval_ms // 4,
    )  # fmt: skip
    ctl = view.target
    revocations: list[list[TopicPartition]] = []
    delivered = 0
    try:
        if loop == "flow":
            flow = Flow(ctl, backpressure=Backpressure(high=BATCH, min_pause_s=1.0))
            flow.subscribe(config["topic"], on_revoked=lambda tps: revocations.append(tps) if tps else None)
        else:
            ctl.subscribe(config["topic"], on_revoked=lambda tps: revocations.append(tps) if tps else None)
        began = time.monotonic()
        deadline = began + _TIMEOUT_S
        if loop == "naive":
            while delivered < total and time.monotonic() < deadline:
                batch = ctl.poll(0.5, BATCH)
                _sink(batch)
                delivered += len(batch)
        elif loop == "hand-written":
            while delivered < total and time.monotonic() < deadline:
                batch = ctl.poll(0.5, BATCH)
                if not batch:
                    continue
                assigned = ctl.assignment()
                ctl.pause(assigned)
                worker = threading.Thread(target=_sink, args=(batch,))
                worker.start()
                while worker.is_alive():
                    ctl.poll(0.1)
                ctl.resume(assigned & ctl.assignment())
                delivered += len(batch)
        else:
            work: queue.Queue[Any] = queue.Queue()
            finished = [0]

            def worker_loop() -> None:
                while (record := work.get()) is not None:
                    _sink([record])
                    flow.done(record)
                    finished[0] += 1

            worker = threading.Thread(target=worker_loop, daemon=True)
            worker.start()
            while finished[0] < total and time.monotonic() < deadline:
                for record in flow.poll(0.5):
                    work.put(record)
            work.put(None)
            delivered = finished[0]
        elapsed = time.monotonic() - began
        settle = time.monotonic() + 0.3  # one more statistics report
        while time.monotonic() < settle:
            ctl.poll(0.1)
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
        "sink_per_s": 1 / SINK_S,
        "rebalances": rebalances,
        "fetched_per_delivered": fetched["bytes"] / (delivered * size) if fetched["bytes"] >= 0 and delivered else None,
    }


def _sink(records: list[Any]) -> None:
    for _ in records:
        time.sleep(SINK_S)


def _rxbytes(stats: dict[str, Any], tp: TopicPartition, before: int) -> int:
    """librdkafka's bytes fetched for the partition (message bytes, every fetch, re-fetches included); ``before``
    until the partition is in the statistics."""
    found = stats.get("topics", {}).get(tp.topic, {}).get("partitions", {}).get(str(tp.partition))
    return before if found is None else int(found["rxbytes"])


def run(bootstrap: str, backends: list[str], records: int = 4500, record_size: int = 1000) -> list[dict[str, Any]]:
    """Every loop on every backend, each on a fresh topic of ``records`` records, in a process of its own."""
    samples = []
    producer = Producer(bootstrap)
    try:
        for backend in backends:
            for loop in LOOPS:
                topic = unique_name(f"slow-sink-{backend}-{loop}")
                create_topic(bootstrap, topic, partitions=1)
                producer.produce_bulk(topic, records, record_size, b"", 0)
                config = {"bootstrap": bootstrap, "backend": backend, "loop": loop, "topic": topic,
                          "records": records, "record_size": record_size}  # fmt: skip
                samples.append(run_worker("pauseable_bench.slow_sink", config))
                print(json.dumps(samples[-1]), flush=True)
    finally:
        producer.close()
    return samples


def markdown(samples: list[dict[str, Any]]) -> str:
    """The samples as a markdown table."""
    lines = [
        f"| backend | loop | records/s (sink: {1 / SINK_S:.0f}/s) | rebalances | bytes fetched / delivered |",
        "|---|---|---|---|---|",
    ]
    for s in samples:
        ratio = "-" if s["fetched_per_delivered"] is None else f"{s['fetched_per_delivered']:.2f}"
        lines.append(f"| {s['backend']} | {s['loop']} | {s['records_per_s']:.0f} | {s['rebalances']} | {ratio} |")
    return "\n".join(lines)


def main() -> int:
    if len(sys.argv) > 1 and sys.argv[1].startswith("{"):
        print(json.dumps(sample(json.loads(sys.argv[1]))))
        return 0
    with running_cluster() as bootstrap:
        print(markdown(run(bootstrap, sys.argv[1:] or ["confluent-kafka", "kafka-python"])))
    return 0


if __name__ == "__main__":
    sys.exit(main())
