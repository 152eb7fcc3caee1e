"""pauseable-faststream with real FastStream apps (the real brokers, not FastStream's TestClient, which mocks
the client) against the local Kafka broker: a pause stops delivery to the handler, a resume with SeekToEnd
skips exactly what its SkipReport says (the ledger: delivered and skipped are the produced offsets, disjoint),
a timed pause ends by itself.

``faststream_backend`` is the pauseable backend that serves the FastStream broker: ``aiokafka`` for
``faststream.kafka``, ``confluent-kafka`` for ``faststream.confluent``. One per case by default
(ONE_BACKEND_BY_DEFAULT in tests/conftest.py), the other's in ``make test-slow``.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

import pytest
from faststream import Context

import pauseable_faststream
from pauseable import InvalidArgumentError, SeekToEnd, TopicPartition
from pauseable.protocol import AsyncPauseController
from pauseable_testing import KafkaCluster
from pauseable_testing.harness import Producer
from pauseable_testing.ledger import Ledger

BACKENDS = ["aiokafka", "confluent-kafka"]


def located(raw: Any) -> tuple[int, int]:
    """A FastStream raw message's partition and offset (attributes on aiokafka's records, methods on
    confluent-kafka's)."""
    partition, offset = raw.partition, raw.offset
    return int(partition() if callable(partition) else partition), int(offset() if callable(offset) else offset)


class App:
    """A FastStream broker of one subscriber whose handler notes the offsets it is handed."""

    def __init__(self, backend: str, bootstrap: str, topic: str, group_id: str, *, batch: bool = False) -> None:
        if backend == "aiokafka":
            from faststream.kafka import KafkaBroker
        else:
            from faststream.confluent import KafkaBroker  # type: ignore[assignment]
        self.broker = KafkaBroker(bootstrap, logger=None)
        self.subscriber = self.broker.subscriber(topic, group_id=group_id, auto_offset_reset="earliest", batch=batch)
        pauseable_faststream.attach(self.subscriber)
        #: (partition, offset) of each record handed to the handler, in order
        self.delivered: list[tuple[int, int]] = []

        @self.subscriber
        async def handle(body: Any, message: Any = Context("message")) -> None:  # noqa: B008 (FastStream's DI)
            raw = message.raw_message
            self.delivered.extend(map(located, raw) if isinstance(raw, tuple) else [located(raw)])

    async def until(self, done: Callable[[list[tuple[int, int]]], bool]) -> None:
        """Wait until the handler was handed what ``done`` wants (a bound far above any wait, to name what came)."""
        for _ in range(3000):
            if done(self.delivered):
                return
            await asyncio.sleep(0.02)
        raise AssertionError(f"the handler was handed only {self.delivered}")


@asynccontextmanager
async def running(app: App) -> AsyncIterator[AsyncPauseController[Any]]:
    async with app.broker:
        await app.broker.start()
        yield pauseable_faststream.controller(app.subscriber)


@pytest.mark.parametrize("batch", [False, True], ids=["one", "batch"])
@pytest.mark.parametrize("faststream_backend", BACKENDS)
@pytest.mark.asyncio
async def test_a_paused_partition_reaches_no_handler_and_seek_to_end_skips_exactly_what_it_reports(
    faststream_backend: str, batch: bool, kafka_cluster: KafkaCluster, new_topic: Callable[..., str], group_id: str
) -> None:
    """A subscriber handed one record at a time, or batches (its getter routed either way)."""
    topic = new_topic(partitions=2)
    tp0, tp1 = TopicPartition(topic, 0), TopicPartition(topic, 1)
    producer = Producer(kafka_cluster.bootstrap_servers)
    ledger = Ledger()
    app = App(faststream_backend, kafka_cluster.bootstrap_servers, topic, group_id, batch=batch)
    try:
        ledger.produce(tp0, producer.produce(topic, 3, partition=0))
        async with running(app) as ctl:
            assert ctl.backend == faststream_backend
            await app.until(lambda got: len(got) >= 3)
            await ctl.pause(tp0)
            assert await ctl.paused() == {tp0}
            ledger.produce(tp0, producer.produce(topic, 4, partition=0))
            ledger.produce(tp1, producer.produce(topic, 2, partition=1))  # the other partition flows on
            await app.until(lambda got: len(got) >= 5)
            report = await ctl.resume(tp0, SeekToEnd())
            ledger.report(report)
            assert report.skipped == 4  # none of the 4 produced while paused reached the handler
            ledger.produce(tp0, producer.produce(topic, 2, partition=0))
            await app.until(lambda got: len(got) >= 7)
            assert await ctl.paused() == frozenset()
    finally:
        producer.close()
    for tp in (tp0, tp1):
        ledger.deliver_offsets(tp, [offset for partition, offset in app.delivered if partition == tp.partition])
    ledger.check(faststream_backend)
    assert ledger.figures().skipped == 4 and ledger.complete()


@pytest.mark.parametrize("faststream_backend", BACKENDS)
@pytest.mark.asyncio
async def test_a_timed_pause_ends_by_itself_at_the_subscribers_next_poll(
    faststream_backend: str, kafka_cluster: KafkaCluster, topic: str, group_id: str
) -> None:
    tp = TopicPartition(topic, 0)
    producer = Producer(kafka_cluster.bootstrap_servers)
    app = App(faststream_backend, kafka_cluster.bootstrap_servers, topic, group_id)
    try:
        producer.produce(topic, 1, partition=0)
        async with running(app) as ctl:
            await app.until(lambda got: got == [(0, 0)])
            await ctl.pause(tp, for_seconds=0.3)
            produced = producer.produce(topic, 2, partition=0)
            await app.until(lambda got: len(got) == 3)  # nobody resumes: the pause runs out
            assert await ctl.paused() == frozenset()
            assert ctl.last_report is not None and ctl.last_report.resumed == (tp,)
    finally:
        producer.close()
    assert app.delivered == [(0, 0), *((0, offset) for offset in produced)]


def test_a_controller_needs_a_started_subscriber_and_a_kafka_subscriber() -> None:
    from faststream.kafka import KafkaBroker

    subscriber = KafkaBroker("127.0.0.1:1").subscriber("orders", group_id="billing")
    with pytest.raises(InvalidArgumentError, match="not started"):
        pauseable_faststream.controller(subscriber)
    with pytest.raises(InvalidArgumentError, match=r"not a builtins\.object"):
        pauseable_faststream.attach(object())
