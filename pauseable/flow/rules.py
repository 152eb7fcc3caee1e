"""Flow control's rules, in one place for both flows: what is in flight, what to pause, resume, seek back to and
commit. No I/O: :class:`~pauseable.flow.flow.Flow` and :class:`~pauseable.flow.flow.AsyncFlow` carry out its plans.

Workers change the state from their own threads or tasks (``done``, ``failed``) under :attr:`FlowCore.lock`,
which is never held across I/O: a worker never waits for a poll.

Per partition it keeps the offsets handed out and not finished (in flight with a worker, or failed and waiting
for their retry) and the highest offset handed out. The *finished prefix* ends at the lowest offset not finished
(else one past the highest handed out); that is what is committed. A record fetched again after a seek back (a
retry) is handed out only if it is the failed one: a later record already finished, or still in flight, is not
handed out twice.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from pauseable.backoff import Backoff
from pauseable.errors import InvalidArgumentError
from pauseable.types import TopicPartition

#: what a failed record becomes: tried again after a back-off, handed to the dead letter, or nothing (a late
#: report of a record whose partition was revoked, or one reported twice)
RETRY, DEAD_LETTER, IGNORED = "retry", "dead-letter", "ignored"


@dataclass(frozen=True)
class Backpressure:
    """Pause when the work handed out and not finished reaches ``high`` records; resume at ``low`` or fewer, but
    not before ``min_pause_s`` (librdkafka drops what it prefetched at every pause: a wobble must not cost it).

    Consumer-wide (the default), ``high`` is a hard bound: a poll takes no more than the room left, and every
    assigned partition is paused while there is none. With ``per_partition=True`` each partition counts its own
    work and only busy partitions pause.

    ``hold`` (consumer-wide only) cuts re-fetching: while the workers are full the flow does not pause natively;
    it keeps polling, one record per poll slice, into a buffer of at most ``hold`` records, and pauses natively
    only when that is full. The buffer is handed out first when there is room again; a seek back, a revocation
    or a pause of a partition drops or keeps its held records so none is lost or handed out twice.
    """

    high: int
    #: resume at this many or fewer (default: ``high // 2``)
    low: int | None = None
    min_pause_s: float = 1.0
    per_partition: bool = False
    #: records held in the flow before it pauses natively (0: pause natively as soon as the workers are full)
    hold: int = 0

    def __post_init__(self) -> None:
        if isinstance(self.high, bool) or not isinstance(self.high, int) or self.high < 1:
            raise InvalidArgumentError(f"Backpressure high must be an int >= 1 (records in flight), got {self.high!r}")
        low = self.high // 2 if self.low is None else self.low
        if isinstance(low, bool) or not isinstance(low, int) or not 0 <= low < self.high:
            raise InvalidArgumentError(f"Backpressure low must be an int with 0 <= low < high={self.high}, got {low!r}")
        object.__setattr__(self, "low", low)
        _check_seconds("Backpressure min_pause_s", self.min_pause_s)
        if isinstance(self.hold, bool) or not isinstance(self.hold, int) or self.hold < 0:
            raise InvalidArgumentError(f"Backpressure hold must be an int >= 0 (records), got {self.hold!r}")
        if self.hold and self.per_partition:
            raise InvalidArgumentError("Backpressure hold works consumer-wide: it takes per_partition=False")


@dataclass(frozen=True)
class Retry:
    """A failed record is tried again from exactly its offset after its partition pauses for ``backoff``; after
    ``attempts`` failures (None: never) it goes to ``dead_letter(record, error)`` (a plain function, or for an
    :class:`~pauseable.flow.AsyncFlow` a coroutine function too) and the partition moves on.

    Later records of the partition already handed out keep going; those finished are not handed out again.
    """

    backoff: Backoff = field(default_factory=Backoff)
    attempts: int | None = None
    dead_letter: Callable[[Any, BaseException], Any] | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.backoff, Backoff):
            raise InvalidArgumentError(f"Retry backoff takes a pauseable.Backoff, got {self.backoff!r}")
        if self.attempts is not None and (
            isinstance(self.attempts, bool) or not isinstance(self.attempts, int) or self.attempts < 1
        ):
            raise InvalidArgumentError(
                f"Retry attempts must be an int >= 1 or None (retry forever), got {self.attempts!r}"
            )
        if self.dead_letter is not None and not callable(self.dead_letter):
            raise InvalidArgumentError(f"Retry dead_letter takes a function (record, error), got {self.dead_letter!r}")


@dataclass
class Plan:
    """What a flow does before its next poll: every field is carried out by the flow, in this order."""

    #: partitions to pause, and why ("backpressure", "back-off")
    pause: dict[TopicPartition, str] = field(default_factory=dict)
    #: partitions whose pause ends, and why they were paused
    resume: dict[TopicPartition, str] = field(default_factory=dict)
    #: back to a failed record
    seeks: dict[TopicPartition, int] = field(default_factory=dict)
    #: finished prefixes to commit
    commit: dict[TopicPartition, int] = field(default_factory=dict)
    #: the most records the next poll may take
    room: int = 500
    #: holding records instead of pausing natively: the next poll waits its time, then takes one record
    pace: bool = False
    #: held records can be handed out now: the next poll does not wait
    ready: bool = False


class _Partition:
    """One assigned partition's work."""

    __slots__ = ("attempts", "committed", "held", "high", "inflight", "retry_at", "rewind", "waiting")

    def __init__(self) -> None:
        #: the highest offset handed out (-1: none yet)
        self.high = -1
        #: handed out and with a worker: offset -> id() of the record object handed out
        self.inflight: dict[int, int] = {}
        #: failed, to be handed out again
        self.waiting: set[int] = set()
        #: failures so far, by offset, until the record ends
        self.attempts: dict[int, int] = {}
        #: the offset the flow last committed
        self.committed: int | None = None
        #: a seek back due (the lowest failed offset not yet fetched again)
        self.rewind: int | None = None
        #: when (the core's clock) the partition's back-off ends
        self.retry_at = -math.inf
        #: fetched (the client's position is past them) and not handed out yet, in offset order
        self.held: list[Any] = []

    def position(self) -> int | None:
        """Where the finished prefix ends (what to commit), or None when nothing was handed out."""
        if self.inflight or self.waiting:
            return min(self.inflight.keys() | self.waiting)
        return self.high + 1 if self.high >= 0 else None


class FlowCore:
    """State and rules shared by both flows."""

    __slots__ = (
        "backpressure",
        "bp_since",
        "clock",
        "commit_every_s",
        "locate",
        "lock",
        "next_commit",
        "parts",
        "paused",
        "retry",
        "revoke_wait_s",
    )  # fmt: skip

    def __init__(
        self,
        locate: Callable[[Any], tuple[str, int, int]],
        backpressure: Backpressure | None = None,
        retry: Retry | None = None,
        commit_every_s: float = 5.0,
        revoke_wait_s: float = 10.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if backpressure is not None and not isinstance(backpressure, Backpressure):
            raise InvalidArgumentError(f"backpressure= takes a pauseable.Backpressure, got {backpressure!r}")
        if retry is not None and not isinstance(retry, Retry):
            raise InvalidArgumentError(f"retry= takes a pauseable.Retry, got {retry!r}")
        _check_seconds("commit_every_s", commit_every_s)
        _check_seconds("revoke_wait_s", revoke_wait_s)
        self.locate = locate
        self.backpressure = backpressure
        self.retry = retry
        self.commit_every_s = commit_every_s
        self.revoke_wait_s = revoke_wait_s
        self.clock = clock
        #: held by every state change; never across I/O
        self.lock = threading.Lock()
        self.parts: dict[TopicPartition, _Partition] = {}
        #: partitions the flow paused, and why
        self.paused: dict[TopicPartition, str] = {}
        #: when each backpressure pause began (key None: the whole consumer)
        self.bp_since: dict[TopicPartition | None, float] = {}
        self.next_commit = clock() + commit_every_s

    # -- the poll loop --------------------------------------------------------------------------------

    def plan(self, assignment: Iterable[TopicPartition], max_records: int) -> Plan:
        """What to do before the next poll of ``assignment``'s partitions."""
        now = self.clock()
        assigned = set(assignment)
        with self.lock:
            wanted = self._backpressure(assigned, now)
            held = self._held()
            pace = bool(wanted) and held < (self.backpressure.hold if self.backpressure is not None else 0)
            if pace:  # still room to hold records: no native pause yet
                wanted = {}
            for tp, part in self.parts.items():
                if tp in assigned and part.retry_at > now:
                    wanted.setdefault(tp, "back-off")
            room = self._room(max_records)
            free = self.backpressure is None or self.backpressure.per_partition or self._busy() < self.backpressure.high
            plan = Plan(room=max(1, room - held), pace=pace, ready=bool(held) and free)
            plan.pause = {tp: why for tp, why in sorted(wanted.items()) if tp not in self.paused}
            plan.resume = {tp: why for tp, why in sorted(self.paused.items()) if tp in assigned and tp not in wanted}
            self.paused = {tp: why for tp, why in self.paused.items() if tp in assigned and tp in wanted}
            self.paused.update(plan.pause)
            for tp, part in sorted(self.parts.items()):
                if part.rewind is not None and tp in assigned:
                    plan.seeks[tp], part.rewind = part.rewind, None
                    part.held.clear()  # fetched again after the seek
            if now >= self.next_commit:
                self.next_commit = now + self.commit_every_s
                plan.commit = self._to_commit(self.parts)
        return plan

    def _backpressure(self, assigned: set[TopicPartition], now: float) -> dict[TopicPartition, str]:
        bp = self.backpressure
        if bp is None:
            return {}
        if not bp.per_partition:
            self._hysteresis(bp, None, sum(len(p.inflight) for p in self.parts.values()), now)
            return dict.fromkeys(assigned, "backpressure") if None in self.bp_since else {}
        for tp in assigned:
            self._hysteresis(bp, tp, len(self.parts[tp].inflight) if tp in self.parts else 0, now)
        return {tp: "backpressure" for tp in assigned if tp in self.bp_since}

    def _hysteresis(self, bp: Backpressure, key: TopicPartition | None, busy: int, now: float) -> None:
        since = self.bp_since.get(key)
        if since is None and busy >= bp.high:
            self.bp_since[key] = now
        elif since is not None and busy <= (bp.low or 0) and now - since >= bp.min_pause_s:
            del self.bp_since[key]

    def _busy(self) -> int:
        return sum(len(p.inflight) for p in self.parts.values())

    def _held(self) -> int:
        return sum(len(p.held) for p in self.parts.values())

    def held(self) -> int:
        """How many records the flow holds (fetched, not handed out yet)."""
        with self.lock:
            return self._held()

    def _room(self, max_records: int) -> int:
        bp = self.backpressure
        if bp is None or bp.per_partition:
            return max_records
        busy = sum(len(p.inflight) for p in self.parts.values())
        return max(1, min(max_records, bp.high - busy))  # none left: every partition is paused

    def hand_out(
        self, records: list[Any], paused: frozenset[TopicPartition] = frozenset()
    ) -> tuple[list[Any], dict[TopicPartition, int]]:
        """The records to hand to workers (the held ones first, none of a ``paused`` partition), and the seeks back
        for those left for lack of room that the flow cannot hold.

        A record is handed out when it is new (past the highest offset handed out) or a failed one due again;
        a finished or in-flight record fetched again after a seek back is not.
        """
        handed: list[Any] = []
        seeks: dict[TopicPartition, int] = {}
        bp = self.backpressure
        hold = bp.hold if bp is not None else 0
        with self.lock:
            busy = sum(len(p.inflight) for p in self.parts.values())
            held = [r for tp, p in sorted(self.parts.items()) if tp not in paused for r in p.held]
            for tp, p in self.parts.items():
                if tp not in paused:
                    p.held = []
            kept = self._held()
            for record in held + records:
                topic, partition, offset = self.locate(record)
                tp = TopicPartition(topic, partition)
                if tp in seeks:
                    continue  # left from an earlier record of the partition on: fetched again after the seek
                part = self.parts.setdefault(tp, _Partition())
                if not (offset > part.high or (offset in part.waiting and offset not in part.inflight)):
                    continue
                if tp in paused or (bp is not None and (len(part.inflight) if bp.per_partition else busy) >= bp.high):
                    if part.held and offset <= self.locate(part.held[-1])[2]:
                        continue  # held already
                    if kept < hold:
                        part.held.append(record)
                        kept += 1
                    else:
                        seeks[tp] = offset
                    continue
                part.inflight[offset] = id(record)
                part.waiting.discard(offset)
                part.high = max(part.high, offset)
                busy += 1
                handed.append(record)
        return handed, seeks

    def committed(self, offsets: dict[TopicPartition, int]) -> None:
        """A commit of ``offsets`` went through."""
        with self.lock:
            for tp, offset in offsets.items():
                if (part := self.parts.get(tp)) is not None:
                    part.committed = offset

    def to_commit(self, partitions: Iterable[TopicPartition] | None = None) -> dict[TopicPartition, int]:
        """The finished prefixes not yet committed (of ``partitions``, default all)."""
        with self.lock:
            chosen = self.parts if partitions is None else {tp: self.parts[tp] for tp in partitions if tp in self.parts}
            return self._to_commit(chosen)

    @staticmethod
    def _to_commit(parts: dict[TopicPartition, _Partition]) -> dict[TopicPartition, int]:
        return {
            tp: position
            for tp, part in sorted(parts.items())
            if (position := part.position()) is not None and position != part.committed
        }

    def wait_s(self, timeout: float) -> float:
        """How long the next poll may wait: ``timeout``, or less when a back-off or a commit is due sooner."""
        now = self.clock()
        with self.lock:
            due = [p.retry_at for p in self.parts.values() if p.retry_at > now] + [self.next_commit]
        return max(0.0, min([timeout, *(at - now for at in due)]))

    # -- rebalances ------------------------------------------------------------------------------------

    def in_flight(self, partitions: Iterable[TopicPartition] | None = None) -> int:
        """How many records handed out are with workers (of ``partitions``, default all)."""
        with self.lock:
            chosen = self.parts.keys() if partitions is None else set(partitions) & self.parts.keys()
            return sum(len(self.parts[tp].inflight) for tp in chosen)

    def revoke(self, partitions: Iterable[TopicPartition]) -> dict[TopicPartition, int]:
        """Partitions revoked (their work awaited as long as it was): their finished prefixes to commit, and their
        state gone; a worker's later report of their records is ignored."""
        with self.lock:
            gone = {tp: self.parts.pop(tp) for tp in partitions if tp in self.parts}
            for tp in partitions:
                self.paused.pop(tp, None)
                self.bp_since.pop(tp, None)
            return self._to_commit(gone)

    # -- workers (any thread or task) --------------------------------------------------------------------

    def done(self, record: Any) -> bool:
        """The record is finished; False when ignored (its partition was revoked, or it was reported already)."""
        with self.lock:
            found = self._handed(record)
            if found is None:
                return False
            part, offset = found
            del part.inflight[offset]
            part.attempts.pop(offset, None)
            return True

    def failed(self, record: Any) -> tuple[str, int]:
        """The record failed: :data:`RETRY` (it is handed out again after the back-off), :data:`DEAD_LETTER` (the
        flow hands it to the dead letter, then calls :meth:`done`), or :data:`IGNORED`; and its failures so far."""
        with self.lock:
            found = self._handed(record)
            if found is None:
                return IGNORED, 0
            part, offset = found
            attempts = part.attempts[offset] = part.attempts.get(offset, 0) + 1
            retry = self.retry
            if retry is None or (retry.attempts is not None and attempts >= retry.attempts):
                return DEAD_LETTER, attempts
            self._again(record, part, offset)
            return RETRY, attempts

    def again(self, record: Any) -> None:
        """Hand the record out again after a back-off (its dead letter failed)."""
        with self.lock:
            if (found := self._handed(record)) is not None:
                self._again(record, *found)

    def _again(self, record: Any, part: _Partition, offset: int) -> None:
        del part.inflight[offset]
        part.waiting.add(offset)
        part.rewind = offset if part.rewind is None else min(part.rewind, offset)
        now = self.clock()
        if part.retry_at <= now:  # one back-off for failures that come together
            topic, partition, _ = self.locate(record)
            backoff = self.retry.backoff if self.retry is not None else Backoff()
            part.retry_at = now + backoff.next(TopicPartition(topic, partition), now)

    def _handed(self, record: Any) -> tuple[_Partition, int] | None:
        topic, partition, offset = self.locate(record)
        part = self.parts.get(TopicPartition(topic, partition))
        if part is None or part.inflight.get(offset) != id(record):
            return None
        return part, offset


def _check_seconds(name: str, value: object) -> None:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value < math.inf:
        raise InvalidArgumentError(f"{name} must be a finite number of seconds >= 0, got {value!r}")
