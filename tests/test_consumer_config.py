"""The suite under the user's own consumer configuration (``--pauseable-consumer-config``, issue 14).

confluent-kafka runs a few group behaviours under KIP-848 (``group.protocol=consumer``) in ``make test``, and
under ``cooperative-sticky`` and the whole suite under each in ``make test-extra``.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from pauseable.registry import get_backend
from pauseable_testing import KafkaCluster
from pauseable_testing.config import ConsumerConfig, ConsumerConfigError
from pauseable_testing.harness import BackendHarness

#: the two behaviours whose rebalances differ between eager and incremental protocols, and one that consumes
SUBSET = (
    "a_partition_pause_ends_when_the_partition_is_revoked or the_revoked_callback_gets_the_partitions "
    "or resume_continues_at_exactly_the_next_offset"
)
PROTOCOLS = ["group.protocol=consumer", "partition.assignment.strategy=cooperative-sticky"]
SUITE = """
from pauseable_testing.suite import ConformanceSuite

class TestConformance(ConformanceSuite):
    pass
"""


@pytest.fixture
def author(pytester: pytest.Pytester, kafka_cluster: KafkaCluster, monkeypatch: pytest.MonkeyPatch) -> pytest.Pytester:
    monkeypatch.setenv("PAUSEABLE_BOOTSTRAP_SERVERS", kafka_cluster.bootstrap_servers)
    pytester.makepyfile(test_conformance=SUITE)
    return pytester


def test_settings_the_suite_needs_are_refused_naming_them(pytester: pytest.Pytester) -> None:
    config = pytester.path / "consumer.properties"
    config.write_text("# production settings\nbootstrap.servers=prod:9092\ngroup.id=orders\nfetch.min.bytes=1\n")
    pytester.makepyfile(SUITE)
    result = pytester.runpytest_subprocess(
        "--pauseable-consumer-config-file", str(config), "--pauseable-consumer-config", "enable_auto_commit=true",
        "--pauseable-consumer-config", "auto.offset.reset=latest", "--pauseable-consumer-config", "client.id=mine",
    )  # fmt: skip
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(
        [
            "*overrides settings the conformance suite needs:",
            "*bootstrap.servers: the suite sets it itself (the suite's cluster is PAUSEABLE_BOOTSTRAP_SERVERS)",
            "*group.id: the suite sets it itself*",
            "*enable_auto_commit=True: the suite needs false*",
            "*auto.offset.reset=latest: the suite needs earliest*",
        ]
    )
    assert "client.id" not in result.stderr.str() and "fetch.min.bytes" not in result.stderr.str()


def test_a_malformed_setting_is_refused() -> None:
    with pytest.raises(ConsumerConfigError, match=r"expected key=value, got 'group\.protocol'"):
        ConsumerConfig.parse(["group.protocol"])


def test_the_users_settings_reach_every_consumer_under_the_behaviours_own() -> None:
    config = ConsumerConfig.parse(["session.timeout.ms=30000", "client.id=mine", "check.crcs=true"])
    harness = BackendHarness(get_backend("confluent-kafka"), KafkaCluster("127.0.0.1:9"), consumer_config=config)
    try:
        assert harness.settings("g").native == {"session.timeout.ms": 30000, "client.id": "mine", "check.crcs": True}
        # a behaviour's own session timeout wins over the user's for that consumer
        own = harness.settings("g", session_timeout_ms=1500)
        assert own.session_timeout_ms == 1500 and own.native == {"client.id": "mine", "check.crcs": True}
    finally:
        harness.close()


def test_under_kip_848_the_suite_sets_no_session_timeout_nor_heartbeat() -> None:
    config = ConsumerConfig.parse(["group.protocol=consumer"])
    harness = BackendHarness(get_backend("confluent-kafka"), KafkaCluster("127.0.0.1:9"), consumer_config=config)
    try:
        settings = harness.settings("g", max_poll_interval_ms=2000, session_timeout_ms=1500, heartbeat_interval_ms=500)
        assert (settings.session_timeout_ms, settings.heartbeat_interval_ms) == (None, None)
        assert settings.max_poll_interval_ms == 2000 and settings.native == {"group.protocol": "consumer"}
    finally:
        harness.close()


@pytest.mark.parametrize(
    "setting",
    [PROTOCOLS[0], pytest.param(PROTOCOLS[1], marks=pytest.mark.extra)],  # make test's budget: one of two
)
def test_group_behaviours_pass_on_confluent_kafka_under(author: pytest.Pytester, setting: str) -> None:
    result = author.runpytest_subprocess(
        "-p", "no:cacheprovider", "-k", SUBSET, "--pauseable-backend", "confluent-kafka",
        "--pauseable-consumer-config", setting,
    )  # fmt: skip
    result.assert_outcomes(passed=3)


@pytest.mark.extra  # a pytest run of its own; make test keeps KIP-848's run
def test_kip_848_is_skipped_with_the_reason_on_clients_without_it(author: pytest.Pytester) -> None:
    result = author.runpytest_subprocess(
        "-p", "no:cacheprovider", "-rs", "-k", "resume_continues_at_exactly_the_next_offset",
        "--pauseable-backend", "kafka-python", "--pauseable-backend", "aiokafka",
        "--pauseable-consumer-config", "group.protocol=consumer",
    )  # fmt: skip
    result.assert_outcomes(skipped=2)
    result.stdout.fnmatch_lines(["*kafka-python: its client has no group.protocol=consumer (KIP-848)*"])


@pytest.mark.extra  # a pytest run of its own; make test keeps KIP-848's run
def test_a_setting_the_client_refuses_fails_every_behaviour_with_its_error(author: pytest.Pytester) -> None:
    result = author.runpytest_subprocess(
        "-p", "no:cacheprovider", "-k", "resume_continues_at_exactly_the_next_offset or pausing_is_idempotent",
        "--pauseable-backend", "confluent-kafka", "--pauseable-consumer-config", "no.such.setting=1",
    )  # fmt: skip
    result.assert_outcomes(errors=2)
    result.stdout.fnmatch_lines(["*confluent-kafka refuses the consumer configuration no.such.setting=1*"])


@pytest.mark.extra
@pytest.mark.parametrize("setting", PROTOCOLS)
def test_the_whole_suite_passes_on_confluent_kafka_under(author: pytest.Pytester, setting: str) -> None:
    result = author.runpytest_subprocess(
        "-p", "no:cacheprovider", "--pauseable-backend", "confluent-kafka", "--pauseable-consumer-config", setting
    )
    outcomes = result.parseoutcomes()
    assert outcomes.get("failed", 0) == outcomes.get("errors", 0) == 0, result.stdout.str()[-5000:]
    assert outcomes["passed"] >= 50


def test_the_config_file_and_the_options_merge(tmp_path: Path) -> None:
    path = tmp_path / "c.properties"
    path.write_text("! a comment\nfetch.max.bytes = 1000\nclient.id=file\n")
    config = ConsumerConfig.parse(["client.id=option"], [path])
    assert config.settings == {"fetch.max.bytes": 1000, "client.id": "option"}
