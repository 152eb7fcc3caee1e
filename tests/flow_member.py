"""A flow's group member for tests/test_flow_ledger.py, in a process of its own so the test can SIGKILL it mid-work.

``python tests/flow_member.py BACKEND BOOTSTRAP GROUP TOPIC``: subscribes through a flow that retries and
dead-letters (the rule of :func:`fails`), commits every 0.2 s, and prints a line per record as it ends:
``done P O`` (then reports it done), ``failed P O`` (a failed attempt), ``dead P O`` (dead-lettered). Runs until
killed.
Every 2 s it writes its state to stderr (the test keeps it and shows its tail when the member stalls).
"""

from __future__ import annotations

import logging
import sys
import time
from typing import Any

from pauseable import Backoff, Backpressure, Retry, TopicPartition
from pauseable.registry import get_backend
from pauseable_testing.cluster import KafkaCluster
from pauseable_testing.harness import BackendHarness


def fails(offset: int) -> bool:
    """The records whose work always fails (each ends dead-lettered after its attempts)."""
    return offset % 7 == 3


def end(flow: Any, ctl: Any, ledger: Any, record: Any) -> None:
    """End one record as the ledger tests do: its work fails by the rule of :func:`fails`, else succeeds."""
    topic, partition, offset = ctl.locate(record)
    tp = TopicPartition(topic, partition)
    if fails(offset):
        ledger.attempt(tp, offset)
        flow.failed(record, RuntimeError("the work failed"))
    else:
        ledger.deliver_offsets(tp, [offset])
        flow.done(record)


#: the takeover's backpressure: workers full at 3 records, up to 4 more held before a native pause
HOLDING = Backpressure(high=3, low=1, min_pause_s=0.0, hold=4)


def retry(dead: Any) -> Retry:
    """The retry rules of both the crashing member and the one that takes over."""
    return Retry(Backoff(first=0.05, longest=0.1), attempts=2, dead_letter=dead)


def main(backend: str, bootstrap: str, group: str, topic: str) -> None:
    logging.basicConfig(  # the clients' own account of a stall, for the test's message
        level=logging.INFO, stream=sys.stderr, format="%(relativeCreated)d %(threadName)s %(name)s %(message)s"
    )
    harness = BackendHarness(get_backend(backend), KafkaCluster(bootstrap))
    ctl = harness.controller(group, session_timeout_ms=1500, heartbeat_interval_ms=500, max_poll_interval_ms=10000)

    def dead(record: Any, error: BaseException) -> None:
        _, partition, offset = ctl.locate(record)
        print(f"dead {partition} {offset}", flush=True)

    flow = harness.flow(ctl, retry=retry(dead), backpressure=Backpressure(high=5, min_pause_s=0.0), commit_every_s=0.2)
    flow.subscribe(topic)
    shown = time.monotonic()
    while True:
        if time.monotonic() - shown > 2.0:
            shown = time.monotonic()
            _show(ctl, flow)
        for record in flow.poll(0.3):
            _, partition, offset = ctl.locate(record)
            time.sleep(0.01)  # the work
            if fails(offset):
                print(f"failed {partition} {offset}", flush=True)
                flow.failed(record, RuntimeError("the work failed"))
            else:
                print(f"done {partition} {offset}", flush=True)
                flow.done(record)


def _show(ctl: Any, flow: Any) -> None:
    """The member's state, for the test's failure message."""
    assigned = sorted(ctl.assignment())
    core = flow._core
    parts = {str(tp): {k: getattr(part, k) for k in ("high", "inflight", "waiting", "rewind", "retry_at")}
             for tp, part in core.parts.items()}  # fmt: skip
    print(f"{time.monotonic():.1f} assigned={[str(tp) for tp in assigned]} paused={sorted(map(str, ctl.paused()))} "
          f"positions={[ctl.position(tp) for tp in assigned]} flow paused={core.paused} parts={parts}",
          file=sys.stderr, flush=True)  # fmt: skip


if __name__ == "__main__":
    main(*sys.argv[1:5])
