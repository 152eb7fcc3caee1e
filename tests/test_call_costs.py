"""What a call costs the client, whatever it takes in time: broker requests per call.

Requests are counted as the clients send them (``pauseable.bench.native.RequestCounter``: librdkafka's
statistics, or the one connection method every kafka-python and aiokafka request passes through).
No timing is asserted here.
"""

from __future__ import annotations

import statistics

import pytest

from pauseable.bench.native import RequestCounter, difference
from pauseable.testing.harness import BackendHarness, NewTopic
from pauseable.types import TopicPartition

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
    harness.poll_for(ctl, 1.0)  # positions settle: no committed-offset lookup is left in the background
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
