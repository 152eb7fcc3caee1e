"""The PauseController contract, on every installed backend, against the real broker.

Each test is written once; ``harness`` runs async controllers to completion on its own loop.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

from pauseable import (
    ConsumerClosedError,
    InvalidArgumentError,
    InvalidOffsetError,
    NotAssignedError,
    Offset,
    TopicPartition,
)
from pauseable.testing.harness import BackendHarness, Blocking, Delivered, count

NewTopic = Callable[..., str]


def join(harness: BackendHarness, ctl: Blocking, expected: set[TopicPartition], into: Delivered) -> None:
    """Poll until the group gave ``ctl`` exactly ``expected``."""
    harness.consume(ctl, lambda _: ctl.assignment() == expected, what=f"assignment {sorted(expected)}", into=into)


def test_pause_stops_delivery_at_once_including_buffered_records_while_others_flow(
    harness: BackendHarness, new_topic: NewTopic, group_id: str
) -> None:
    topic = new_topic(partitions=2)
    p0, p1 = TopicPartition(topic, 0), TopicPartition(topic, 1)
    harness.produce(topic, 200, partition=0)
    harness.produce(topic, 200, partition=1)
    ctl = harness.controller(group_id)
    ctl.subscribe(topic)
    got: Delivered = {}
    # Few records per poll: the client has fetched (buffered) far more of p0 than it handed over.
    harness.consume(ctl, lambda d: count(d, p0) >= 1, into=got, max_records=3)
    ctl.pause(p0)
    held = count(got, p0)
    assert ctl.paused() == {p0}
    assert ctl.position(p0) == held
    harness.produce(topic, 50, partition=0)
    harness.produce(topic, 50, partition=1)
    harness.consume(ctl, lambda d: count(d, p1) >= 250, into=got, what="all of p1")
    harness.poll_for(ctl, 0.5, into=got)
    assert count(got, p0) == held, "records of a paused partition were delivered"

    ctl.resume(p0)
    assert ctl.paused() == set()
    harness.consume(ctl, lambda d: count(d, p0) >= 250, into=got, what="all of p0 after resume")
    assert got[p0] == list(range(250)), "resume must continue at exactly the next offset"
    assert got[p1] == list(range(250))


def test_resume_delivers_records_that_were_buffered_when_the_partition_was_paused(
    harness: BackendHarness, new_topic: NewTopic, group_id: str
) -> None:
    topic = new_topic(partitions=2)
    p0, p1 = TopicPartition(topic, 0), TopicPartition(topic, 1)
    harness.produce(topic, 200, partition=0)
    ctl = harness.controller(group_id)
    ctl.assign([p0, p1])
    got = harness.consume(ctl, lambda d: count(d, p0) >= 1, max_records=3)
    ctl.pause(p0)  # most of p0's first fetch is still buffered in the client
    harness.produce(topic, 10, partition=1)
    harness.consume(ctl, lambda d: count(d, p1) >= 10, into=got)
    ctl.resume(p0)
    harness.consume(ctl, lambda d: count(d, p0) >= 200, into=got, what="p0's buffered records after resume")
    assert got == {p0: list(range(200)), p1: list(range(10))}


def test_resume_continues_at_the_next_offset_on_many_partitions(
    harness: BackendHarness, new_topic: NewTopic, group_id: str
) -> None:
    topic = new_topic(partitions=3)
    tps = [TopicPartition(topic, p) for p in range(3)]
    for tp in tps:
        harness.produce(topic, 20, partition=tp.partition)
    ctl = harness.controller(group_id)
    ctl.assign(tps)
    got = harness.consume(ctl, lambda d: all(count(d, tp) >= 20 for tp in tps))
    ctl.pause(tps)
    ctl.pause(tps)  # idempotent
    for tp in tps:
        harness.produce(topic, 30, partition=tp.partition)
    harness.poll_for(ctl, 0.5, into=got)
    assert all(count(got, tp) == 20 for tp in tps)
    ctl.resume(tps)
    ctl.resume(tps)  # idempotent
    harness.consume(ctl, lambda d: all(count(d, tp) >= 50 for tp in tps), into=got)
    harness.poll_for(ctl, 0.3, into=got)
    assert all(got[tp] == list(range(50)) for tp in tps)


def test_seek_to_end_is_eager_and_a_record_produced_right_after_is_delivered(
    harness: BackendHarness, new_topic: NewTopic, group_id: str
) -> None:
    topic = new_topic(partitions=2)
    p0, p1 = TopicPartition(topic, 0), TopicPartition(topic, 1)
    harness.produce(topic, 10, partition=0)
    ctl = harness.controller(group_id)
    ctl.assign([p0, p1])
    ends = ctl.seek_to_end()
    assert ends == {p0: 10, p1: 0}  # p1 is empty
    assert ctl.position(p0) == 10
    # Produced after seek_to_end returned, before any poll: must be delivered, not skipped.
    assert harness.produce(topic, 1, partition=0) == [10]
    assert harness.produce(topic, 1, partition=1) == [0]
    got = harness.consume(ctl, lambda d: count(d) >= 2)
    harness.poll_for(ctl, 0.3, into=got)
    assert got == {p0: [10], p1: [0]}


def test_seek_to_a_named_or_absolute_offset(harness: BackendHarness, new_topic: NewTopic, group_id: str) -> None:
    topic = new_topic()
    tp = TopicPartition(topic, 0)
    harness.produce(topic, 10)
    ctl = harness.controller(group_id)
    ctl.assign([tp])
    ctl.seek(tp, 7)
    assert harness.consume(ctl, lambda d: count(d) >= 3)[tp] == [7, 8, 9]
    ctl.seek(tp, Offset.BEGINNING)
    assert harness.consume(ctl, lambda d: count(d) >= 10)[tp] == list(range(10))
    ctl.seek(tp, Offset.END)
    assert ctl.position(tp) == 10


def test_committed_is_none_before_any_commit_and_the_offset_after(
    harness: BackendHarness, new_topic: NewTopic, group_id: str
) -> None:
    topic = new_topic(partitions=2)
    p0, p1 = TopicPartition(topic, 0), TopicPartition(topic, 1)
    harness.produce(topic, 5, partition=0)
    ctl = harness.controller(group_id)
    ctl.assign([p0, p1])
    assert ctl.committed([p0, p1]) == {p0: None, p1: None}
    assert harness.consume(ctl, lambda d: count(d, p0) >= 5) == {p0: [0, 1, 2, 3, 4]}
    ctl.commit({p0: 3})
    assert ctl.committed([p0, p1]) == {p0: 3, p1: None}
    ctl.commit()  # the current positions
    assert ctl.committed(p0) == {p0: 5}


def test_commit_without_offsets_commits_sought_positions_too(
    harness: BackendHarness, new_topic: NewTopic, group_id: str
) -> None:
    topic = new_topic(partitions=2)
    p0, p1 = TopicPartition(topic, 0), TopicPartition(topic, 1)
    harness.produce(topic, 8, partition=0)
    harness.produce(topic, 3, partition=1)
    ctl = harness.controller(group_id)
    ctl.assign([p0, p1])
    ends = ctl.seek_to_end()  # nothing consumed: the positions come from the seek alone
    ctl.commit()
    assert ctl.committed([p0, p1]) == ends == {p0: 8, p1: 3}


def test_position_end_offsets_and_offsets_for_times_agree_with_what_was_produced(
    harness: BackendHarness, new_topic: NewTopic, group_id: str
) -> None:
    topic = new_topic()
    tp = TopicPartition(topic, 0)
    early, late = 1_700_000_000_000, 1_700_000_060_000
    assert harness.produce(topic, 4, timestamp_ms=early) == [0, 1, 2, 3]
    assert harness.produce(topic, 3, timestamp_ms=late) == [4, 5, 6]
    ctl = harness.controller(group_id)
    ctl.assign([tp])
    assert ctl.end_offsets([tp]) == {tp: 7}
    assert ctl.offsets_for_times({tp: early}) == {tp: 0}
    assert ctl.offsets_for_times({tp: early + 1}) == {tp: 4}
    assert ctl.offsets_for_times({tp: late + 1}) == {tp: None}
    harness.consume(ctl, lambda d: count(d) >= 7)
    assert ctl.position(tp) == 7


def test_topic_pause_is_sticky_when_partitions_move_away_and_come_back(
    harness: BackendHarness, new_topic: NewTopic, group_id: str
) -> None:
    topic = new_topic(partitions=2)
    p0, p1 = TopicPartition(topic, 0), TopicPartition(topic, 1)
    a_got: Delivered = {}
    b_got: Delivered = {}
    a = harness.controller(group_id)
    a.subscribe(topic)
    join(harness, a, {p0, p1}, a_got)
    a.pause_topics(topic)
    assert a.paused() == {p0, p1}
    assert a.paused_topics() == {topic}
    harness.produce(topic, 10, partition=0)
    harness.produce(topic, 10, partition=1)

    b = harness.controller(group_id)
    b.subscribe(topic)
    # Both members must poll for the rebalance to complete; b owns one partition afterwards.
    harness.consume_all(
        [(a, a_got), (b, b_got)],
        lambda: len(b.assignment()) == 1 and len(a.assignment()) == 1,
        what="a rebalance giving each member one partition",
    )
    (b_tp,) = b.assignment()
    (a_tp,) = a.assignment()
    assert a.paused() == {a_tp}, "a partition of a paused topic must start paused after a rebalance"
    harness.consume_all([(a, a_got), (b, b_got)], lambda: count(b_got, b_tp) >= 10, what="b's records")
    harness.poll_for(a, 0.5, into=a_got)
    assert a_got == {}

    b.close()  # leaves the group: both partitions come back to a
    join(harness, a, {p0, p1}, a_got)
    assert a.paused() == {p0, p1}, "partitions coming back to a paused topic must start paused"
    harness.poll_for(a, 0.5, into=a_got)
    assert a_got == {}
    a.resume_topics(topic)
    assert a.paused() == set()
    harness.consume(a, lambda d: count(d, p0) >= 10 and count(d, p1) >= 10, into=a_got)
    assert a_got == {p0: list(range(10)), p1: list(range(10))}


def test_a_partition_pause_ends_when_the_partition_is_revoked(
    harness: BackendHarness, new_topic: NewTopic, group_id: str
) -> None:
    topic = new_topic(partitions=2)
    p0, p1 = TopicPartition(topic, 0), TopicPartition(topic, 1)
    a_got: Delivered = {}
    b_got: Delivered = {}
    a = harness.controller(group_id)
    a.subscribe(topic)
    join(harness, a, {p0, p1}, a_got)
    a.pause([p0, p1])
    b = harness.controller(group_id)
    b.subscribe(topic)
    harness.consume_all(
        [(a, a_got), (b, b_got)],
        lambda: len(b.assignment()) == 1 and len(a.assignment()) == 1,
        what="a rebalance giving each member one partition",
    )
    # The rebalance revoked both of a's partitions (an eager protocol): their pauses ended with it.
    (a_tp,) = a.assignment()
    (b_tp,) = b.assignment()
    assert a.paused() == set()
    harness.produce(topic, 5, partition=0)
    harness.produce(topic, 5, partition=1)
    harness.consume_all(
        [(a, a_got), (b, b_got)],
        lambda: count(a_got, a_tp) >= 5 and count(b_got, b_tp) >= 5,
        what="each member's records",
    )
    assert a_got == {a_tp: list(range(5))}


def test_partitions_added_to_a_paused_topic_start_paused(
    harness: BackendHarness, new_topic: NewTopic, group_id: str
) -> None:
    topic = new_topic(partitions=1)
    p0, p1 = TopicPartition(topic, 0), TopicPartition(topic, 1)
    got: Delivered = {}
    ctl = harness.controller(group_id, metadata_max_age_ms=500)
    ctl.subscribe(topic)
    join(harness, ctl, {p0}, got)
    ctl.pause_topics([topic])
    harness.cluster.add_partitions(topic, 2)
    harness.produce(topic, 5, partition=1)
    join(harness, ctl, {p0, p1}, got)
    assert ctl.paused() == {p0, p1}
    harness.poll_for(ctl, 0.5, into=got)
    assert got == {}
    ctl.resume_topics(topic)
    harness.consume(ctl, lambda d: count(d, p1) >= 5, into=got)
    assert got == {p1: list(range(5))}


def test_rebalance_callbacks_are_chained(harness: BackendHarness, new_topic: NewTopic, group_id: str) -> None:
    topic = new_topic(partitions=2)
    seen: list[tuple[str, list[TopicPartition], frozenset[TopicPartition]]] = []
    ctl = harness.controller(group_id)
    ctl.pause_topics(topic)  # before subscribing: the first assignment starts paused
    ctl.subscribe(
        topic,
        on_assigned=lambda tps: seen.append(("assigned", sorted(tps), frozenset(ctl.target._core.paused))),
        on_revoked=lambda tps: seen.append(("revoked", sorted(tps), frozenset())),
    )
    both = [TopicPartition(topic, 0), TopicPartition(topic, 1)]
    harness.consume(ctl, lambda _: ("assigned", both) in [e[:2] for e in seen], what="both partitions assigned")
    # Clients may first report empty assignments (kafka-python does, before it has the topic's metadata).
    assert all(kind in ("assigned", "revoked") for kind, _, _ in seen)
    paused_then = next(paused for kind, tps, paused in seen if kind == "assigned" and tps == both)
    assert paused_then == set(both), "the user's callback runs after sticky pauses are applied"


# -- bad input -------------------------------------------------------------------------------


def test_pausing_an_unassigned_partition_raises_and_changes_nothing(
    harness: BackendHarness, new_topic: NewTopic, group_id: str
) -> None:
    topic = new_topic(partitions=2)
    p0, p1 = TopicPartition(topic, 0), TopicPartition(topic, 1)
    ctl = harness.controller(group_id)
    ctl.assign([p0])
    with pytest.raises(NotAssignedError, match=rf"{topic}\[1\].*not assigned"):
        ctl.pause([p0, p1])
    assert ctl.paused() == set(), "nothing half-done: p0 must not be paused"
    with pytest.raises(NotAssignedError):
        ctl.seek(p1, 0)
    with pytest.raises(NotAssignedError):
        ctl.seek_to_end([p1])
    with pytest.raises(NotAssignedError):
        ctl.position(p1)
    harness.produce(topic, 3, partition=0)
    assert harness.consume(ctl, lambda d: count(d) >= 3) == {p0: [0, 1, 2]}  # still usable


@pytest.mark.parametrize(
    ("call", "error"),
    [
        (lambda ctl, tp: ctl.seek(tp, -5), InvalidOffsetError),
        (lambda ctl, tp: ctl.seek(tp, "5"), InvalidArgumentError),
        (lambda ctl, tp: ctl.seek(tp, True), InvalidArgumentError),
        (lambda ctl, tp: ctl.pause(tp.topic), InvalidArgumentError),
        (lambda ctl, tp: ctl.pause([(tp.topic, 0)]), InvalidArgumentError),
        (lambda ctl, tp: ctl.commit({tp: -1}), InvalidOffsetError),
        (lambda ctl, tp: ctl.commit({tp: Offset.END}), InvalidOffsetError),
        (lambda ctl, tp: ctl.offsets_for_times({tp: -1}), InvalidOffsetError),
        (lambda ctl, tp: ctl.offsets_for_times([tp]), InvalidArgumentError),
        (lambda ctl, tp: ctl.poll(-1), InvalidArgumentError),
        (lambda ctl, tp: ctl.poll(1, 0), InvalidArgumentError),
        (lambda ctl, tp: ctl.pause_topics([""]), InvalidArgumentError),
        (lambda ctl, tp: TopicPartition(tp.topic, -1), InvalidArgumentError),
    ],
    ids=[
        "negative-offset",
        "str-offset",
        "bool-offset",
        "topic-name-as-partitions",
        "tuple-as-partition",
        "negative-commit",
        "sentinel-commit",
        "negative-timestamp",
        "timestamps-not-a-mapping",
        "negative-timeout",
        "zero-max-records",
        "empty-topic-name",
        "negative-partition",
    ],
)
def test_bad_arguments_raise_typed_errors_and_the_consumer_stays_usable(
    harness: BackendHarness, topic: str, group_id: str, call: Callable[..., object], error: type[Exception]
) -> None:
    tp = TopicPartition(topic, 0)
    ctl = harness.controller(group_id)
    ctl.assign([tp])
    with pytest.raises(error):
        call(ctl, tp)
    assert ctl.paused() == set()
    ctl.pause(tp)
    assert ctl.paused() == {tp}


def test_a_closed_consumer_raises_consumer_closed_and_close_is_idempotent(
    harness: BackendHarness, topic: str, group_id: str
) -> None:
    tp = TopicPartition(topic, 0)
    ctl = harness.controller(group_id)
    ctl.assign([tp])
    ctl.close()
    ctl.close()
    for call in (
        lambda: ctl.pause(tp),
        lambda: ctl.resume(tp),
        lambda: ctl.seek_to_end(),
        lambda: ctl.committed(tp),
        lambda: ctl.poll(0.1),
        lambda: ctl.assignment(),
    ):
        with pytest.raises(ConsumerClosedError, match="closed"):
            call()


def test_a_consumer_closed_natively_raises_consumer_closed(harness: BackendHarness, topic: str, group_id: str) -> None:
    tp = TopicPartition(topic, 0)
    ctl = harness.controller(group_id)
    ctl.assign([tp])
    native = ctl.consumer
    harness.run(native.stop() if harness.name == "aiokafka" else native.close())
    with pytest.raises(ConsumerClosedError):
        ctl.pause(tp)
    with pytest.raises(ConsumerClosedError):
        ctl.poll(0.1)
