"""A group member for tests/test_faults.py, in a process of its own so the test can SIGKILL it.

``python tests/crash_member.py BACKEND BOOTSTRAP GROUP TOPIC``: subscribes with the topic paused (so it
delivers nothing), prints ``assigned N`` whenever its assignment changes, polls until killed.
"""

from __future__ import annotations

import sys

from pauseable.registry import get_backend
from pauseable_testing.cluster import KafkaCluster
from pauseable_testing.harness import BackendHarness


def main(backend: str, bootstrap: str, group: str, topic: str) -> None:
    harness = BackendHarness(get_backend(backend), KafkaCluster(bootstrap))
    ctl = harness.controller(group, session_timeout_ms=3000, heartbeat_interval_ms=1000, max_poll_interval_ms=10000)
    ctl.pause_topics(topic)
    ctl.subscribe(topic)
    seen = None
    while True:
        records = ctl.poll(0.3)
        if records:
            print(f"delivered {len(records)} while its topic was paused", flush=True)
        if (now := len(ctl.assignment())) != seen:
            seen = now
            print(f"assigned {now}", flush=True)


if __name__ == "__main__":
    main(*sys.argv[1:5])
