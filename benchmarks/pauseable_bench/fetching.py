"""Resume while other partitions of the same broker keep fetching, against the same resume on an idle consumer.

``python -m pauseable_bench.fetching '{"bootstrap": ..., "backend": ..., "topic": T, "strategies": [...],
"repeats": R, "backlog": N}'`` prints one JSON object.

The everyday case of pausing: one source paused (its sink is down) while the others keep flowing. One
consumer is assigned partitions A (0) and B (1) of a topic on one broker, caught up. Per repeat and
strategy, two conditions, alternating which goes first:

- ``fetching``: A paused, ``backlog`` records produced to A, B active and caught up, so the consumer
  keeps a long-poll Fetch for B in flight on the broker's connection (a poll has just sent it);
- ``idle``: A and B paused, and longer than the fetch wait since then, so no Fetch is in flight.

The figure is the ``resume(A, strategy)`` call alone (its offset lookups and seeks). Kafka answers one
connection's requests in order, so a lookup sent on the connection of an outstanding Fetch waits for it
(up to ``fetch.wait.max.ms``, 500 ms by default). Before each condition one ``end_offsets`` call warms
the lookup path (a side client is built at the first lookup), so the figure is the steady state.
"""

from __future__ import annotations

import json
import statistics
import sys
import time
from typing import Any

from rich.table import Table

from pauseable.registry import get_backend
from pauseable.types import TopicPartition
from pauseable_bench.stats import percentile
from pauseable_testing.cluster import KafkaCluster, unique_name
from pauseable_testing.harness import BackendHarness, Blocking, count

CONDITIONS = ("fetching", "idle")
#: the issue's target: a resume while other partitions fetch takes at most this many times the idle one
TARGET = 1.5
#: longer than the clients' default fetch wait (500 ms): a Fetch sent before a pause has been answered
_SETTLE_S = 0.6
_DRAIN_TIMEOUT_S = 60.0


def sample(config: dict[str, Any]) -> dict[str, Any]:
    """Time ``resume(A, strategy)`` in both conditions, ``repeats`` times per strategy."""
    topic, backlog = config["topic"], config["backlog"]
    a, b = TopicPartition(topic, 0), TopicPartition(topic, 1)
    harness = BackendHarness(get_backend(config["backend"]), KafkaCluster(config["bootstrap"]))
    group = unique_name("fetching")
    rows: list[dict[str, Any]] = []
    try:
        ctl = harness.controller(group)
        ctl.assign([a, b])
        for tp in (a, b):
            harness.produce(topic, 10, partition=tp.partition)
        harness.consume(ctl, lambda d: count(d) >= 20)
        ctl.commit()
        for repeat in range(config["repeats"]):
            for strategy in config["strategies"]:
                order = CONDITIONS if repeat % 2 == 0 else tuple(reversed(CONDITIONS))
                for condition in order:
                    ctl.end_offsets([a])  # the lookup path is warm (built, connected)
                    seconds = _resume(harness, ctl, condition, strategy, group, a, b, backlog)
                    rows.append({"strategy": strategy, "condition": condition, "repeat": repeat, "resume_s": seconds})
        return {"backend": config["backend"], "backlog": backlog, "repeats": config["repeats"], "timings": rows}
    finally:
        harness.close()


def _resume(
    harness: BackendHarness,
    ctl: Blocking,
    condition: str,
    strategy: str,
    group: str,
    a: TopicPartition,
    b: TopicPartition,
    backlog: int,
) -> float:
    """One timed resume of A in ``condition``; then both partitions flow again, caught up."""
    ctl.pause([a, b] if condition == "idle" else [a])
    ctl.poll(0.05)  # an asyncio client's fetcher runs only while its loop does
    if condition == "idle":
        time.sleep(_SETTLE_S)  # the Fetch in flight at the pause has been answered
    harness.produce(a.topic, backlog, partition=a.partition)
    ctl.poll(0.05)  # fetching: a long-poll Fetch for B has just been sent; idle: nothing fetches
    chosen = harness.strategy(strategy, group)
    began = time.perf_counter()
    ctl.resume([a], strategy=chosen)
    seconds = time.perf_counter() - began
    if condition == "idle":
        ctl.resume([b])
    _drain(ctl, a)
    return seconds


def _drain(ctl: Blocking, a: TopicPartition) -> None:
    """Poll until the consumer has reached A's end (what was skipped is dropped or never fetched)."""
    end = ctl.end_offsets([a])[a]
    deadline = time.monotonic() + _DRAIN_TIMEOUT_S
    while (position := ctl.position(a)) is None or position < end:
        if time.monotonic() > deadline:
            raise TimeoutError(f"{a} did not reach offset {end} within {_DRAIN_TIMEOUT_S:.0f} s (at {position})")
        ctl.poll(0.05)


def summary(samples: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Per backend and strategy: median and p95 resume time in each condition, and fetching / idle."""
    rows = []
    for sample in samples:
        by: dict[tuple[str, str], list[float]] = {}
        for t in sample["timings"]:
            by.setdefault((t["strategy"], t["condition"]), []).append(t["resume_s"])
        for strategy in dict.fromkeys(t["strategy"] for t in sample["timings"]):
            fetching, idle = by[strategy, "fetching"], by[strategy, "idle"]
            ratio = statistics.median(fetching) / statistics.median(idle)
            rows.append(
                {
                    "backend": sample["backend"],
                    "strategy": strategy,
                    "runs": min(len(fetching), len(idle)),
                    "fetching_p50_s": statistics.median(fetching),
                    "fetching_p95_s": percentile(fetching, 0.95),
                    "idle_p50_s": statistics.median(idle),
                    "idle_p95_s": percentile(idle, 0.95),
                    "ratio": ratio,
                    "target": TARGET,
                    "meets_target": ratio <= TARGET,
                }
            )
    return rows


def table(rows: list[dict[str, Any]]) -> Table:
    out = Table(title=f"resume while other partitions fetch: ms (median, p95), fetching / idle (target ≤ {TARGET}x)")
    for column in ("backend", "strategy", "fetching", "p95", "idle", "p95 ", "ratio", "target"):
        out.add_column(column, justify="left" if column in ("backend", "strategy") else "right", no_wrap=True)
    for r in rows:
        out.add_row(
            r["backend"], r["strategy"], _ms(r["fetching_p50_s"]), _ms(r["fetching_p95_s"]), _ms(r["idle_p50_s"]),
            _ms(r["idle_p95_s"]), f"{r['ratio']:.2f}x", "met" if r["meets_target"] else "missed",
        )  # fmt: skip
    return out


def markdown(document: dict[str, Any]) -> str:
    """The section of ``bench.md`` (empty when the run did not measure it)."""
    rows = document.get("fetching", {}).get("summary", [])
    if not rows:
        return ""
    config = document["config"]
    lines = [
        "",
        f"Resume while other partitions of the same broker keep fetching: `resume(A, strategy)` of "
        f"{config['fetching_backlog']} records with partition B fetching (a poll has just sent its long-poll Fetch), "
        f"against the same resume with nothing fetching; {config['fetching_repeats']} runs per strategy and "
        f"condition, one process per backend, the lookup path warm. Medians (p95); target ≤ {TARGET}x.",
        "",
        "| backend | strategy | fetching | idle | ratio | target |",
        "|---|---|---:|---:|---:|---|",
    ]
    for r in rows:
        lines.append(
            f"| {r['backend']} | {r['strategy']} | {_ms(r['fetching_p50_s'])} ({_ms(r['fetching_p95_s'])}) | "
            f"{_ms(r['idle_p50_s'])} ({_ms(r['idle_p95_s'])}) | {r['ratio']:.2f}x | "
            f"{'met' if r['meets_target'] else 'missed'} |"
        )
    return "\n".join(lines) + "\n"


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f} ms"


def main() -> int:
    print(json.dumps(sample(json.loads(sys.argv[1]))))
    return 0


if __name__ == "__main__":
    sys.exit(main())
