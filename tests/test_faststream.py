"""pauseable-faststream with real FastStream apps (the real brokers, not FastStream's TestClient, which mocks
the client) against the local Kafka broker: a pause stops delivery to the handler, a resume with SeekToEnd
skips exactly what its SkipReport says (the ledger: delivered and skipped are the produced offsets, disjoint),
a timed pause ends by itself.

``faststream_backend`` is the pauseable backend that serves the FastStream broker: ``aiokafka`` for
``faststream.kafka``, ``confluent-kafka`` for ``faststream.confluent``. One per case by default
(ONE_BACKEND_BY_DEFAULT in tests/conftest.py), the other's in ``make test-extra``.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
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

    def __init__(
        self,
        backend: str,
        bootstrap: str,
        topic: str,
        group_id: str,
        *,
        batch: bool = False,
        attach: bool = True,
        gate: asyncio.Event | None = None,
        **options: Any,
    ) -> None:
        if backend == "aiokafka":
            from faststream.kafka import KafkaBroker
        else:
            from faststream.confluent import KafkaBroker  # type: ignore[assignment]
        self.broker = KafkaBroker(bootstrap, logger=None)
        self.subscriber = self.broker.subscriber(
            topic, group_id=group_id, auto_offset_reset="earliest", batch=batch, **options
        )
        if attach:
            pauseable_faststream.attach(self.subscriber)
        #: (partition, offset) of each record handed to the handler, in order
        self.delivered: list[tuple[int, int]] = []

        @self.subscriber
        async def handle(body: Any, message: Any = Context("message")) -> None:  # noqa: B008 (FastStream's DI)
            raw = message.raw_message
            self.delivered.extend(map(located, raw) if isinstance(raw, tuple) else [located(raw)])
            if gate is not None:  # a long-running handler: it holds its worker until the gate opens
                await gate.wait()

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


async def _eventually(check: Callable[[], Awaitable[bool]], what: str) -> None:
    for _ in range(1500):
        if await check():
            return
        await asyncio.sleep(0.02)
    raise AssertionError(f"not within 30 s: {what}")


@pytest.mark.parametrize("faststream_backend", BACKENDS)
@pytest.mark.asyncio
async def test_a_topic_pause_holds_for_partitions_that_faststreams_rebalances_bring_back(
    faststream_backend: str, kafka_cluster: KafkaCluster, new_topic: Callable[..., str], group_id: str
) -> None:
    """FastStream's rebalances are its own: the controller follows them at each poll. A topic paused on the first
    member stays paused on the partition that moves away and comes back when a second member leaves; nothing of
    it reaches the first member's handler until ``resume_topics``."""
    topic = new_topic(partitions=2)
    both = {TopicPartition(topic, 0), TopicPartition(topic, 1)}
    bootstrap = kafka_cluster.bootstrap_servers
    producer = Producer(bootstrap)
    first, second = (
        App(faststream_backend, bootstrap, topic, group_id),
        App(faststream_backend, bootstrap, topic, group_id),
    )
    try:
        async with running(first) as ctl:
            await _eventually(lambda: _has(ctl, both), "both partitions assigned to the first member")
            await ctl.pause_topics(topic)
            async with running(second):
                await _eventually(lambda: _count(ctl, 1), "one partition moved to the second member")
                (kept,) = await ctl.assignment()
                assert await ctl.paused() == {kept}
                for tp in sorted(both):
                    producer.produce(topic, 2, partition=tp.partition)
                await second.until(lambda got: len(got) >= 2)  # the moved partition flows there: not paused
            await _eventually(lambda: _has(ctl, both), "the partition back with the first member")
            for tp in sorted(both):
                producer.produce(topic, 2, partition=tp.partition)
            await asyncio.sleep(2.0)  # what a handler would have been handed by now
            assert first.delivered == [], "a partition of the paused topic reached the handler"
            assert await ctl.paused() == both
            await ctl.resume_topics(topic)
            await first.until(lambda got: {(tp.partition, 3) for tp in both} <= set(got))
    finally:
        producer.close()


async def _has(ctl: AsyncPauseController[Any], partitions: set[TopicPartition]) -> bool:
    return await ctl.assignment() == partitions


async def _count(ctl: AsyncPauseController[Any], n: int) -> bool:
    return len(await ctl.assignment()) == n


#: the subscriber's max.poll.interval.ms in the concurrent cases, and how long their handlers hold every worker
POLL_INTERVAL_MS, BLOCKED_S = 6000, 10.0


async def _members_while_blocked(cluster: KafkaCluster, group_id: str, seconds: float) -> list[int]:
    """How many members the broker counts in ``group_id``, sampled while the subscriber's workers are held."""
    from confluent_kafka.admin import AdminClient

    admin = AdminClient({"bootstrap.servers": cluster.bootstrap_servers})

    def members() -> int:
        return len(admin.describe_consumer_groups([group_id])[group_id].result(timeout=10).members)

    counts = []
    for _ in range(int(seconds / 0.5)):
        counts.append(await asyncio.to_thread(members))
        await asyncio.sleep(0.5)
    return counts


@pytest.mark.parametrize("faststream_backend", BACKENDS)
@pytest.mark.asyncio
async def test_a_concurrent_subscriber_whose_workers_are_all_busy_pauses_and_stays_in_its_group(
    faststream_backend: str, kafka_cluster: KafkaCluster, topic: str, group_id: str
) -> None:
    """``max_workers=2``, two handlers held longer than ``max.poll.interval.ms``: the partition is paused for
    backpressure and the loop keeps polling, so the member stays in its group (FastStream's own loop waits to
    hand over the third record and stops polling: ag2ai/faststream#2143, pinned below). Once the workers are
    free, the partition is resumed and every record is handled once."""
    tp = TopicPartition(topic, 0)
    gate = asyncio.Event()
    producer = Producer(kafka_cluster.bootstrap_servers)
    app = App(faststream_backend, kafka_cluster.bootstrap_servers, topic, group_id, gate=gate, max_workers=2,
              max_poll_interval_ms=POLL_INTERVAL_MS, session_timeout_ms=6000, heartbeat_interval_ms=1000)  # fmt: skip
    try:
        produced = producer.produce(topic, 5, partition=0)
        async with running(app) as ctl:
            await app.until(lambda got: len(got) >= 2)  # both workers busy
            members = await _members_while_blocked(kafka_cluster, group_id, BLOCKED_S)
            assert await ctl.paused() == {tp}, "the partition was not paused while every worker was busy"
            assert len(app.delivered) <= 3, app.delivered  # at most the record in hand when they filled up
            gate.set()
            await app.until(lambda got: len(got) >= 5)
            for _ in range(100):  # resumed at the getter's next call once the workers are free (they may fill again
                if not await ctl.paused():  # with the last records, for a moment)
                    break
                await asyncio.sleep(0.1)
            assert await ctl.paused() == frozenset(), "the partition stayed paused with every worker free"
    finally:
        producer.close()
    assert min(members) == 1, f"the member left its group while its workers were busy: {members}"
    assert sorted(app.delivered) == [(0, offset) for offset in produced]  # each once


@pytest.mark.extra
@pytest.mark.asyncio
async def test_native_faststream_concurrent_subscriber_leaves_its_group_while_every_worker_is_busy(
    kafka_cluster: KafkaCluster, topic: str, group_id: str
) -> None:
    """The failure the case above cures, on faststream.kafka without pauseable: the loop stops polling while the
    workers are busy and aiokafka leaves the group after ``max.poll.interval.ms`` (ag2ai/faststream#2143).
    Fails when a FastStream release keeps polling: then the cure can go."""
    gate = asyncio.Event()
    producer = Producer(kafka_cluster.bootstrap_servers)
    app = App("aiokafka", kafka_cluster.bootstrap_servers, topic, group_id, attach=False, gate=gate, max_workers=2,
              max_poll_interval_ms=POLL_INTERVAL_MS, session_timeout_ms=6000, heartbeat_interval_ms=1000)  # fmt: skip
    try:
        producer.produce(topic, 5, partition=0)
        async with app.broker:
            await app.broker.start()
            await app.until(lambda got: len(got) >= 2)
            members = await _members_while_blocked(kafka_cluster, group_id, BLOCKED_S)
            gate.set()
    finally:
        producer.close()
    assert min(members) == 0, f"the member stayed in its group: {members}"


def test_a_controller_needs_a_started_subscriber_and_a_kafka_subscriber() -> None:
    from faststream.kafka import KafkaBroker

    subscriber = KafkaBroker("127.0.0.1:1").subscriber("orders", group_id="billing")
    with pytest.raises(InvalidArgumentError, match="not started"):
        pauseable_faststream.controller(subscriber)
    with pytest.raises(InvalidArgumentError, match=r"not a builtins\.object"):
        pauseable_faststream.attach(object())
