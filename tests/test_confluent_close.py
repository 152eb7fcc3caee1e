"""A subscribed confluent-kafka consumer leaves its group before ``close()``.

librdkafka's close serves the revocation itself, and the ``assign`` that answers it can reach the group's
handler as that terminates, which drops it unanswered: the client waits forever, holding the GIL (a group-pause
schedule hung the whole process so). The adapter unsubscribes and serves the revocation in polls of its own
first (``ConfluentAdapter._leave_group``); the close then has nothing assigned. Nothing fetched but not
handed over may be committed on the way.
"""

from __future__ import annotations

import time
from typing import Any

import pauseable
from pauseable import TopicPartition
from pauseable_testing import KafkaCluster
from pauseable_testing.harness import Producer

RECORDS = 200


def test_a_subscribed_consumer_closes_with_nothing_assigned_and_commits_only_what_it_handed_over(
    kafka_cluster: KafkaCluster, new_topic: Any, group_id: str
) -> None:
    import confluent_kafka

    class Spy(confluent_kafka.Consumer):  # type: ignore[misc]
        """Notes what is assigned when close begins."""

        at_close: list[Any] | None = None

        def close(self, *args: Any, **kwargs: Any) -> Any:
            self.at_close = self.assignment()
            return super().close(*args, **kwargs)

    topic = new_topic(partitions=1)
    producer = Producer(kafka_cluster.bootstrap_servers)
    try:
        producer.produce(topic, RECORDS)
    finally:
        producer.close()
    config = {"bootstrap.servers": kafka_cluster.bootstrap_servers, "group.id": group_id,
              "auto.offset.reset": "earliest", "heartbeat.interval.ms": 500}  # fmt: skip
    spy = Spy(config)  # auto commit on (the default): close commits the offsets stored for what was handed over
    revoked: list[list[TopicPartition]] = []
    ctl = pauseable.controller(spy)
    ctl.subscribe([topic], on_revoked=revoked.append)
    handed: list[int] = []
    deadline = time.monotonic() + 60
    while not handed and time.monotonic() < deadline:
        handed += [ctl.locate(r)[2] for r in ctl.poll(0.5, max_records=10)]
    assert handed == list(range(len(handed))) and 0 < len(handed) <= 10
    time.sleep(0.5)  # the rest of the partition fetched meanwhile, waiting in the client's queue
    ctl.close()

    tp = TopicPartition(topic, 0)
    assert spy.at_close == [] and revoked == [[tp]]  # the revocation was served before close, through the hook
    reader = confluent_kafka.Consumer(config)
    try:
        committed = reader.committed([confluent_kafka.TopicPartition(topic, 0)], timeout=10)[0].offset
    finally:
        reader.close()
    assert committed == len(handed)  # not past a record fetched but never handed over
