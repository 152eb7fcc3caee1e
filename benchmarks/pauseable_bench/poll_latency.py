"""How long ``poll`` takes when a record is ready: through pauseable, and the client's own call.

``python -m pauseable_bench.poll_latency '{"bootstrap": ..., "backend": ..., "topic": T, "tries": N,
"timeout_s": S, "settle_s": W}'`` prints one JSON object.

One warm consumer (one process per backend), assigned to a one-partition topic and caught up. Each
try produces one record, waits ``settle_s`` so the client has fetched it, then times one poll of up
to 500 records with a timeout of ``timeout_s``: ``ctl.poll`` on the pauseable side, the client's own
call on the native side (``consume(500, timeout)`` on confluent-kafka, which waits for a full batch or
the timeout; ``poll`` on kafka-python; ``getmany`` on aiokafka), on the same consumer, alternating
which side goes first. A poll that returns at once when something is ready takes about what handing
one record over costs; one that waits for a full batch takes the whole timeout.
"""

from __future__ import annotations

import inspect
import json
import sys
import time
from collections.abc import Callable
from typing import Any

from pauseable.registry import get_backend
from pauseable.types import TopicPartition
from pauseable_bench import native
from pauseable_testing.cluster import KafkaCluster, unique_name
from pauseable_testing.harness import BackendHarness, count

SIDES = ("pauseable", "native")
MAX_RECORDS = 500

Poll = Callable[[float, int], Any]


def sample(config: dict[str, Any]) -> dict[str, Any]:
    """Every try of both sides: ms from the call to its return, and how many records it returned."""
    backend, tries, timeout = config["backend"], config["tries"], config["timeout_s"]
    tp = TopicPartition(config["topic"], 0)
    harness = BackendHarness(get_backend(backend), KafkaCluster(config["bootstrap"]))
    try:
        view = harness.controller(unique_name("poll-latency"))
        view.assign([tp])
        harness.produce(config["topic"], 10)
        harness.consume(view, lambda d: count(d) >= 10)  # warm: connections, positions, fetch session
        ctl = view.target

        polls: dict[str, Poll] = {
            "pauseable": native.controller_poll_count(ctl),
            "native": native.calls(backend, ctl.consumer, tp.topic, tp.partition).poll_count,
        }
        timings: list[dict[str, Any]] = []
        for attempt in range(tries):
            for side in SIDES if attempt % 2 == 0 else tuple(reversed(SIDES)):
                harness.produce(config["topic"], 1)
                time.sleep(config["settle_s"])  # fetched by now (a client that fetches only in poll: at once)
                if harness.loop is None:
                    began = time.perf_counter()
                    records = polls[side](timeout, MAX_RECORDS)
                    seconds = time.perf_counter() - began
                else:
                    seconds, records = harness.run(_timed(polls[side], timeout))
                timings.append({"side": side, "try": attempt, "ms": seconds * 1000, "records": int(records)})
        return {"backend": backend, "timeout_s": timeout, "tries": tries, "timings": timings}
    finally:
        harness.close()


async def _timed(poll: Poll, timeout: float) -> tuple[float, int]:
    """One poll of an asyncio client, timed from the call to its awaited result, on the harness's loop."""
    began = time.perf_counter()
    result = poll(timeout, MAX_RECORDS)
    records = await result if inspect.isawaitable(result) else result
    return time.perf_counter() - began, int(records)


def main() -> int:
    print(json.dumps(sample(json.loads(sys.argv[1]))))
    return 0


if __name__ == "__main__":
    sys.exit(main())
