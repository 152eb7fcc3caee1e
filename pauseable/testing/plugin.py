"""pytest fixtures for a real Kafka broker and every backend: registered by installing pauseable.

- ``kafka_cluster`` (session): started once per run and stopped at its end, or the cluster named by
  ``PAUSEABLE_BOOTSTRAP_SERVERS``.
- ``new_topic(partitions=1, configs=None)``: makes a fresh, uniquely named topic.
- ``topic``: one fresh single-partition topic; ``group_id``: a fresh consumer group id.
- ``backend_name``: parametrized over the installed backends (``--pauseable-backend NAME`` picks some).
- ``harness``: a :class:`~pauseable.testing.harness.BackendHarness` for ``backend_name``.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator, Mapping

import pytest

from pauseable.registry import backends, get_backend
from pauseable.testing.cluster import KafkaCluster, unique_name
from pauseable.testing.harness import BackendHarness


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("pauseable", "pauseable backends")
    group.addoption(
        "--pauseable-backend",
        action="append",
        default=[],
        metavar="NAME",
        help="run backend-parametrized tests only for this backend (repeatable; default: every installed one)",
    )


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "backend_name" in metafunc.fixturenames:
        chosen = metafunc.config.getoption("--pauseable-backend") or list(backends())
        for name in chosen:
            get_backend(name)  # an unknown name fails collection with the list of installed backends
        metafunc.parametrize("backend_name", chosen, scope="module")


@pytest.fixture(scope="session")
def kafka_cluster(request: pytest.FixtureRequest) -> Iterator[KafkaCluster]:
    """The Kafka cluster of this test run."""
    capture = request.config.pluginmanager.getplugin("capturemanager")
    # Uncaptured, so the one-time "fetching the jars" line shows while it happens.
    with capture.global_and_fixture_disabled() if capture else contextlib.nullcontext():
        cluster = KafkaCluster.open()
    try:
        yield cluster
    finally:
        cluster.close()


@pytest.fixture
def new_topic(kafka_cluster: KafkaCluster, request: pytest.FixtureRequest) -> Callable[..., str]:
    """A factory of fresh topics named after the test: ``new_topic(partitions=3)`` returns the name."""

    def make(partitions: int = 1, configs: Mapping[str, str] | None = None) -> str:
        return kafka_cluster.create_topic(unique_name(request.node.name), partitions, configs=configs)

    return make


@pytest.fixture
def topic(new_topic: Callable[..., str]) -> str:
    """A fresh topic with one partition."""
    return new_topic()


@pytest.fixture
def group_id(request: pytest.FixtureRequest) -> str:
    """A consumer group id no other test uses."""
    return unique_name(f"g-{request.node.name}")


@pytest.fixture
def harness(backend_name: str, kafka_cluster: KafkaCluster) -> Iterator[BackendHarness]:
    """Consumers of the backend under test, closed after the test."""
    h = BackendHarness(get_backend(backend_name), kafka_cluster)
    try:
        yield h
    finally:
        h.close()
