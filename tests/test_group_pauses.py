"""Group pauses (issue 13) on the real broker: a pause written to the control topic stops every member
following it, sticks through rebalances and restarts, and its resume strategy is applied once.

Per backend, one cheap case (assigned partitions, no group join): the pause stops the member and a
seek-to-end resume is applied once, with its range and its commit. The rest on one backend (confluent-kafka;
the rebalance case on the others in ``make test-slow``): two members of a group through a rebalance and a
restart, the missing control topic, the operator's bad input, the CLI.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

import pauseable
from pauseable import ControlTopicMissingError, GroupPauses, InvalidArgumentError, Operator, TopicPartition
from pauseable.cli import main
from pauseable.errors import UnknownPartitionError
from pauseable_testing.cluster import KafkaCluster, unique_name
from pauseable_testing.harness import BackendHarness, Blocking, NewTopic, count


@pytest.fixture
def confluent(kafka_cluster: KafkaCluster) -> Iterator[BackendHarness]:
    """Consumers of confluent-kafka, for the cases one backend covers."""
    made = BackendHarness(pauseable.get_backend("confluent-kafka"), kafka_cluster)
    try:
        yield made
    finally:
        made.close()


@pytest.fixture(scope="module")
def operator(kafka_cluster: KafkaCluster) -> Iterator[Operator]:
    """An operator (confluent-kafka's client) and a control topic for this module (each test has its own groups)."""
    with Operator(
        {"bootstrap.servers": kafka_cluster.bootstrap_servers}, control_topic=unique_name("control"), by="tester"
    ) as made:
        assert made.create_control_topic() == 1  # min(3, brokers) on the one-node cluster
        yield made


def member(harness: BackendHarness, group_id: str, control_topic: str) -> Blocking:
    """A controller following group pauses, made the way a user makes one."""
    consumer = harness.native_consumer(group_id)
    make_config = harness.backend.lookup_config
    config = make_config(harness.settings(group_id)) if make_config is not None else None
    build: Any = pauseable.async_controller if harness.backend.is_async else pauseable.controller
    ctl = Blocking(build(consumer, lookup_config=config, group_pauses=GroupPauses(topic=control_topic)), harness.run)
    harness._controllers.append(ctl)
    return ctl


def test_a_group_pause_stops_a_member_and_its_seek_to_end_resume_is_applied_once(
    harness: BackendHarness, topic: str, group_id: str, operator: Operator
) -> None:
    tp = TopicPartition(topic, 0)
    ctl = member(harness, group_id, operator.control_topic)
    ctl.assign([tp])
    harness.produce(topic, 5)
    delivered = harness.consume(ctl, lambda d: count(d) >= 5)
    operator.pause(group_id, topic, then="seek-to-end", reason="deploy")
    harness.consume(ctl, lambda _: tp in ctl.paused(), what="the group pause", into=delivered)
    assert harness.produce(topic, 5) == [5, 6, 7, 8, 9]
    harness.poll_for(ctl, 0.5, into=delivered)
    assert operator.resume(group_id, topic)[0].then == "seek-to-end"
    harness.consume(ctl, lambda _: ctl.last_report is not None, what="the resume", into=delivered)
    skipped = ctl.last_report.ranges[tp]
    assert (skipped.start, skipped.end, skipped.done) == (5, 10, True)
    assert ctl.committed([tp]) == {tp: 10}
    assert harness.produce(topic, 2) == [10, 11]
    harness.consume(ctl, lambda d: count(d) >= 7, into=delivered)
    assert delivered[tp] == [0, 1, 2, 3, 4, 10, 11]  # nothing of the pause, and nothing twice
    (status,) = operator.status(group_id, topic)
    assert (status.state, status.applied, status.committed, status.lag) == (
        "running",
        "seek-to-end [5, 10) committed",
        10,
        2,
    )


def test_a_group_pause_follows_partitions_through_a_rebalance_and_a_restart(
    harness: BackendHarness, new_topic: NewTopic, group_id: str, operator: Operator
) -> None:
    """Two members; the topic paused for the group; one member leaves: its partition moves, paused; a new
    member (a restart) reads the state before its first poll; the resume's strategy is applied once each."""
    topic = new_topic(partitions=2)
    a, b = TopicPartition(topic, 0), TopicPartition(topic, 1)
    first = member(harness, group_id, operator.control_topic)
    second = member(harness, group_id, operator.control_topic)
    first.subscribe([topic])
    second.subscribe([topic])
    delivered: dict[Blocking, dict[TopicPartition, list[int]]] = {first: {}, second: {}}
    harness.consume_all(
        list(delivered.items()),
        lambda: len(first.assignment()) == len(second.assignment()) == 1,
        what="one partition each",
    )
    operator.pause(group_id, topic, then="seek-to-end")
    harness.consume_all(
        list(delivered.items()), lambda: len(first.paused()) == len(second.paused()) == 1, what="both paused"
    )
    for tp in (a, b):
        harness.produce(topic, 3, tp.partition)
    second.close()  # leaves: its partition moves to the first member, paused there
    harness.consume_all(
        [(first, delivered[first])], lambda: first.paused() == {a, b}, what="both partitions on the first, paused"
    )
    restarted = member(harness, group_id, operator.control_topic)  # a new process: knows the pause at once
    restarted.subscribe([topic])
    delivered[restarted] = {}
    members = [(first, delivered[first]), (restarted, delivered[restarted])]
    harness.consume_all(
        members,
        lambda: len(first.assignment()) == len(restarted.assignment()) == 1 and len(restarted.paused()) == 1,
        what="the restarted member holding its partition paused",
    )
    operator.resume(group_id, topic)
    harness.consume_all(members, lambda: not first.paused() and not restarted.paused(), what="both resumed")
    harness.consume_all(
        members,
        lambda: all(s.state == "running" for s in operator.status(group_id, topic)),
        what="both strategies applied",
    )
    assert not any(offsets for d in delivered.values() for offsets in d.values()), delivered  # nothing of the pause
    statuses = operator.status(group_id, topic)
    assert [(s.applied, s.committed) for s in statuses] == [("seek-to-end [0, 3) committed", 3)] * 2


def test_a_missing_control_topic_is_an_error_at_start(confluent: BackendHarness, group_id: str) -> None:
    with pytest.raises(ControlTopicMissingError, match="pauseable control-topic create"):
        member(confluent, group_id, unique_name("no-control"))


def test_a_control_topic_without_its_marks_topic_is_an_error_at_start_that_control_topic_create_cures(
    kafka_cluster: KafkaCluster, confluent: BackendHarness, group_id: str
) -> None:
    """A control topic made by hand (or by a release before the marks topic): members say which topic is missing
    and how to make it; ``control-topic create`` then makes only the marks topic, keeping the pauses."""
    control = kafka_cluster.create_topic()
    with pytest.raises(
        ControlTopicMissingError, match=f"marks topic of the control topic '{control}', '{control}-marks'"
    ):
        member(confluent, group_id, control)
    with Operator({"bootstrap.servers": kafka_cluster.bootstrap_servers}, control_topic=control, by="t") as made:
        assert made.create_control_topic() == 1
    member(confluent, group_id, control).close()


def test_members_write_their_marks_to_the_marks_topic_and_never_to_the_control_topic(
    kafka_cluster: KafkaCluster, confluent: BackendHarness, topic: str, group_id: str, operator: Operator
) -> None:
    """So a member's principal needs no WRITE on the control topic (the ACLs: tests/test_group_security.py)."""
    ctl = member(confluent, group_id, operator.control_topic)
    tp = TopicPartition(topic, 0)
    ctl.assign([tp])
    confluent.produce(topic, 3)
    confluent.consume(ctl, lambda got: len(got.get(tp, [])) == 3)
    operator.pause(group_id, topic, then="seek-to-end")
    confluent.consume(ctl, lambda _: tp in ctl.paused(), what="the group pause")
    confluent.produce(topic, 2)
    operator.resume(group_id, topic)
    confluent.consume(ctl, lambda _: ctl.last_report is not None, what="the resume")
    kinds = {name: [json.loads(key)[0] for key in _keys(kafka_cluster, name) if json.loads(key)[1] == group_id]
             for name in (operator.control_topic, operator.marks_topic)}  # fmt: skip
    assert kinds == {operator.control_topic: ["pause", "pause"], operator.marks_topic: ["applied", "applied"]}
    # the pause and its end; the mark before seeking, and once committed


def _keys(cluster: KafkaCluster, topic: str) -> list[bytes]:
    """Every key in ``topic``, read from its beginning by a plain confluent-kafka consumer in no group."""
    from confluent_kafka import OFFSET_BEGINNING, Consumer
    from confluent_kafka import TopicPartition as NativeTP

    reader = Consumer({"bootstrap.servers": cluster.bootstrap_servers, "group.id": unique_name("keys"),
                       "enable.auto.commit": False})  # fmt: skip
    try:
        reader.assign([NativeTP(topic, 0, OFFSET_BEGINNING)])
        _, end = reader.get_watermark_offsets(NativeTP(topic, 0), timeout=10)
        keys: list[bytes] = []
        while len(keys) < end:
            message = reader.poll(10)
            assert message is not None and message.error() is None, f"read {len(keys)} of {end} records of {topic}"
            keys.append(message.key())
        return keys
    finally:
        reader.close()


def test_an_operator_refuses_bad_input(kafka_cluster: KafkaCluster, topic: str, operator: Operator) -> None:
    for call, error in [
        (lambda: operator.pause("", topic), InvalidArgumentError),
        (lambda: operator.pause("g", topic, -1), InvalidArgumentError),
        (lambda: operator.pause("g", topic, 1), UnknownPartitionError),
        (lambda: operator.pause("g", unique_name("no-topic")), UnknownPartitionError),
        (lambda: operator.pause("g", topic, for_seconds=-1), InvalidArgumentError),
        (lambda: operator.pause("g", topic, then="rewind"), InvalidArgumentError),
        (lambda: operator.resume("g", topic, then="discard-until"), InvalidArgumentError),
        (lambda: Operator({"bootstrap.servers": "x"}, client="no-such-client"), pauseable.UnknownBackendError),
    ]:
        with pytest.raises(error):
            call()
    assert operator.status("g", topic)[0].pause is None  # nothing was written
    missing = Operator({"bootstrap.servers": kafka_cluster.bootstrap_servers}, control_topic=unique_name("none"))
    with missing, pytest.raises(ControlTopicMissingError):
        missing.pause("g", topic)


def test_the_cli_pauses_shows_and_resumes(
    kafka_cluster: KafkaCluster, topic: str, tmp_path: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    config = tmp_path / "client.properties"
    config.write_text(f"# the operator's client\nbootstrap.servers={kafka_cluster.bootstrap_servers}\n")
    common = ["--config-file", str(config), "--control-topic", unique_name("control"), "--by", "cli"]
    assert main(["control-topic", "create", *common]) == 0
    target = ["--group", "billing", "--topic", topic]
    assert main(["pause", *target, "--for", "1h", "--then", "skip-pause-window", "--reason", "audit", *common]) == 0
    assert f"paused {topic} for group billing until" in capsys.readouterr().out
    assert main(["status", *target, "--json", *common]) == 0
    (shown,) = json.loads(capsys.readouterr().out)
    assert (shown["state"], shown["pause"]["by"], shown["pause"]["reason"]) == ("paused", "cli", "audit")
    assert main(["status", *target, *common]) == 0
    table = capsys.readouterr().out.splitlines()
    assert table[0].split()[:3] == ["partition", "state", "by"] and table[2].split()[:3] == ["0", "paused", "cli"]
    assert main(["resume", *target, "--then", "continue", *common]) == 0
    assert "resumed" in capsys.readouterr().out
    assert main(["status", *target, "--json", *common]) == 0
    assert json.loads(capsys.readouterr().out)[0]["state"] == "running"  # a tombstone: nothing to apply
    assert main(["pause", *target, "--for", "soon", *common]) == 1
    assert "--for takes a duration" in capsys.readouterr().err
    assert main(["pause", *target, "--control-topic", unique_name("none"), "--config-file", str(config)]) == 1
    assert "pauseable control-topic create" in capsys.readouterr().err


@pytest.mark.extra
def test_a_late_owner_applies_a_pending_strategy_only_up_to_the_resume(
    confluent: BackendHarness, topic: str, group_id: str, operator: Operator
) -> None:
    """The owner left while paused, so nobody applied the strategy at the resume: the next owner applies it,
    skipping what was produced while paused and delivering what was produced after the resume."""
    tp = TopicPartition(topic, 0)
    gone = member(confluent, group_id, operator.control_topic)
    gone.assign([tp])
    confluent.produce(topic, 5)
    confluent.consume(gone, lambda d: count(d) >= 5)
    gone.commit()
    operator.pause(group_id, topic, then="seek-to-end")
    confluent.consume(gone, lambda _: tp in gone.paused(), what="the group pause")
    confluent.produce(topic, 5)
    gone.close()
    operator.resume(group_id, topic)
    assert confluent.produce(topic, 3) == [10, 11, 12]
    late = member(confluent, group_id, operator.control_topic)
    late.assign([tp])
    delivered = confluent.consume(late, lambda d: count(d) >= 3)
    confluent.poll_for(late, 0.3, into=delivered)
    assert delivered[tp] == [10, 11, 12]
    skipped = late.last_report.ranges[tp]
    assert (skipped.start, skipped.end) == (5, 10)
    assert operator.status(group_id, topic)[0].applied == "seek-to-end [5, 10) committed"


@pytest.mark.extra
def test_a_partition_resumed_under_a_topic_pause_runs_while_the_others_stay_paused(
    confluent: BackendHarness, new_topic: NewTopic, group_id: str, operator: Operator
) -> None:
    topic = new_topic(partitions=2)
    a, b = TopicPartition(topic, 0), TopicPartition(topic, 1)
    ctl = member(confluent, group_id, operator.control_topic)
    ctl.assign([a, b])
    operator.pause(group_id, topic)
    confluent.consume(ctl, lambda _: ctl.paused() == {a, b}, what="the group pause")
    operator.resume(group_id, topic, partition=0)
    for tp in (a, b):
        confluent.produce(topic, 3, tp.partition)
    delivered = confluent.consume(ctl, lambda d: count(d, a) >= 3)
    confluent.poll_for(ctl, 0.5, into=delivered)
    assert b not in delivered and ctl.paused() == {b}
    assert [s.state for s in operator.status(group_id, topic)] == ["running", "paused"]


def test_a_partition_the_user_resumes_while_the_group_holds_it_is_paused_natively_again(
    kafka_cluster: KafkaCluster, topic: str, group_id: str, operator: Operator
) -> None:
    """A group pause outranks local calls: a local resume of a partition the group holds is undone at the next
    poll slice, natively (kafka-python's own ``paused()`` shows it), instead of fetching and rewinding the
    partition at every slice. Nothing of it is delivered."""
    harness = BackendHarness(pauseable.get_backend("kafka-python"), kafka_cluster)
    try:
        consumer = harness.native_consumer(group_id)
        ctl = Blocking(pauseable.controller(consumer, group_pauses=GroupPauses(topic=operator.control_topic)),
                       harness.run)  # fmt: skip
        harness._controllers.append(ctl)
        tp = TopicPartition(topic, 0)
        ctl.assign([tp])
        operator.pause(group_id, topic)
        harness.consume(ctl, lambda _: tp in ctl.paused(), what="the group pause")
        harness.produce(topic, 3)
        ctl.resume([tp])
        delivered = harness.poll_for(ctl, 1.0)
        assert tp not in delivered and tp in ctl.paused()
        assert [(p.topic, p.partition) for p in consumer.paused()] == [(topic, 0)], "not paused natively again"
    finally:
        harness.close()


@pytest.mark.extra
def test_a_group_pause_follows_partitions_with_the_consumer_group_protocol(
    confluent: BackendHarness, new_topic: NewTopic, group_id: str, operator: Operator
) -> None:
    """The same through KIP-848's rebalances (``group.protocol=consumer``, librdkafka's implementation)."""
    confluent.native = {"group.protocol": "consumer"}
    test_a_group_pause_follows_partitions_through_a_rebalance_and_a_restart(confluent, new_topic, group_id, operator)
