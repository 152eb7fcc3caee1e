"""One member of the group-pause propagation benchmark, in a process of its own (:mod:`pauseable_bench.propagation`).

``python -m pauseable_bench.group_member '{"bootstrap": ..., "backend": ..., "group": G, "topic": T,
"control": C}'`` follows the group pauses of control topic ``C`` and polls ``T`` (subscribed in group ``G``) until
its stdin closes, printing a line per event with ``time.monotonic()`` (one clock for every process of the
machine):

- ``state paused T`` / ``state running T``: the member's assignment became all paused / all running (compared
  after each poll of :data:`POLL_S`, so up to that much after the controller applied it);
- ``record P O T``: a record of partition ``P`` at offset ``O`` handed over by ``poll``.
"""

from __future__ import annotations

import json
import sys
import threading
import time
from typing import Any

import pauseable
from pauseable import GroupPauses
from pauseable.registry import get_backend
from pauseable_testing.cluster import KafkaCluster
from pauseable_testing.harness import BackendHarness, Blocking

POLL_S = 0.02


def main(config: dict[str, Any]) -> None:
    harness = BackendHarness(get_backend(config["backend"]), KafkaCluster(config["bootstrap"]))
    consumer = harness.native_consumer(config["group"])
    make_config = harness.backend.lookup_config
    lookup = make_config(harness.settings(config["group"])) if make_config is not None else None
    build: Any = pauseable.async_controller if harness.backend.is_async else pauseable.controller
    ctl = Blocking(build(consumer, lookup_config=lookup, group_pauses=GroupPauses(topic=config["control"])),
                   harness.run)  # fmt: skip
    stop = threading.Event()

    def until_stdin_closes() -> None:
        sys.stdin.read()
        stop.set()

    threading.Thread(target=until_stdin_closes, daemon=True).start()
    ctl.subscribe([config["topic"]])
    state = ""
    try:
        while not stop.is_set():
            records = ctl.poll(POLL_S)
            now = time.monotonic()
            lines = []
            for record in records:
                _, partition, offset = ctl.locate(record)
                lines.append(f"record {partition} {offset} {now:.6f}")
            assigned = ctl.assignment()
            paused = ctl.paused()
            seen = "paused" if assigned and assigned <= paused else "running" if assigned and not paused else state
            if seen != state:
                state = seen
                lines.append(f"state {state} {now:.6f}")
            if lines:
                print("\n".join(lines), flush=True)
    finally:
        ctl.close()
        harness.close()


if __name__ == "__main__":
    main(json.loads(sys.argv[1]))
