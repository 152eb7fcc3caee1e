"""The hot path: records per second of a tight poll loop, through pauseable or the raw client.

``python -m pauseable_bench.throughput '{"bootstrap": ..., "backend": ..., "side": "pauseable"|"raw",
"topic": T, "records": N, "max_records": M, "broker_pids": [...]}'`` prints one JSON object.

One process per sample, so the two sides never share a warm client. The consumer (same settings on
both sides, a fresh group) is assigned partition 0 of a topic holding exactly ``records`` records
and polls ``max_records`` at a time until it has them all. The clock starts when the first batch
arrives (connection, metadata and the first fetch are left out) and stops at the last record;
records/s counts the records after the first batch. No poll asks for more records than remain:
confluent-kafka's batch ``consume`` waits until its batch is full or its timeout, so a last batch
asked too large would add the whole timeout to the loop.
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
from pauseable_bench.cpu import client_cpu_s, processes_cpu_s
from pauseable_testing.cluster import KafkaCluster, unique_name
from pauseable_testing.harness import BackendHarness

SIDES = ("pauseable", "raw")
_POLL_S = 1.0
_TIMEOUT_S = 600.0


def sample(config: dict[str, Any]) -> dict[str, Any]:
    """Consume the whole topic once; return records/s, and client and broker CPU over the same interval."""
    backend, side, total = config["backend"], config["side"], config["records"]
    tp = TopicPartition(config["topic"], 0)
    harness = BackendHarness(get_backend(backend), KafkaCluster(config["bootstrap"]))
    try:
        group = unique_name("throughput")
        if side == "pauseable":
            view = harness.controller(group)
            view.assign([tp])
            # the controller itself: no test wrapper in the loop
            poll: Callable[[float, int], Any] = native.controller_poll_count(view.target)
        else:
            consumer = harness.native_consumer(group)
            if harness.loop is None:
                _assign_natively(backend, consumer, tp)
            else:
                harness.run(_inside_loop(_assign_natively, backend, consumer, tp))
            poll = native.calls(backend, consumer, tp.topic, tp.partition).poll_count
        loop = _loop_async if harness.loop is not None else _loop_sync
        result = harness.run(loop(poll, total, config["max_records"], config["broker_pids"]))
        if side == "raw":
            closer = getattr(consumer, "close", None) or consumer.stop
            harness.run(closer())
        return {"backend": backend, "side": side, "max_records": config["max_records"], **result}
    finally:
        harness.close()


def _assign_natively(backend: str, consumer: Any, tp: TopicPartition) -> Any:
    if backend.startswith("confluent-kafka"):
        from confluent_kafka import TopicPartition as TP

        return consumer.assign([TP(tp.topic, tp.partition)])
    if backend == "kafka-python":
        from kafka import TopicPartition as KTP

        return consumer.assign([KTP(tp.topic, tp.partition)])
    from aiokafka import TopicPartition as ATP

    return consumer.assign([ATP(tp.topic, tp.partition)])


async def _inside_loop(call: Callable[..., Any], *args: Any) -> None:
    """Run ``call`` on the event loop (aiokafka's plain methods need a running loop), awaiting its result."""
    result = call(*args)
    if inspect.isawaitable(result):
        await result


def _loop_sync(poll: Callable[[float, int], int], total: int, batch: int, pids: list[int]) -> dict[str, Any]:
    deadline = time.monotonic() + _TIMEOUT_S
    got = 0
    while got == 0:
        got = poll(_POLL_S, batch)
        if time.monotonic() > deadline:
            raise TimeoutError(f"no record within {_TIMEOUT_S:.0f} s")
    first, cpu0, broker0, t0 = got, client_cpu_s(), processes_cpu_s(pids), time.perf_counter()
    while got < total:  # the tight loop; never more than remain, so no call waits for a batch to fill
        got += poll(_POLL_S, min(batch, total - got))
    seconds = time.perf_counter() - t0
    return _result(got, first, seconds, client_cpu_s() - cpu0, broker0, processes_cpu_s(pids))


async def _loop_async(poll: Callable[[float, int], Any], total: int, batch: int, pids: list[int]) -> dict[str, Any]:
    deadline = time.monotonic() + _TIMEOUT_S
    got = 0
    while got == 0:
        got = await poll(_POLL_S, batch)
        if time.monotonic() > deadline:
            raise TimeoutError(f"no record within {_TIMEOUT_S:.0f} s")
    first, cpu0, broker0, t0 = got, client_cpu_s(), processes_cpu_s(pids), time.perf_counter()
    while got < total:
        got += await poll(_POLL_S, min(batch, total - got))
    seconds = time.perf_counter() - t0
    return _result(got, first, seconds, client_cpu_s() - cpu0, broker0, processes_cpu_s(pids))


def _result(
    got: int, first: int, seconds: float, cpu: float, broker0: float | None, broker1: float | None
) -> dict[str, Any]:
    timed = got - first
    return {
        "records": got,
        "timed_records": timed,
        "seconds": seconds,
        "records_per_s": timed / seconds if seconds > 0 else 0.0,
        "cpu_s": cpu,
        # steadier than records/s on a shared machine: the rate also waits on fetches, CPU does not
        "cpu_us_per_record": cpu / timed * 1e6 if timed else 0.0,
        "broker_cpu_s": None if broker0 is None or broker1 is None else broker1 - broker0,
    }


def main() -> int:
    print(json.dumps(sample(json.loads(sys.argv[1]))))
    return 0


if __name__ == "__main__":
    sys.exit(main())
