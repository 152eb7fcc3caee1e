"""Seeded random schedules of produce, pause, resume, poll and broker faults, checked by a ledger.

``generate(seed, ...)`` draws a schedule (the same seed, the same schedule); ``run(...)`` plays it
against a real cluster through one backend and checks, besides the :class:`Ledger`:

- a paused partition delivers nothing while paused;
- a record produced while a partition was paused is never delivered after a skipping resume
  (every strategy but ``continue``) — until a takeover, since a new consumer knows no pause;
- records produced after the last resume are delivered (nothing is skipped beyond what is reported).

Faults (with a :class:`~pauseable_testing.broker.LocalCluster` of three nodes): stop a node (SIGTERM:
controlled shutdown) or kill it (SIGKILL), start it again; at most one node is down at a time, so
topics with ``min.insync.replicas=2`` stay writable. A takeover closes the controller (committing its
positions, or not: a crash) and a new consumer of the same group carries on from the committed offsets.
"""

from __future__ import annotations

import random
import sys
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from pauseable.errors import ResumeError
from pauseable.hookspecs import hookimpl
from pauseable.plugins import pm
from pauseable.report import SkipReport
from pauseable.strategies import ALL_STRATEGIES
from pauseable.types import TopicPartition
from pauseable_testing.harness import BackendHarness, Blocking
from pauseable_testing.journal import ClientLog, Journal, client_debug_config, ranges
from pauseable_testing.ledger import Ledger, LedgerFigures

FAULTS = ("stop-node", "kill-node")
#: a generous bound on catching up at the end: a killed leader's partitions wait for an election
_SETTLE_S = 90.0


@dataclass(frozen=True)
class Step:
    """One step of a schedule."""

    op: str
    partitions: tuple[int, ...] = ()
    count: int = 0
    strategy: str = ""
    seconds: float = 0.0
    node: int = 0

    def __str__(self) -> str:
        parts = {
            "produce": f"produce {self.count} to {list(self.partitions)}",
            "poll": f"poll {self.seconds:.1f} s",
            "pause": f"pause {list(self.partitions)}",
            "timed-pause": f"pause {list(self.partitions)} for {self.seconds:.1f} s then {self.strategy}",
            "resume": f"resume {list(self.partitions)} with {self.strategy}",
            "stop-node": f"stop node {self.node}",
            "kill-node": f"kill node {self.node}",
            "start-node": f"start node {self.node}",
            "takeover": "commit, close, a new consumer takes over",
            "crash": "close without committing, a new consumer takes over",
        }
        return parts[self.op]


@dataclass
class Outcome:
    """What playing one schedule did."""

    seed: int
    steps: list[Step]
    figures: LedgerFigures
    faults: int = 0
    resumes: Counter[str] = field(default_factory=Counter)
    resume_errors: int = 0


def generate(
    seed: int,
    partitions: int,
    *,
    steps: int = 14,
    nodes: Sequence[int] = (),
    strategies: Sequence[str] = ALL_STRATEGIES,
    takeovers: bool = True,
) -> list[Step]:
    """A random schedule; faults only when ``nodes`` names the cluster's node ids. Ends with every
    node up, every partition resumed and records produced after that."""
    rng = random.Random(seed)
    all_parts = tuple(range(partitions))
    paused: set[int] = set()
    down: int | None = None
    schedule: list[Step] = []

    def some(pool: Sequence[int]) -> tuple[int, ...]:
        return tuple(sorted(rng.sample(list(pool), rng.randint(1, len(pool)))))

    for i in range(steps):
        choices = ["produce", "produce", "poll", "poll", "pause", "timed-pause"]
        if paused:
            choices += ["resume", "resume"]
        if nodes:
            choices.append("start-node" if down is not None else rng.choice(FAULTS))
        if takeovers and rng.random() < 0.5:
            choices.append(rng.choice(["takeover", "crash"]))
        op = rng.choice(choices)
        if nodes and i == steps // 3 and not any(s.op in FAULTS for s in schedule) and down is None:
            op = rng.choice(FAULTS)  # every fault schedule has at least one fault
        unpaused = [p for p in all_parts if p not in paused]
        if op in ("pause", "timed-pause") and not unpaused:
            op = "resume"
        if op == "produce":
            schedule.append(Step(op, some(all_parts), count=rng.randint(1, 30)))
        elif op == "poll":
            schedule.append(Step(op, seconds=rng.choice([0.3, 0.6, 1.0])))
        elif op == "pause":
            chosen = some(unpaused)
            paused.update(chosen)
            schedule.append(Step(op, chosen))
        elif op == "timed-pause":
            # It ends at the first poll after it ran out; the schedule counts it paused until resumed.
            chosen = some(unpaused)
            paused.update(chosen)
            schedule.append(Step(op, chosen, seconds=rng.choice([0.2, 0.5]), strategy=rng.choice(strategies)))
        elif op == "resume":
            chosen = some(sorted(paused))
            paused.difference_update(chosen)
            schedule.append(Step(op, chosen, strategy=rng.choice(strategies)))
        elif op in FAULTS:
            down = rng.choice(list(nodes))
            schedule.append(Step(op, node=down))
        elif op == "start-node":
            assert down is not None
            schedule.append(Step(op, node=down))
            down = None
        else:  # takeover, crash: the new consumer starts with nothing paused
            paused.clear()
            schedule.append(Step(op))
    if down is not None:
        schedule.append(Step("start-node", node=down))
    if paused:
        schedule.append(Step("resume", tuple(sorted(paused)), strategy=rng.choice(strategies)))
    schedule.append(Step("produce", all_parts, count=rng.randint(1, 10)))
    return schedule


class _Reports:
    """Collects the SkipReports of one controller through the ``pauseable_resumed`` hook, so resumes
    at the end of a timed pause are audited like explicit ones."""

    def __init__(self, on_report: Any) -> None:
        self.on_report = on_report
        self.controller: Any = None

    @hookimpl
    def pauseable_resumed(self, controller: Any, report: SkipReport) -> None:
        if controller is self.controller:
            self.on_report(report)


class _Player:
    def __init__(self, harness: BackendHarness, topic: str, partitions: int, group_id: str, seed: int) -> None:
        self.harness, self.group_id, self.seed = harness, group_id, seed
        self.tps = [TopicPartition(topic, p) for p in range(partitions)]
        self.ledger = Ledger()
        self.during: dict[TopicPartition, set[int]] = {tp: set() for tp in self.tps}
        self.protected: dict[TopicPartition, set[int]] = {tp: set() for tp in self.tps}
        self.breaches: list[str] = []
        #: the last produce step's offsets: the schedule ends with them, after every resume
        self.last_produced: dict[TopicPartition, list[int]] = {}
        self.outcome = Outcome(seed, [], LedgerFigures())
        self.journal = Journal(seed=seed, backend=harness.name, topic=topic)
        self.reports = _Reports(self.resumed)
        self.ctl = self.start_consumer()

    def start_consumer(self) -> Blocking:
        ctl = self.harness.controller(self.group_id)
        self.reports.controller = ctl.target
        ctl.assign(self.tps)
        return ctl

    def resumed(self, report: SkipReport) -> None:
        self.journal.add(
            "resumed", report=str(report), ranges={str(tp): [r.start, r.end] for tp, r in report.ranges.items()}
        )
        self.ledger.report(report)
        self.outcome.resumes[report.strategy] += 1
        for tp in report.resumed:
            if report.strategy != "continue":
                self.protected[tp] |= self.during[tp]
            self.during[tp] = set()

    def poll(self, seconds: float) -> None:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            before = self.ctl.paused()
            try:
                records = self.ctl.poll(0.1)
            except ResumeError as exc:  # a timed pause ran out but could not resume: it is tried again
                self.failed_resume(exc)
                continue
            paused = before & self.ctl.paused()  # a timed pause may end inside the poll
            self.ledger.deliver(records, self.ctl.locate)
            got: dict[TopicPartition, list[int]] = {}
            for record in records:
                topic, partition, offset = self.ctl.locate(record)
                tp = TopicPartition(topic, partition)
                got.setdefault(tp, []).append(offset)
                if tp in paused:
                    self.breaches.append(f"{tp}@{offset} delivered while paused")
                if offset in self.protected.get(tp, ()):
                    self.breaches.append(f"{tp}@{offset} produced while paused, delivered after a skipping resume")
            self.journal.delivered(got)

    def play(self, step: Step, cluster: Any) -> None:
        self.journal.step += 1
        self.journal.add("step", what=str(step))
        tps = [self.tps[p] for p in step.partitions]
        if step.op == "produce":
            paused = self.ctl.paused()
            self.last_produced = {}
            for tp in tps:
                offsets = self.harness.produce(tp.topic, step.count, tp.partition)
                self.ledger.produce(tp, offsets)
                self.last_produced[tp] = offsets
                self.journal.add("produced", partition=str(tp), offsets=ranges(offsets))
                if tp in paused:
                    self.during[tp].update(offsets)
        elif step.op == "poll":
            self.poll(step.seconds)
        elif step.op in ("pause", "timed-pause"):
            time.sleep(0.01)  # earlier records' timestamps fall before the pause instant
            if step.op == "pause":
                self.ctl.pause(tps)
            else:
                self.ctl.pause(tps, for_seconds=step.seconds, then=self.harness.strategy(step.strategy, self.group_id))
            time.sleep(0.01)
        elif step.op == "resume":
            self.resume(tps, step.strategy)
        elif step.op in FAULTS:
            cluster.stop_node(step.node, kill=step.op == "kill-node")
            self.outcome.faults += 1
        elif step.op == "start-node":
            cluster.start_node(step.node)
        else:
            self.takeover(commit=step.op == "takeover")

    def resume(self, tps: list[TopicPartition], strategy: str) -> bool:
        """Resume; a ResumeError (a fault) leaves them paused with a partial report, and is counted."""
        tps = [tp for tp in tps if tp in self.ctl.paused()]  # a timed pause may have ended already
        try:
            self.ctl.resume(tps, strategy=self.harness.strategy(strategy, self.group_id))
        except ResumeError as exc:
            self.failed_resume(exc)
            return False
        if strategy == "rebuild":  # where the new consumer starts
            self.journal.add("rebuilt", positions={str(tp): self.ctl.position(tp) for tp in self.tps})
        return True

    def failed_resume(self, exc: ResumeError) -> None:
        """A resume failed (a fault): its partitions stay paused; what it skipped before failing counts."""
        self.journal.add("resume failed", error=str(exc))
        self.outcome.resume_errors += 1
        self.ledger.report(exc.report)

    def takeover(self, *, commit: bool) -> None:
        if commit:
            positions = {str(tp): self.ctl.position(tp) for tp in self.tps}
            self.ctl.commit()
            self.journal.add("committed", positions=positions)
        self.ctl.close()
        self.ctl = self.start_consumer()
        committed = self.ctl.committed(self.tps)
        self.journal.add("took over", committed={str(tp): o for tp, o in committed.items()})
        self.ledger.handover(committed)
        # The new consumer knows no pause: what the old one would have skipped may now come.
        for tp in self.tps:
            self.during[tp] = set()
            self.protected[tp] = set()

    def evidence(self) -> dict[str, Any]:
        """The ledger per partition, for a failure's journal."""
        ledger = self.ledger
        return {
            "ledger": {
                str(tp): {
                    "produced": ranges(sorted(ledger.produced.get(tp, ()))),
                    "delivered (in order)": ranges(ledger.delivered.get(tp, [])),
                    "skipped": ranges(sorted(ledger.skipped.get(tp, ()))),
                    "redeliverable": ranges(sorted(ledger.redeliverable.get(tp, ()))),
                }
                for tp in self.tps
            },
            "violations": ledger.violations(),
            "breaches": self.breaches,
        }

    def settle(self, context: str) -> None:
        """Resume what a failed resume left paused, poll until every produced offset is delivered or
        skipped, then a little longer for strays; check."""
        deadline = time.monotonic() + _SETTLE_S
        while (left := sorted(self.ctl.paused())) and not self.resume(left, "continue"):
            if time.monotonic() > deadline:
                raise AssertionError(f"still paused after {_SETTLE_S:.0f} s of retries: {left} ({context})")
            time.sleep(1.0)
        while not self.ledger.complete() and time.monotonic() < deadline:
            self.poll(0.3)
        self.poll(0.5)
        check_end(self.ledger, self.last_produced, self.breaches, context)


def check_end(
    ledger: Ledger, last_produced: dict[TopicPartition, list[int]], breaches: list[str], context: str
) -> None:
    """A schedule's end: what was produced after the last resume delivered, the ledger, no breach seen."""
    for tp, offsets in last_produced.items():
        if missing := set(offsets) - set(ledger.delivered.get(tp, [])):
            breaches.append(f"{tp}: produced after the last resume, not delivered: {sorted(missing)}")
    ledger.check(context)
    if breaches:
        raise AssertionError(f"schedule broke the contract ({context}):\n  " + "\n  ".join(breaches[:20]))


def run(
    harness: BackendHarness,
    topic: str,
    partitions: int,
    group_id: str,
    seed: int,
    schedule: list[Step],
    cluster: Any = None,
) -> Outcome:
    """Play ``schedule`` on ``topic`` (``partitions`` partitions) and check it; raises AssertionError
    naming the seed and the schedule on any breach. ``cluster``: the LocalCluster its faults act on."""
    log = ClientLog()
    harness.native.update(client_debug_config(harness.backend.client))
    if cluster is not None:
        harness.poll_margin = None  # a poll that ends a timed pause may close a consumer whose broker is down
    context = f"seed={seed} backend={harness.name} schedule: " + "; ".join(map(str, schedule))
    with log.active():
        player = _Player(harness, topic, partitions, group_id, seed)
        pm.register(player.reports)
        try:
            player.outcome.steps = schedule
            for step in schedule:
                player.play(step, cluster)
            player.settle(context)
        except BaseException as exc:
            path = player.journal.dump(f"{type(exc).__name__}: {exc}", player.evidence(), log)
            if isinstance(exc, AssertionError):
                raise AssertionError(f"{exc}\n(journal, ledger per offset and client log: {path})") from None
            print(f"journal, ledger per offset and client log: {path}", file=sys.stderr)
            raise
        finally:
            pm.unregister(player.reports)
    player.outcome.figures = player.ledger.figures()
    return player.outcome
