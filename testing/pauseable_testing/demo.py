"""``pauseable demo``: see in a minute what a skip strategy does, on a real broker.

Produces 6 records, consumes 4 (leaving a backlog of 2), pauses, produces records while paused,
resumes with the chosen strategy, produces 3 more, and shows which offsets were delivered or skipped.
"""

from __future__ import annotations

import sys
import time

from rich.console import Console
from rich.table import Table

from pauseable.errors import PauseableError
from pauseable.registry import get_backend
from pauseable.types import TopicPartition
from pauseable_testing.broker import create_topic, running_cluster
from pauseable_testing.cluster import KafkaCluster, unique_name
from pauseable_testing.harness import BackendHarness, count

_BEFORE, _CONSUMED, _AFTER = 6, 4, 3


class DemoError(PauseableError):
    """The demo could not finish on the cluster (e.g. records did not arrive in time); the cause is chained."""


def run(backend: str, strategy: str, during: int = 5, console: Console | None = None) -> int:
    """Run the demo; return the process exit status. Raises :class:`PauseableError` when it cannot finish."""
    console = console or Console()
    with running_cluster() as bootstrap:
        print(f"on the cluster at {bootstrap}", file=sys.stderr, flush=True)
        try:
            return _run(bootstrap, backend, strategy, during, console)
        except PauseableError:
            raise
        except Exception as exc:  # e.g. the harness's AssertionError on a timeout: a message, never a traceback
            cause = str(exc) if isinstance(exc, AssertionError) else f"{type(exc).__name__}: {exc}"
            raise DemoError(f"the demo with {backend} could not finish on the cluster at {bootstrap}: {cause}") from exc


def _run(bootstrap: str, backend: str, strategy: str, during: int, console: Console) -> int:
    topic = unique_name(f"demo-{backend}-{strategy}")
    create_topic(bootstrap, topic, partitions=1)
    tp = TopicPartition(topic, 0)
    harness = BackendHarness(get_backend(backend), KafkaCluster(bootstrap))
    group = unique_name("demo")
    chosen = harness.strategy(strategy, group)
    try:
        ctl = harness.controller(group)
        ctl.assign([tp])
        before = harness.produce(topic, _BEFORE)
        delivered = harness.consume(ctl, lambda d: count(d) >= _CONSUMED, max_records=1)
        time.sleep(0.02)  # timestamps before the pause instant stay strictly before it
        ctl.pause(tp)
        time.sleep(0.02)
        while_paused = harness.produce(topic, during)
        report = ctl.resume(tp, strategy=chosen)
        after = harness.produce(topic, _AFTER)
        wanted = set(before) | set(while_paused) | set(after)
        skipped = report.ranges.get(tp)

        def covered(d: dict[TopicPartition, list[int]]) -> bool:
            return set(d.get(tp, [])) | (set(range(skipped.start, skipped.end)) if skipped else set()) >= wanted

        harness.consume(ctl, covered, into=delivered, what="every offset delivered or skipped")
        harness.poll_for(ctl, 0.3, into=delivered)
    finally:
        harness.close()
    got = delivered.get(tp, [])
    table = Table(title=f"{backend}, resume with {strategy}")
    for column in ("offset", "produced", "delivered", "skipped"):
        table.add_column(column, justify="right" if column == "offset" else "left")
    for offset in sorted(wanted):
        when = "before pause" if offset in before else "while paused" if offset in while_paused else "after resume"
        if offset in before and offset >= _CONSUMED:
            when += " (backlog)"
        table.add_row(str(offset), when, "yes" if offset in got else "", "yes" if report.is_skipped(tp, offset) else "")
    console.print(table)
    console.print(f"SkipReport: {report}  (took {report.took_s * 1000:.1f} ms)")
    return 0
