"""Each real client produces to and consumes from the harness's broker in a consumer group."""

from __future__ import annotations

import asyncio
import time

import pytest

from pauseable_testing import KafkaCluster
from pauseable_testing.broker import metadata

RECORDS = 20
DEADLINE_S = 60


def _expected(topic: str) -> list[tuple[int, bytes]]:
    return [(i % 2, f"{topic}-{i}".encode()) for i in range(RECORDS)]


def test_confluent_kafka_round_trip(kafka_cluster: KafkaCluster, new_topic, group_id: str) -> None:
    from confluent_kafka import Consumer, Producer

    topic = new_topic(partitions=2)
    producer = Producer({"bootstrap.servers": kafka_cluster.bootstrap_servers})
    for partition, value in _expected(topic):
        producer.produce(topic, value=value, partition=partition)
    assert producer.flush(30) == 0
    consumer = Consumer(
        {"bootstrap.servers": kafka_cluster.bootstrap_servers, "group.id": group_id, "auto.offset.reset": "earliest"}
    )
    consumer.subscribe([topic])
    got: list[tuple[int, bytes]] = []
    deadline = time.monotonic() + DEADLINE_S
    try:
        while len(got) < RECORDS and time.monotonic() < deadline:
            msg = consumer.poll(0.5)
            if msg is not None:
                assert msg.error() is None, msg.error()
                got.append((msg.partition(), msg.value()))
        consumer.commit(asynchronous=False)
    finally:
        consumer.close()
    assert sorted(got) == sorted(_expected(topic))


def test_kafka_python_round_trip(kafka_cluster: KafkaCluster, new_topic, group_id: str) -> None:
    from kafka import KafkaConsumer, KafkaProducer

    topic = new_topic(partitions=2)
    producer = KafkaProducer(bootstrap_servers=kafka_cluster.bootstrap_servers)
    for partition, value in _expected(topic):
        producer.send(topic, value=value, partition=partition)
    producer.flush(30)
    producer.close()
    consumer = KafkaConsumer(
        topic,
        bootstrap_servers=kafka_cluster.bootstrap_servers,
        group_id=group_id,
        auto_offset_reset="earliest",
        enable_auto_commit=False,
    )
    got: list[tuple[int, bytes]] = []
    deadline = time.monotonic() + DEADLINE_S
    try:
        while len(got) < RECORDS and time.monotonic() < deadline:
            for tp, records in consumer.poll(500).items():
                got.extend((tp.partition, r.value) for r in records)
        consumer.commit()
    finally:
        consumer.close()
    assert sorted(got) == sorted(_expected(topic))


def test_aiokafka_round_trip(kafka_cluster: KafkaCluster, new_topic, group_id: str) -> None:
    from aiokafka import AIOKafkaConsumer, AIOKafkaProducer

    topic = new_topic(partitions=2)

    async def run() -> list[tuple[int, bytes]]:
        producer = AIOKafkaProducer(bootstrap_servers=kafka_cluster.bootstrap_servers)
        await producer.start()
        try:
            for partition, value in _expected(topic):
                await producer.send_and_wait(topic, value=value, partition=partition)
        finally:
            await producer.stop()
        consumer = AIOKafkaConsumer(
            topic,
            bootstrap_servers=kafka_cluster.bootstrap_servers,
            group_id=group_id,
            auto_offset_reset="earliest",
            enable_auto_commit=False,
        )
        await consumer.start()
        got: list[tuple[int, bytes]] = []
        deadline = time.monotonic() + DEADLINE_S
        try:
            while len(got) < RECORDS and time.monotonic() < deadline:
                for tp, records in (await consumer.getmany(timeout_ms=500)).items():
                    got.extend((tp.partition, r.value) for r in records)
            await consumer.commit()
        finally:
            await consumer.stop()
        return got

    assert sorted(asyncio.run(run())) == sorted(_expected(topic))


def test_the_group_offsets_topic_was_created_on_one_node(kafka_cluster: KafkaCluster) -> None:
    # Consumer groups above need __consumer_offsets; single-node settings (replication factor 1) make it.
    pytest.importorskip("confluent_kafka")
    assert "__consumer_offsets" in metadata(kafka_cluster.bootstrap_servers).topics
