"""The project's own fixtures: short names for the testing kit's prefixed ones, and reproduction aids.

The kit's pytest plugin names every fixture ``pauseable_...`` so it never shadows a user's; these
tests use the short names, defined here for this directory only.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from pauseable_testing.cluster import REPLICATED, KafkaCluster
from pauseable_testing.harness import BackendHarness, NewTopic
from pauseable_testing.ledger import LedgerFigures
from pauseable_testing.schedule import Outcome

pytest_plugins = ["pytester"]

_OUTCOMES = pytest.StashKey[list[Outcome]]()
_GROUP_OUTCOMES = pytest.StashKey[list[Any]]()


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("reproduce", "reproducing timing-dependent failures")
    group.addoption("--repeat", type=int, default=1, metavar="N", help="run each selected test N times (default: 1)")
    group.addoption(
        "--cpu-load", type=int, default=0, metavar="N", help="keep N busy processes running alongside (default: 0)"
    )


#: tests whose cause lies in one client: that backend's case runs in ``make test``, the others' in ``make test-slow``
#: when they are fault or randomized runs (:data:`RELIABILITY`), else in ``make test-extra``
ONE_BACKEND_BY_DEFAULT = {
    # librdkafka does not retry a lookup of a leaderless partition; the others' retries are the same core's
    "test_a_lookup_the_user_makes_while_a_partition_has_no_leader_answers_once_it_has_one": "confluent-kafka",
    # fault and fresh-cluster runs (a cluster started, nodes killed and restarted: 30-90 s each under load): the
    # ledger and the retries are the core's; one backend in make test, every backend in make test-slow
    "test_random_schedule_with_broker_faults_holds_the_ledger": "confluent-kafka",
    "test_random_schedule_holds_the_ledger": "confluent-kafka",
    "test_the_leader_killed_during_a_seek_to_end_resume_gives_a_typed_error_or_a_retry": "kafka-python",
    "test_consumers_assigned_while_the_group_coordinators_load_seek_and_consume": "confluent-kafka",
    "test_a_member_crashing_while_the_survivor_is_paused_keeps_the_topic_pause_and_the_ledger": "confluent-kafka",
    # group pauses: the applier's rebalance handling is the core's, the same on every backend
    "test_a_group_pause_follows_partitions_through_a_rebalance_and_a_restart": "confluent-kafka",
    # group-pause schedules: membership churn on kafka-python (its join cures); the fault set is make test-slow's
    "test_a_group_pause_schedule_holds_the_ledger": "kafka-python",
    "test_the_checks_catch_members_that_ignore_group_pauses": "confluent-kafka",  # the test's own checks
    # the metrics plugins read the core's hooks, the same on every backend: one sync and one async client
    "test_paused_now_comes_back_to_0_at_resume_timed_end_and_assign_leaving_it_out": "confluent-kafka",
    "test_close_and_a_rebalance_end_pauses_and_opentelemetry_sees_it": "confluent-kafka",
    "test_the_lag_of_a_paused_partition_grows_while_paused_and_too_long_is_flagged_once": "aiokafka",
    # flow control (pauseable.flow): one rule set (FlowCore) over the controller's calls, which the rest of the
    # suite already checks on every backend; the others' cases run in make test-extra (the crash and revocation
    # ledgers in make test-slow)
    "test_backpressure_bounds_the_records_in_flight_and_the_finished_prefix_is_committed": "confluent-kafka",
    "test_long_running_work_keeps_the_member_in_its_group_and_delivers_nothing_meanwhile": "confluent-kafka",
    "test_a_failed_record_is_retried_from_its_offset_then_dead_lettered": "aiokafka",
    "test_a_revocation_commits_only_the_finished_prefix_and_the_unfinished_work_comes_again": "confluent-kafka",
    "test_a_member_crashing_mid_work_loses_nothing_and_the_ledger_holds": "confluent-kafka",
    # FastStream (tests/test_faststream.py, parametrized by faststream_backend): the getter is routed the same way
    # on both brokers; the confluent broker's executor front by default for the ledger, aiokafka for the timed end
    "test_a_paused_partition_reaches_no_handler_and_seek_to_end_skips_exactly_what_it_reports": "confluent-kafka",
    "test_a_timed_pause_ends_by_itself_at_the_subscribers_next_poll": "aiokafka",
    "test_a_concurrent_subscriber_whose_workers_are_all_busy_pauses_and_stays_in_its_group": "aiokafka",
    "test_a_topic_pause_holds_for_partitions_that_faststreams_rebalances_bring_back": "aiokafka",
    # the applier's calls are the core's: the sync backend follows a rebalance and a restart (above), the async
    # one applies a strategy once
    "test_a_group_pause_stops_a_member_and_its_seek_to_end_resume_is_applied_once": "aiokafka",
    # Backoff's growing pauses are the core's timed pauses, which every backend's suite checks
    "test_a_backoff_makes_each_repeated_timed_pause_longer": "aiokafka",
    # the close is the flow's (one code path); aiokafka is the client whose commit fails there
    "test_a_flow_closed_after_its_member_left_the_group_warns_and_its_finished_work_comes_again": "aiokafka",
}

#: cases of these backends in make test-extra only (make test's budget): the same adapter's sync twin stays
LEFT_TO_EXTRA = {
    "test_committed_of_many_partitions_is_one_offset_fetch_per_call": {"confluent-kafka-aio"},
}


#: the fault and randomized runs the reliability claim rests on (docs/reliability.md): their other backends' cases
#: are ``slow``; every other test's are ``extra``
RELIABILITY = {
    "test_a_lookup_the_user_makes_while_a_partition_has_no_leader_answers_once_it_has_one",
    "test_random_schedule_with_broker_faults_holds_the_ledger",
    "test_random_schedule_holds_the_ledger",
    "test_the_leader_killed_during_a_seek_to_end_resume_gives_a_typed_error_or_a_retry",
    "test_consumers_assigned_while_the_group_coordinators_load_seek_and_consume",
    "test_a_member_crashing_while_the_survivor_is_paused_keeps_the_topic_pause_and_the_ledger",
    "test_a_group_pause_follows_partitions_through_a_rebalance_and_a_restart",
    "test_a_revocation_commits_only_the_finished_prefix_and_the_unfinished_work_comes_again",
    "test_a_member_crashing_mid_work_loses_nothing_and_the_ledger_holds",
    "test_a_group_pause_schedule_holds_the_ledger",
    "test_a_flow_closed_after_its_member_left_the_group_warns_and_its_finished_work_comes_again",
}


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        name = getattr(item, "originalname", item.name)
        keep = ONE_BACKEND_BY_DEFAULT.get(name)
        callspec = getattr(item, "callspec", None)
        params = callspec.params if callspec is not None else {}
        backend = next((params[k] for k in ("pauseable_backend", "faststream_backend", "backend") if k in params), None)
        if (keep and callspec is not None and backend != keep) or backend in LEFT_TO_EXTRA.get(name, ()):
            item.add_marker(pytest.mark.slow if name in RELIABILITY else pytest.mark.extra)


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if (times := metafunc.config.getoption("--repeat")) > 1:
        metafunc.fixturenames.append("repeat_run")
        metafunc.parametrize("repeat_run", range(1, times + 1), ids=lambda i: f"run{i}")


@pytest.fixture(scope="session")
def kafka_cluster(pauseable_kafka_cluster: KafkaCluster) -> KafkaCluster:
    return pauseable_kafka_cluster


@pytest.fixture(scope="session")
def kafka_cluster3(pauseable_kafka_cluster3: KafkaCluster) -> KafkaCluster:
    return pauseable_kafka_cluster3


@pytest.fixture
def new_topic(pauseable_new_topic: NewTopic) -> NewTopic:
    return pauseable_new_topic


@pytest.fixture
def topic(pauseable_topic: str) -> str:
    return pauseable_topic


@pytest.fixture
def group_id(pauseable_group_id: str) -> str:
    return pauseable_group_id


@pytest.fixture(scope="module")
def backend_name(pauseable_backend: str) -> str:
    return pauseable_backend


@pytest.fixture
def harness(pauseable_harness: BackendHarness) -> BackendHarness:
    return pauseable_harness


@pytest.fixture
def fault_harness(pauseable_fault_harness: BackendHarness) -> BackendHarness:
    return pauseable_fault_harness


@pytest.fixture
def repeat_run(request: pytest.FixtureRequest) -> int:
    """Which of ``--repeat N`` runs this is."""
    return int(request.param)


@pytest.fixture(scope="session", autouse=True)
def cpu_load(request: pytest.FixtureRequest) -> Iterator[None]:
    """``--cpu-load N``: N processes spinning on the CPU for the whole run (a busy shared machine)."""
    spinners = [
        subprocess.Popen([sys.executable, "-c", "while True: pass"])
        for _ in range(request.config.getoption("--cpu-load"))
    ]
    try:
        yield
    finally:
        for spinner in spinners:
            spinner.kill()
            spinner.wait()


@pytest.fixture
def replicated_topic(kafka_cluster3: KafkaCluster, request: pytest.FixtureRequest) -> Callable[[int], str]:
    """A factory of topics on the three-node cluster, replicated three times, min.insync.replicas=2."""

    def make(partitions: int = 1) -> str:
        return kafka_cluster3.create_topic(
            partitions=partitions, replication_factor=3, configs=REPLICATED, hint=request.node.name
        )

    return make


@pytest.fixture
def record_outcome(request: pytest.FixtureRequest) -> Callable[[Outcome], None]:
    """Keep a schedule's outcome for the totals printed at the end of the run."""
    return request.config.stash.setdefault(_OUTCOMES, []).append


@pytest.fixture
def record_group_outcome(request: pytest.FixtureRequest) -> Callable[[Any], None]:
    """Keep a group-pause schedule's outcome (tests/group_schedule.py) for the totals printed at the end."""
    return request.config.stash.setdefault(_GROUP_OUTCOMES, []).append


def pytest_terminal_summary(terminalreporter: Any, config: pytest.Config) -> None:
    _group_summary(terminalreporter, config.stash.get(_GROUP_OUTCOMES, []))
    outcomes = config.stash.get(_OUTCOMES, [])
    if not outcomes:
        return
    figures = LedgerFigures()
    for outcome in outcomes:
        figures += outcome.figures
    resumes: dict[str, int] = {}
    for outcome in outcomes:
        for name, n in outcome.resumes.items():
            resumes[name] = resumes.get(name, 0) + n
    failed = len(terminalreporter.stats.get("failed", []))
    terminalreporter.write_sep("=", "pauseable random schedules")
    terminalreporter.write_line(
        f"schedules played to the end: {len(outcomes)}, steps: {sum(len(o.steps) for o in outcomes)}, "
        f"faults injected: {sum(o.faults for o in outcomes)}, resume errors (typed, retried): "
        f"{sum(o.resume_errors for o in outcomes)}, failed tests in this run: {failed}"
    )
    terminalreporter.write_line(
        f"records produced: {figures.produced}, delivered: {figures.delivered}, skipped (reported): "
        f"{figures.skipped}, redelivered after a takeover: {figures.redelivered}"
    )
    terminalreporter.write_line("resumes by strategy: " + ", ".join(f"{k} {v}" for k, v in sorted(resumes.items())))


def _group_summary(terminalreporter: Any, outcomes: list[Any]) -> None:
    if not outcomes:
        return
    figures = LedgerFigures()
    for outcome in outcomes:
        figures += outcome.figures
    terminalreporter.write_sep("=", "pauseable group-pause schedules")
    terminalreporter.write_line(
        f"schedules played to the end: {len(outcomes)}, steps: {sum(o.steps for o in outcomes)}, group pauses: "
        f"{sum(o.pauses for o in outcomes)}, rebalances seen: {sum(o.rebalances for o in outcomes)}, control-leader "
        f"faults: {sum(o.faults for o in outcomes)}, slowest pause to reach every owner: "
        f"{max(o.slowest_s for o in outcomes):.2f} s"
    )
    terminalreporter.write_line(
        f"records produced: {figures.produced}, delivered: {figures.delivered}, skipped (reported): "
        f"{figures.skipped}, redelivered after a rebalance: {figures.redelivered}"
    )
