"""pytest plugin for a real Kafka broker, every backend, and the conformance suite.

Registered by installing pauseable (entry point ``pytest11``). Fixtures:

- ``kafka_cluster`` (session): started once per run and stopped at its end, or the cluster named by
  ``PAUSEABLE_BOOTSTRAP_SERVERS``.
- ``kafka_cluster3`` (session): a local three-node cluster for fault tests, started on first use.
- ``new_topic(partitions=1, configs=None)``: makes a fresh, uniquely named topic; ``topic``: one
  fresh single-partition topic; ``group_id``: a fresh consumer group id.
- ``backend_name``: parametrized over the backends to test: ``--pauseable-backend NAME``
  (repeatable), else the ``pauseable_backends`` ini option, else every installed backend.
- ``harness``: a :class:`~pauseable.testing.harness.BackendHarness` for ``backend_name``;
  ``fault_harness``: the same on ``kafka_cluster3``.
- ``pauseable_capabilities``: what the backend can do; override it to declare a limitation.

Tests marked ``pauseable_conformance`` (the suite's classes are) are gathered into a matrix of
behaviour by backend, printed at the end of the run and written with ``--pauseable-matrix-json`` /
``--pauseable-matrix-md``.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Generator, Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest

from pauseable.broker import external_bootstrap
from pauseable.registry import backends, get_backend
from pauseable.testing.cluster import KafkaCluster, unique_name
from pauseable.testing.harness import BackendHarness, Capabilities
from pauseable.testing.matrix import Matrix, behaviour_name

_MATRIX = pytest.StashKey[Matrix]()
# The suite's modules live in the package, not in a test directory: have pytest rewrite their asserts.
pytest.register_assert_rewrite("pauseable.testing.suite")


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("pauseable", "pauseable backends and conformance")
    group.addoption(
        "--pauseable-backend",
        action="append",
        default=[],
        metavar="NAME",
        help="run backend-parametrized tests for this backend only (repeatable; default: every installed one)",
    )
    group.addoption(
        "--pauseable-timeout",
        type=float,
        default=30.0,
        metavar="SECONDS",
        help="how long a behaviour waits for records or a rebalance before it fails (default: 30)",
    )
    group.addoption("--pauseable-matrix-json", metavar="PATH", help="write the conformance matrix as JSON")
    group.addoption("--pauseable-matrix-md", metavar="PATH", help="write the conformance matrix as Markdown")
    parser.addini("pauseable_backends", "backends to test when --pauseable-backend is not given", type="linelist")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "pauseable_conformance: a behaviour of the conformance suite (in the matrix)")
    config.stash[_MATRIX] = Matrix()


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "backend_name" in metafunc.fixturenames:
        config = metafunc.config
        chosen = config.getoption("--pauseable-backend") or config.getini("pauseable_backends") or list(backends())
        for name in chosen:
            get_backend(name)  # an unknown name fails collection with the list of installed backends
        metafunc.parametrize("backend_name", chosen, scope="module")


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Generator[None, Any, Any]:
    report = yield
    params: dict[str, Any] = getattr(getattr(item, "callspec", None), "params", {})
    in_suite = item.get_closest_marker("pauseable_conformance") and "backend_name" in params
    if in_suite and (report.when == "call" or not report.passed):
        outcome, reason = _outcome(report)
        name = behaviour_name(getattr(item, "originalname", item.name))
        item.config.stash[_MATRIX].record(name, params["backend_name"], outcome, reason)
    return report


def _outcome(report: pytest.TestReport) -> tuple[str, str]:
    if hasattr(report, "wasxfail"):
        return ("xfailed", str(report.wasxfail)) if report.skipped else ("failed", "passed but marked xfail")
    if report.skipped:
        longrepr = report.longrepr
        reason = longrepr[2] if isinstance(longrepr, tuple) else str(longrepr)
        return "skipped", reason.removeprefix("Skipped: ")
    if report.failed:
        message = getattr(report.longrepr, "reprcrash", None)
        return "failed", (message.message.splitlines()[0] if message else "")[:200]
    return "passed", ""


def pytest_terminal_summary(terminalreporter: Any, config: pytest.Config) -> None:
    matrix = config.stash.get(_MATRIX, None)
    if matrix is None or not matrix.cells:
        return
    terminalreporter.write_sep("=", "pauseable conformance matrix")
    terminalreporter.write(matrix.to_text())
    for option in ("--pauseable-matrix-json", "--pauseable-matrix-md"):
        if path := config.getoption(option):
            matrix.write(Path(path))
            terminalreporter.write_line(f"matrix written to {path}")


def matrix_of(config: pytest.Config) -> Matrix:
    """The matrix gathered so far in this run."""
    return config.stash[_MATRIX]


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


@pytest.fixture(scope="session")
def kafka_cluster3(request: pytest.FixtureRequest) -> Iterator[KafkaCluster]:
    """A local three-node cluster for fault tests: started on first use, stopped at the end of the run.

    Tests using it are skipped when ``PAUSEABLE_BOOTSTRAP_SERVERS`` is set: pauseable stops and starts
    nodes only of clusters it started itself.
    """
    if external_bootstrap() is not None:
        pytest.skip("fault tests need a local three-node cluster; PAUSEABLE_BOOTSTRAP_SERVERS is set")
    capture = request.config.pluginmanager.getplugin("capturemanager")
    with capture.global_and_fixture_disabled() if capture else contextlib.nullcontext():
        cluster = KafkaCluster.start_local(brokers=3)
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
def pauseable_capabilities() -> Capabilities:
    """What the backend under test can do; override in a conftest.py to declare a limitation."""
    return Capabilities()


@pytest.fixture
def harness(
    backend_name: str, kafka_cluster: KafkaCluster, pauseable_capabilities: Capabilities, request: pytest.FixtureRequest
) -> Iterator[BackendHarness]:
    """Consumers of the backend under test, closed after the test."""
    with _harness(backend_name, kafka_cluster, pauseable_capabilities, request) as h:
        yield h


@pytest.fixture
def fault_harness(
    backend_name: str,
    kafka_cluster3: KafkaCluster,
    pauseable_capabilities: Capabilities,
    request: pytest.FixtureRequest,
) -> Iterator[BackendHarness]:
    """Consumers of the backend under test on the three-node cluster (``kafka_cluster3``)."""
    with _harness(backend_name, kafka_cluster3, pauseable_capabilities, request) as h:
        yield h


@contextlib.contextmanager
def _harness(
    backend_name: str, cluster: KafkaCluster, capabilities: Capabilities, request: pytest.FixtureRequest
) -> Iterator[BackendHarness]:
    timeout = request.config.getoption("--pauseable-timeout")
    h = BackendHarness(get_backend(backend_name), cluster, capabilities, timeout=timeout)
    try:
        yield h
    finally:
        h.close()
