"""The smallest real workload: pause, produce a backlog, resume, on each installed client.

It shows every client's native behaviour, which pauseable exists to change: pause does not move
the position, so everything produced while paused is delivered after resume.
"""

from __future__ import annotations

import asyncio
import importlib.util
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from rich.console import Console
from rich.table import Table

from pauseable.broker import LocalCluster, create_topic, external_bootstrap

_PRE = 100  # records consumed before the pause
_PAUSED_POLL_S = 1.0


@dataclass
class Outcome:
    client: str
    delivered_while_paused: int
    delivered_after_resume: int
    first_offset_after_resume: int | None
    resume_to_first_s: float


@contextmanager
def bootstrap_servers() -> Iterator[str]:
    """The user's cluster (PAUSEABLE_BOOTSTRAP_SERVERS) or a local one for the duration."""
    if (external := external_bootstrap()) is not None:
        yield external
        return
    cluster = LocalCluster.start(Path(tempfile.mkdtemp(prefix="pauseable-bench-")))
    try:
        yield cluster.bootstrap_servers
    finally:
        cluster.stop()


def _confluent(bootstrap: str, topic: str, backlog: int) -> Outcome:
    from confluent_kafka import Consumer, Producer, TopicPartition

    producer = Producer({"bootstrap.servers": bootstrap, "linger.ms": 5})

    def produce(n: int) -> None:
        for i in range(n):
            producer.produce(topic, value=b"x" * 100, key=str(i).encode())
            producer.poll(0)
        producer.flush()

    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": topic, "auto.offset.reset": "earliest"})
    consumer.subscribe([topic])
    produce(_PRE)
    got = 0
    while got < _PRE:
        msg = consumer.poll(1.0)
        got += msg is not None and msg.error() is None
    tps = [TopicPartition(topic, 0)]
    consumer.pause(tps)
    produce(backlog)
    paused = _count_for(_PAUSED_POLL_S, lambda: consumer.poll(0.1) is not None)
    consumer.resume(tps)
    began = time.monotonic()
    first, delay, after = None, 0.0, 0
    while after < backlog:
        msg = consumer.poll(1.0)
        if msg is None or msg.error():
            continue
        if first is None:
            first, delay = msg.offset(), time.monotonic() - began
        after += 1
    consumer.close()
    return Outcome("confluent-kafka", paused, after, first, delay)


def _kafka_python(bootstrap: str, topic: str, backlog: int) -> Outcome:
    from kafka import KafkaConsumer, KafkaProducer, TopicPartition

    producer = KafkaProducer(bootstrap_servers=bootstrap, linger_ms=5)

    def produce(n: int) -> None:
        for i in range(n):
            producer.send(topic, value=b"x" * 100, key=str(i).encode())
        producer.flush()

    consumer = KafkaConsumer(topic, bootstrap_servers=bootstrap, group_id=topic, auto_offset_reset="earliest")
    produce(_PRE)
    got = 0
    while got < _PRE:
        got += sum(len(v) for v in consumer.poll(1000).values())
    tp = TopicPartition(topic, 0)
    consumer.pause(tp)
    produce(backlog)
    paused = _count_for(_PAUSED_POLL_S, lambda: sum(len(v) for v in consumer.poll(100).values()))
    consumer.resume(tp)
    began = time.monotonic()
    first, delay, after = None, 0.0, 0
    while after < backlog:
        for records in consumer.poll(1000).values():
            if records and first is None:
                first, delay = records[0].offset, time.monotonic() - began
            after += len(records)
    consumer.close()
    producer.close()
    return Outcome("kafka-python", paused, after, first, delay)


def _aiokafka(bootstrap: str, topic: str, backlog: int) -> Outcome:
    from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition

    async def main() -> Outcome:
        producer = AIOKafkaProducer(bootstrap_servers=bootstrap, linger_ms=5)
        await producer.start()

        async def produce(n: int) -> None:
            for i in range(n):
                await producer.send(topic, value=b"x" * 100, key=str(i).encode())
            await producer.flush()

        consumer = AIOKafkaConsumer(topic, bootstrap_servers=bootstrap, group_id=topic, auto_offset_reset="earliest")
        await consumer.start()
        await produce(_PRE)
        got = 0
        while got < _PRE:
            got += sum(len(v) for v in (await consumer.getmany(timeout_ms=1000)).values())
        tp = TopicPartition(topic, 0)
        consumer.pause(tp)
        await produce(backlog)
        paused, deadline = 0, time.monotonic() + _PAUSED_POLL_S
        while time.monotonic() < deadline:
            paused += sum(len(v) for v in (await consumer.getmany(timeout_ms=100)).values())
        consumer.resume(tp)
        began = time.monotonic()
        first, delay, after = None, 0.0, 0
        while after < backlog:
            for records in (await consumer.getmany(timeout_ms=1000)).values():
                if records and first is None:
                    first, delay = records[0].offset, time.monotonic() - began
                after += len(records)
        await consumer.stop()
        await producer.stop()
        return Outcome("aiokafka", paused, after, first, delay)

    return asyncio.run(main())


def _count_for(seconds: float, poll: Callable[[], int | bool]) -> int:
    count, deadline = 0, time.monotonic() + seconds
    while time.monotonic() < deadline:
        count += int(poll())
    return count


_CLIENTS: dict[str, tuple[str, Callable[[str, str, int], Outcome]]] = {
    "confluent-kafka": ("confluent_kafka", _confluent),
    "kafka-python": ("kafka", _kafka_python),
    "aiokafka": ("aiokafka", _aiokafka),
}


def run(records: int = 1000, console: Console | None = None) -> int:
    """Run the workload on every installed client and print what each delivered."""
    console = console or Console()
    installed = {name: fn for name, (module, fn) in _CLIENTS.items() if importlib.util.find_spec(module)}
    if not installed:
        console.print("no Kafka client is installed: pip install confluent-kafka aiokafka kafka-python")
        return 1
    outcomes = []
    with bootstrap_servers() as bootstrap:
        for name, fn in installed.items():
            topic = f"bench-smoke-{name}-{uuid.uuid4().hex[:8]}"
            create_topic(bootstrap, topic, partitions=1)
            with console.status(f"{name}: pause, produce {records} records, resume"):
                outcomes.append(fn(bootstrap, topic, records))
    table = Table(title=f"Native pause/resume: {_PRE} records consumed, pause, {records} produced, resume")
    for column in ("client", "delivered while paused", "delivered after resume", "first offset after resume",
                   "resume → first record"):  # fmt: skip
        table.add_column(column, justify="left" if column == "client" else "right", no_wrap=column == "client")
    for o in outcomes:
        table.add_row(
            o.client, str(o.delivered_while_paused), str(o.delivered_after_resume),
            str(o.first_offset_after_resume), f"{o.resume_to_first_s * 1000:.1f} ms",
        )  # fmt: skip
    console.print(table)
    console.print(
        f"Every client delivers all {records} records produced during the pause, starting at offset {_PRE}: "
        "pause never moves the position. The skip strategies (coming) change that."
    )
    return 0
