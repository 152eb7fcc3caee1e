"""What a call costs the client, whatever it takes in time: broker requests and native calls.

Requests are counted as the clients send them (``pauseable_bench.native.RequestCounter``: librdkafka's
statistics, or the one connection method every kafka-python and aiokafka request passes through).
No timing is asserted here, except that a resumed partition is fetched again without waiting for
librdkafka's 1 s idle wake-up.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Iterator
from typing import Any

import pytest

from pauseable.controller import AsyncController, Controller
from pauseable.registry import get_backend
from pauseable.strategies import SeekToEnd
from pauseable.types import TopicPartition
from pauseable_bench.native import RequestCounter, difference
from pauseable_testing import KafkaCluster
from pauseable_testing.harness import BackendHarness, Blocking, NewTopic, count

MANY = 50


@pytest.fixture
def counter(harness: BackendHarness, monkeypatch: pytest.MonkeyPatch) -> RequestCounter:
    """A request counter for the backend under test; the connection method it wraps is put back after the test."""
    if harness.name == "kafka-python":
        from kafka.net.connection import KafkaConnection

        monkeypatch.setattr(KafkaConnection, "_send_request", KafkaConnection._send_request)
    elif harness.name == "aiokafka":
        from aiokafka.conn import AIOKafkaConnection

        monkeypatch.setattr(AIOKafkaConnection, "send", AIOKafkaConnection.send)
    return RequestCounter(harness.name)


def test_committed_of_many_partitions_is_one_offset_fetch_per_call(
    harness: BackendHarness, counter: RequestCounter, new_topic: NewTopic, group_id: str
) -> None:
    topic = new_topic(partitions=MANY)
    tps = [TopicPartition(topic, p) for p in range(MANY)]
    ctl = harness.controller(group_id, native=counter.config())
    ctl.assign(tps)
    ctl.commit({tp: 0 for tp in tps[: MANY // 2]})  # half committed, half never
    # Positions settle, so no committed-offset lookup is left in the background: until every partition's is known
    # (aiokafka resets the never-committed ones), at most 10 s (librdkafka knows none of an empty partition). A
    # fixed second was too short on a loaded machine: aiokafka was still fetching committed offsets in every window.
    settled = time.monotonic() + 10
    harness.poll_for(ctl, 1.0)
    while any(ctl.position(tp) is None for tp in tps) and time.monotonic() < settled:
        harness.poll_for(ctl, 0.2)
    counter.install(ctl.consumer)
    per_call: list[int] = []
    for _ in range(3):
        before = harness.run(counter.counts())
        found = ctl.committed(tps)
        sent = difference(harness.run(counter.counts()), before)
        per_call.append(sent.get("OffsetFetch", 0))
        assert found == {tp: 0 if tp.partition < MANY // 2 else None for tp in tps}
    # One request per group, not one per partition (MANY); a background lookup may share a window.
    assert statistics.median_low(per_call) == 1 and max(per_call) <= 2, per_call


class _CountingSeeks:
    """A native consumer that counts its ``seek`` calls and passes everything else through."""

    def __init__(self, consumer: Any) -> None:
        self._consumer = consumer
        self.seeks = 0

    def seek(self, partition: Any) -> Any:
        self.seeks += 1
        return self._consumer.seek(partition)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._consumer, name)


class _CountingSeeksAsync(_CountingSeeks):
    async def seek(self, partition: Any) -> Any:
        self.seeks += 1
        return await self._consumer.seek(partition)


@pytest.fixture(params=["confluent-kafka", "confluent-kafka-aio"])
def confluent(request: pytest.FixtureRequest, kafka_cluster: KafkaCluster) -> Iterator[BackendHarness]:
    harness = BackendHarness(get_backend(request.param), kafka_cluster)
    try:
        yield harness
    finally:
        harness.close()


def test_a_confluent_resume_seeks_each_partition_once_and_wakes_its_fetch(
    confluent: BackendHarness, new_topic: NewTopic, group_id: str
) -> None:
    partitions = 20
    topic = new_topic(partitions=partitions)
    tps = [TopicPartition(topic, p) for p in range(partitions)]
    native = confluent.native_consumer(group_id)
    counted = (_CountingSeeksAsync if confluent.backend.is_async else _CountingSeeks)(native)
    backend = confluent.backend
    if backend.sync_adapter is not None:
        target: Any = Controller(counted, backend, backend.sync_adapter(counted))
    else:
        assert backend.async_adapter is not None
        target = AsyncController(counted, backend, backend.async_adapter(counted))
    ctl = Blocking(target, confluent.run)
    try:
        ctl.assign(tps)
        for p in range(partitions):
            confluent.produce(topic, 2, partition=p)
        got = confluent.consume(ctl, lambda d: count(d) >= 2 * partitions)
        ctl.pause(tps)
        for p in range(partitions):
            confluent.produce(topic, 3, partition=p)  # the backlog the resume skips
        counted.seeks = 0
        report = ctl.resume(tps, SeekToEnd())
        assert report.skipped == 3 * partitions
        assert counted.seeks == partitions, "each partition is sought once: the skip and the wake are one seek"
        for p in range(partitions):
            confluent.produce(topic, 1, partition=p)  # offset 5 of each
        # How soon they come (the seek wakes librdkafka's fetcher, which otherwise notices a resume only at
        # its 1 s idle wake-up) is the benchmark's resume-to-first-fresh figure: no timing on a shared machine.
        confluent.consume(ctl, lambda d: count(d) >= 3 * partitions, into=got)
        assert got == {tp: [0, 1, 5] for tp in tps}
    finally:
        ctl.close()
