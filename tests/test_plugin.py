"""The pytest plugin as a third-party adapter author uses it, run with pytester in a subprocess."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from pauseable_testing import KafkaCluster


@pytest.fixture
def author(pytester: pytest.Pytester, kafka_cluster: KafkaCluster, monkeypatch: pytest.MonkeyPatch) -> pytest.Pytester:
    monkeypatch.setenv("PAUSEABLE_BOOTSTRAP_SERVERS", kafka_cluster.bootstrap_servers)
    return pytester


def test_one_behaviour_runs_on_the_chosen_backends_and_the_matrix_is_printed(author: pytest.Pytester) -> None:
    author.makepyfile(
        """
        from pauseable_testing.suite import AbstractErrorTests

        class TestMyBackend(AbstractErrorTests):
            pass
        """
    )
    result = author.runpytest_subprocess(
        "-k", "close_is_idempotent", "--pauseable-backend", "kafka-python", "--pauseable-backend", "aiokafka",
        "--pauseable-matrix-md", "matrix.md",
    )  # fmt: skip
    result.assert_outcomes(passed=2)
    result.stdout.fnmatch_lines(["*pauseable conformance matrix*", "behaviour*kafka-python*", "close is idempotent*"])
    assert "| close is idempotent | ✅ | ✅ |" in (author.path / "matrix.md").read_text()


def test_capabilities_and_a_redefined_test_change_what_runs(author: pytest.Pytester) -> None:
    author.makeconftest(
        """
        import pytest
        from pauseable_testing.harness import Capabilities

        @pytest.fixture
        def pauseable_capabilities():
            return Capabilities(offsets_for_times=False)
        """
    )
    author.makepyfile(
        """
        from pauseable_testing.suite import AbstractOffsetTests

        class TestMyBackend(AbstractOffsetTests):
            def test_committed_is_none_before_any_commit(self, harness):
                assert harness.name == "kafka-python"  # the author's own version of one behaviour
        """
    )
    result = author.runpytest_subprocess(
        "-k", "offsets_for_times or committed_is_none", "--pauseable-backend", "kafka-python", "-rs"
    )
    result.assert_outcomes(passed=1, skipped=2)
    result.stdout.fnmatch_lines(["*kafka-python declares no offsets for times (pauseable_capabilities)*"])


def test_an_unknown_backend_name_fails_with_the_installed_ones(author: pytest.Pytester) -> None:
    author.makepyfile(
        """
        from pauseable_testing.suite import AbstractPauseTests

        class TestMyBackend(AbstractPauseTests):
            pass
        """
    )
    result = author.runpytest_subprocess("--pauseable-backend", "no-such-backend")
    assert result.ret != 0
    result.stdout.fnmatch_lines(["*no backend 'no-such-backend' is installed*installed backends: aiokafka*"])


def test_the_plugin_adds_only_prefixed_fixtures_and_starts_no_broker_unasked(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A project that installs the kit keeps its own ``topic``; nothing starts unless asked for."""
    scratch = pytester.mkdir("scratch")
    monkeypatch.setenv("TMPDIR", str(scratch))  # where a local test cluster would put its directory
    monkeypatch.delenv("PAUSEABLE_BOOTSTRAP_SERVERS", raising=False)
    pytester.makepyfile(
        """
        def test_mine(topic):
            pass

        def test_unrelated():
            assert 1 + 1 == 2
        """
    )
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    result.assert_outcomes(passed=1, errors=1)
    result.stdout.fnmatch_lines(["*fixture 'topic' not found*"])
    assert not list(scratch.glob("pauseable-*")), "a broker was started for tests that asked for none"

    listing = pytester.runpytest_subprocess("--fixtures", "-p", "no:cacheprovider")
    section = listing.stdout.str().split("fixtures defined from pauseable_testing.plugin")[1].split("\n---")[0]
    names = {line.split()[0] for line in section.splitlines() if line and not line.startswith((" ", "-"))}
    assert names >= {"pauseable_kafka_cluster", "pauseable_topic", "pauseable_group_id", "pauseable_harness"}
    assert all(name.startswith("pauseable_") for name in names), names


def test_a_project_test_asks_for_a_prefixed_fixture(author: pytest.Pytester) -> None:
    author.makepyfile(
        """
        def test_theirs(pauseable_topic, pauseable_group_id, pauseable_kafka_cluster):
            assert pauseable_topic.startswith("test_theirs-") and pauseable_group_id.startswith("g-test_theirs-")
            assert pauseable_kafka_cluster.bootstrap_servers
        """
    )
    author.runpytest_subprocess("-p", "no:cacheprovider").assert_outcomes(passed=1)


def test_a_behaviour_that_runs_past_its_bound_fails_naming_it_and_the_last_harness_call(
    author: pytest.Pytester,
) -> None:
    """The plugin bounds each behaviour itself: no pytest-timeout in the author's environment."""
    author.makepyfile(
        """
        from pauseable import TopicPartition
        from pauseable_testing.suite import AbstractPollTests

        class TestMyBackend(AbstractPollTests):
            def test_poll_returns_at_once_when_a_record_is_ready(self, harness, topic, group_id):
                ctl = harness.controller(group_id)
                ctl.assign([TopicPartition(topic, 0)])
                harness.consume(ctl, lambda _: False, timeout=600, what="a record nobody produces")
        """
    )
    result = author.runpytest_subprocess(
        "-p", "no:cacheprovider", "-p", "no:timeout", "-k", "poll_returns_at_once", "--pauseable-backend",
        "kafka-python", "--pauseable-behaviour-timeout", "3",
    )  # fmt: skip
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            "*BehaviourTimeout: behaviour 'poll returns at once when a record is ready' on kafka-python ran past its "
            "bound of 3 s (--pauseable-behaviour-timeout); last harness call: controller #1: poll(0.3, 500)*"
            "; waiting for a record nobody produces"
        ]
    )


def test_a_poll_that_overruns_its_timeout_fails_naming_the_rule(author: pytest.Pytester) -> None:
    """No margin at all: any poll overruns its timeout of 0 s by a little, and breaks the bound."""
    author.makepyfile(
        """
        from pauseable import TopicPartition
        from pauseable_testing.suite import AbstractPollTests

        class TestMyBackend(AbstractPollTests):
            def test_poll_returns_at_once_when_a_record_is_ready(self, harness, topic, group_id):
                ctl = harness.controller(group_id)
                ctl.assign([TopicPartition(topic, 0)])
                ctl.poll(0.0)
        """
    )
    result = author.runpytest_subprocess(
        "-p", "no:cacheprovider", "-k", "poll_returns_at_once", "--pauseable-backend", "kafka-python",
        "--pauseable-poll-margin", "0",
    )  # fmt: skip
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        ["*kafka-python: controller #1: poll(0.0) returned after *: it broke the contract's bound on poll (waiting "
         "at most its timeout of 0.0 s; 0 s of margin allowed)*"]
    )  # fmt: skip


def test_pauseable_conformance_runs_with_its_own_configuration_whatever_surrounds_it(
    pytester: pytest.Pytester, kafka_cluster: KafkaCluster
) -> None:
    """A project around the command (an editable install's source tree) has a pytest configuration of its
    own; none of it applies to the suite."""
    hostile = "addopts = --no-such-option -p no:pauseable\nasyncio_default_fixture_loop_scope = function\n"
    pytester.makeini("[pytest]\n" + hostile + "required_plugins = no-such-plugin\n")
    pytester.makepyprojecttoml("[tool.pytest.ini_options]\naddopts = '--no-such-option'\n")
    pytester.makeconftest("raise SystemExit('the surrounding project conftest.py was loaded')")
    result = subprocess.run(
        [sys.executable, "-m", "pauseable", "conformance", "--backend", "kafka-python", "--", "-k",
         "close_is_idempotent"],
        capture_output=True, text=True, timeout=300, cwd=pytester.path,
        env={**os.environ, "PAUSEABLE_BOOTSTRAP_SERVERS": kafka_cluster.bootstrap_servers},
    )  # fmt: skip
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert "1 passed" in result.stdout


def test_pauseable_conformance_runs_the_ledger_checks_on_seeded_schedules(
    tmp_path: Path, kafka_cluster: KafkaCluster
) -> None:
    """One command runs the skip ledger for an installed backend, whichever backend it is."""
    result = subprocess.run(
        [sys.executable, "-m", "pauseable", "conformance", "--ledger", "--seeds", "1", "--backend", "kafka-python",
         "--json", str(tmp_path / "m.json"), "--", "-k", "seek-to-end or schedule"],
        capture_output=True, text=True, timeout=600, cwd=tmp_path,
        env={**os.environ, "PAUSEABLE_BOOTSTRAP_SERVERS": kafka_cluster.bootstrap_servers},
    )  # fmt: skip
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert "2 passed" in result.stdout
    behaviours = json.loads((tmp_path / "m.json").read_text())["behaviours"]
    assert set(behaviours) == {
        "every produced offset is delivered or reported skipped",
        "a random schedule holds the ledger",
    }
