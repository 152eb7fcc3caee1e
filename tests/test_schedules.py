"""Seeded random schedules: produce, pause, timed pause, resume with every strategy, takeovers and, on
the three-node cluster, nodes stopped or killed and started again — checked by the delivery ledger.

A failure names the seed and the whole schedule; ``generate(seed, ...)`` replays it. ``make test-slow``
runs the long set (52 schedules on the three-node cluster).
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

from pauseable_testing.cluster import KafkaCluster
from pauseable_testing.harness import BackendHarness, NewTopic
from pauseable_testing.schedule import Outcome, generate, run

SLOW_SEEDS = range(200, 213)  # times 4 backends = 52 schedules


def _partitions(seed: int) -> int:
    return 1 + seed % 3


@pytest.mark.parametrize("seed", [1, pytest.param(2, marks=pytest.mark.slow)])
def test_random_schedule_holds_the_ledger(
    harness: BackendHarness, new_topic: NewTopic, group_id: str, seed: int, record_outcome: Callable[[Outcome], None]
) -> None:
    partitions = _partitions(seed)
    schedule = generate(seed, partitions)
    record_outcome(run(harness, new_topic(partitions=partitions), partitions, group_id, seed, schedule))


@pytest.mark.cluster
@pytest.mark.parametrize("seed", [101, *(pytest.param(seed, marks=pytest.mark.slow) for seed in SLOW_SEEDS)])
def test_random_schedule_with_broker_faults_holds_the_ledger(
    fault_harness: BackendHarness,
    kafka_cluster3: KafkaCluster,
    replicated_topic: Callable[[int], str],
    group_id: str,
    seed: int,
    record_outcome: Callable[[Outcome], None],
) -> None:
    assert kafka_cluster3.local is not None
    partitions = _partitions(seed)
    schedule = generate(seed, partitions, steps=16, nodes=[n.node_id for n in kafka_cluster3.local.nodes])
    topic = replicated_topic(partitions)
    outcome = run(fault_harness, topic, partitions, group_id, seed, schedule, kafka_cluster3.local)
    record_outcome(outcome)
