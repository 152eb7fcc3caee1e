"""pytest plugin for a real Kafka broker, every backend, and the conformance suite.

Registered by installing the testing kit, ``pauseable-testing`` (entry point ``pytest11``, name
``pauseable``: ``-p no:pauseable`` turns it off). Every fixture name starts with ``pauseable_``, so a
project's own ``topic`` or ``harness`` fixture is never shadowed, and nothing starts a broker unless a
test asks for one of these:

- ``pauseable_kafka_cluster`` (session): started at first use and stopped at the end of the run, or
  the cluster named by ``PAUSEABLE_BOOTSTRAP_SERVERS``.
- ``pauseable_kafka_cluster3`` (session): a local three-node cluster for fault tests, started on first use.
- ``pauseable_new_topic(partitions=1, configs=None)``: makes a fresh, uniquely named topic;
  ``pauseable_topic``: one fresh single-partition topic; ``pauseable_group_id``: a fresh consumer group id.
- ``pauseable_backend``: parametrized over the backends to test: ``--pauseable-backend NAME``
  (repeatable), else the ``pauseable_backends`` ini option, else every installed backend.
- ``pauseable_harness``: a :class:`~pauseable_testing.harness.BackendHarness` for ``pauseable_backend``;
  ``pauseable_fault_harness``: the same on ``pauseable_kafka_cluster3``.
- ``pauseable_capabilities``: what the backend can do; override it to declare a limitation.
- ``pauseable_seed``: parametrized over seeds 1 to ``--pauseable-seeds N`` (the ledger checks).

The suite's classes (:mod:`pauseable_testing.suite`) name these ``harness``, ``topic``, ``new_topic``
and ``group_id`` inside themselves (class fixtures), so their tests read as the contract.
Old pytest never crashes a run that installs the kit: no ``pytest.StashKey`` (7.0) and no new-style
hook wrappers (8.x) here; an unrelated suite ran green with it on pytest 6.2.5, and the suite itself
runs on pytest 7.0, the kit's declared bound (tests/test_lowest_versions.py).

Tests marked ``pauseable_conformance`` (the suite's classes are) are gathered into a matrix of
behaviour by backend, printed at the end of the run and written with ``--pauseable-matrix-json`` /
``--pauseable-matrix-md``.
"""

from __future__ import annotations

import contextlib
import weakref
from collections.abc import Callable, Generator, Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest

from pauseable.registry import backends, get_backend
from pauseable_testing.broker import external_bootstrap
from pauseable_testing.cluster import KafkaCluster, unique_name
from pauseable_testing.config import ConsumerConfig, ConsumerConfigError
from pauseable_testing.harness import BackendHarness, Capabilities
from pauseable_testing.matrix import Matrix, behaviour_name
from pauseable_testing.watchdog import Watchdog

#: the matrix of each run (a config's ``stash`` would need pytest >= 7)
_MATRICES: weakref.WeakKeyDictionary[pytest.Config, Matrix] = weakref.WeakKeyDictionary()
#: the user's consumer configuration of each run, and what each backend's client made of it (None: took it)
_CONFIGS: weakref.WeakKeyDictionary[pytest.Config, ConsumerConfig] = weakref.WeakKeyDictionary()
_REFUSALS: weakref.WeakKeyDictionary[pytest.Config, dict[str, str | None]] = weakref.WeakKeyDictionary()
# The suite's modules live in the package, not in a test directory: have pytest rewrite their asserts.
pytest.register_assert_rewrite("pauseable_testing.suite")


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
    group.addoption(
        "--pauseable-behaviour-timeout",
        type=float,
        default=120.0,
        metavar="SECONDS",
        help="fail a behaviour of the suite that runs longer, naming the harness's last call "
        "(default: 120; 0: no bound)",
    )
    group.addoption(
        "--pauseable-poll-margin",
        type=float,
        default=15.0,
        metavar="SECONDS",
        help="fail a behaviour whose poll returns this long after its timeout, which the contract bounds it by "
        "(default: 15)",
    )
    group.addoption(
        "--pauseable-consumer-config",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="a native setting of the backend's client for every consumer the suite builds, e.g. "
        "group.protocol=consumer (repeatable; settings the suite needs are refused)",
    )
    group.addoption(
        "--pauseable-consumer-config-file",
        action="append",
        default=[],
        metavar="PATH",
        help="native consumer settings from a file of key=value lines (# comments); "
        "--pauseable-consumer-config wins over it",
    )
    group.addoption(
        "--pauseable-seeds",
        type=int,
        default=2,
        metavar="N",
        help="seeds 1..N for the ledger checks on seeded schedules (pauseable_seed; default: 2)",
    )
    group.addoption("--pauseable-matrix-json", metavar="PATH", help="write the conformance matrix as JSON")
    group.addoption("--pauseable-matrix-md", metavar="PATH", help="write the conformance matrix as Markdown")
    parser.addini("pauseable_backends", "backends to test when --pauseable-backend is not given", type="linelist")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "pauseable_conformance: a behaviour of the conformance suite (in the matrix)")
    _MATRICES[config] = Matrix()
    try:
        _CONFIGS[config] = ConsumerConfig.parse(
            config.getoption("--pauseable-consumer-config"), config.getoption("--pauseable-consumer-config-file")
        )
    except ConsumerConfigError as exc:
        raise pytest.UsageError(str(exc)) from None
    _REFUSALS[config] = {}


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "pauseable_backend" in metafunc.fixturenames:
        config = metafunc.config
        chosen = config.getoption("--pauseable-backend") or config.getini("pauseable_backends") or list(backends())
        for name in chosen:
            get_backend(name)  # an unknown name fails collection with the list of installed backends
        metafunc.parametrize("pauseable_backend", chosen, scope="module")
    if "pauseable_seed" in metafunc.fixturenames:
        metafunc.parametrize("pauseable_seed", range(1, metafunc.config.getoption("--pauseable-seeds") + 1))


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: Any) -> Generator[None, Any, None]:
    outcome = yield
    report = outcome.get_result()
    params: dict[str, Any] = getattr(getattr(item, "callspec", None), "params", {})
    in_suite = item.get_closest_marker("pauseable_conformance") and "pauseable_backend" in params
    if in_suite and (report.when == "call" or not report.passed):
        result, reason = _outcome(report)
        name = behaviour_name(getattr(item, "originalname", item.name))
        matrix_of(item.config).record(name, params["pauseable_backend"], result, reason)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Generator[None, Any, None]:
    """Bound each behaviour of the suite (``--pauseable-behaviour-timeout``): one that runs longer fails with
    its name and the harness's last call."""
    seconds = item.config.getoption("--pauseable-behaviour-timeout")
    if not seconds or not item.get_closest_marker("pauseable_conformance"):
        yield
        return
    funcargs: dict[str, Any] = getattr(item, "funcargs", {})
    harness = funcargs.get("pauseable_harness") or funcargs.get("pauseable_fault_harness")
    name = behaviour_name(getattr(item, "originalname", item.name))
    backend = funcargs.get("pauseable_backend", "?")

    def describe() -> str:
        where = harness.describe() if harness is not None else "no harness"
        bound = f"its bound of {seconds:.0f} s (--pauseable-behaviour-timeout)"
        return f"behaviour '{name}' on {backend} ran past {bound}; {where}"

    with Watchdog(seconds, describe):
        yield


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
    matrix = _MATRICES.get(config)
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
    return _MATRICES.setdefault(config, Matrix())


@pytest.fixture(scope="session")
def pauseable_kafka_cluster(request: pytest.FixtureRequest) -> Iterator[KafkaCluster]:
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
def pauseable_kafka_cluster3(request: pytest.FixtureRequest) -> Iterator[KafkaCluster]:
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
def pauseable_new_topic(pauseable_kafka_cluster: KafkaCluster, request: pytest.FixtureRequest) -> Callable[..., str]:
    """A factory of fresh topics named after the test: ``new_topic(partitions=3)`` returns the name."""

    def make(partitions: int = 1, configs: Mapping[str, str] | None = None) -> str:
        return pauseable_kafka_cluster.create_topic(partitions=partitions, configs=configs, hint=request.node.name)

    return make


@pytest.fixture
def pauseable_topic(pauseable_new_topic: Callable[..., str]) -> str:
    """A fresh topic with one partition."""
    return pauseable_new_topic()


@pytest.fixture
def pauseable_group_id(request: pytest.FixtureRequest) -> str:
    """A consumer group id no other test uses."""
    return unique_name(f"g-{request.node.name}")


@pytest.fixture
def pauseable_capabilities() -> Capabilities:
    """What the backend under test can do; override in a conftest.py to declare a limitation."""
    return Capabilities()


@pytest.fixture
def pauseable_harness(
    pauseable_backend: str,
    pauseable_kafka_cluster: KafkaCluster,
    pauseable_capabilities: Capabilities,
    request: pytest.FixtureRequest,
) -> Iterator[BackendHarness]:
    """Consumers of the backend under test, closed after the test."""
    with _harness(pauseable_backend, pauseable_kafka_cluster, pauseable_capabilities, request) as h:
        yield h


@pytest.fixture
def pauseable_fault_harness(
    pauseable_backend: str,
    pauseable_kafka_cluster3: KafkaCluster,
    pauseable_capabilities: Capabilities,
    request: pytest.FixtureRequest,
) -> Iterator[BackendHarness]:
    """Consumers of the backend under test on the three-node cluster (``pauseable_kafka_cluster3``)."""
    with _harness(pauseable_backend, pauseable_kafka_cluster3, pauseable_capabilities, request) as h:
        yield h


@contextlib.contextmanager
def _harness(
    backend_name: str, cluster: KafkaCluster, capabilities: Capabilities, request: pytest.FixtureRequest
) -> Iterator[BackendHarness]:
    timeout = request.config.getoption("--pauseable-timeout")
    consumer_config = _CONFIGS.get(request.config, ConsumerConfig())
    backend = get_backend(backend_name)
    h = BackendHarness(backend, cluster, capabilities, timeout=timeout, consumer_config=consumer_config)
    h.poll_margin = request.config.getoption("--pauseable-poll-margin")
    try:
        _check_consumer_config(h, request.config)
        yield h
    finally:
        h.close()


def _check_consumer_config(h: BackendHarness, config: pytest.Config) -> None:
    """Fail (or, for a group protocol the client lacks, skip) every behaviour of a backend whose client
    refuses the user's consumer configuration; asked once per backend and run."""
    refusals = _REFUSALS.setdefault(config, {})
    if h.name not in refusals:
        try:
            h.check_consumer_config()
            refusals[h.name] = None
        except Exception as exc:  # whatever the client raises for a configuration it does not take
            refusals[h.name] = f"{type(exc).__name__}: {exc}".splitlines()[0][:300]
    if (refusal := refusals[h.name]) is None:
        return
    if h.consumer_config.broker_side_groups and "protocol" in refusal:  # the client names the key it lacks
        pytest.skip(f"{h.name}: its client has no group.protocol=consumer (KIP-848): {refusal}")
    pytest.fail(f"{h.name} refuses the consumer configuration {h.consumer_config}: {refusal}", pytrace=False)
