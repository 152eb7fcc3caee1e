"""Skip strategies against the real broker: every produced offset is delivered or reported skipped.

The seeded check of every strategy is the kit's (``pauseable_testing.suite.ledger``, which third parties
run with ``pauseable conformance --ledger``); the cases below are the project's own.
"""

from __future__ import annotations

from pauseable import TopicPartition
from pauseable_testing.harness import BackendHarness, NewTopic, count
from pauseable_testing.suite import AbstractSkipLedgerTests


class TestSkipLedger(AbstractSkipLedgerTests):
    """Every backend x strategy, seeds 1 and 2 (``--pauseable-seeds``): the kit's ledger check."""


def test_a_rebuild_right_after_a_resume_delivers_nothing_twice(
    harness: BackendHarness, new_topic: NewTopic, group_id: str
) -> None:
    """The old failure (seed 205 of the fault schedules): p0 delivered, paused and resumed, then a Rebuild
    resume of p1 before p0's next record. The new consumer must go on from p0's position, not from its
    older committed offset."""
    topic = new_topic(partitions=2)
    p0, p1 = TopicPartition(topic, 0), TopicPartition(topic, 1)
    harness.produce(topic, 7, partition=0)
    ctl = harness.controller(group_id)
    ctl.assign([p0, p1])
    delivered = harness.consume(ctl, lambda d: count(d, p0) >= 7)
    ctl.pause(p0)
    ctl.resume(p0)
    ctl.pause(p1)
    report = ctl.resume(p1, strategy=harness.strategy("rebuild", group_id))
    assert report.ranges == {}
    assert ctl.position(p0) == 7
    harness.produce(topic, 3, partition=0)
    harness.consume(ctl, lambda d: count(d, p0) >= 10, into=delivered)
    harness.poll_for(ctl, 0.5, into=delivered)
    assert delivered == {p0: list(range(10))}


def test_a_rebuild_while_a_discard_is_under_way_delivers_none_of_its_range(
    harness: BackendHarness, new_topic: NewTopic, group_id: str
) -> None:
    """The failure of seed 210 of the fault schedules (confluent-kafka-aio): a discard-until resume reported its
    range skipped, a Rebuild came before the consumer had drained it, and the new consumer, with no rule to drop
    them, delivered the whole range. The hand-over now starts past a range still ahead."""
    topic = new_topic()
    tp = TopicPartition(topic, 0)
    harness.produce(topic, 5)
    ctl = harness.controller(group_id)
    ctl.assign([tp])
    delivered = harness.consume(ctl, lambda d: count(d, tp) >= 5)
    ctl.pause(tp)
    harness.produce(topic, 10)  # 5..14, produced while paused
    report = ctl.resume(tp, strategy=harness.strategy("discard-until", group_id))
    skipped = report.ranges[tp]
    assert (skipped.start, skipped.end, skipped.done) == (5, 15, False)  # to be drained at the next polls
    ctl.resume([], strategy=harness.strategy("rebuild", group_id))  # before any poll drained it
    harness.produce(topic, 3)  # 15..17
    harness.consume(ctl, lambda d: count(d, tp) >= 8, into=delivered)
    harness.poll_for(ctl, 0.5, into=delivered)
    assert delivered == {tp: [0, 1, 2, 3, 4, 15, 16, 17]}, "a range reported skipped was delivered"
    assert skipped.done
