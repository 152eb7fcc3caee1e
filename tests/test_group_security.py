"""Group pauses with authentication and an authorizer on (issue 13's security item): who may pause is who may write
the control topic.

One secure local cluster for the module (SASL/PLAIN on every listener, ``StandardAuthorizer``, the harness's
``admin`` the only super user), ACLs created with confluent-kafka's AdminClient, as ``kafka-acls`` would:

- ``ops``: the documented operator ACLs (control topic WRITE, READ, DESCRIBE; marks topic READ, DESCRIBE; data
  topics DESCRIBE; groups DESCRIBE)
- ``rogue``: an operator without WRITE on the control topic, and a member without READ on the marks topic
- ``member``: the documented member ACLs (control topic READ, DESCRIBE; marks topic READ, DESCRIBE, WRITE; its data
  topics and groups READ): it follows group pauses and records its marks, and may not pause
- ``blind``: a member without READ on the control topic (DESCRIBE only)

confluent-kafka by default: the refusals are the broker's, the same for every client (the library turns each
client's authorization errors into :class:`~pauseable.errors.ControlTopicAccessError` through
``ControlClient.denied``); the refusals through kafka-python and aiokafka in ``make test-extra``.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

import pauseable
from pauseable import AuthorizationError, GroupPauses, Operator, TopicPartition
from pauseable.cli import main
from pauseable.errors import ControlTopicAccessError
from pauseable.group.records import marks_topic_of
from pauseable_testing.broker import LocalCluster, Security, create_topic, external_bootstrap
from pauseable_testing.cluster import unique_name

confluent_kafka = pytest.importorskip("confluent_kafka")
from confluent_kafka.admin import (  # noqa: E402
    AclBinding,
    AclOperation,
    AclPermissionType,
    AdminClient,
    ResourcePatternType,
    ResourceType,
)

#: every data topic and group of this module starts so, for prefixed ACLs
PREFIX = "secure-"
USERS = {"ops": "ops-secret", "rogue": "rogue-secret", "member": "member-secret", "blind": "blind-secret"}
Delivered = dict[TopicPartition, list[int]]


#: confluent-kafka's setting names -> kafka-python's and aiokafka's
_JAVA_KEYS = {
    "bootstrap.servers": "bootstrap_servers",
    "security.protocol": "security_protocol",
    "sasl.mechanism": "sasl_mechanism",
    "sasl.username": "sasl_plain_username",
    "sasl.password": "sasl_plain_password",
}


@dataclass
class SecureCluster:
    """The module's secure cluster, its control topic and the client settings of each user."""

    local: LocalCluster
    control_topic: str

    def config(self, user: str | None = None) -> dict[str, Any]:
        """confluent-kafka settings logging in as ``user`` (default: the super user)."""
        assert self.local.security is not None
        name, password = self.local.security.login(user)
        return {
            "bootstrap.servers": self.local.bootstrap_servers,
            "security.protocol": "SASL_PLAINTEXT",
            "sasl.mechanism": "PLAIN",
            "sasl.username": name,
            "sasl.password": password,
        }

    def java_config(self, user: str) -> dict[str, Any]:
        """The same login in the key names of kafka-python and aiokafka."""
        return {_JAVA_KEYS[key]: value for key, value in self.config(user).items()}

    def topic(self) -> str:
        name = unique_name(f"{PREFIX}data")
        create_topic(self.local.bootstrap_servers, name, 1, login=self.local.login())
        return name


def _acls(control: str) -> list[Any]:
    def allow(kind: Any, name: str, user: str, op: Any, pattern: Any = ResourcePatternType.LITERAL) -> Any:
        return AclBinding(kind, name, pattern, f"User:{user}", "*", op, AclPermissionType.ALLOW)

    topic, group, prefixed = ResourceType.TOPIC, ResourceType.GROUP, ResourcePatternType.PREFIXED
    read, write, describe = AclOperation.READ, AclOperation.WRITE, AclOperation.DESCRIBE
    marks = marks_topic_of(control)
    return [
        *(allow(topic, control, "ops", op) for op in (write, read, describe)),
        *(allow(topic, marks, "ops", op) for op in (read, describe)),
        allow(topic, PREFIX, "ops", describe, prefixed),
        allow(group, PREFIX, "ops", describe, prefixed),
        *(allow(topic, control, "rogue", op) for op in (read, describe)),
        allow(topic, marks, "rogue", describe),
        allow(topic, PREFIX, "rogue", describe, prefixed),
        *(allow(topic, control, "member", op) for op in (read, describe)),
        *(allow(topic, marks, "member", op) for op in (read, describe, write)),
        *(allow(topic, PREFIX, name, op, prefixed) for name in ("member", "blind") for op in (read, describe)),
        *(allow(group, PREFIX, name, read, prefixed) for name in ("member", "blind")),
        allow(topic, control, "blind", describe),
    ]


@pytest.fixture(scope="module")
def secure() -> Iterator[SecureCluster]:
    """A local single-node cluster with SASL/PLAIN and StandardAuthorizer, its control topic and the ACLs above."""
    if external_bootstrap() is not None:
        pytest.skip("the secure cases start a local cluster of their own; PAUSEABLE_BOOTSTRAP_SERVERS is set")
    root = Path(tempfile.mkdtemp(prefix="pauseable-secure-"))
    local = LocalCluster.start(root, security=Security(USERS), die_with_parent=True)
    try:
        made = SecureCluster(local, unique_name("control"))
        with Operator(made.config(), control_topic=made.control_topic, by="admin") as admin:
            admin.create_control_topic()
        client = AdminClient(made.config())
        for future in client.create_acls(_acls(made.control_topic)).values():
            future.result()
        yield made
    finally:
        local.stop()


def member(secure: SecureCluster, user: str, group: str) -> Any:
    """A confluent-kafka controller following group pauses, logged in as ``user``."""
    config = {**secure.config(user), "group.id": group, "enable.auto.commit": False, "auto.offset.reset": "earliest"}
    consumer = confluent_kafka.Consumer(config)
    try:
        settings = GroupPauses(topic=secure.control_topic)
        return pauseable.controller(consumer, lookup_config=config, group_pauses=settings)
    except BaseException:
        consumer.close()
        raise


def produce(secure: SecureCluster, topic: str, count: int) -> None:
    producer = confluent_kafka.Producer(secure.config())
    for i in range(count):
        producer.produce(topic, value=f"v{i}".encode(), partition=0)
    assert producer.flush(30) == 0


def consume(ctl: Any, until: Callable[[], bool], delivered: Delivered, rounds: int = 200) -> None:
    """Poll ``ctl`` until ``until()`` holds (at most ``rounds`` polls of 0.3 s), adding what it delivers."""
    for _ in range(rounds):
        if until():
            return
        for record in ctl.poll(0.3):
            delivered.setdefault(TopicPartition(record.topic(), record.partition()), []).append(record.offset())
    raise AssertionError(f"gave up waiting; delivered {delivered}")


def test_an_operator_without_write_on_the_control_topic_is_refused_naming_the_acl(
    secure: SecureCluster, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    topic, group = secure.topic(), unique_name(PREFIX)
    with (
        Operator(secure.config("rogue"), control_topic=secure.control_topic) as rogue,
        pytest.raises(ControlTopicAccessError) as refused,
    ):
        rogue.pause(group, topic)
    assert isinstance(refused.value, AuthorizationError)
    assert f"grant WRITE on Topic:{secure.control_topic} to it" in str(refused.value)
    assert "User:rogue" in str(refused.value)
    config = tmp_path / "rogue.properties"
    config.write_text("".join(f"{key}={value}\n" for key, value in secure.config("rogue").items()))
    capsys.readouterr()
    common = ["--group", group, "--topic", topic, "--control-topic", secure.control_topic, "--config-file", str(config)]
    assert main(["pause", *common]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err, err
    assert err.startswith(f"pauseable: error: the cluster refused User:rogue writing to the control topic "
                          f"'{secure.control_topic}'"), err  # fmt: skip
    assert f"--operation Write --topic {secure.control_topic}" in err


def test_a_member_without_read_on_the_control_topic_fails_at_start(secure: SecureCluster) -> None:
    with pytest.raises(ControlTopicAccessError, match=f"grant READ on Topic:{secure.control_topic} to it") as refused:
        member(secure, "blind", unique_name(PREFIX))
    assert "User:blind reading the control topic" in str(refused.value)


def test_a_member_without_read_on_the_marks_topic_fails_at_start_naming_it(secure: SecureCluster) -> None:
    marks = marks_topic_of(secure.control_topic)
    with pytest.raises(ControlTopicAccessError, match=f"grant READ on Topic:{marks} to it") as refused:
        member(secure, "rogue", unique_name(PREFIX))
    assert f"User:rogue reading the marks topic '{marks}'" in str(refused.value)


def test_a_member_with_the_documented_acls_may_not_pause(secure: SecureCluster) -> None:
    """Its marks go to the marks topic, so it needs no WRITE on the control topic: who may pause stays the
    operators' ACL alone."""
    with (
        Operator(secure.config("member"), control_topic=secure.control_topic) as sneaky,
        pytest.raises(ControlTopicAccessError, match=f"grant WRITE on Topic:{secure.control_topic} to it"),
    ):
        sneaky.pause(unique_name(PREFIX), secure.topic())


def test_with_the_documented_acls_a_pause_stops_a_member_and_its_resume_is_applied_once(
    secure: SecureCluster,
) -> None:
    topic, group = secure.topic(), unique_name(PREFIX)
    tp = TopicPartition(topic, 0)
    ctl = member(secure, "member", group)
    try:
        with Operator(secure.config("ops"), control_topic=secure.control_topic, by="ops") as ops:
            ctl.assign([tp])
            produce(secure, topic, 5)
            delivered: Delivered = {}
            consume(ctl, lambda: len(delivered.get(tp, [])) >= 5, delivered)
            ops.pause(group, topic, then="seek-to-end", reason="audit")
            consume(ctl, lambda: tp in ctl.paused(), delivered)
            produce(secure, topic, 5)
            ops.resume(group, topic)
            consume(ctl, lambda: ctl.last_report is not None, delivered)
            skipped = ctl.last_report.ranges[tp]
            assert (skipped.start, skipped.end, skipped.done) == (5, 10, True)
            produce(secure, topic, 2)
            consume(ctl, lambda: len(delivered.get(tp, [])) >= 7, delivered)
            assert delivered[tp] == [0, 1, 2, 3, 4, 10, 11]  # nothing of the pause, and nothing twice
            (status,) = ops.status(group, topic)
            assert (status.state, status.pause and status.pause.by, status.applied, status.committed) == (
                "running",
                "ops",
                "seek-to-end [5, 10) committed",
                10,
            )
    finally:
        ctl.close()


@pytest.mark.extra
@pytest.mark.parametrize("client", ["kafka-python", "aiokafka"])
def test_through_the_java_style_clients_an_operator_without_write_is_refused(
    secure: SecureCluster, client: str
) -> None:
    pytest.importorskip("kafka" if client == "kafka-python" else client)
    topic, group = secure.topic(), unique_name(PREFIX)
    with (
        Operator(secure.java_config("rogue"), client=client, control_topic=secure.control_topic) as rogue,
        pytest.raises(ControlTopicAccessError, match="User:rogue writing to the control topic") as refused,
    ):
        rogue.pause(group, topic)
    assert f"grant WRITE on Topic:{secure.control_topic} to it" in str(refused.value)


@pytest.mark.extra
def test_on_kafka_python_a_member_without_read_on_the_control_topic_fails_at_start(secure: SecureCluster) -> None:
    kafka = pytest.importorskip("kafka")
    consumer = kafka.KafkaConsumer(
        **secure.java_config("blind"), group_id=unique_name(PREFIX), enable_auto_commit=False
    )
    try:
        with pytest.raises(ControlTopicAccessError, match="User:blind reading the control topic"):
            pauseable.controller(consumer, group_pauses=GroupPauses(topic=secure.control_topic))
    finally:
        consumer.close()
