"""One benchmark sample, in a process of its own (so its CPU and memory are the consumer's alone).

``python -m pauseable_bench.worker '{"bootstrap": ..., "backend": ..., "strategy": ..., "backlog": N,
"record_size": S, "topic": T}'`` prints one JSON object: the sample.

The scenario: the consumer is caught up on a one-partition topic; it pauses; ``backlog`` records are
produced; the timer starts; ``resume(strategy)``; one fresh record is produced; the timer stops when
that fresh record is delivered. Everything delivered in between that was produced while paused is
"stale".
"""

from __future__ import annotations

import json
import resource
import sys
import time
from typing import Any

from pauseable.registry import get_backend
from pauseable.types import TopicPartition
from pauseable_bench.cpu import client_cpu_s, processes_cpu_s
from pauseable_testing.cluster import KafkaCluster, unique_name
from pauseable_testing.harness import BackendHarness, count, payload

_FRESH = b"fresh"
_TIMEOUT_S = 300.0


def sample(config: dict[str, Any]) -> dict[str, Any]:
    """Run the scenario once and return what was measured."""
    tp = TopicPartition(config["topic"], 0)
    harness = BackendHarness(get_backend(config["backend"]), KafkaCluster(config["bootstrap"]))
    group = unique_name("bench")
    try:
        ctl = harness.controller(group)
        ctl.assign([tp])
        harness.produce(config["topic"], 10)  # warm-up: connections, fetch sessions, JIT-free paths
        harness.consume(ctl, lambda d: count(d) >= 10)
        ctl.end_offsets([tp])  # warm-up: the client for offset lookups, built at the first lookup
        ctl.pause(tp)
        harness.produce_bulk(config["topic"], config["backlog"], config["record_size"], value_prefix=b"S")
        strategy = harness.strategy(config["strategy"], group)
        locate, size = ctl.target._adapter.locate, ctl.target._adapter.size
        pids = config.get("broker_pids", [])
        broker0, cpu0, t0 = processes_cpu_s(pids), client_cpu_s(), time.perf_counter()
        report = ctl.resume(tp, strategy=strategy)
        # The warm low-latency producer, as franz-go's: no client is created inside the timed interval.
        harness.produce(config["topic"], 1, value=payload(_FRESH, config["record_size"]))
        stale = delivered = delivered_bytes = 0
        latency = None
        deadline = t0 + _TIMEOUT_S
        while latency is None:
            if time.perf_counter() > deadline:
                raise TimeoutError(f"no fresh record within {_TIMEOUT_S:.0f} s")
            for record in ctl.poll(0.05, 500):
                if locate(record)[1] < 0:
                    continue
                delivered += 1
                delivered_bytes += size(record)
                if harness.value_of(record).startswith(_FRESH):
                    latency = time.perf_counter() - t0
                    break
                stale += 1
        cpu, broker1 = client_cpu_s() - cpu0, processes_cpu_s(pids)
        skipped = report.ranges.get(tp)
        return {
            **{k: config[k] for k in ("backend", "strategy", "backlog", "record_size")},
            "latency_s": latency,
            "resume_s": report.took_s,
            "stale_delivered": stale,
            "skipped": report.skipped,
            "records_fetched": delivered + (skipped.records_fetched if skipped else 0),
            "bytes_fetched": delivered_bytes + (skipped.bytes_fetched if skipped else 0),
            "cpu_s": cpu,
            "broker_cpu_s": None if broker0 is None or broker1 is None else broker1 - broker0,
            "max_rss_kb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
        }
    finally:
        harness.close()


def main() -> int:
    print(json.dumps(sample(json.loads(sys.argv[1]))))
    return 0


if __name__ == "__main__":
    sys.exit(main())
