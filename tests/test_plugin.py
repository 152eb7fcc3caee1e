"""The pytest plugin as a third-party adapter author uses it, run with pytester in a subprocess."""

from __future__ import annotations

import pytest

from pauseable.testing import KafkaCluster


@pytest.fixture
def author(pytester: pytest.Pytester, kafka_cluster: KafkaCluster, monkeypatch: pytest.MonkeyPatch) -> pytest.Pytester:
    monkeypatch.setenv("PAUSEABLE_BOOTSTRAP_SERVERS", kafka_cluster.bootstrap_servers)
    return pytester


def test_one_behaviour_runs_on_the_chosen_backends_and_the_matrix_is_printed(author: pytest.Pytester) -> None:
    author.makepyfile(
        """
        from pauseable.testing.suite import AbstractErrorTests

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
        from pauseable.testing.harness import Capabilities

        @pytest.fixture
        def pauseable_capabilities():
            return Capabilities(offsets_for_times=False)
        """
    )
    author.makepyfile(
        """
        from pauseable.testing.suite import AbstractOffsetTests

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
        from pauseable.testing.suite import AbstractPauseTests

        class TestMyBackend(AbstractPauseTests):
            pass
        """
    )
    result = author.runpytest_subprocess("--pauseable-backend", "no-such-backend")
    assert result.ret != 0
    result.stdout.fnmatch_lines(["*no backend 'no-such-backend' is installed*installed backends: aiokafka*"])
