"""Seeking: to an offset, to a named end of the log, and to the end eagerly."""

from __future__ import annotations

import pytest

from pauseable.types import Offset, TopicPartition
from pauseable_testing.harness import BackendHarness, NewTopic, count
from pauseable_testing.suite.fixtures import SuiteFixtures


@pytest.mark.pauseable_conformance
class AbstractSeekTests(SuiteFixtures):
    """Moving the position."""

    def test_seek_to_end_is_eager_and_returns_the_end_offsets(
        self, harness: BackendHarness, new_topic: NewTopic, group_id: str
    ) -> None:
        topic = new_topic(partitions=2)
        p0, p1 = TopicPartition(topic, 0), TopicPartition(topic, 1)
        harness.produce(topic, 10, partition=0)
        harness.produce(topic, 4, partition=1)
        ctl = harness.controller(group_id)
        ctl.assign([p0, p1])
        assert ctl.seek_to_end([p0, p1]) == {p0: 10, p1: 4}
        assert ctl.position(p0) == 10
        assert ctl.position(p1) == 4

    def test_a_record_produced_right_after_seek_to_end_is_delivered(
        self, harness: BackendHarness, topic: str, group_id: str
    ) -> None:
        tp = TopicPartition(topic, 0)
        harness.produce(topic, 10)
        ctl = harness.controller(group_id)
        ctl.assign([tp])
        ctl.seek_to_end([tp])
        # Produced after seek_to_end returned, before any poll: must be delivered, not skipped.
        assert harness.produce(topic, 1) == [10]
        got = harness.consume(ctl, lambda d: count(d) >= 1)
        harness.poll_for(ctl, 0.3, into=got)
        assert got == {tp: [10]}

    def test_seek_to_end_of_an_empty_partition_returns_zero(
        self, harness: BackendHarness, topic: str, group_id: str
    ) -> None:
        tp = TopicPartition(topic, 0)
        ctl = harness.controller(group_id)
        ctl.assign([tp])
        assert ctl.seek_to_end([tp]) == {tp: 0}
        harness.produce(topic, 2)
        assert harness.consume(ctl, lambda d: count(d) >= 2) == {tp: [0, 1]}

    def test_seek_to_end_without_arguments_covers_every_assigned_partition(
        self, harness: BackendHarness, new_topic: NewTopic, group_id: str
    ) -> None:
        topic = new_topic(partitions=6)
        tps = [TopicPartition(topic, p) for p in range(6)]
        for tp in tps:
            harness.produce(topic, tp.partition + 1, partition=tp.partition)
        ctl = harness.controller(group_id)
        ctl.assign(tps)
        assert ctl.seek_to_end() == {tp: tp.partition + 1 for tp in tps}
        assert harness.poll_for(ctl, 0.5) == {}

    def test_seek_to_end_of_a_paused_partition_keeps_it_paused(
        self, harness: BackendHarness, topic: str, group_id: str
    ) -> None:
        tp = TopicPartition(topic, 0)
        harness.produce(topic, 5)
        ctl = harness.controller(group_id)
        ctl.assign([tp])
        ctl.pause(tp)
        assert ctl.seek_to_end([tp]) == {tp: 5}
        assert ctl.paused() == {tp}
        harness.produce(topic, 2)
        got = harness.poll_for(ctl, 0.5)
        assert got == {}
        ctl.resume(tp)
        harness.consume(ctl, lambda d: count(d) >= 2, into=got)
        assert got == {tp: [5, 6]}

    def test_seek_to_an_absolute_offset_delivers_from_there(
        self, harness: BackendHarness, topic: str, group_id: str
    ) -> None:
        tp = TopicPartition(topic, 0)
        harness.produce(topic, 10)
        ctl = harness.controller(group_id)
        ctl.assign([tp])
        ctl.seek(tp, 7)
        assert ctl.position(tp) == 7
        assert harness.consume(ctl, lambda d: count(d) >= 3) == {tp: [7, 8, 9]}

    def test_seek_to_beginning_delivers_again_from_the_first_offset(
        self, harness: BackendHarness, topic: str, group_id: str
    ) -> None:
        tp = TopicPartition(topic, 0)
        harness.produce(topic, 5)
        ctl = harness.controller(group_id)
        ctl.assign([tp])
        got = harness.consume(ctl, lambda d: count(d) >= 5)
        ctl.seek(tp, Offset.BEGINNING)
        assert ctl.position(tp) == 0
        harness.consume(ctl, lambda d: count(d) >= 10, into=got)
        assert got == {tp: [0, 1, 2, 3, 4, 0, 1, 2, 3, 4]}

    def test_seek_to_the_end_sentinel_moves_past_every_record(
        self, harness: BackendHarness, topic: str, group_id: str
    ) -> None:
        tp = TopicPartition(topic, 0)
        harness.produce(topic, 4)
        ctl = harness.controller(group_id)
        ctl.assign([tp])
        ctl.seek(tp, Offset.END)
        assert ctl.position(tp) == 4
        assert harness.produce(topic, 1) == [4]
        assert harness.consume(ctl, lambda d: count(d) >= 1) == {tp: [4]}
