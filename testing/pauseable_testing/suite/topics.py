"""Topic pauses: every partition of a topic, including partitions assigned later (sticky)."""

from __future__ import annotations

import pytest

from pauseable.types import TopicPartition
from pauseable_testing.harness import BackendHarness, Delivered, NewTopic, count
from pauseable_testing.suite.fixtures import SuiteFixtures


@pytest.mark.pauseable_conformance
class AbstractTopicPauseTests(SuiteFixtures):
    """Pausing and resuming whole topics."""

    def test_pause_topics_pauses_every_assigned_partition_of_the_topic(
        self, harness: BackendHarness, new_topic: NewTopic, group_id: str
    ) -> None:
        topic = new_topic(partitions=3)
        tps = {TopicPartition(topic, p) for p in range(3)}
        ctl = harness.controller(group_id)
        ctl.assign(sorted(tps))
        ctl.pause_topics(topic)
        assert ctl.paused() == tps
        assert ctl.paused_topics() == {topic}
        for tp in tps:
            harness.produce(topic, 2, partition=tp.partition)
        assert harness.poll_for(ctl, 0.8) == {}

    def test_pause_topics_leaves_other_topics_flowing(
        self, harness: BackendHarness, new_topic: NewTopic, group_id: str
    ) -> None:
        paused_topic, flowing_topic = new_topic(), new_topic()
        a, b = TopicPartition(paused_topic, 0), TopicPartition(flowing_topic, 0)
        ctl = harness.controller(group_id)
        ctl.assign([a, b])
        ctl.pause_topics([paused_topic])
        harness.produce(paused_topic, 5)
        harness.produce(flowing_topic, 5)
        got = harness.consume(ctl, lambda d: count(d, b) >= 5)
        harness.poll_for(ctl, 0.3, into=got)
        assert got == {b: list(range(5))}

    def test_resume_topics_ends_the_topic_pause_and_resumes_its_partitions(
        self, harness: BackendHarness, new_topic: NewTopic, group_id: str
    ) -> None:
        topic = new_topic(partitions=2)
        tps = [TopicPartition(topic, 0), TopicPartition(topic, 1)]
        ctl = harness.controller(group_id)
        ctl.assign(tps)
        ctl.pause_topics(topic)
        harness.produce(topic, 3, partition=0)
        harness.produce(topic, 3, partition=1)
        got = harness.poll_for(ctl, 0.5)
        ctl.resume_topics(topic)
        assert ctl.paused() == set()
        assert ctl.paused_topics() == set()
        harness.consume(ctl, lambda d: count(d) >= 6, into=got)
        assert got == {tps[0]: [0, 1, 2], tps[1]: [0, 1, 2]}

    def test_a_topic_paused_before_assignment_starts_paused_when_assigned(
        self, harness: BackendHarness, topic: str, group_id: str
    ) -> None:
        tp = TopicPartition(topic, 0)
        harness.produce(topic, 3)
        ctl = harness.controller(group_id)
        ctl.pause_topics(topic)  # nothing assigned yet: remembered for later
        assert ctl.paused() == set()
        ctl.assign([tp])
        assert ctl.paused() == {tp}
        assert harness.poll_for(ctl, 0.8) == {}

    def test_a_topic_paused_before_subscribing_starts_paused_in_the_group(
        self, harness: BackendHarness, new_topic: NewTopic, group_id: str
    ) -> None:
        harness.requires("consumer_groups")
        topic = new_topic(partitions=2)
        tps = {TopicPartition(topic, 0), TopicPartition(topic, 1)}
        harness.produce(topic, 3, partition=0)
        ctl = harness.controller(group_id)
        ctl.pause_topics(topic)
        ctl.subscribe(topic)
        got = harness.join(ctl, tps)
        assert ctl.paused() == tps
        harness.poll_for(ctl, 0.5, into=got)
        assert got == {}

    def test_topic_pause_is_sticky_when_partitions_move_away_and_come_back(
        self, harness: BackendHarness, new_topic: NewTopic, group_id: str
    ) -> None:
        harness.requires("consumer_groups")
        topic = new_topic(partitions=2)
        p0, p1 = TopicPartition(topic, 0), TopicPartition(topic, 1)
        a_got: Delivered = {}
        b_got: Delivered = {}
        a = harness.controller(group_id)
        a.subscribe(topic)
        harness.join(a, {p0, p1}, a_got)
        a.pause_topics(topic)
        harness.produce(topic, 10, partition=0)
        harness.produce(topic, 10, partition=1)

        b = harness.controller(group_id)
        b.subscribe(topic)
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
        harness.join(a, {p0, p1}, a_got)
        assert a.paused() == {p0, p1}, "partitions coming back to a paused topic must start paused"
        harness.poll_for(a, 0.5, into=a_got)
        assert a_got == {}
        a.resume_topics(topic)
        harness.consume(a, lambda d: count(d, p0) >= 10 and count(d, p1) >= 10, into=a_got)
        assert a_got == {p0: list(range(10)), p1: list(range(10))}

    def test_partitions_added_to_a_paused_topic_start_paused(
        self, harness: BackendHarness, new_topic: NewTopic, group_id: str
    ) -> None:
        harness.requires("consumer_groups")
        topic = new_topic(partitions=1)
        p0, p1 = TopicPartition(topic, 0), TopicPartition(topic, 1)
        got: Delivered = {}
        ctl = harness.controller(group_id, metadata_max_age_ms=500)
        ctl.subscribe(topic)
        harness.join(ctl, {p0}, got)
        ctl.pause_topics([topic])
        harness.cluster.add_partitions(topic, 2)
        harness.produce(topic, 5, partition=1)
        harness.join(ctl, {p0, p1}, got)
        assert ctl.paused() == {p0, p1}
        harness.poll_for(ctl, 0.5, into=got)
        assert got == {}
        ctl.resume_topics(topic)
        harness.consume(ctl, lambda d: count(d, p1) >= 5, into=got)
        assert got == {p1: list(range(5))}
