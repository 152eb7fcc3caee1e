"""Resume: delivery continues at exactly the next offset, nothing lost, nothing duplicated."""

from __future__ import annotations

import pytest

from pauseable.types import TopicPartition
from pauseable_testing.harness import BackendHarness, NewTopic, count
from pauseable_testing.suite.fixtures import SuiteFixtures


@pytest.mark.pauseable_conformance
class AbstractResumeTests(SuiteFixtures):
    """Resuming partitions."""

    def test_resume_continues_at_exactly_the_next_offset(
        self, harness: BackendHarness, topic: str, group_id: str
    ) -> None:
        tp = TopicPartition(topic, 0)
        harness.produce(topic, 10)
        ctl = harness.controller(group_id)
        ctl.assign([tp])
        got = harness.consume(ctl, lambda d: count(d) >= 10)
        ctl.pause(tp)
        harness.produce(topic, 10)
        harness.poll_for(ctl, 0.5, into=got)
        ctl.resume(tp)
        harness.consume(ctl, lambda d: count(d) >= 20, into=got)
        harness.poll_for(ctl, 0.3, into=got)
        assert got == {tp: list(range(20))}

    def test_resume_continues_at_the_next_offset_on_many_partitions(
        self, harness: BackendHarness, new_topic: NewTopic, group_id: str
    ) -> None:
        topic = new_topic(partitions=3)
        tps = [TopicPartition(topic, p) for p in range(3)]
        for tp in tps:
            harness.produce(topic, 20, partition=tp.partition)
        ctl = harness.controller(group_id)
        ctl.assign(tps)
        got = harness.consume(ctl, lambda d: all(count(d, tp) >= 20 for tp in tps))
        ctl.pause(tps)
        for tp in tps:
            harness.produce(topic, 30, partition=tp.partition)
        harness.poll_for(ctl, 0.5, into=got)
        assert all(count(got, tp) == 20 for tp in tps)
        ctl.resume(tps)
        harness.consume(ctl, lambda d: all(count(d, tp) >= 50 for tp in tps), into=got)
        harness.poll_for(ctl, 0.3, into=got)
        assert all(got[tp] == list(range(50)) for tp in tps)

    def test_resume_delivers_records_that_were_buffered_when_the_partition_was_paused(
        self, harness: BackendHarness, new_topic: NewTopic, group_id: str
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

    def test_resuming_several_partitions_paused_mid_fetch_delivers_all_of_them(
        self, harness: BackendHarness, new_topic: NewTopic, group_id: str
    ) -> None:
        topic = new_topic(partitions=2)
        p0, p1 = TopicPartition(topic, 0), TopicPartition(topic, 1)
        for tp in (p0, p1):
            harness.produce(topic, 200, partition=tp.partition)
        ctl = harness.controller(group_id)
        ctl.assign([p0, p1])
        got = harness.consume(ctl, lambda d: count(d) >= 1, max_records=3)
        first = next(iter(got))
        ctl.pause(first)  # the rest of its fetch is still buffered in the client
        other = p1 if first == p0 else p0
        harness.consume(ctl, lambda d: count(d, other) >= 1, into=got, max_records=3)
        ctl.pause(other)  # both partitions now hold buffered records, paused
        harness.poll_for(ctl, 0.3, into=got)
        ctl.resume([p0, p1])
        harness.consume(ctl, lambda d: count(d) >= 400, into=got, what="both partitions' buffered records")
        assert got == {p0: list(range(200)), p1: list(range(200))}

    def test_resuming_is_idempotent(self, harness: BackendHarness, topic: str, group_id: str) -> None:
        tp = TopicPartition(topic, 0)
        ctl = harness.controller(group_id)
        ctl.assign([tp])
        ctl.pause(tp)
        ctl.resume(tp)
        ctl.resume([tp, tp])
        assert ctl.paused() == set()
        harness.produce(topic, 3)
        assert harness.consume(ctl, lambda d: count(d) >= 3) == {tp: [0, 1, 2]}

    def test_resuming_a_partition_that_was_never_paused_changes_nothing(
        self, harness: BackendHarness, topic: str, group_id: str
    ) -> None:
        tp = TopicPartition(topic, 0)
        harness.produce(topic, 4)
        ctl = harness.controller(group_id)
        ctl.assign([tp])
        got = harness.consume(ctl, lambda d: count(d) >= 2, max_records=2)
        ctl.resume(tp)
        harness.consume(ctl, lambda d: count(d) >= 4, into=got)
        assert got == {tp: [0, 1, 2, 3]}

    def test_the_position_after_a_resume_is_the_next_offset_to_deliver_and_commit_keeps_it(
        self, harness: BackendHarness, new_topic: NewTopic, group_id: str
    ) -> None:
        topic = new_topic(partitions=2)
        p0, p1 = TopicPartition(topic, 0), TopicPartition(topic, 1)
        harness.produce(topic, 7, partition=0)
        ctl = harness.controller(group_id)
        ctl.assign([p0, p1])
        harness.consume(ctl, lambda d: count(d, p0) >= 7)
        ctl.pause(p0)
        ctl.resume(p0)
        assert ctl.position(p0) == 7
        ctl.commit()  # every assigned partition's position, the resumed one included
        assert ctl.committed([p0]) == {p0: 7}
