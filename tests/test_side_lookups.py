"""Offset lookups on a client of their own, apart from the consumer's fetch connections (issue 11).

On the real broker, every backend: a resume while another partition of the same broker keeps fetching
answers the right offsets and the skip ledger holds; the side client is closed with the controller;
it carries the isolation level. No timing is asserted (shared, noisy machines): ``make bench`` measures
it (``benchmarks/pauseable_bench/fetching.py``). Then what each adapter carries to its side client, without a broker.
"""

from __future__ import annotations

import asyncio
import ssl
from typing import Any

import pytest

from pauseable import InvalidArgumentError, SeekToEnd, TopicPartition
from pauseable.registry import async_controller, controller
from pauseable_testing.cluster import unique_name
from pauseable_testing.harness import BackendHarness, Blocking, NewTopic, count
from pauseable_testing.ledger import Ledger


def _side(ctl: Blocking) -> Any:
    """The controller's lookup client (an adapter of its backend), built by the first lookup."""
    lookups = ctl.target._lookups
    assert lookups is not None, "no lookup made yet"
    assert lookups is not ctl.target._adapter, "the lookups went through the consumer"
    return lookups


def test_resume_seek_to_end_while_another_partition_of_the_broker_fetches(
    harness: BackendHarness, new_topic: NewTopic, group_id: str
) -> None:
    topic = new_topic(partitions=2)  # one broker: both partitions' fetches share its connection
    a, b = TopicPartition(topic, 0), TopicPartition(topic, 1)
    ledger = Ledger()
    ctl = harness.controller(group_id)
    ctl.assign([a, b])
    for tp in (a, b):
        ledger.produce(tp, harness.produce(topic, 5, tp.partition))
    harness.consume(ctl, lambda d: count(d) >= 10, into=ledger.delivered)
    ctl.pause(a)
    backlog = harness.produce(topic, 20, a.partition)
    ledger.produce(a, backlog)
    ledger.produce(b, harness.produce(topic, 5, b.partition))
    harness.consume(ctl, lambda d: count(d, b) >= 10, into=ledger.delivered)  # B keeps fetching, caught up
    report = ctl.resume(a, strategy=SeekToEnd())
    skipped = report.ranges[a]
    assert (skipped.start, skipped.end) == (backlog[0], backlog[-1] + 1), report
    assert _side(ctl) is not None
    ledger.report(report)
    for tp in (a, b):
        ledger.produce(tp, harness.produce(topic, 3, tp.partition))
    harness.consume(ctl, lambda _: ledger.complete(), into=ledger.delivered, what="every offset delivered or skipped")
    harness.poll_for(ctl, 0.2, into=ledger.delivered)
    ledger.check(str(report))
    assert ctl.committed([a, b]) == {a: None, b: None}  # the consumer's own OffsetFetch
    ctl.commit({a: 7})
    assert ctl.committed([a]) == {a: 7}


def test_the_side_client_is_closed_with_the_controller(harness: BackendHarness, topic: str, group_id: str) -> None:
    tp = TopicPartition(topic, 0)
    ctl = harness.controller(group_id)
    ctl.assign([tp])
    assert ctl.end_offsets([tp]) == {tp: 0}
    side = _side(ctl)
    io_thread = getattr(getattr(side._consumer, "_net", None), "_io_thread", None)  # kafka-python's
    ctl.close()
    assert ctl.target._lookups is None
    if harness.name == "confluent-kafka":  # no closed flag: a closed librdkafka consumer raises
        with pytest.raises(RuntimeError, match="closed"):
            side._consumer.assignment()
    else:
        assert side.is_closed()
    if io_thread is not None:
        assert not io_thread.is_alive()


def _isolation_key(harness: BackendHarness) -> str:
    return "isolation.level" if harness.name.startswith("confluent-kafka") else "isolation_level"


def test_read_committed_end_offsets_stop_at_an_open_transaction(
    harness: BackendHarness, topic: str, group_id: str
) -> None:
    confluent_kafka = pytest.importorskip("confluent_kafka")
    tp = TopicPartition(topic, 0)
    harness.produce(topic, 3)
    producer = confluent_kafka.Producer(
        {"bootstrap.servers": harness.cluster.bootstrap_servers, "transactional.id": unique_name("side-lookups")}
    )
    producer.init_transactions(60)
    producer.begin_transaction()
    try:
        for _ in range(2):
            producer.produce(topic, value=b"in an open transaction", partition=0)
        assert producer.flush(30) == 0
        key = _isolation_key(harness)  # librdkafka's default is read_committed, the others' read_uncommitted
        committed = harness.controller(group_id, native={key: "read_committed"})
        uncommitted = harness.controller(unique_name("uncommitted"), native={key: "read_uncommitted"})
        for ctl in (committed, uncommitted):
            ctl.assign([tp])
        assert committed.end_offsets([tp]) == {tp: 3}  # the last stable offset
        assert uncommitted.end_offsets([tp]) == {tp: 5}  # the high watermark
        side = _side(committed)._consumer
        if harness.name == "kafka-python":
            assert side.config["isolation_level"] == "read_committed"
        elif harness.name == "aiokafka":
            assert side._isolation_level == "read_committed"
    finally:
        producer.abort_transaction(30)


def test_confluent_lookups_go_through_the_consumer_without_lookup_config(harness: BackendHarness, topic: str) -> None:
    backend = harness.name
    if not backend.startswith("confluent-kafka"):
        pytest.skip("librdkafka alone does not expose its configuration")
    from pauseable_confluent_kafka import consumer_config

    config = consumer_config(harness.settings(unique_name("g")))
    tp = TopicPartition(topic, 0)
    native = harness.native_consumer(unique_name("g"))
    make = controller if backend == "confluent-kafka" else async_controller
    ctl = Blocking(make(native), harness.run)
    try:
        ctl.assign([tp])
        assert ctl.end_offsets([tp]) == {tp: 0}
        assert ctl.target._lookups is ctl.target._adapter
    finally:
        ctl.close()
    native = harness.native_consumer(unique_name("g"))
    ctl = Blocking(make(native, lookup_config=config), harness.run)
    try:
        ctl.assign([tp])
        assert ctl.end_offsets([tp]) == {tp: 0}
        assert _side(ctl) is not None
    finally:
        ctl.close()


def test_lookup_config_is_a_mapping() -> None:
    from pauseable.adapter import Backend
    from pauseable.controller import Controller

    backend = Backend(name="x", client="pluggy", claims=lambda c: True, sync_adapter=lambda c: c)
    with pytest.raises(InvalidArgumentError, match="lookup_config= takes the consumer's configuration"):
        Controller(object(), backend, object(), lookup_config="bootstrap.servers=x")  # type: ignore[arg-type]


# -- what each adapter's side client carries (no broker) -----------------------------------------


def _oauth(*_: Any) -> tuple[str, float]:
    return "token", 0.0


def test_confluent_side_config_keeps_what_changes_an_answer_or_a_login() -> None:
    side_config = pytest.importorskip("pauseable_confluent_kafka").side_config
    config = {
        "bootstrap.servers": "b:9093", "group.id": "g", "client.id": "app", "isolation.level": "read_committed",
        "security.protocol": "SASL_SSL", "sasl.mechanisms": "OAUTHBEARER", "oauth_cb": _oauth,
        "ssl.ca.location": "/ca.pem", "group.instance.id": "member-1", "enable.auto.commit": True,
        "error_cb": print, "stats_cb": print, "statistics.interval.ms": 1000, "logger": object(),
    }  # fmt: skip
    side = side_config(config)
    for key in ("bootstrap.servers", "group.id", "isolation.level", "security.protocol", "sasl.mechanisms",
                "oauth_cb", "ssl.ca.location"):  # fmt: skip
        assert side[key] is config[key], key
    assert side["client.id"] == "app-lookups"
    assert side["enable.auto.commit"] is False
    assert not {"group.instance.id", "error_cb", "stats_cb", "statistics.interval.ms", "logger"} & set(side)
    assert config["client.id"] == "app", "the user's configuration is not changed"


def test_kafka_python_side_settings_keep_what_changes_an_answer_or_a_login() -> None:
    kafka = pytest.importorskip("kafka")
    from pauseable_kafka_python import side_settings

    provider, context = object(), ssl.create_default_context()
    config = {
        **kafka.KafkaConsumer.DEFAULT_CONFIG,
        "bootstrap_servers": "b:9093", "group_id": "g", "client_id": "app", "isolation_level": "read_committed",
        "security_protocol": "SASL_SSL", "sasl_mechanism": "OAUTHBEARER", "sasl_oauth_token_provider": provider,
        "ssl_context": context, "group_instance_id": "member-1", "api_version": (4, 0),
    }  # fmt: skip
    side = side_settings(config, {"request_timeout_ms": 5000})
    for key in ("bootstrap_servers", "group_id", "isolation_level", "security_protocol", "sasl_mechanism",
                "sasl_oauth_token_provider", "ssl_context", "api_version"):  # fmt: skip
        assert side[key] is config[key], key
    assert (side["client_id"], side["enable_auto_commit"], side["group_instance_id"]) == ("app-lookups", False, None)
    assert side["request_timeout_ms"] == 5000
    assert set(side) <= set(kafka.KafkaConsumer.DEFAULT_CONFIG), "KafkaConsumer refuses unknown settings"


def test_aiokafka_side_settings_keep_what_changes_an_answer_or_a_login() -> None:
    aiokafka = pytest.importorskip("aiokafka")
    from pauseable_aiokafka import side_settings

    class Provider(aiokafka.abc.AbstractTokenProvider):  # type: ignore[misc]
        async def token(self) -> str:
            return "token"

    provider = Provider()

    async def build() -> dict[str, Any] | None:
        consumer = aiokafka.AIOKafkaConsumer(
            bootstrap_servers="b:9093", group_id="g", client_id="app", isolation_level="read_committed",
            security_protocol="SASL_SSL", sasl_mechanism="OAUTHBEARER", sasl_oauth_token_provider=provider,
            ssl_context=ssl.create_default_context(), group_instance_id="member-1",
        )  # fmt: skip
        try:
            return side_settings(consumer)
        finally:
            await consumer.stop()

    side = asyncio.run(build())
    assert side is not None
    assert side["sasl_oauth_token_provider"] is provider
    assert isinstance(side["ssl_context"], ssl.SSLContext)
    expected = {"bootstrap_servers": "b:9093", "group_id": "g", "client_id": "app-lookups",
                "isolation_level": "read_committed", "security_protocol": "SASL_SSL", "sasl_mechanism": "OAUTHBEARER",
                "enable_auto_commit": False}  # fmt: skip
    assert {key: side[key] for key in expected} == expected
    assert "group_instance_id" not in side
    assert side_settings(object()) is None, "a release keeping its settings elsewhere: lookups stay on the consumer"


def test_a_side_client_asks_for_leaders_it_has_not_asked_for_in_a_second() -> None:
    from pauseable.adapter import LeaderAges

    ages = LeaderAges(every_s=1.0)
    assert ages.due(["a"]) == [], "a first lookup: the client asks for an unknown topic's leaders itself"
    assert ages.due(["a", "b", "a"]) == [], "asked less than a second ago; b is new"
    ages._asked["a"] -= 2.0
    ages._asked["b"] -= 2.0
    assert ages.due(["b", "a"]) == ["a", "b"]
    ages.asked("a")
    assert ages.due(["a", "b"]) == ["b"], "b's leaders were not asked for successfully"
    ages.asked("b")
    ages.expire(["a"])
    assert ages.due(["a", "b"]) == ["a"], "a lookup of a failed as if its leader moved"
