"""The README's quick start runs, against the real broker, exactly as printed there."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from pauseable_testing import KafkaCluster
from pauseable_testing.harness import Producer

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.parametrize("example", ["quickstart_sync.py", "quickstart_async.py"])
def test_quick_start_runs_and_is_in_the_readme(
    example: str, kafka_cluster: KafkaCluster, new_topic: Callable[..., str]
) -> None:
    source = (ROOT / "examples" / example).read_text()
    assert source.strip() in (ROOT / "README.md").read_text(), f"README.md must show examples/{example} verbatim"
    topic = new_topic(partitions=2)
    producer = Producer(kafka_cluster.bootstrap_servers)
    producer.produce(topic, 5, partition=0)
    producer.produce(topic, 2, partition=1)
    producer.close()
    env = {**os.environ, "PAUSEABLE_BOOTSTRAP_SERVERS": kafka_cluster.bootstrap_servers, "TOPIC": topic}
    result = subprocess.run(
        [sys.executable, str(ROOT / "examples" / example)], capture_output=True, text=True, env=env, timeout=120
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [
        f"paused: ['{topic}[0]', '{topic}[1]']",
        "committed before: None",
        f"moved to the end: {{'{topic}[0]': 5, '{topic}[1]': 2}}",
        "committed after: 5",
    ]


def _dead_address() -> str:
    """A loopback port nothing listens on (bound, then let go)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return f"127.0.0.1:{probe.getsockname()[1]}"


def _error_line(stderr: str) -> str:
    """The line the traceback ends with (aiokafka may warn of its unclosed consumer after it)."""
    return [line for line in stderr.splitlines() if line.startswith("pauseable.errors.")][-1]


def test_the_sync_quick_start_against_a_dead_broker_fails_with_a_typed_error_instead_of_hanging() -> None:
    """Bounded by the client's own metadata timeout (the adapter's 30 s), not by a timer of this test."""
    env = {**os.environ, "PAUSEABLE_BOOTSTRAP_SERVERS": _dead_address(), "TOPIC": "orders"}
    result = subprocess.run([sys.executable, str(ROOT / "examples" / "quickstart_sync.py")], capture_output=True,
                            text=True, env=env)  # fmt: skip
    assert result.returncode != 0
    assert _error_line(result.stderr).startswith("pauseable.errors.BrokerUnreachableError: confluent-kafka: no broker "
                                                "has answered this consumer"), result.stderr  # fmt: skip


@pytest.mark.parametrize("example", ["quickstart_sync.py", "quickstart_async.py"])
def test_the_quick_start_on_a_mistyped_topic_fails_with_a_typed_error_instead_of_hanging(
    example: str, kafka_cluster: KafkaCluster, new_topic: Callable[..., str]
) -> None:
    mistyped = f"{new_topic()}-mistyped"
    env = {**os.environ, "PAUSEABLE_BOOTSTRAP_SERVERS": kafka_cluster.bootstrap_servers, "TOPIC": mistyped}
    result = subprocess.run([sys.executable, str(ROOT / "examples" / example)], capture_output=True, text=True, env=env)
    assert result.returncode != 0
    assert _error_line(result.stderr).startswith("pauseable.errors.UnknownTopicError: "), result.stderr
    assert f"subscribed to topic '{mistyped}', which the cluster does not have" in result.stderr


#: the async flow's example runs in make test-slow: AbstractFlowTests cover AsyncFlow on aiokafka by default
@pytest.mark.parametrize("example", ["flow_sync.py", pytest.param("flow_async.py", marks=pytest.mark.slow)])
def test_the_flow_examples_run_and_are_in_the_readme(
    example: str, kafka_cluster: KafkaCluster, new_topic: Callable[..., str]
) -> None:
    """20 records, one of which the sink always refuses: retried, then dead-lettered; all 20 committed."""
    source = (ROOT / "examples" / example).read_text()
    assert source.strip() in (ROOT / "README.md").read_text(), f"README.md must show examples/{example} verbatim"
    topic = new_topic()
    producer = Producer(kafka_cluster.bootstrap_servers)
    producer.produce(topic, 7)
    producer.produce(topic, 1, value=b"poison")
    producer.produce(topic, 12)
    producer.close()
    env = {**os.environ, "PAUSEABLE_BOOTSTRAP_SERVERS": kafka_cluster.bootstrap_servers, "TOPIC": topic}
    result = subprocess.run(
        [sys.executable, str(ROOT / "examples" / example)], capture_output=True, text=True, env=env, timeout=120
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == ["dead-lettered: [7]", "committed: 20"]
