"""The examples shown in the docs and the README run, against the real broker, exactly as printed there.

Every ``python`` block of a page is the whole text of a file of ``examples/`` (tests/test_docs.py holds
that); each file is run here.
"""

from __future__ import annotations

import ast
import importlib.util
import os
import socket
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

import pauseable
from pauseable import TopicPartition
from pauseable.plugins import load_plugins
from pauseable.registry import get_backend
from pauseable_testing import KafkaCluster
from pauseable_testing.cluster import unique_name
from pauseable_testing.harness import BackendHarness, Producer

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"


def shown(example: str, page: str) -> bool:
    """Whether the page (a path from the repository's root) shows examples/<example> verbatim."""
    return (EXAMPLES / example).read_text().strip() in (ROOT / page).read_text()


def readme_block(after: str) -> list[str]:
    """The lines of the README's first code block after the text ``after``."""
    text = (ROOT / "README.md").read_text()
    rest = text[text.index(after) :]
    start = rest.index("```\n") + len("```\n")
    return rest[start : rest.index("```", start)].splitlines()


def run(example: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, str(EXAMPLES / example)], capture_output=True, text=True,
                          env={**os.environ, **env}, timeout=120)  # fmt: skip


def test_a_controller_no_broker_ever_answered_raises_broker_unreachable(monkeypatch: pytest.MonkeyPatch) -> None:
    """The quick start's case above, in this process with the adapter's metadata bound at 2 s instead of 30 s."""
    from confluent_kafka import Consumer

    import pauseable
    import pauseable_confluent_kafka

    monkeypatch.setattr(pauseable_confluent_kafka, "_TIMEOUT_S", 2.0)
    config = {"bootstrap.servers": _dead_address(), "group.id": "quickstart"}
    ctl = pauseable.controller(Consumer(config), lookup_config=config)
    try:
        ctl.subscribe("orders")
        with pytest.raises(pauseable.BrokerUnreachableError, match=r"^confluent-kafka: no broker has answered this "):
            _until_assigned(ctl)
    finally:
        ctl.close()


def _until_assigned(ctl: Any) -> None:
    """The quick start's wait for its partitions."""
    while not ctl.assignment():
        ctl.poll(0.5)


@pytest.mark.parametrize("example", ["quickstart_sync.py", "quickstart_async.py"])
def test_quick_start_runs_and_is_in_the_docs(
    example: str, kafka_cluster: KafkaCluster, new_topic: Callable[..., str]
) -> None:
    assert shown(example, "docs/getting-started.md"), f"docs/getting-started.md must show examples/{example} verbatim"
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


@pytest.mark.extra  # it waits out the adapter's 30 s metadata bound; the case below is the same in 2 s
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


def test_the_readme_shows_the_sync_quick_start() -> None:
    assert shown("quickstart_sync.py", "README.md"), "README.md must show examples/quickstart_sync.py verbatim"


def test_the_skip_strategies_example_skips_the_pause_window_and_prints_what_the_page_says(
    kafka_cluster: KafkaCluster, new_topic: Callable[..., str]
) -> None:
    assert shown("skip_strategies.py", "docs/skip-strategies.md")
    topic = new_topic()
    producer = Producer(kafka_cluster.bootstrap_servers)
    producer.produce(topic, 6, partition=0)
    producer.close()
    result = run("skip_strategies.py", {"PAUSEABLE_BOOTSTRAP_SERVERS": kafka_cluster.bootstrap_servers, "TOPIC": topic})
    assert result.returncode == 0, result.stderr
    printed = [
        f"skip-pause-window: resumed 1 partition(s), skipped 5 offset(s): {topic}[0] [6, 11)",
        "delivered: [0, 1, 2, 3, 4, 5]",
        "resumed by itself at a poll",
        f"paused: ['{topic}[0]']",
    ]
    assert result.stdout.splitlines() == printed
    page = (ROOT / "docs" / "skip-strategies.md").read_text()
    assert "\n".join(printed).replace(topic, "orders") in page, "docs/skip-strategies.md must show what it prints"


@pytest.fixture
def metrics_plugin() -> Iterator[ModuleType]:
    """examples/metrics_plugin.py, registered the way its entry point would register it."""
    spec = importlib.util.spec_from_file_location("metrics_plugin", EXAMPLES / "metrics_plugin.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    pm = load_plugins()
    pm.register(module, name="metrics_plugin")
    try:
        yield module
    finally:
        pm.unregister(name="metrics_plugin")


def test_the_metrics_plugin_example_counts_what_a_resume_skipped(
    metrics_plugin: ModuleType, kafka_cluster: KafkaCluster, new_topic: Callable[..., str]
) -> None:
    assert shown("metrics_plugin.py", "docs/skip-strategies.md")
    harness = BackendHarness(get_backend("kafka-python"), kafka_cluster)
    topic = new_topic()
    try:
        ctl = harness.controller(unique_name("g-metrics"))
        tp = TopicPartition(topic, 0)
        ctl.assign([tp])
        ctl.pause(tp)
        harness.produce(topic, 4)
        report = ctl.resume(tp, strategy=pauseable.SeekToEnd())
        assert report.skipped == 4
        assert metrics_plugin.SKIPPED[topic] == 4
    finally:
        harness.close()


def _classes(path: Path) -> list[tuple[str, list[str]]]:
    return [(node.name, [ast.unparse(base) for base in node.bases])
            for node in ast.parse(path.read_text()).body if isinstance(node, ast.ClassDef)]  # fmt: skip


def test_the_conformance_example_is_the_class_the_projects_own_conformance_test_runs() -> None:
    """tests/test_conformance.py runs that class on every backend; the example runs as a file of its own below."""
    assert shown("test_conformance.py", "docs/adapters.md")
    assert _classes(EXAMPLES / "test_conformance.py") == _classes(ROOT / "tests" / "test_conformance.py")


@pytest.mark.extra
def test_the_conformance_example_is_a_test_file_the_suite_runs(
    pytester: pytest.Pytester, kafka_cluster: KafkaCluster, monkeypatch: pytest.MonkeyPatch
) -> None:
    """One behaviour of it, on one backend: the whole suite is what `pauseable conformance` runs."""
    assert shown("test_conformance.py", "docs/adapters.md")
    monkeypatch.setenv("PAUSEABLE_BOOTSTRAP_SERVERS", kafka_cluster.bootstrap_servers)
    pytester.makepyfile(test_conformance=(EXAMPLES / "test_conformance.py").read_text())
    result = pytester.runpytest_subprocess("-k", "close_is_idempotent", "--pauseable-backend", "kafka-python")
    result.assert_outcomes(passed=1)


@pytest.mark.extra
def test_the_local_broker_example_starts_a_cluster_of_its_own(tmp_path: Path) -> None:
    """Slow: a cluster of its own, beside the session's (a few seconds, and a JVM)."""
    assert shown("local_broker.py", "docs/getting-started.md")
    env = {name: value for name, value in os.environ.items() if name != "PAUSEABLE_BOOTSTRAP_SERVERS"}
    env["PAUSEABLE_RUN_DIR"] = str(tmp_path)
    result = subprocess.run([sys.executable, str(EXAMPLES / "local_broker.py")], capture_output=True, text=True,
                            env=env, timeout=300)  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("PAUSEABLE_BOOTSTRAP_SERVERS=127.0.0.1:")


def test_the_metrics_example_runs_and_its_output_is_in_the_readme(
    kafka_cluster: KafkaCluster, new_topic: Callable[..., str]
) -> None:
    """The Metrics page shows examples/metrics.py and what it printed (only counts: no timings)."""
    topic = new_topic()
    producer = Producer(kafka_cluster.bootstrap_servers)
    producer.produce(topic, 5, partition=0)
    producer.close()
    env = {**os.environ, "PAUSEABLE_BOOTSTRAP_SERVERS": kafka_cluster.bootstrap_servers, "TOPIC": topic}
    result = subprocess.run([sys.executable, str(ROOT / "examples" / "metrics.py")], capture_output=True, text=True,
                            env=env, timeout=120)  # fmt: skip
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    readme = (ROOT / "docs" / "metrics.md").read_text()
    assert shown("metrics.py", "docs/metrics.md"), "docs/metrics.md must show examples/metrics.py"
    # the lag of the 4 records produced while paused, and their 4 offsets skipped at resume
    assert [line.rsplit(" ", 1)[1] for line in lines if "_lag{" in line or "_skipped_total{" in line] == ["4.0", "4.0"]
    printed = "\n".join(lines)
    assert printed in readme, f"docs/metrics.md must show what examples/metrics.py printed:\n{printed}"
    excerpt = readme_block("`examples/metrics.py` for 4 records")
    assert len(excerpt) == 5 and set(excerpt) <= set(lines), "the README's lines must be lines the example printed"


#: the async flow's example runs in make test-extra: AbstractFlowTests cover AsyncFlow on aiokafka by default
@pytest.mark.parametrize("example", ["flow_sync.py", pytest.param("flow_async.py", marks=pytest.mark.extra)])
def test_the_flow_examples_run_and_are_on_their_page(
    example: str, kafka_cluster: KafkaCluster, new_topic: Callable[..., str]
) -> None:
    """20 records, one of which the sink always refuses: retried, then dead-lettered; all 20 committed."""
    assert shown(example, "docs/flow-control.md"), f"docs/flow-control.md must show examples/{example} verbatim"
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


def test_the_faststream_example_skips_what_was_produced_while_paused_and_is_in_its_page(
    kafka_cluster: KafkaCluster, new_topic: Callable[..., str]
) -> None:
    """docs/faststream.md shows examples/faststream_app.py (a real FastStream app on aiokafka) and what it prints."""
    assert shown("faststream_app.py", "docs/faststream.md")
    topic = new_topic()
    producer = Producer(kafka_cluster.bootstrap_servers)
    producer.produce(topic, 5, partition=0)
    producer.close()
    result = run("faststream_app.py", {"PAUSEABLE_BOOTSTRAP_SERVERS": kafka_cluster.bootstrap_servers, "TOPIC": topic})
    assert result.returncode == 0, result.stderr
    printed = [
        "backend: aiokafka",
        "seek-to-end: resumed 1 partition(s), skipped 4 offset(s): orders[0] [5, 9)",
        "delivered: [0, 1, 2, 3, 4, 9]",
    ]
    assert result.stdout.splitlines() == printed
    assert "\n".join(printed) in (ROOT / "docs" / "faststream.md").read_text(), "the page must show what it prints"
    assert readme_block("`examples/faststream_app.py` prints") == printed
