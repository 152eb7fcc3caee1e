"""Seeded schedules of group pauses (tests/group_schedule.py): operator pauses and resumes interleaved with members
joining, leaving, crashing and restarting and, on the three-node cluster, the control topic's leader stopped or
killed — the ledger holds and no member hands over what the group holds paused.

``make test`` plays one schedule on the one-node cluster (kafka-python: its join cures under membership churn);
``make test-slow`` the other backends' and a second seed, and the fault set (13 seeds times 4 backends: 52
schedules on the three-node cluster). A failure names the seed and the schedule; ``generate(seed, ...)``
replays it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from group_schedule import Outcome, Step, generate, run

from pauseable import Operator
from pauseable_testing.cluster import KafkaCluster, unique_name
from pauseable_testing.harness import BackendHarness, NewTopic

FAULT_SEEDS = range(301, 314)  # times 4 backends: 52 schedules


def _partitions(seed: int) -> int:
    return 2 + seed % 2


@pytest.fixture(scope="module")
def operator(kafka_cluster: KafkaCluster) -> Iterator[Operator]:
    with Operator({"bootstrap.servers": kafka_cluster.bootstrap_servers}, control_topic=unique_name("control"),
                  by="schedules") as made:  # fmt: skip
        made.create_control_topic()
        yield made


@pytest.fixture(scope="module")
def operator3(kafka_cluster3: KafkaCluster) -> Iterator[Operator]:
    with Operator({"bootstrap.servers": kafka_cluster3.bootstrap_servers}, control_topic=unique_name("control"),
                  by="schedules") as made:  # fmt: skip
        assert made.create_control_topic() == 3
        yield made


@pytest.mark.parametrize("seed", [1, pytest.param(2, marks=pytest.mark.slow)])
def test_a_group_pause_schedule_holds_the_ledger(
    harness: BackendHarness,
    new_topic: NewTopic,
    group_id: str,
    operator: Operator,
    seed: int,
    record_group_outcome: Callable[[Outcome], None],
) -> None:
    harness.requires("consumer_groups")
    partitions = _partitions(seed)
    schedule = generate(seed, partitions)
    record_group_outcome(run(harness, operator, new_topic(partitions=partitions), partitions, group_id, seed, schedule))


@pytest.mark.cluster
@pytest.mark.slow  # 30-90 s each on a loaded machine; make test plays the one-node schedule above
@pytest.mark.parametrize("seed", FAULT_SEEDS)
def test_a_group_pause_schedule_with_control_leader_faults_holds_the_ledger(
    fault_harness: BackendHarness,
    kafka_cluster3: KafkaCluster,
    replicated_topic: Callable[[int], str],
    group_id: str,
    operator3: Operator,
    seed: int,
    record_group_outcome: Callable[[Outcome], None],
) -> None:
    fault_harness.requires("consumer_groups")
    assert kafka_cluster3.local is not None
    partitions = _partitions(seed)
    schedule = generate(seed, partitions, faults=True)
    outcome = run(fault_harness, operator3, replicated_topic(partitions), partitions, group_id, seed, schedule,
                  kafka_cluster3.local)  # fmt: skip
    assert outcome.faults > 0
    record_group_outcome(outcome)


def test_the_checks_catch_members_that_ignore_group_pauses(
    harness: BackendHarness, new_topic: NewTopic, group_id: str, operator: Operator
) -> None:
    """The same player with members that do not follow the control topic: a pause its owners do not show over 3 s
    of polls is a breach."""
    schedule = [Step("produce", (0, 1), count=5), Step("poll", seconds=3.0), Step("pause"),
                Step("produce", (0, 1), count=5), Step("poll", seconds=5.0), Step("resume"),
                Step("produce", (0, 1), count=2)]  # fmt: skip
    with pytest.raises(AssertionError, match=r"not paused by their owners after 3 s of polls with owners"):
        run(harness, operator, new_topic(partitions=2), 2, group_id, 0, schedule, follow=False)
