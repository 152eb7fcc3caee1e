"""The skip ledger on seeded schedules, for any backend: ``pauseable conformance --ledger --seeds N``.

Beyond the behaviours of :class:`~pauseable_testing.suite.ConformanceSuite`, what proves the skip
strategies: for each seed (``--pauseable-seeds N``: seeds 1 to N), every strategy's resume is checked by a
:class:`~pauseable_testing.ledger.Ledger` (every produced offset delivered or reported skipped, never
both, never twice, nothing foreign), and a random schedule of produce, pause, timed pause, resume with
every strategy and takeovers (:mod:`pauseable_testing.schedule`) is played and checked the same way. A
failure names the seed and the schedule; ``generate(seed, partitions)`` replays it.

An adapter author's own run: ``class TestLedger(AbstractSkipLedgerTests, AbstractScheduleTests): pass``
and ``pytest --pauseable-backend NAME --pauseable-seeds 10``.
"""

from __future__ import annotations

import random
import time

import pytest

from pauseable import TopicPartition
from pauseable.strategies import ALL_STRATEGIES
from pauseable_testing.harness import BackendHarness, NewTopic, count
from pauseable_testing.ledger import Ledger
from pauseable_testing.schedule import generate, run
from pauseable_testing.suite.fixtures import SuiteFixtures


@pytest.mark.pauseable_conformance
class AbstractSkipLedgerTests(SuiteFixtures):
    """Each strategy's resume, on a seeded schedule, checked by the ledger."""

    @pytest.mark.parametrize("strategy_name", ALL_STRATEGIES)
    def test_every_produced_offset_is_delivered_or_reported_skipped(
        self, harness: BackendHarness, new_topic: NewTopic, group_id: str, strategy_name: str, pauseable_seed: int
    ) -> None:
        """Records before a pause (some left undelivered: a backlog), while paused and after a resume with the
        strategy: every produced offset is delivered or reported skipped, never both."""
        seed = pauseable_seed
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


@pytest.mark.pauseable_conformance
class AbstractScheduleTests(SuiteFixtures):
    """Seeded random schedules of produce, pause, timed pause, resume and takeover, checked by the ledger."""

    def test_a_random_schedule_holds_the_ledger(
        self, harness: BackendHarness, new_topic: NewTopic, group_id: str, pauseable_seed: int
    ) -> None:
        """Every produced offset delivered or reported skipped; nothing of a paused partition delivered; nothing
        produced while paused delivered after a skipping resume; everything produced after the last resume
        delivered."""
        partitions = 1 + pauseable_seed % 3
        schedule = generate(pauseable_seed, partitions)
        run(harness, new_topic(partitions=partitions), partitions, group_id, pauseable_seed, schedule)
