"""Skip strategies against the real broker: every produced offset is delivered or reported skipped.

Seeded schedules (printed on failure): records produced before a pause, some left undelivered
(the pre-pause backlog), records produced while paused, a resume with a strategy, records after.
"""

from __future__ import annotations

import random
import time

import pytest

from pauseable import TopicPartition
from pauseable_testing.harness import BackendHarness, NewTopic, count
from pauseable_testing.ledger import Ledger

STRATEGIES = ["continue", "seek-to-end", "discard-until", "skip-pause-window", "rebuild"]
SEEDS = [1, 2]


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("strategy_name", STRATEGIES)
def test_every_produced_offset_is_delivered_or_reported_skipped(
    harness: BackendHarness, new_topic: NewTopic, group_id: str, strategy_name: str, seed: int
) -> None:
    strategy = harness.strategy(strategy_name, group_id)
    rng = random.Random(seed)
    schedule = {
        "partitions": rng.randint(1, 3),
        "before": rng.randint(5, 40),
        "during": rng.randint(1, 40),
        "after": rng.randint(1, 10),
    }
    topic = new_topic(partitions=schedule["partitions"])
    tps = [TopicPartition(topic, p) for p in range(schedule["partitions"])]
    before = {tp: harness.produce(topic, rng.randint(2, schedule["before"]), tp.partition) for tp in tps}
    ctl = harness.controller(group_id)
    ctl.assign(tps)
    want = {tp: rng.randint(0, len(offsets) - 1) for tp, offsets in before.items()}  # the rest: a backlog
    delivered = harness.consume(ctl, lambda d: all(count(d, tp) >= want[tp] for tp in tps), max_records=1)

    time.sleep(0.02)  # timestamps of records before the pause are strictly earlier than it
    ctl.pause(tps)
    time.sleep(0.02)
    during = {tp: harness.produce(topic, schedule["during"], tp.partition) for tp in tps}
    harness.poll_for(ctl, 0.2, into=delivered)
    report = ctl.resume(tps, strategy=strategy)
    after = {tp: harness.produce(topic, schedule["after"], tp.partition) for tp in tps}

    context = f"seed={seed} schedule={schedule} report={report}"
    ledger = Ledger(delivered=delivered)
    for tp in tps:
        ledger.produce(tp, before[tp] + during[tp] + after[tp])
    ledger.report(report)
    harness.consume(
        ctl, lambda _: ledger.complete(), into=delivered, what=f"every offset delivered or skipped ({context})"
    )
    harness.poll_for(ctl, 0.3, into=delivered)
    ledger.check(context)
    for tp in tps:
        got = set(delivered.get(tp, []))
        if strategy.name != "continue":
            assert not got & set(during[tp]), f"{tp}: a record produced while paused was delivered; {context}"
        if strategy.name == "skip-pause-window":
            assert set(before[tp]) <= got, f"{tp}: the pre-pause backlog was not delivered; {context}"
        assert set(after[tp]) <= got, f"{tp}: a record produced after resume was skipped; {context}"
    assert report.complete
    if strategy.name == "discard-until":
        assert all(r.records_fetched == r.count for r in report.ranges.values()), context
    if strategy.name in ("seek-to-end", "rebuild"):
        assert all(r.records_fetched == 0 for r in report.ranges.values()), context


def test_a_rebuild_right_after_a_resume_delivers_nothing_twice(
    harness: BackendHarness, new_topic: NewTopic, group_id: str
) -> None:
    """The old failure (seed 205 of the fault schedules): p0 delivered, paused and resumed, then a Rebuild
    resume of p1 before p0's next record. The new consumer must go on from p0's position, not from its
    older committed offset."""
    topic = new_topic(partitions=2)
    p0, p1 = TopicPartition(topic, 0), TopicPartition(topic, 1)
    harness.produce(topic, 7, partition=0)
    ctl = harness.controller(group_id)
    ctl.assign([p0, p1])
    delivered = harness.consume(ctl, lambda d: count(d, p0) >= 7)
    ctl.pause(p0)
    ctl.resume(p0)
    ctl.pause(p1)
    report = ctl.resume(p1, strategy=harness.strategy("rebuild", group_id))
    assert report.ranges == {}
    assert ctl.position(p0) == 7
    harness.produce(topic, 3, partition=0)
    harness.consume(ctl, lambda d: count(d, p0) >= 10, into=delivered)
    harness.poll_for(ctl, 0.5, into=delivered)
    assert delivered == {p0: list(range(10))}
