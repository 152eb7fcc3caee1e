"""The applier: a controller's side of group pauses. :class:`Decisions` decides (no I/O); :class:`Applier` and
:class:`AsyncApplier` carry the decisions out through the controller's public calls, between two polls.

Pauses take effect twice over: at once in the controller's core (:meth:`Decisions.hold`, asked for each
partition assigned and for each partition a poll returned records of, before they are screened: records of a
partition the follower has just seen paused are held back and rewound), then natively between polls. Resumes
and their strategies are applied between polls, once per partition and pause (mark first, see
:meth:`Applier.apply`).
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

from pauseable.adapter import ControlClient
from pauseable.errors import ConsumerClosedError, PauseableError
from pauseable.group.access import guarded
from pauseable.group.follower import Followers
from pauseable.group.records import AppliedMark, GroupPause, applied_key, control_partition, encode, now_ms
from pauseable.report import SkipReport
from pauseable.strategies import STRATEGIES, ResumeFacts, SkipStrategy, Step
from pauseable.types import TopicPartition

_log = logging.getLogger("pauseable.group")

#: after a failed resume, how long to wait before trying again
RETRY_S = 1.0


@dataclass(frozen=True)
class Recorded(SkipStrategy):
    """Skips exactly the ranges a group pause's marks recorded (never more than the position leaves), and
    commits the new offsets."""

    ranges: Mapping[TopicPartition, tuple[int, int]]
    commit: bool = True
    name: ClassVar[str] = "group-resume"
    reason: ClassVar[str] = "produced while the group was paused (the range its resume strategy recorded)"
    needs_end: ClassVar[bool] = True
    needs_window: ClassVar[bool] = False

    def plan(self, facts: ResumeFacts) -> Step:
        start, end = self.ranges.get(facts.partition, (facts.position, facts.position))
        start = max(start, facts.position)
        return Step(start, end) if start < end else Step(facts.position, facts.position)


@dataclass
class Ended:
    """Held partitions whose group pause ended, with the pause that ends (None: a tombstone ended it)."""

    strategy: str
    pause: GroupPause | None
    partitions: list[TopicPartition]


class Decisions:
    """What a member following group pauses decides, from the follower's state and the assignment: no I/O."""

    __slots__ = ("_applied", "_held", "_lock", "_paused", "follower", "group", "member", "retry_after")

    def __init__(self, follower: Followers, group: str, member: str) -> None:
        self.follower = follower
        self.group = group
        self.member = member
        self._lock = threading.Lock()
        #: partitions held paused for the group by this member, and the pause that held each
        self._held: dict[TopicPartition, GroupPause] = {}
        #: held partitions this member has paused natively
        self._paused: set[TopicPartition] = set()
        #: (partition, pause id) whose strategy this member applied (its follower may not have read the mark yet)
        self._applied: set[tuple[TopicPartition, str]] = set()
        #: a failed resume waits until then (time.monotonic())
        self.retry_after = 0.0

    def hold(self, partition: TopicPartition) -> int | None:
        """When the group paused ``partition`` (ms since the epoch), noted as held by this member; None when it
        is not paused for the group. Held too: a partition whose pause ended with a strategy no owner has
        applied yet (a late owner applies it). Any thread."""
        pause = self.follower.state.pause_of(self.group, partition)
        if pause is None or not (pause.holds(now_ms()) or self._pending(partition, pause)):
            return None
        with self._lock:
            self._held[partition] = pause
        return pause.paused_at

    def _pending(self, partition: TopicPartition, pause: GroupPause) -> bool:
        """Whether ``pause`` ended with a strategy not yet applied and committed for ``partition``."""
        if pause.then == "continue" or (partition, pause.id) in self._applied:
            return False
        mark = self.follower.state.mark_of(self.group, partition)
        return not (mark is not None and mark.pause_id == pause.id and mark.committed)

    def plan(
        self, assignment: set[TopicPartition], paused: set[TopicPartition]
    ) -> tuple[list[TopicPartition], list[Ended]]:
        """Partitions to pause natively now, and the held ones whose pause ended, by strategy. ``paused``: the
        controller's paused partitions, so one resumed by a local call (the user's, a flow's, a timed pause's end)
        while the group holds it is paused natively again, not fetched and rewound at every slice."""
        with self._lock:
            for tp in set(self._held) - assignment:  # revoked: the next owner holds it
                del self._held[tp]
            self._paused &= assignment & paused
        now = now_ms()
        holding = [tp for tp in sorted(assignment) if self.hold(tp) is not None and self._holds(tp, now)]
        to_pause = [tp for tp in holding if tp not in self._paused]
        self._paused.update(to_pause)
        if time.monotonic() < self.retry_after:
            return to_pause, []
        ended: dict[tuple[str, str | None], Ended] = {}
        with self._lock:
            held = dict(self._held)
        for tp in sorted(set(held) - set(holding)):
            pause = self.follower.state.pause_of(self.group, tp)
            strategy = pause.then if pause is not None else "continue"
            entry = ended.setdefault((strategy, pause.id if pause else None), Ended(strategy, pause, []))
            entry.partitions.append(tp)
        return to_pause, list(ended.values())

    def _holds(self, partition: TopicPartition, now: int) -> bool:
        pause = self.follower.state.pause_of(self.group, partition)
        return pause is not None and pause.holds(now)

    def resumed(self, partitions: Sequence[TopicPartition], pause: GroupPause | None) -> None:
        """``partitions`` were resumed (``pause``'s strategy applied): no longer held."""
        with self._lock:
            for tp in partitions:
                self._held.pop(tp, None)
                self._paused.discard(tp)
                if pause is not None:
                    self._applied.add((tp, pause.id))

    def failed(self, exc: Exception) -> None:
        """A resume failed: the partitions stay paused and held; tried again after :data:`RETRY_S`."""
        _log.warning("group %r: resuming after a group pause failed (%s); retrying in %.0f s", self.group, exc, RETRY_S)
        self.retry_after = time.monotonic() + RETRY_S

    def marks(self, ended: Ended) -> dict[TopicPartition, AppliedMark]:
        """The marks earlier owners left for this pause (call after the follower's barrier)."""
        assert ended.pause is not None
        found = {tp: self.follower.state.mark_of(self.group, tp) for tp in ended.partitions}
        return {tp: m for tp, m in found.items() if m is not None and m.pause_id == ended.pause.id}

    @staticmethod
    def facts(
        tps: Sequence[TopicPartition],
        positions: Mapping[TopicPartition, int | None],
        committed: Mapping[TopicPartition, int | None],
        beginnings: Mapping[TopicPartition, int | None],
        ends: Mapping[TopicPartition, int],
        cuts: Mapping[TopicPartition, int | None],
        windows: Mapping[TopicPartition, int | None],
        paused_at: int,
    ) -> list[ResumeFacts]:
        """Each partition's facts: the position (else committed, else the log's start), the end, cut at the
        pause's end for a late owner (records produced after the resume are delivered), the window from the
        group's pause instant."""
        found = []
        for tp in tps:
            end = ends[tp]
            if (cut := cuts.get(tp)) is not None:
                end = min(end, cut)
            position = positions.get(tp)
            if position is None:
                position = committed.get(tp)
            if position is None:
                position = beginnings.get(tp)
            found.append(ResumeFacts(tp, end if position is None else position, end, windows.get(tp), paused_at))
        return found

    def ranges(self, strategy: str, facts: Sequence[ResumeFacts]) -> dict[TopicPartition, tuple[int, int]]:
        """The range the group's strategy skips of each partition (empty where it skips nothing)."""
        chosen = STRATEGIES[strategy]()
        steps = {f.partition: chosen.plan(f) for f in facts}
        return {tp: (step.skip_from, step.skip_to) for tp, step in steps.items()}  # empty ones are marked too

    def mark_records(
        self, ended: Ended, ranges: Mapping[TopicPartition, tuple[int, int]], committed: bool, partitions: int
    ) -> list[tuple[int, bytes, bytes | None]]:
        """The applied marks to write for ``ranges``."""
        assert ended.pause is not None
        at = now_ms()
        return [
            (
                control_partition(self.group, tp.topic, partitions),
                applied_key(self.group, tp.topic, tp.partition),
                encode(AppliedMark(ended.pause.id, ended.strategy, start, end, committed, self.member, at)),
            )
            for tp, (start, end) in sorted(ranges.items())
        ]

    @staticmethod
    def settled(
        report: SkipReport,
        ranges: Mapping[TopicPartition, tuple[int, int]],
        marks: Mapping[TopicPartition, AppliedMark],
    ) -> dict[TopicPartition, tuple[int, int]]:
        """The ranges to mark committed after the resume: sought past and committed, or empty (nothing to skip);
        not one still to jump over (the backlog before it is delivered first), nor one marked committed already."""
        pending = {tp for tp, r in report.ranges.items() if not r.done}
        return {tp: r for tp, r in ranges.items() if tp not in pending and not (tp in marks and marks[tp].committed)}


def _send_marks(
    writer: ControlClient, principal: str, topic: str, records: list[tuple[int, bytes, bytes | None]]
) -> None:
    with guarded(writer, principal, topic, "Write", "writing its applied marks to"):
        writer.send(topic, records)


class Applier:
    """Group pauses for a synchronous controller: what to do between two polls."""

    __slots__ = ("_partitions", "_principal", "_topic", "_writer", "decisions")

    def __init__(
        self, decisions: Decisions, writer: ControlClient, topic: str, partitions: int, principal: str
    ) -> None:
        self.decisions = decisions
        self._writer = writer
        #: the marks topic, and its partition count
        self._topic = topic
        self._partitions = partitions
        self._principal = principal

    def hold(self, partition: TopicPartition) -> int | None:
        """:meth:`Decisions.hold` (the attachment interface of :class:`~pauseable.core.ControllerCore`)."""
        return self.decisions.hold(partition)

    def between_polls(self, controller: Any) -> None:
        """Pause natively what the group pauses; resume what it no longer does, applying strategies once."""
        to_pause, ended = self.decisions.plan(set(controller.assignment()), set(controller.paused()))
        if to_pause:
            controller.pause(to_pause, reason="group")
        for entry in ended:
            try:
                self.apply(controller, entry)
            except ConsumerClosedError:
                raise
            except PauseableError as exc:
                self.decisions.failed(exc)
                return

    def apply(self, controller: Any, ended: Ended) -> None:
        """Resume ``ended``'s partitions. With a strategy, once per partition and pause, mark first: read up to
        the control and marks topics' ends, take the range an earlier owner marked, else decide it and mark it *before*
        seeking; then seek and commit, and mark it committed."""
        tps = ended.partitions
        if ended.pause is None or ended.strategy == "continue":
            controller.resume(tps)
            self.decisions.resumed(tps, ended.pause)
            return
        self.decisions.follower.sync()
        marks = self.decisions.marks(ended)
        ranges = {tp: (m.start, m.end) for tp, m in marks.items()}
        if fresh := [tp for tp in tps if tp not in marks]:
            decided = self.decisions.ranges(ended.strategy, self._facts(controller, fresh, ended))
            self._mark(self.decisions.mark_records(ended, decided, False, self._partitions))
            ranges.update(decided)
        report = controller.resume(tps, Recorded(ranges))
        done = self.decisions.settled(report, ranges, marks)
        self._mark(self.decisions.mark_records(ended, done, True, self._partitions))
        self.decisions.resumed(tps, ended.pause)

    def _mark(self, records: list[tuple[int, bytes, bytes | None]]) -> None:
        """Write applied marks (blocking: the async twin runs it in a thread)."""
        _send_marks(self._writer, self._principal, self._topic, records)

    def _facts(self, controller: Any, tps: list[TopicPartition], ended: Ended) -> list[ResumeFacts]:
        assert ended.pause is not None
        positions = {tp: controller.position(tp) for tp in tps}
        unknown = [tp for tp, position in positions.items() if position is None]
        committed = controller.committed(unknown) if unknown else {}
        beginnings = controller.offsets_for_times({tp: 0 for tp in unknown}) if unknown else {}
        ends = controller.end_offsets(tps)
        ended_at = ended.pause.ended_at()
        cuts = controller.offsets_for_times({tp: ended_at for tp in tps}) if ended_at is not None else {}
        needs_window = STRATEGIES[ended.strategy].needs_window
        windows = controller.offsets_for_times({tp: ended.pause.paused_at for tp in tps}) if needs_window else {}
        return self.decisions.facts(tps, positions, committed, beginnings, ends, cuts, windows, ended.pause.paused_at)

    def close(self) -> None:
        """Stop following (the follower's thread and client) and close the writer."""
        self.decisions.follower.close()
        self._writer.close()


class AsyncApplier:
    """Group pauses for an asyncio controller: the twin of :class:`Applier` (control I/O runs in a thread)."""

    __slots__ = ("_partitions", "_principal", "_topic", "_writer", "decisions")

    def __init__(
        self, decisions: Decisions, writer: ControlClient, topic: str, partitions: int, principal: str
    ) -> None:
        self.decisions = decisions
        self._writer = writer
        #: the marks topic, and its partition count
        self._topic = topic
        self._partitions = partitions
        self._principal = principal

    def hold(self, partition: TopicPartition) -> int | None:
        """:meth:`Decisions.hold` (the attachment interface of :class:`~pauseable.core.ControllerCore`)."""
        return self.decisions.hold(partition)

    async def between_polls(self, controller: Any) -> None:
        """Pause natively what the group pauses; resume what it no longer does, applying strategies once."""
        to_pause, ended = self.decisions.plan(set(await controller.assignment()), set(await controller.paused()))
        if to_pause:
            await controller.pause(to_pause, reason="group")
        for entry in ended:
            try:
                await self.apply(controller, entry)
            except ConsumerClosedError:
                raise
            except PauseableError as exc:
                self.decisions.failed(exc)
                return

    async def apply(self, controller: Any, ended: Ended) -> None:
        """Resume ``ended``'s partitions, as :meth:`Applier.apply`."""
        tps = ended.partitions
        if ended.pause is None or ended.strategy == "continue":
            await controller.resume(tps)
            self.decisions.resumed(tps, ended.pause)
            return
        await asyncio.to_thread(self.decisions.follower.sync)
        marks = self.decisions.marks(ended)
        ranges = {tp: (m.start, m.end) for tp, m in marks.items()}
        if fresh := [tp for tp in tps if tp not in marks]:
            decided = self.decisions.ranges(ended.strategy, await self._facts(controller, fresh, ended))
            await asyncio.to_thread(self._mark, self.decisions.mark_records(ended, decided, False, self._partitions))
            ranges.update(decided)
        report = await controller.resume(tps, Recorded(ranges))
        done = self.decisions.settled(report, ranges, marks)
        await asyncio.to_thread(self._mark, self.decisions.mark_records(ended, done, True, self._partitions))
        self.decisions.resumed(tps, ended.pause)

    def _mark(self, records: list[tuple[int, bytes, bytes | None]]) -> None:
        """Write applied marks (blocking: the async twin runs it in a thread)."""
        _send_marks(self._writer, self._principal, self._topic, records)

    async def _facts(self, controller: Any, tps: list[TopicPartition], ended: Ended) -> list[ResumeFacts]:
        assert ended.pause is not None
        positions = {tp: await controller.position(tp) for tp in tps}
        unknown = [tp for tp, position in positions.items() if position is None]
        committed = await controller.committed(unknown) if unknown else {}
        beginnings = await controller.offsets_for_times({tp: 0 for tp in unknown}) if unknown else {}
        ends = await controller.end_offsets(tps)
        ended_at = ended.pause.ended_at()
        cuts = await controller.offsets_for_times({tp: ended_at for tp in tps}) if ended_at is not None else {}
        needs_window = STRATEGIES[ended.strategy].needs_window
        windows = await controller.offsets_for_times({tp: ended.pause.paused_at for tp in tps}) if needs_window else {}
        return self.decisions.facts(tps, positions, committed, beginnings, ends, cuts, windows, ended.pause.paused_at)

    async def close(self) -> None:
        """Stop following and close the writer."""
        await asyncio.to_thread(self.decisions.follower.close)
        await asyncio.to_thread(self._writer.close)
