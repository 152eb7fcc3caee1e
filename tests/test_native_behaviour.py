"""What each client does natively where it disagrees with pauseable's contract.

These tests call the clients directly (no pauseable) and assert what they do today, so a client
release that changes the behaviour shows up here. ``test_conformance.py`` shows the adapters cure it.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Any

import pytest

from pauseable_testing import KafkaCluster
from pauseable_testing.harness import Producer

NewTopic = Callable[..., str]


@pytest.fixture
def producer(kafka_cluster: KafkaCluster) -> Any:
    p = Producer(kafka_cluster.bootstrap_servers)
    yield p
    p.close()


def _drain_kafka_python(consumer: Any, seconds: float, max_records: int = 500) -> dict[int, list[int]]:
    got: dict[int, list[int]] = {}
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        for tp, records in consumer.poll(100, max_records=max_records).items():
            got.setdefault(tp.partition, []).extend(r.offset for r in records)
    return got


# -- kafka-python ----------------------------------------------------------------------------


def test_kafka_python_seek_to_end_is_lazy_and_skips_a_record_produced_right_after(
    kafka_cluster: KafkaCluster, topic: str, group_id: str, producer: Producer
) -> None:
    from kafka import KafkaConsumer, TopicPartition

    producer.produce(topic, 5)
    consumer = KafkaConsumer(bootstrap_servers=kafka_cluster.bootstrap_servers, group_id=group_id)
    try:
        tp = TopicPartition(topic, 0)
        consumer.assign([tp])
        consumer.seek_to_end(tp)  # only marks the partition for a reset at the next fetch
        assert producer.produce(topic, 1) == [5]
        assert _drain_kafka_python(consumer, 2.0) == {}, "the record produced after seek_to_end was skipped"
        assert consumer.position(tp) == 6
    finally:
        consumer.close()


def test_kafka_python_resume_stalls_a_partition_whose_buffered_records_were_parked(
    kafka_cluster: KafkaCluster, new_topic: NewTopic, group_id: str, producer: Producer
) -> None:
    from kafka import KafkaConsumer, TopicPartition

    topic = new_topic(partitions=2)
    p0, p1 = TopicPartition(topic, 0), TopicPartition(topic, 1)
    producer.produce(topic, 200, partition=0)
    consumer = KafkaConsumer(
        bootstrap_servers=kafka_cluster.bootstrap_servers, group_id=group_id, auto_offset_reset="earliest"
    )
    try:
        consumer.assign([p0, p1])
        got: dict[int, list[int]] = {}
        while not got:  # 3 of p0 handed over; the rest of that fetch waits in the in-line slot
            for tp, records in consumer.poll(200, max_records=3).items():
                got.setdefault(tp.partition, []).extend(r.offset for r in records)
        consumer.pause(p0)
        producer.produce(topic, 10, partition=1)
        more = _drain_kafka_python(consumer, 2.0)  # parks p0's records, then drains p1 through the slot
        assert more == {1: list(range(10))}
        consumer.resume(p0)
        after = _drain_kafka_python(consumer, 3.0)
        assert after == {}, "kafka-python fixed the stall: drop the adapter's _unpark cure"
        assert consumer.position(p0) == 3
    finally:
        consumer.close()


def _short_polls_spaced_out(poll: Callable[[], Any], assignment: Callable[[], Any], cycles: int) -> list[Any]:
    """A poll of 1 ms, then a second with no poll: each join finishes while no poll waits for it."""
    seen = []
    for _ in range(cycles):
        poll()
        time.sleep(1.0)
        seen.append(set(assignment()))
    return seen


@pytest.mark.extra  # the native pin; the cure's test beside it stays in make test
def test_kafka_python_throws_away_a_join_that_finished_between_polls(
    kafka_cluster: KafkaCluster, new_topic: NewTopic, group_id: str
) -> None:
    """3.0.x: the next poll finds the finished join task ``is_done`` and sends a new JoinGroup instead of taking
    its answer: the member rejoins forever. pauseable_kafka_python.join cures it (the controller case below)."""
    from kafka import KafkaConsumer

    topic = new_topic()
    consumer = KafkaConsumer(bootstrap_servers=kafka_cluster.bootstrap_servers, group_id=group_id)
    try:
        consumer.subscribe([topic])
        seen = _short_polls_spaced_out(lambda: consumer.poll(timeout_ms=1), consumer.assignment, 6)
        assert seen == [set()] * 6, "kafka-python took up a join that finished between polls: drop the cure"
    finally:
        consumer.close()


def test_kafka_python_through_pauseable_takes_up_a_join_that_finished_between_polls(
    kafka_cluster: KafkaCluster, new_topic: NewTopic, group_id: str
) -> None:
    from kafka import KafkaConsumer

    import pauseable

    topic = new_topic()
    ctl = pauseable.controller(KafkaConsumer(bootstrap_servers=kafka_cluster.bootstrap_servers, group_id=group_id))
    try:
        ctl.subscribe([topic])
        seen = _short_polls_spaced_out(lambda: ctl.poll(0.001), ctl.assignment, 6)
        assert seen[-1] == {pauseable.TopicPartition(topic, 0)}, seen
    finally:
        ctl.close()


@pytest.mark.extra  # the native pin; the cure's test beside it stays in make test
def test_kafka_python_keeps_its_old_assignment_when_a_rejoin_for_new_partitions_finished_between_polls(
    kafka_cluster: KafkaCluster, new_topic: NewTopic, group_id: str
) -> None:
    """3.0.x: the leader rejoins when the metadata changed (here: the topic gained a partition), but that
    rejoin is asked for by comparing metadata snapshots, and the leader's assignment inside the join updates the
    snapshot: once the join finished between polls no poll takes its answer up, and the member keeps its old
    assignment for good while the group believes it owns the new one. The flow ledger test's member, started on
    a topic created just before, was stuck assigned nothing this way (1 run in ~5 under load)."""
    from kafka import KafkaConsumer, TopicPartition

    topic = new_topic()
    consumer = KafkaConsumer(
        bootstrap_servers=kafka_cluster.bootstrap_servers, group_id=group_id, metadata_max_age_ms=300
    )
    try:
        consumer.subscribe([topic])
        deadline = time.monotonic() + 30
        while consumer.assignment() != {TopicPartition(topic, 0)} and time.monotonic() < deadline:
            consumer.poll(timeout_ms=200)
        kafka_cluster.add_partitions(topic, 2)
        seen = _short_polls_spaced_out(lambda: consumer.poll(timeout_ms=1), consumer.assignment, 5)
        assert seen == [{TopicPartition(topic, 0)}] * 5, (
            "kafka-python took the new partition up: drop need_rejoin's cure"
        )
    finally:
        consumer.close()


def test_kafka_python_through_pauseable_takes_up_a_rejoin_for_new_partitions_that_finished_between_polls(
    kafka_cluster: KafkaCluster, new_topic: NewTopic, group_id: str
) -> None:
    from kafka import KafkaConsumer

    import pauseable

    topic = new_topic()
    consumer = KafkaConsumer(
        bootstrap_servers=kafka_cluster.bootstrap_servers, group_id=group_id, metadata_max_age_ms=300
    )
    ctl = pauseable.controller(consumer)
    try:
        ctl.subscribe([topic])
        deadline = time.monotonic() + 30
        while not ctl.assignment() and time.monotonic() < deadline:
            ctl.poll(0.2)
        kafka_cluster.add_partitions(topic, 2)
        seen = _short_polls_spaced_out(lambda: ctl.poll(0.001), ctl.assignment, 5)
        assert seen[-1] == {pauseable.TopicPartition(topic, 0), pauseable.TopicPartition(topic, 1)}, seen
    finally:
        ctl.close()


def test_kafka_python_leaves_the_socket_of_a_refused_connection_open() -> None:
    """kafka-python 3.0.12 bug: ``KafkaNetSocket.sock_connect`` raises on ECONNREFUSED without closing
    the socket (kafka/net/inet.py), so every reconnect attempt to a stopped broker leaves a socket to the
    garbage collector (a ResourceWarning, raised in the client's network thread). Harmless for the fd
    count in CPython, noisy under ``-W error``: pyproject.toml ignores exactly that warning."""
    import select
    import socket

    from kafka.errors import KafkaConnectionError
    from kafka.net.inet import KafkaNetSocket

    made: list[socket.socket] = []

    class Recording(KafkaNetSocket):  # type: ignore[misc]
        SCHEMES = ()  # kafka-python registers every subclass as a proxy scheme handler

        def socket(self, *args: Any, **kwargs: Any) -> socket.socket:
            made.append(super().socket(*args, **kwargs))
            return made[-1]

    class Net:  # the one call sock_connect makes on kafka-python's event loop
        async def wait_write(self, sock: socket.socket, timeout_at: float | None = None) -> None:
            select.select([], [sock], [], 5)

    with socket.socket() as s:  # a loopback port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    addrinfo = socket.getaddrinfo("127.0.0.1", port, socket.AF_INET, socket.SOCK_STREAM)[0]
    with pytest.raises(KafkaConnectionError, match="ECONNREFUSED"):
        asyncio.run(Recording().connect(Net(), addrinfo))
    try:
        assert made[0].fileno() != -1, "kafka-python closes refused sockets now: drop its pyproject.toml filter"
    finally:
        made[0].close()


# -- confluent-kafka -------------------------------------------------------------------------


def test_confluent_reports_missing_offsets_as_negative_sentinels(
    kafka_cluster: KafkaCluster, topic: str, group_id: str, producer: Producer
) -> None:
    from confluent_kafka import OFFSET_END, OFFSET_INVALID, Consumer, KafkaError, KafkaException, TopicPartition

    producer.produce(topic, 3, timestamp_ms=1_700_000_000_000)
    consumer = Consumer({"bootstrap.servers": kafka_cluster.bootstrap_servers, "group.id": group_id})
    try:
        tp = TopicPartition(topic, 0)
        consumer.assign([tp])
        assert consumer.committed([tp], timeout=10)[0].offset == OFFSET_INVALID == -1001
        assert consumer.position([tp])[0].offset == OFFSET_INVALID
        late = consumer.offsets_for_times([TopicPartition(topic, 0, 1_800_000_000_000)], timeout=10)
        assert late[0].offset == OFFSET_END == -1
        with pytest.raises(KafkaException) as caught:
            consumer.commit(asynchronous=False)  # nothing consumed: nothing stored to commit
        assert caught.value.args[0].code() == KafkaError._NO_OFFSET
    finally:
        consumer.close()


def test_confluent_seek_right_after_assign_fails_and_position_ignores_seeks(
    kafka_cluster: KafkaCluster, topic: str, group_id: str, producer: Producer
) -> None:
    from confluent_kafka import OFFSET_INVALID, Consumer, KafkaError, KafkaException, TopicPartition

    producer.produce(topic, 10)
    consumer = Consumer(
        {"bootstrap.servers": kafka_cluster.bootstrap_servers, "group.id": group_id, "auto.offset.reset": "earliest"}
    )
    try:
        consumer.assign([TopicPartition(topic, 0)])
        with pytest.raises(KafkaException) as caught:
            consumer.seek(TopicPartition(topic, 0, 7))  # the fetcher has not started yet
        assert caught.value.args[0].code() == KafkaError._STATE
        deadline = time.monotonic() + 10
        while True:
            try:
                consumer.seek(TopicPartition(topic, 0, 7))
                break
            except KafkaException:
                assert time.monotonic() < deadline
                time.sleep(0.01)
        assert consumer.position([TopicPartition(topic, 0)])[0].offset == OFFSET_INVALID  # not 7
        offsets: list[int] = []
        while len(offsets) < 3 and time.monotonic() < deadline:
            offsets += [m.offset() for m in consumer.consume(10, timeout=0.5) if m.error() is None]
        assert offsets == [7, 8, 9]
    finally:
        consumer.close()


def test_confluent_seek_after_delivery_forgets_the_position_until_the_next_record(
    kafka_cluster: KafkaCluster, topic: str, group_id: str, producer: Producer
) -> None:
    """Why the adapter remembers the waking seek of a resume: without it, a resumed partition's position
    was unknown until its next record, so commit() and Rebuild left it out (a takeover redelivered)."""
    from confluent_kafka import OFFSET_INVALID, Consumer, TopicPartition

    producer.produce(topic, 7)
    consumer = Consumer(
        {"bootstrap.servers": kafka_cluster.bootstrap_servers, "group.id": group_id, "auto.offset.reset": "earliest"}
    )
    tp = TopicPartition(topic, 0)
    try:
        consumer.assign([TopicPartition(topic, 0, 0)])  # from offset 0: no committed-offset lookup
        offsets: list[int] = []
        deadline = time.monotonic() + 30
        while len(offsets) < 7 and time.monotonic() < deadline:
            offsets += [m.offset() for m in consumer.consume(10, timeout=0.5) if m.error() is None]
        assert offsets == list(range(7))
        assert consumer.position([tp])[0].offset == 7
        consumer.pause([tp])
        consumer.resume([tp])
        assert consumer.position([tp])[0].offset == 7  # pause and resume keep it
        consumer.seek(TopicPartition(topic, 0, 7))  # to where it already is
        assert consumer.position([tp])[0].offset == OFFSET_INVALID  # forgotten
        consumer.consume(10, timeout=0.3)
        assert consumer.position([tp])[0].offset == OFFSET_INVALID  # until a record is handed over
    finally:
        consumer.close()


def test_confluent_seek_back_keeps_the_stored_offset_so_a_commit_passes_the_records_sought_back_to(
    kafka_cluster: KafkaCluster, topic: str, group_id: str, producer: Producer
) -> None:
    """Why the controller warns when it holds records back on librdkafka with auto offset store on (its
    default): their offsets were stored as consume() handed them out, and neither seek nor store_offsets
    (refused under auto store) takes that back."""
    from confluent_kafka import Consumer, KafkaError, KafkaException, TopicPartition

    producer.produce(topic, 10)
    consumer = Consumer(
        {"bootstrap.servers": kafka_cluster.bootstrap_servers, "group.id": group_id, "enable.auto.commit": False}
    )
    tp = TopicPartition(topic, 0)
    try:
        consumer.assign([TopicPartition(topic, 0, 0)])
        offsets: list[int] = []
        deadline = time.monotonic() + 30
        while len(offsets) < 10 and time.monotonic() < deadline:
            offsets += [m.offset() for m in consumer.consume(10, timeout=0.5) if m.error() is None]
        assert offsets == list(range(10))
        consumer.seek(TopicPartition(topic, 0, 3))
        with pytest.raises(KafkaException) as caught:
            consumer.store_offsets(offsets=[TopicPartition(topic, 0, 3)])
        assert caught.value.args[0].code() == KafkaError._INVALID_ARG
        consumer.commit(asynchronous=False)  # the stored offsets, as an auto commit or a revocation commits them
        assert consumer.committed([tp], timeout=10)[0].offset == 10  # past 3-9, which were sought back to
    finally:
        consumer.close()


# -- pause across a rebalance ------------------------------------------------------------------

#: After an eager rebalance (the partitions all revoked, then each member given one back, then the
#: second member leaves): is a partition that was paused before still paused natively?
#: (kept for the partition that stayed, kept for the one that came back)
NATIVE_PAUSE_AFTER_REBALANCE = {
    "confluent-kafka": (True, True),  # librdkafka keeps the pause flag of a revoked partition
    "kafka-python": (True, False),  # kept for partitions retained across the rebalance only
    "aiokafka": (False, False),  # every rebalance clears it
}


@pytest.mark.parametrize(
    "client",
    [  # librdkafka's case waits out its rebalances (13 s): make test-extra (the contract's cure is the suite's)
        pytest.param(c, marks=pytest.mark.extra) if c == "confluent-kafka" else c
        for c in sorted(NATIVE_PAUSE_AFTER_REBALANCE)
    ],
)
def test_native_pause_across_a_rebalance(
    client: str, kafka_cluster: KafkaCluster, new_topic: NewTopic, group_id: str, producer: Producer
) -> None:
    topic = new_topic(partitions=2)
    bootstrap = kafka_cluster.bootstrap_servers
    if client == "aiokafka":
        stayed, returned = asyncio.run(_aiokafka_rebalance(bootstrap, topic, group_id))
    else:
        stayed, returned = _sync_rebalance(client, bootstrap, topic, group_id, producer)
    assert (stayed, returned) == NATIVE_PAUSE_AFTER_REBALANCE[client]


def _sync_rebalance(client: str, bootstrap: str, topic: str, group: str, producer: Producer) -> tuple[bool, bool]:
    if client == "kafka-python":
        from kafka import KafkaConsumer

        def make() -> Any:
            return KafkaConsumer(
                bootstrap_servers=bootstrap, group_id=group, auto_offset_reset="earliest", heartbeat_interval_ms=300
            )

        def poll(c: Any) -> list[tuple[int, int]]:
            return [(tp.partition, r.offset) for tp, rs in c.poll(300).items() for r in rs]

        def assigned(c: Any) -> set[int]:
            return {tp.partition for tp in c.assignment()}

        def pause_all(c: Any) -> None:
            c.pause(*c.assignment())

        def paused(c: Any, partition: int) -> bool:
            return any(tp.partition == partition for tp in c.paused())

    else:
        from confluent_kafka import Consumer

        def make() -> Any:
            return Consumer({"bootstrap.servers": bootstrap, "group.id": group, "auto.offset.reset": "earliest"})

        def poll(c: Any) -> list[tuple[int, int]]:
            return [(m.partition(), m.offset()) for m in c.consume(100, 0.3) if m.error() is None]

        def assigned(c: Any) -> set[int]:
            return {tp.partition for tp in c.assignment()}

        def pause_all(c: Any) -> None:
            c.pause(c.assignment())

        def paused(c: Any, partition: int) -> bool:  # no paused() query: does a fresh record arrive?
            producer.produce(topic, 1, partition=partition)
            deadline = time.monotonic() + 3
            while time.monotonic() < deadline:
                if any(p == partition for p, _ in poll(c)):
                    return False
            return True

    a, b = make(), make()
    try:
        a.subscribe([topic])
        _until(lambda: assigned(a) == {0, 1}, lambda: poll(a))
        pause_all(a)
        b.subscribe([topic])
        _until(lambda: len(assigned(a)) == 1 and len(assigned(b)) == 1, lambda: (poll(a), poll(b)))
        (kept,) = assigned(a)
        b.close()
        b = None
        _until(lambda: assigned(a) == {0, 1}, lambda: poll(a))
        return paused(a, kept), paused(a, 1 - kept)
    finally:
        a.close()
        if b is not None:
            b.close()


async def _aiokafka_rebalance(bootstrap: str, topic: str, group: str) -> tuple[bool, bool]:
    from aiokafka import AIOKafkaConsumer

    def make() -> Any:
        return AIOKafkaConsumer(
            bootstrap_servers=bootstrap, group_id=group, auto_offset_reset="earliest", heartbeat_interval_ms=300
        )

    async def until(condition: Callable[[], bool], *members: Any) -> None:
        deadline = time.monotonic() + 30
        while not condition():
            assert time.monotonic() < deadline, "no rebalance within 30 s"
            for member in members:
                await member.getmany(timeout_ms=200)

    a, b = make(), make()
    await a.start()
    await b.start()
    try:
        a.subscribe([topic])
        await until(lambda: len(a.assignment()) == 2, a)
        a.pause(*a.assignment())
        b.subscribe([topic])
        await until(lambda: len(a.assignment()) == 1 and len(b.assignment()) == 1, a, b)
        (kept,) = a.assignment()
        await b.stop()
        await until(lambda: len(a.assignment()) == 2, a)
        paused = a.paused()
        return kept in paused, any(tp != kept for tp in paused)
    finally:
        await a.stop()
        await b.stop()


def _until(condition: Callable[[], bool], step: Callable[[], object], timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"condition not met within {timeout:.0f} s"
        step()
