"""Pause: delivery stops at once, for exactly the partitions paused."""

from __future__ import annotations

import pytest

from pauseable.errors import NotAssignedError
from pauseable.types import TopicPartition
from pauseable_testing.harness import BackendHarness, Delivered, NewTopic, count
from pauseable_testing.suite.fixtures import SuiteFixtures


@pytest.mark.pauseable_conformance
class AbstractPauseTests(SuiteFixtures):
    """Pausing partitions."""

    def test_pausing_a_partition_stops_its_delivery_at_once_while_others_flow(
        self, harness: BackendHarness, new_topic: NewTopic, group_id: str
    ) -> None:
        harness.requires("consumer_groups")
        topic = new_topic(partitions=2)
        p0, p1 = TopicPartition(topic, 0), TopicPartition(topic, 1)
        harness.produce(topic, 200, partition=0)
        harness.produce(topic, 200, partition=1)
        ctl = harness.controller(group_id)
        ctl.subscribe(topic)
        got: Delivered = {}
        # Few records per poll: the client has buffered far more of p0 than it handed over.
        harness.consume(ctl, lambda d: count(d, p0) >= 1, into=got, max_records=3)
        ctl.pause(p0)
        held = count(got, p0)
        assert ctl.position(p0) == held
        harness.produce(topic, 50, partition=0)
        harness.produce(topic, 50, partition=1)
        harness.consume(ctl, lambda d: count(d, p1) >= 250, into=got, what="all of p1")
        harness.poll_for(ctl, 0.5, into=got)
        assert count(got, p0) == held, "records of a paused partition were delivered"

    def test_pausing_every_partition_delivers_nothing_and_keeps_positions(
        self, harness: BackendHarness, new_topic: NewTopic, group_id: str
    ) -> None:
        topic = new_topic(partitions=2)
        tps = [TopicPartition(topic, 0), TopicPartition(topic, 1)]
        harness.produce(topic, 3, partition=0)
        harness.produce(topic, 3, partition=1)
        ctl = harness.controller(group_id)
        ctl.assign(tps)
        harness.consume(ctl, lambda d: count(d) >= 6)
        ctl.pause(tps)
        harness.produce(topic, 5, partition=0)
        harness.produce(topic, 5, partition=1)
        assert harness.poll_for(ctl, 1.0) == {}
        assert [ctl.position(tp) for tp in tps] == [3, 3]

    def test_pausing_is_idempotent(self, harness: BackendHarness, topic: str, group_id: str) -> None:
        tp = TopicPartition(topic, 0)
        ctl = harness.controller(group_id)
        ctl.assign([tp])
        ctl.pause(tp)
        ctl.pause([tp, tp])
        assert ctl.paused() == {tp}
        ctl.resume(tp)
        harness.produce(topic, 3)
        assert harness.consume(ctl, lambda d: count(d) >= 3) == {tp: [0, 1, 2]}

    def test_pausing_no_partitions_changes_nothing(self, harness: BackendHarness, topic: str, group_id: str) -> None:
        tp = TopicPartition(topic, 0)
        ctl = harness.controller(group_id)
        ctl.assign([tp])
        ctl.pause([])
        assert ctl.paused() == set()
        harness.produce(topic, 2)
        assert harness.consume(ctl, lambda d: count(d) >= 2) == {tp: [0, 1]}

    def test_paused_lists_exactly_the_paused_partitions(
        self, harness: BackendHarness, new_topic: NewTopic, group_id: str
    ) -> None:
        topic = new_topic(partitions=3)
        p0, p1, p2 = (TopicPartition(topic, p) for p in range(3))
        ctl = harness.controller(group_id)
        ctl.assign([p0, p1, p2])
        ctl.pause(p0)
        assert ctl.paused() == {p0}
        ctl.pause([p1])
        assert ctl.paused() == {p0, p1}
        ctl.resume(p0)
        assert ctl.paused() == {p1}

    def test_pausing_an_unassigned_partition_raises_and_changes_nothing(
        self, harness: BackendHarness, new_topic: NewTopic, group_id: str
    ) -> None:
        topic = new_topic(partitions=2)
        p0, p1 = TopicPartition(topic, 0), TopicPartition(topic, 1)
        ctl = harness.controller(group_id)
        ctl.assign([p0])
        with pytest.raises(NotAssignedError, match=rf"{topic}\[1\].*not assigned"):
            ctl.pause([p0, p1])
        assert ctl.paused() == set(), "nothing half-done: p0 must not be paused"
        harness.produce(topic, 3, partition=0)
        assert harness.consume(ctl, lambda d: count(d) >= 3) == {p0: [0, 1, 2]}
