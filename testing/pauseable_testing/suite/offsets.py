"""Offsets: committed, commit, position, end offsets and offsets for times."""

from __future__ import annotations

import pytest

from pauseable.types import TopicPartition
from pauseable_testing.harness import BackendHarness, NewTopic, count
from pauseable_testing.suite.fixtures import SuiteFixtures

EARLY, LATE = 1_700_000_000_000, 1_700_000_060_000


@pytest.mark.pauseable_conformance
class AbstractOffsetTests(SuiteFixtures):
    """Reading and committing offsets."""

    def test_committed_is_none_before_any_commit(
        self, harness: BackendHarness, new_topic: NewTopic, group_id: str
    ) -> None:
        topic = new_topic(partitions=2)
        p0, p1 = TopicPartition(topic, 0), TopicPartition(topic, 1)
        ctl = harness.controller(group_id)
        ctl.assign([p0, p1])
        assert ctl.committed([p0, p1]) == {p0: None, p1: None}

    def test_committed_is_the_offset_of_the_last_commit(
        self, harness: BackendHarness, topic: str, group_id: str
    ) -> None:
        tp = TopicPartition(topic, 0)
        harness.produce(topic, 5)
        ctl = harness.controller(group_id)
        ctl.assign([tp])
        ctl.commit({tp: 3})
        assert ctl.committed(tp) == {tp: 3}
        ctl.commit({tp: 1})  # going back is allowed
        assert ctl.committed(tp) == {tp: 1}

    def test_commit_without_offsets_commits_the_consumed_positions(
        self, harness: BackendHarness, topic: str, group_id: str
    ) -> None:
        tp = TopicPartition(topic, 0)
        harness.produce(topic, 5)
        ctl = harness.controller(group_id)
        ctl.assign([tp])
        harness.consume(ctl, lambda d: count(d) >= 5)
        ctl.commit()
        assert ctl.committed(tp) == {tp: 5}

    def test_commit_without_offsets_commits_sought_positions_too(
        self, harness: BackendHarness, new_topic: NewTopic, group_id: str
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

    def test_a_new_consumer_of_the_group_starts_at_the_committed_offset(
        self, harness: BackendHarness, topic: str, group_id: str
    ) -> None:
        tp = TopicPartition(topic, 0)
        harness.produce(topic, 6)
        first = harness.controller(group_id)
        first.assign([tp])
        first.commit({tp: 4})
        first.close()
        second = harness.controller(group_id)
        second.assign([tp])
        assert harness.consume(second, lambda d: count(d) >= 2) == {tp: [4, 5]}

    def test_position_is_the_next_offset_to_deliver(self, harness: BackendHarness, topic: str, group_id: str) -> None:
        tp = TopicPartition(topic, 0)
        harness.produce(topic, 7)
        ctl = harness.controller(group_id)
        ctl.assign([tp])
        harness.consume(ctl, lambda d: count(d) >= 7)
        assert ctl.position(tp) == 7

    def test_end_offsets_are_the_offset_the_next_record_will_get(
        self, harness: BackendHarness, new_topic: NewTopic, group_id: str
    ) -> None:
        topic = new_topic(partitions=2)
        p0, p1 = TopicPartition(topic, 0), TopicPartition(topic, 1)
        harness.produce(topic, 7, partition=0)
        ctl = harness.controller(group_id)
        ctl.assign([p0])
        assert ctl.end_offsets([p0, p1]) == {p0: 7, p1: 0}  # p1 is not assigned: still answered
        assert harness.produce(topic, 1, partition=0) == [7]

    def test_committed_is_answered_for_partitions_not_assigned(
        self, harness: BackendHarness, new_topic: NewTopic, group_id: str
    ) -> None:
        topic = new_topic(partitions=2)
        p0, p1 = TopicPartition(topic, 0), TopicPartition(topic, 1)
        ctl = harness.controller(group_id)
        ctl.assign([p0])
        ctl.commit({p0: 0})
        assert ctl.committed([p1]) == {p1: None}

    def test_offsets_for_times_finds_the_first_record_at_or_after_a_timestamp(
        self, harness: BackendHarness, topic: str, group_id: str
    ) -> None:
        harness.requires("offsets_for_times")
        tp = TopicPartition(topic, 0)
        assert harness.produce(topic, 4, timestamp_ms=EARLY) == [0, 1, 2, 3]
        assert harness.produce(topic, 3, timestamp_ms=LATE) == [4, 5, 6]
        ctl = harness.controller(group_id)
        ctl.assign([tp])
        assert ctl.offsets_for_times({tp: EARLY}) == {tp: 0}
        assert ctl.offsets_for_times({tp: EARLY + 1}) == {tp: 4}
        assert ctl.offsets_for_times({tp: LATE}) == {tp: 4}

    def test_offsets_for_times_is_none_past_the_last_record(
        self, harness: BackendHarness, topic: str, group_id: str
    ) -> None:
        harness.requires("offsets_for_times")
        tp = TopicPartition(topic, 0)
        harness.produce(topic, 2, timestamp_ms=EARLY)
        ctl = harness.controller(group_id)
        ctl.assign([tp])
        assert ctl.offsets_for_times({tp: LATE}) == {tp: None}
