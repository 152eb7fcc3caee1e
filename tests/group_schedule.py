"""Seeded schedules of group pauses (issue 13), checked by the delivery ledger and the group-pause rule.

``generate(seed, partitions)`` draws a schedule (the same seed, the same schedule); ``run(...)`` plays it: an
:class:`~pauseable.Operator` pauses the topic (or one partition) for the group — now and then for a while only —
and resumes it with a strategy, while members (controllers following the control topic, subscribed to the topic
in one group, polled in turn from this thread) join, leave, crash (no commit) and restart, records are produced,
and, on the three-node cluster, the control topic's leader is stopped or killed and started again. Checked:

- the ledger: every produced offset delivered or reported skipped; nothing delivered twice or delivered and
  skipped, except at or past the group's committed offsets when partitions moved (a rebalance's at-least-once);
- from the moment a member shows a partition paused by the group until the operator resumes it (or a timed pause
  runs out), that member hands over nothing of it;
- the owners of the partitions a group pause holds show them paused within :data:`BOUND_S` of polling
  (:data:`FAULT_BOUND_S` on the three-node cluster: a control-topic leader election and a rebalance on a loaded
  machine; the stated bound is a poll slice after the member's follower read it);
- what was produced after the last resume is delivered.
"""

from __future__ import annotations

import contextlib
import random
import time
from dataclasses import dataclass
from typing import Any

import pauseable
from pauseable import GroupPauses, Operator, TopicPartition
from pauseable.errors import ResumeError
from pauseable.hookspecs import hookimpl
from pauseable.plugins import pm
from pauseable.report import SkipReport
from pauseable_testing.broker.wire import metadata
from pauseable_testing.harness import BackendHarness, Blocking
from pauseable_testing.ledger import Ledger, LedgerFigures
from pauseable_testing.schedule import check_end

THEN = ("continue", "seek-to-end", "skip-pause-window")
FAULTS = ("stop-node", "kill-node")
MAX_MEMBERS = 3
BOUND_S, FAULT_BOUND_S = 3.0, 20.0
_SETTLE_S = 90.0


@dataclass(frozen=True)
class Step:
    """One step of a group-pause schedule."""

    op: str
    partitions: tuple[int, ...] = ()
    #: a pause of one partition (None: the topic)
    partition: int | None = None
    count: int = 0
    seconds: float = 0.0
    then: str = "continue"

    def __str__(self) -> str:
        key = "the topic" if self.partition is None else f"[{self.partition}]"
        timed = f" for {self.seconds:.1f} s" if self.op == "pause" and self.seconds else ""
        return {
            "produce": f"produce {self.count} to {list(self.partitions)}",
            "poll": f"poll {self.seconds:.1f} s",
            "pause": f"group-pause {key}{timed} then {self.then}",
            "resume": "group-resume",
            "join": "a member joins",
            "leave": "the oldest member commits and leaves",
            "crash": "the oldest member crashes (no commit)",
            "restart": "the oldest member crashes and a new one joins",
            "stop-node": "stop the control topic's leader",
            "kill-node": "kill the control topic's leader",
            "start-node": "start the node again",
        }[self.op]


def generate(seed: int, partitions: int, *, steps: int = 14, faults: bool = False) -> list[Step]:
    """A random schedule of ``steps`` steps; node faults only with ``faults``. Ends with every node up, the topic
    resumed (a timed pause run out) and records produced after that."""
    rng = random.Random(seed)
    every = tuple(range(partitions))
    members, paused, down = 2, False, False
    schedule: list[Step] = []
    for i in range(steps):
        choices = ["produce", "produce", "poll", "poll", *(["resume"] if paused else ["pause", "pause"])]
        choices += ["join"] if members < MAX_MEMBERS else []
        choices += ["leave", "crash"] if members > 1 else []
        choices += ["restart"]
        if faults:
            choices.append("start-node" if down else rng.choice(FAULTS))
        op = rng.choice(choices)
        if faults and i == steps // 3 and not down and not any(s.op in FAULTS for s in schedule):
            op = rng.choice(FAULTS)  # every fault schedule has at least one fault
        if op == "produce":
            chosen = tuple(sorted(rng.sample(every, rng.randint(1, partitions))))
            schedule.append(Step(op, chosen, count=rng.randint(1, 20)))
        elif op == "poll":
            schedule.append(Step(op, seconds=rng.choice([0.5, 1.0, 2.0])))
        elif op == "pause":
            partition = rng.choice([None, None, *every])
            seconds = rng.choice([0.0, 0.0, 1.0, 2.0])
            schedule.append(Step(op, partition=partition, seconds=seconds, then=rng.choice(THEN)))
            paused = not seconds  # a timed pause ends by itself
            if rng.random() < 0.7:  # records during the pause, for its strategy to skip
                held = every if partition is None else (partition,)
                schedule.append(Step("produce", held, count=rng.randint(1, 20)))
        elif op == "resume":
            schedule.append(Step(op))
            paused = False
        else:
            members += {"join": 1, "leave": -1, "crash": -1}.get(op, 0)
            down = {"stop-node": True, "kill-node": True, "start-node": False}.get(op, down)
            schedule.append(Step(op))
    if down:
        schedule.append(Step("start-node"))
    if paused:
        schedule.append(Step("resume"))
    schedule.append(Step("poll", seconds=2.5))  # a timed pause (2 s at most) has run out by then
    schedule.append(Step("produce", every, count=rng.randint(1, 10)))
    return schedule


@dataclass
class Outcome:
    """What playing one schedule did."""

    seed: int
    figures: LedgerFigures
    steps: int = 0
    pauses: int = 0
    rebalances: int = 0
    faults: int = 0
    #: the longest wait, over the pauses, from the operator's pause returning to every owner showing it paused
    slowest_s: float = 0.0


class _Reports:
    """Every SkipReport of the schedule's members (a resume applied by whoever owned the partition then)."""

    def __init__(self, ledger: Ledger) -> None:
        self.ledger = ledger
        #: id() of every member's controller
        self.members: set[int] = set()

    @hookimpl
    def pauseable_resumed(self, controller: Any, report: SkipReport) -> None:
        if id(controller) in self.members:
            self.ledger.report(report)

    @hookimpl
    def pauseable_resume_failed(self, controller: Any, error: ResumeError) -> None:
        if id(controller) in self.members:
            self.ledger.report(error.report)


@dataclass
class _Hold:
    """A group pause in force: its partitions, from when, until when (None: until the operator resumes)."""

    partitions: frozenset[TopicPartition]
    since: float
    until: float | None = None
    seen: bool = False
    #: seconds the members were polled while it held and every partition it holds had an owner
    polled_s: float = 0.0


class _Player:
    def __init__(
        self,
        harness: BackendHarness,
        operator: Operator,
        topic: str,
        partitions: int,
        group: str,
        cluster: Any,
        follow: bool,
    ) -> None:
        self.harness, self.operator, self.topic, self.group, self.cluster = harness, operator, topic, group, cluster
        self.follow = follow
        self.tps = [TopicPartition(topic, p) for p in range(partitions)]
        self.ledger = Ledger()
        self.reports = _Reports(self.ledger)
        self.members: list[Blocking] = []
        self.holds: list[_Hold] = []
        self.breaches: list[str] = []
        self.last_produced: dict[TopicPartition, list[int]] = {}
        self.down: int | None = None
        self.assigned: tuple[frozenset[TopicPartition], ...] = ()
        self.rebalanced = False
        self.floor: dict[TopicPartition, int | None] = dict.fromkeys(self.tps)
        self.outcome = Outcome(0, LedgerFigures())

    # -- members -------------------------------------------------------------------------------

    def join(self) -> None:
        harness = self.harness
        consumer = harness.native_consumer(self.group)
        make = harness.backend.lookup_config
        lookup = make(harness.settings(self.group)) if make is not None else None
        build: Any = pauseable.async_controller if harness.backend.is_async else pauseable.controller
        settings = GroupPauses(topic=self.operator.control_topic) if self.follow else None
        ctl = Blocking(build(consumer, lookup_config=lookup, group_pauses=settings), harness.run)
        self.reports.members.add(id(ctl.target))
        ctl.subscribe([self.topic], on_assigned=self.assigned_again)
        self.members.append(ctl)

    def assigned_again(self, partitions: list[TopicPartition]) -> None:
        """Any assignment, also of the partitions a member had: an eager rebalance restarts every one of them
        from the committed offset (a client's thread may call it)."""
        self.rebalanced = True

    def leave(self, *, commit: bool) -> None:
        ctl = self.members.pop(0)
        if commit:
            self._commit(ctl)
        ctl.close()

    # -- steps ---------------------------------------------------------------------------------

    def play(self, step: Step) -> None:
        if step.op == "produce":
            self.last_produced = {}
            for p in step.partitions:
                tp = self.tps[p]
                offsets = self.harness.produce(self.topic, step.count, p)
                self.ledger.produce(tp, offsets)
                self.last_produced[tp] = offsets
        elif step.op == "poll":
            self.poll(step.seconds)
        elif step.op == "pause":
            held = self.tps if step.partition is None else [self.tps[step.partition]]
            self.operator.pause(self.group, self.topic, step.partition, for_seconds=step.seconds or None,
                                then=step.then, reason="schedule")  # fmt: skip
            now = time.monotonic()
            self.holds.append(_Hold(frozenset(held), now, now + step.seconds if step.seconds else None))
            self.outcome.pauses += 1
        elif step.op == "resume":
            now = time.monotonic()
            for hold in self.holds:
                hold.until = now if hold.until is None else min(hold.until, now)
            self.operator.resume(self.group, self.topic)
        elif step.op == "join":
            self.join()
        elif step.op in ("leave", "crash"):
            self.leave(commit=step.op == "leave")
        elif step.op == "restart":
            self.leave(commit=False)
            self.join()
        elif step.op in FAULTS:
            address = self.cluster.running_nodes()[0].address
            self.down = metadata(address).leaders[(self.operator.control_topic, 0)]
            self.cluster.stop_node(self.down, kill=step.op == "kill-node")
            self.outcome.faults += 1
        else:
            assert self.down is not None
            self.cluster.start_node(self.down)
            self.down = None

    def held_now(self, now: float) -> set[TopicPartition]:
        """The partitions a group pause holds at ``now``."""
        return {tp for hold in self.holds if hold.since <= now and (hold.until is None or now < hold.until)
                for tp in hold.partitions}  # fmt: skip

    def poll(self, seconds: float) -> None:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            began = time.monotonic()
            for ctl in self.members:
                before = ctl.paused() & self.held_now(time.monotonic())
                try:
                    records = ctl.poll(0.05)
                except ResumeError:
                    continue  # a timed pause ran out and could not resume: tried again (the hook counted it)
                held = self.held_now(time.monotonic())  # the operator has not resumed them meanwhile
                self.ledger.deliver(records, ctl.locate)
                for record in records:
                    topic, partition, offset = ctl.locate(record)
                    tp = TopicPartition(topic, partition)
                    if tp in before and tp in held:
                        self.breaches.append(f"{tp}@{offset} handed over while its member showed the group pause")
            self.watch(time.monotonic() - began)
        for ctl in self.members:
            self._commit(ctl)

    def watch(self, polled_s: float) -> None:
        """After a round of polls (``polled_s`` long): rebalances (a hand-over from the committed offsets seen
        before it); group pauses not shown by their owners past the bound."""
        assigned = tuple(frozenset(ctl.assignment()) for ctl in self.members)
        if assigned != self.assigned or self.rebalanced:
            self.ledger.handover(self.floor)
            self.assigned, self.rebalanced = assigned, False
            self.outcome.rebalances += 1
            if self.members:
                with contextlib.suppress(Exception):  # a fault: the last floor holds (committed offsets only grow)
                    self.floor = self.members[0].committed(self.tps)
        now = time.monotonic()
        owners = {tp: ctl for ctl in self.members for tp in ctl.assignment()}
        for hold in self.holds:
            if hold.seen or (hold.until is not None and hold.until <= now):
                continue
            if not hold.partitions <= owners.keys():
                continue  # a rebalance under way: what it holds is nobody's to pause yet
            hold.polled_s += polled_s
            if all(tp in owners[tp].paused() for tp in hold.partitions):
                hold.seen = True
                self.outcome.slowest_s = max(self.outcome.slowest_s, now - hold.since)
            elif hold.polled_s > (bound := FAULT_BOUND_S if self.cluster is not None else BOUND_S):
                held = sorted(map(str, hold.partitions))
                self.breaches.append(f"{held} not paused by their owners after {bound:.0f} s of polls with owners")
                hold.seen = True

    def _commit(self, ctl: Blocking) -> None:
        with contextlib.suppress(Exception):  # a rebalance or a fault under way: the next commit carries it
            ctl.commit()

    def settle(self, context: str) -> None:
        deadline = time.monotonic() + _SETTLE_S
        if not self.members:
            self.join()
        while not self.ledger.complete() and time.monotonic() < deadline:
            self.poll(0.3)
        self.poll(0.5)
        check_end(self.ledger, self.last_produced, self.breaches, context)

    def close(self) -> None:
        for ctl in self.members:
            ctl.close()
        self.members.clear()


def run(
    harness: BackendHarness,
    operator: Operator,
    topic: str,
    partitions: int,
    group: str,
    seed: int,
    schedule: list[Step],
    cluster: Any = None,
    *,
    follow: bool = True,
) -> Outcome:
    """Play ``schedule`` and check it; AssertionError naming the seed and the schedule on any breach. ``follow``
    False: members that ignore group pauses (the checks' own test)."""
    context = f"seed={seed} backend={harness.name} schedule: " + "; ".join(map(str, schedule))
    player = _Player(harness, operator, topic, partitions, group, cluster, follow)
    pm.register(player.reports)
    try:
        player.join()
        player.join()
        for step in schedule:
            player.play(step)
        player.settle(context)
    finally:
        pm.unregister(player.reports)
        player.close()
        if player.down is not None:  # a failure mid-fault: the cluster is the session's, the next test needs it whole
            cluster.start_node(player.down)
    player.outcome.seed, player.outcome.steps = seed, len(schedule)
    player.outcome.figures = player.ledger.figures()
    return player.outcome
