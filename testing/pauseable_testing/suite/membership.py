"""Group membership: rebalances, the user's callbacks, and long pauses."""

from __future__ import annotations

import time

import pytest

from pauseable.types import TopicPartition
from pauseable_testing.harness import BackendHarness, Delivered, NewTopic, count, paused_now
from pauseable_testing.suite.fixtures import SuiteFixtures


@pytest.mark.pauseable_conformance
class AbstractMembershipTests(SuiteFixtures):
    """Pauses across the life of a consumer group."""

    def test_a_partition_pause_ends_when_the_partition_is_revoked(
        self, harness: BackendHarness, new_topic: NewTopic, group_id: str
    ) -> None:
        harness.requires("consumer_groups")
        topic = new_topic(partitions=2)
        p0, p1 = TopicPartition(topic, 0), TopicPartition(topic, 1)
        a_got: Delivered = {}
        b_got: Delivered = {}
        revoked: list[TopicPartition] = []
        a = harness.controller(group_id)
        a.subscribe(topic, on_revoked=revoked.extend)
        harness.join(a, {p0, p1}, a_got)
        a.pause([p0, p1])
        b = harness.controller(group_id)
        b.subscribe(topic)
        harness.consume_all(
            [(a, a_got), (b, b_got)],
            lambda: len(b.assignment()) == 1 and len(a.assignment()) == 1,
            what="a rebalance giving each member one partition",
        )
        (a_tp,) = a.assignment()
        (b_tp,) = b.assignment()
        assert b_tp in revoked, "the partition b got was revoked from a first"
        # Each revoked partition's pause ended with it. An eager protocol revokes both, so a_tp came back
        # unpaused; an incremental one (cooperative-sticky, KIP-848) keeps a_tp assigned, and its pause with it.
        assert a.paused() == {a_tp} - set(revoked)
        a.resume(a_tp)
        harness.produce(topic, 5, partition=0)
        harness.produce(topic, 5, partition=1)
        harness.consume_all(
            [(a, a_got), (b, b_got)],
            lambda: count(a_got, a_tp) >= 5 and count(b_got, b_tp) >= 5,
            what="each member's records",
        )
        assert a_got == {a_tp: list(range(5))}

    def test_the_assigned_callback_runs_after_sticky_pauses_are_applied(
        self, harness: BackendHarness, new_topic: NewTopic, group_id: str
    ) -> None:
        harness.requires("consumer_groups")
        topic = new_topic(partitions=2)
        both = [TopicPartition(topic, 0), TopicPartition(topic, 1)]
        seen: list[tuple[list[TopicPartition], frozenset[TopicPartition]]] = []
        ctl = harness.controller(group_id)
        ctl.pause_topics(topic)
        ctl.subscribe(topic, on_assigned=lambda tps: seen.append((sorted(tps), paused_now(ctl))))
        harness.consume(ctl, lambda _: any(tps == both for tps, _ in seen), what="both partitions assigned")
        # Clients may first report an empty assignment (kafka-python does, before it has metadata).
        paused_then = next(paused for tps, paused in seen if tps == both)
        assert paused_then == set(both)

    def test_the_revoked_callback_gets_the_partitions_before_they_are_given_up(
        self, harness: BackendHarness, new_topic: NewTopic, group_id: str
    ) -> None:
        harness.requires("consumer_groups")
        topic = new_topic(partitions=2)
        both = {TopicPartition(topic, 0), TopicPartition(topic, 1)}
        revoked: list[tuple[frozenset[TopicPartition], frozenset[TopicPartition]]] = []
        a = harness.controller(group_id)
        a.subscribe(topic, on_revoked=lambda tps: revoked.append((frozenset(tps), paused_now(a))))
        harness.join(a, both)
        a.pause_topics(topic)
        a.pause(sorted(both))
        b = harness.controller(group_id)
        b.subscribe(topic)
        harness.consume_all([(a, {}), (b, {})], lambda: len(b.assignment()) == 1, what="b joining")
        revoked_then, paused_then = next((tps, paused) for tps, paused in revoked if tps)
        # An eager protocol revokes both partitions; an incremental one (cooperative-sticky, KIP-848) only b's.
        assert b.assignment() <= revoked_then <= both
        assert paused_then == both, "pause state is dropped only after the user's callback"

    def test_a_pause_longer_than_max_poll_interval_keeps_the_consumer_in_its_group(
        self, harness: BackendHarness, new_topic: NewTopic, group_id: str
    ) -> None:
        harness.requires("consumer_groups")
        topic = new_topic(partitions=1)
        tp = TopicPartition(topic, 0)
        revocations: list[list[TopicPartition]] = []
        ctl = harness.controller(
            group_id, max_poll_interval_ms=2000, session_timeout_ms=1500, heartbeat_interval_ms=500
        )
        ctl.subscribe(topic, on_revoked=lambda tps: revocations.append(tps) if tps else None)
        harness.join(ctl, {tp})
        ctl.pause(tp)
        harness.produce(topic, 3)
        deadline = time.monotonic() + 3.5  # well past max.poll.interval.ms, polling all along
        got = harness.poll_for(ctl, deadline - time.monotonic())
        assert got == {}
        assert revocations == [], "the consumer left its group while paused"
        assert ctl.assignment() == {tp}
        ctl.resume(tp)
        harness.consume(ctl, lambda d: count(d) >= 3, into=got)
        assert got == {tp: [0, 1, 2]}
