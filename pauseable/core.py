"""The rules both controllers share, in one place: no I/O, only decisions and state.

Argument checks, the paused set, sticky topic pauses, reconciling native pause state on assignment,
holding back records of paused partitions, skip rules, timed pauses, hooks and error translation.
"""

from __future__ import annotations

import inspect
import logging
import math
import time
from collections.abc import Collection, Iterable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any, Protocol

from pauseable.adapter import AnyAdapter, AsyncConsumerAdapter, Backend, ConsumerAdapter
from pauseable.backoff import Backoff
from pauseable.errors import (
    BackendError,
    BrokerUnreachableError,
    ClientError,
    CloseTimeoutError,
    ConsumerClosedError,
    InvalidArgumentError,
    NotAssignedError,
    PauseableError,
    ResumeError,
    UnknownPartitionError,
    UnknownTopicError,
)
from pauseable.observe import Pause
from pauseable.plugins import load_plugins
from pauseable.report import SkippedRange, SkipReport
from pauseable.strategies import Continue, Rebuild, ResumeFacts, SkipStrategy
from pauseable.types import TopicPartition, as_partitions, check_offset, check_timestamp

_log = logging.getLogger("pauseable")

#: the operation of a resume when a timed pause ran out (its pause ends "timed", not "resumed")
TIMED_RESUME = "resume after a timed pause"


class Attachment(Protocol):
    """Pause state kept outside the controller that the controller follows (pauseable.group's applier).

    The controller calls ``between_polls(controller)`` before each slice of a poll (``await``-ed on an asyncio
    controller), where the attachment acts through the controller's public calls, and ``close()`` when it
    closes. The core asks :meth:`hold` of each partition assigned and of each partition a slice returned
    records of, before screening them, so a pause takes effect at once.
    """

    def hold(self, partition: TopicPartition) -> int | None:
        """When ``partition`` was paused outside (ms since the epoch) if it is to be held paused, else None.
        No I/O; called on the polling thread (or task)."""


class SyncAttachment(Attachment, Protocol):
    """An :class:`Attachment` of a synchronous controller."""

    def between_polls(self, controller: Any) -> None:
        """Act on the state followed (pause, resume) through ``controller``'s public calls."""

    def close(self) -> None:
        """The controller closes: stop following."""


class AsyncAttachment(Attachment, Protocol):
    """An :class:`Attachment` of an asyncio controller."""

    async def between_polls(self, controller: Any) -> None:
        """Act on the state followed (pause, resume) through ``controller``'s public calls."""

    async def close(self) -> None:
        """The controller closes: stop following."""


class ControllerCore:
    """State and rules shared by both controllers."""

    __slots__ = (
        "adapter",
        "attached",
        "backend",
        "closed",
        "default_strategy",
        "doubt",
        "finished",
        "hooks",
        "identity",
        "last_report",
        "locate",
        "membership",
        "paused",
        "paused_at",
        "paused_topics",
        "pausing",
        "pending",
        "reached",
        "resume_at",
        "seen",
        "size",
        "skips",
        "unverified",
        "verify_after",
        "warned_stored",
        "was_empty",
    )  # fmt: skip

    def __init__(
        self,
        backend: Backend,
        adapter: AnyAdapter,
        default_strategy: SkipStrategy | None,
        lookup_config: Mapping[str, Any] | None = None,
    ) -> None:
        check_adapter(backend, adapter)
        self.backend = backend
        self.adapter = adapter
        self.locate, self.size = adapter.locate, adapter.size
        self.default_strategy: SkipStrategy = default_strategy or Continue()
        #: partitions paused through this controller (pruned on revocation)
        self.paused: set[TopicPartition] = set()
        #: when each paused partition was paused, in ms since the epoch
        self.paused_at: dict[TopicPartition, int] = {}
        #: the pauses going on, for metrics (pauseable.observe): why and since when; each ends through end()
        self.pausing: dict[TopicPartition, Pause] = {}
        #: (group id, client id), for metrics' labels
        self.identity: tuple[str | None, str | None] = adapter.identity(lookup_config)
        #: ranges being skipped as records arrive, by (topic, partition)
        self.skips: dict[tuple[str, int], SkipRule] = {}
        #: skipped ranges the consumer got past in the last screen, for the skipped hook
        self.finished: list[SkippedRange] = []
        #: timed pauses: when (time.monotonic()) to resume each partition, and with which strategy
        self.resume_at: dict[TopicPartition, tuple[float, SkipStrategy | None]] = {}
        self.last_report: SkipReport | None = None
        self.hooks = load_plugins().hook
        #: topics whose partitions start paused whenever assigned
        self.paused_topics: set[str] = set()
        self.closed = False
        #: how the consumer got its partitions, to do the same again after a Rebuild:
        #: ("subscribe", topics, on_assigned, on_revoked) or ("assign", partitions)
        self.membership: tuple[Any, ...] = ()
        #: the assignment at the last poll, of a membership the controller takes no part in (see follows())
        self.seen: frozenset[TopicPartition] | None = None
        #: client errors poll raises next (after handing over the records fetched with them)
        self.pending: list[ClientError] = []
        #: the membership's topics are still to be looked up in the cluster (at the next empty poll)
        self.unverified = False
        #: an unknown-topic event of the client, raised only if the cluster's metadata agrees
        self.doubt: BaseException | None = None
        #: whether any broker has answered: a record, or the membership's topics looked up
        self.reached = False
        #: warned that the client stored the offsets of records held back (once per controller)
        self.warned_stored = False
        #: when (time.monotonic()) the topics may be looked up again after a lookup failed transiently
        self.verify_after = 0.0
        #: whether the last poll slice handed over nothing
        self.was_empty = False
        #: pause state followed from outside (pauseable.group), or None
        self.attached: Attachment | None = None

    @contextmanager
    def call(self, operation: str, adapter: AnyAdapter) -> Iterator[None]:
        """Run native calls, turning native exceptions into pauseable's (the native one chained)."""
        closed = f"cannot {operation}: the {self.backend.name} consumer is closed; create a new consumer"
        if self.closed or adapter.is_closed():
            self.closed = True
            raise ConsumerClosedError(closed)
        try:
            yield
        except PauseableError:
            raise
        except Exception as exc:
            if adapter.is_closed_error(exc):
                self.closed = True
                raise ConsumerClosedError(closed) from exc
            if (typed := adapter.typed_error(exc)) is not None:
                raise typed(f"{self.backend.name} failed to {operation}: {exc}; {typed.fix}") from exc
            raise BackendError(
                f"{self.backend.name} failed to {operation}: {type(exc).__name__}: {exc} "
                "(the client's exception is chained; check the broker connection and the arguments)"
            ) from exc

    @staticmethod
    def require_assigned(partitions: Iterable[TopicPartition], assignment: set[TopicPartition], op: str) -> None:
        missing = sorted(set(partitions) - assignment)
        if missing:
            names = ", ".join(map(str, missing))
            raise NotAssignedError(
                f"cannot {op} {names}: not assigned to this consumer (assigned: "
                f"{', '.join(map(str, sorted(assignment))) or 'nothing'}); subscribe or assign first, "
                "or use pause_topics() to pause partitions assigned later"
            )

    def reconcile(
        self, assigned: Iterable[TopicPartition]
    ) -> tuple[list[TopicPartition], list[TopicPartition], list[TopicPartition]]:
        """Newly assigned partitions split into (to pause, to resume), and the paused set updated; third, the
        partitions of the first whose pause begins now (for the paused hook: the others were paused already).

        Paused: partitions of paused topics (sticky), and partitions still paused from before. Every
        other one is resumed explicitly, because clients disagree on what a reassigned partition
        remembers: librdkafka keeps a revoked partition's pause flag, kafka-python keeps it for
        partitions it retains, aiokafka drops it.
        """
        to_pause: list[TopicPartition] = []
        to_resume: list[TopicPartition] = []
        held: list[TopicPartition] = []
        for tp in sorted(set(assigned)):
            if self.attached is not None and self.attached.hold(tp) is not None:
                held.append(tp)  # a group pause
            elif tp.topic in self.paused_topics or tp in self.paused:
                to_pause.append(tp)
            else:
                to_resume.append(tp)
        begins = [tp for tp in held + to_pause if tp not in self.pausing]
        self.mark_paused(held, "group")
        self.mark_paused(to_pause, "assigned")
        return sorted(held + to_pause), to_resume, sorted(begins)

    def follows(self) -> bool:
        """Whether rebalances are followed at each poll instead: the consumer's membership is not the controller's
        (it was subscribed before it was wrapped, or by a framework such as FastStream, so no rebalance callback
        of the controller's runs) and there are pauses to keep: partitions paused, or topics paused (sticky)."""
        if self.membership or not (self.paused or self.paused_topics):
            self.seen = None
            return False
        return True

    def follow(self, assigned: Iterable[TopicPartition]) -> tuple[list[TopicPartition], list[TopicPartition]]:
        """The assignment after a poll, of a membership the controller takes no part in: the partitions gone since
        the last poll (their pauses end, as at a revocation), and the whole assignment when it changed (to
        reconcile, as at an assignment: paused topics are sticky, and a pause a client dropped when it reassigned a
        partition is set again), else nothing. Read after the poll, the assignment holds every partition the
        poll's records came from."""
        now = frozenset(assigned)
        before = self.seen if self.seen is not None else frozenset(self.paused)
        self.seen = now
        return sorted(before - now), sorted(now) if now != before else []

    def of_topics(self, assignment: Iterable[TopicPartition], topics: Iterable[str]) -> list[TopicPartition]:
        wanted = set(topics)
        return sorted(tp for tp in assignment if tp.topic in wanted)

    def mark_paused(self, partitions: Iterable[TopicPartition], reason: str = "manual") -> None:
        now = now_ms()
        for tp in partitions:
            self.paused.add(tp)
            held = self.attached.hold(tp) if self.attached is not None else None
            self.paused_at.setdefault(tp, now if held is None else held)
            if tp not in self.pausing:
                self.pausing[tp] = Pause(tp, reason)

    def end(self, controller: Any, partitions: Iterable[TopicPartition], reason_ended: str) -> None:
        """The pauses of ``partitions`` that were going on end (one of ``observe.ENDINGS``): the plugins are told
        how long each lasted. Every way a pause ends comes through here, or a "paused now" gauge never comes down."""
        now = time.monotonic()
        ended = {tp: now - pause.since for tp in partitions if (pause := self.pausing.pop(tp, None)) is not None}
        if ended:
            self.hooks.pauseable_pause_ended(
                controller=controller, partitions=sorted(ended), reason_ended=reason_ended, paused_for_s=ended
            )

    def mark_resumed(self, partitions: Iterable[TopicPartition]) -> None:
        for tp in partitions:
            self.paused.discard(tp)
            self.paused_at.pop(tp, None)
            self.resume_at.pop(tp, None)

    def schedule(
        self, partitions: Iterable[TopicPartition], seconds: float | Backoff | None, then: SkipStrategy | None
    ) -> None:
        if seconds is None:
            return
        now = time.monotonic()
        for tp in partitions:
            self.resume_at[tp] = (now + (seconds.next(tp, now) if isinstance(seconds, Backoff) else seconds), then)

    def due(self) -> list[tuple[list[TopicPartition], SkipStrategy | None]]:
        """Timed pauses that ran out, grouped by strategy."""
        if not self.resume_at:
            return []
        now = time.monotonic()
        groups: dict[int, tuple[list[TopicPartition], SkipStrategy | None]] = {}
        for tp, (at, then) in sorted(self.resume_at.items()):
            if at <= now:
                groups.setdefault(id(then), ([], then))[0].append(tp)
        return list(groups.values())

    def resume_failed(
        self,
        controller: Any,
        strategy: SkipStrategy,
        tps: list[TopicPartition],
        report: SkipReport | None,
        exc: Exception,
    ) -> ResumeError:
        """Roll back a failed resume: its skip rules go, its partitions stay paused (their pauses go on), the
        seeks done are reported; the plugins are told."""
        for tp in tps:
            self.skips.pop((tp.topic, tp.partition), None)
        done = {
            tp: r for tp, r in (report.ranges.items() if report else []) if r.done and not isinstance(strategy, Rebuild)
        }
        partial = SkipReport(strategy.name, (), done)
        names = ", ".join(map(str, tps))
        cause = exc if isinstance(exc, PauseableError) else f"{type(exc).__name__}: {exc}"
        error = ResumeError(
            f"resume with {strategy.name} failed ({cause}); still paused: {names}; skipped before the failure: "
            f"{partial.skipped} offset(s); resume again to retry",
            partial,
            tps,
        )
        self.hooks.pauseable_resume_failed(controller=controller, strategy=strategy, error=error)
        return error

    def handover_offsets(
        self, positions: Mapping[TopicPartition, int | None], seeks: Mapping[TopicPartition, int]
    ) -> dict[TopicPartition, int]:
        """What a Rebuild commits before it closes the consumer: the resumed partitions' new offsets, and the
        position of every other assigned partition. A position is unknown only for a partition nothing was
        delivered from nor sought (the adapter contract): its committed offset is already where it stands.

        A skipped range still ahead (a discard not yet past it) is handed over as its end: its offsets were
        reported skipped, and the new consumer has no rule to drop them (a slow run delivered a discard-until's
        whole range again after a Rebuild: seed 210, confluent-kafka-aio, a node killed mid-discard)."""
        offsets = {tp: p for tp, p in positions.items() if p is not None}
        offsets.update(seeks)
        for (topic, partition), rule in self.skips.items():
            tp = TopicPartition(topic, partition)
            if (tp in positions or tp in seeks) and offsets.get(tp, rule.skipped.start) < rule.skipped.end:
                offsets[tp] = rule.skipped.end  # past it once committed: rebuilt() marks it done
        return offsets

    @staticmethod
    def check_handover(offsets: Mapping[TopicPartition, int], committed: Mapping[TopicPartition, int | None]) -> None:
        """The commit a Rebuild hands over with must be what the group now holds: a commit that reported
        success but did not stick (a coordinator moving) would make the new consumer deliver again."""
        if wrong := {tp: committed.get(tp) for tp, offset in offsets.items() if committed.get(tp) != offset}:
            found = ", ".join(f"{tp}: {offset} (wanted {offsets[tp]})" for tp, offset in sorted(wrong.items()))
            raise BackendError(
                f"the group's committed offsets did not take the rebuild's commit ({found}); the old consumer is kept, "
                "paused, and nothing was skipped"
            )

    def give_up(self, exc: CloseTimeoutError) -> None:
        """A Rebuild's old consumer did not close in time: its hand-over is committed and read back, so the
        new consumer takes over anyway; a warning says what was left behind."""
        _log.warning("%s: Rebuild goes on with a new consumer; the old one is left to close by itself: %s",
                     self.backend.name, exc)  # fmt: skip

    def announce_paused(self, controller: Any, partitions: list[TopicPartition]) -> None:
        """Pauses of ``partitions`` began: the hook hears of each once, under the reason it began with (a
        partition assigned paused because its topic is paused: ``assigned``; because the group holds it: ``group``)."""
        reasons: dict[str, list[TopicPartition]] = {}
        for tp in partitions:
            reasons.setdefault(self.pausing[tp].reason, []).append(tp)
        for reason, began in reasons.items():
            self.hooks.pauseable_paused(controller=controller, partitions=began, reason=reason)

    def announce_resumed(self, controller: Any, report: SkipReport, reason: str) -> None:
        self.last_report = report
        self.hooks.pauseable_resumed(controller=controller, report=report, reason=reason)
        for skipped in report.ranges.values():
            if skipped.done:  # sought past at once
                self.hooks.pauseable_skipped(controller=controller, skipped=skipped)

    def got_past(self, skipped: SkippedRange) -> None:
        """The consumer is past ``skipped``: done, and the skipped hook hears of it at the next announcement."""
        if not skipped.done:
            skipped.done = True
            self.finished.append(skipped)

    def announce_finished(self, controller: Any) -> None:
        finished, self.finished = self.finished, []
        for skipped in finished:
            self.hooks.pauseable_skipped(controller=controller, skipped=skipped)

    # -- after the native calls: a controller method's bookkeeping, one call each ----------------------

    def subscribed(self, topics: list[str], on_assigned: Any, on_revoked: Any) -> None:
        """``subscribe`` went through: a Rebuild subscribes the new consumer the same way; the topics are looked
        up at the next empty poll."""
        self.membership = ("subscribe", topics, on_assigned, on_revoked)
        self.unverified, self.doubt = True, None

    def assigned(self, controller: Any, partitions: list[TopicPartition]) -> None:
        """``assign`` replaced the assignment: pauses (and timed resumes, skips) of partitions left out end, as at
        a revocation; a Rebuild assigns these again."""
        held = self.paused | self.resume_at.keys() | {TopicPartition(*key) for key in self.skips}
        self.forget(controller, sorted(held - set(partitions)))
        self.membership = ("assign", partitions)
        self.unverified, self.doubt = True, None

    def after_pause(
        self,
        controller: Any,
        partitions: list[TopicPartition],
        reason: str,
        *,
        topics: Iterable[str] = (),
        seconds: float | Backoff | None = None,
        then: SkipStrategy | None = None,
    ) -> None:
        """Partitions (and ``topics``, sticky) were paused natively: note when, schedule a timed resume, tell."""
        self.paused_topics.update(topics)
        if reason == "manual" and seconds is not None:  # the default reason says how the pause ends
            reason = "back-off" if isinstance(seconds, Backoff) else "timed"
        begins = [tp for tp in partitions if tp not in self.pausing]  # a partition paused again keeps its pause
        self.mark_paused(partitions, reason)
        self.schedule(partitions, seconds, then)
        self.announce_paused(controller, begins)

    def resume_strategy(self, strategy: SkipStrategy | None) -> SkipStrategy:
        """The strategy a resume runs: ``strategy`` once checked, else the controller's default."""
        self.check_strategy(strategy)
        return strategy or self.default_strategy

    def after_resume(
        self,
        controller: Any,
        report: SkipReport | None,
        partitions: list[TopicPartition],
        strategy: SkipStrategy,
        began: float,
        reason: str,
        *,
        topics: Iterable[str] = (),
        op: str = "resume",
    ) -> SkipReport:
        """Partitions (and ``topics``) were resumed natively (by ``op``): their pause state ends, the report is
        told."""
        assert report is not None  # the plan made it before any native call
        if isinstance(strategy, Rebuild):  # the new consumer starts past every range
            for skipped in report.ranges.values():
                skipped.done = True
            self.announce_finished(controller)  # earlier discards the hand-over got past (handover_offsets)
        self.end(controller, partitions, "timed" if op == TIMED_RESUME else "resumed")
        self.mark_resumed(partitions)
        self.paused_topics.difference_update(topics)
        report.took_s = time.monotonic() - began
        self.announce_resumed(controller, report, reason)
        return report

    def after_seek(self, partition: TopicPartition) -> None:
        """The user's seek wins over a pending skip of the partition."""
        self.skips.pop((partition.topic, partition.partition), None)

    def after_poll(self, controller: Any, polled: list[Any]) -> tuple[list[Any], dict[TopicPartition, int]]:
        """The records to hand over (client error events taken out: raised later or reported), and the seeks
        due (back to a held-back record, or past a skipped range)."""
        records = polled
        if errors := [(record, error) for record in polled if (error := self.adapter.error_of(record)) is not None]:
            events = {id(record) for record, _ in errors}
            records = [record for record in polled if id(record) not in events]
            for _, error in errors:
                self.client_error(controller, error)
        self.was_empty = not records
        self.reached = self.reached or bool(records)
        if records and self.attached is not None:
            self.hold_attached(controller, records)
        if not records or not (self.paused or self.skips):
            return records, {}
        kept, seeks = self.screen(records)
        if seeks and not self.warned_stored:
            self.warn_stored({tp: offset for tp, offset in seeks.items() if tp in self.paused})
        self.announce_finished(controller)
        return kept, seeks

    def warn_stored(self, rewound: dict[TopicPartition, int]) -> None:
        """Once: records held back whose offsets the client stored as it handed them out (librdkafka's default)
        may be committed past before they are delivered again; only the user's configuration can prevent it."""
        if not rewound or (setting := self.adapter.stores_handed_out()) is None:
            return
        self.warned_stored = True
        tp, offset = min(rewound.items())
        _log.warning(
            "%s: records of %s from offset %d are held back while paused, but the client stored their offsets as "
            "it handed them out (%s is on, its default): an auto commit, a commit of stored offsets or a "
            "revocation before they are delivered again commits past them; build the consumer with %s=False "
            "and commit with the controller's commit() (positions) to keep them (logged once)",
            self.backend.name, tp, offset, setting, setting,
        )  # fmt: skip

    def hold_attached(self, controller: Any, records: list[Any]) -> None:
        """Partitions of ``records`` that the attachment holds are paused here before screening: their records
        are held back and rewound (the native pause follows between polls)."""
        assert self.attached is not None
        located = {TopicPartition(topic, partition) for topic, partition, _ in map(self.locate, records)}
        held = sorted(tp for tp in located - self.paused if self.attached.hold(tp) is not None)
        begins = [tp for tp in held if tp not in self.pausing]
        self.mark_paused(held, "group")
        self.announce_paused(controller, begins)

    # -- client errors: raised when the client will not get past them, else reported ----------------------

    def client_error(self, controller: Any, error: BaseException) -> None:
        """A client error event: raised by a later poll when typed, else reported."""
        typed = self.adapter.typed_error(error)
        if typed is None:
            self.report(controller, error)
        elif issubclass(typed, UnknownTopicError):  # a topic just created may not be in every broker's metadata
            self.unverified, self.doubt = True, error
        else:
            raised = typed(f"{self.backend.name}: {error}; {typed.fix}")
            raised.__cause__ = error
            self.pending.append(raised)

    def report(self, controller: Any, error: BaseException) -> None:
        """An error the client gets past by itself: the hook, and a warning; polling carries on."""
        _log.warning("%s: the client reports %s: %s; carrying on", self.backend.name, type(error).__name__, error)
        self.hooks.pauseable_client_error(controller=controller, error=error)

    def raise_pending(self) -> None:
        """Raise the first client error held back (its batch's records were handed over)."""
        if self.pending:
            error, self.pending = self.pending[0], []
            raise error

    def to_verify(self) -> list[str]:
        """The membership's topics to look up in the cluster now: once, at the first empty poll after subscribe
        or assign (or after an unknown-topic event), so a mistyped topic or an unreachable cluster is raised
        rather than polled forever."""
        if not (self.unverified and self.was_empty and time.monotonic() >= self.verify_after):
            return []
        if self.membership[:1] == ("subscribe",):
            return sorted(self.membership[1])
        return sorted({tp.topic for tp in self.membership[1]}) if self.membership else []

    def verified(self, controller: Any, known: Mapping[str, Collection[int]]) -> None:
        """The membership's topics as the cluster has them (partition ids by topic): UnknownTopicError is raised
        next for one it does not have; an unknown-topic event the cluster disagrees with is only reported."""
        self.unverified, doubt, self.doubt, self.reached = False, self.doubt, None, True
        assigned = self.membership[:1] == ("assign",)
        wanted = [(tp.topic, tp.partition) for tp in self.membership[1]] if assigned else [(t, None) for t in known]
        for topic, partition in wanted:
            have = sorted(known[topic])
            if not have or (partition is not None and partition not in have):
                what = f"topic {topic!r}" if not have else f"partition {topic}[{partition}] ({len(have)} partition(s))"
                error = UnknownTopicError(f"{self.backend.name}: {'assigned' if assigned else 'subscribed to'} {what}, "
                                          f"which the cluster does not have; {UnknownTopicError.fix}")  # fmt: skip
                error.__cause__ = doubt
                self.pending.append(error)
                return
        if doubt is not None:
            self.report(controller, doubt)

    def unverifiable(self, controller: Any, exc: Exception) -> None:
        """Looking the topics up failed: BrokerUnreachableError is raised next when no broker has ever answered
        and the client calls it transient (it gave up reaching one); reported and tried again in a second when
        one has; raised as it is otherwise."""
        if not self.adapter.is_transient_error(exc):
            raise exc
        if not self.reached:
            error = BrokerUnreachableError(
                f"{self.backend.name}: no broker has answered this consumer ({type(exc).__name__}: {exc}); "
                f"{BrokerUnreachableError.fix}"
            )
            error.__cause__ = exc
            self.pending.append(error)
            return
        self.report(controller, exc)
        self.verify_after = time.monotonic() + 1.0

    def shut(self, controller: Any) -> None:
        """The consumer is closed (or given up, its close having timed out): the pauses going on end."""
        self.closed = True
        self.end(controller, list(self.pausing), "closed")

    def rebuilt(self, consumer: object, resumed: list[TopicPartition]) -> Any:
        """A Rebuild's new consumer: checked, wrapped in this backend's adapter (returned), and put in place
        with no skip rules, the resumed partitions unpaused."""
        self.check_rebuilt(consumer)
        build = self.backend.async_adapter or self.backend.sync_adapter
        assert build is not None
        adapter: AnyAdapter = build(consumer)
        check_adapter(self.backend, adapter)
        self.adapter = adapter
        self.locate, self.size = adapter.locate, adapter.size
        for rule in self.skips.values():  # the hand-over went past them (handover_offsets): the hook hears of it
            self.got_past(rule.skipped)
        self.skips.clear()
        self.mark_resumed(resumed)
        self.closed = False
        return adapter

    @staticmethod
    def check_timed_pause(seconds: float | Backoff | None, then: SkipStrategy | None) -> None:
        """``pause(for_seconds=, then=)``: a finite number of seconds or a Backoff, and ``then`` only with it."""
        if seconds is None:
            if then is not None:  # it would be ignored: the pause never ends by itself
                raise InvalidArgumentError(
                    "then= is the strategy of a timed pause and needs for_seconds=; pass both, "
                    "or pass the strategy to resume() later"
                )
            return
        if not isinstance(seconds, Backoff) and (
            isinstance(seconds, bool) or not isinstance(seconds, (int, float)) or not 0 <= seconds < math.inf
        ):
            raise InvalidArgumentError(
                f"for_seconds must be a finite number of seconds >= 0 or a Backoff, got {seconds!r}; "
                "omit it to pause until resume()"
            )
        ControllerCore.check_strategy(then, "then")

    @staticmethod
    def check_reason(reason: object) -> None:
        """``reason=`` of a pause or resume: a short non-empty str, handed to the hooks."""
        if not isinstance(reason, str) or not reason:
            raise InvalidArgumentError(
                f"reason= takes a short non-empty str such as 'manual' or 'maintenance', got {reason!r}"
            )

    @staticmethod
    def check_strategy(strategy: object, argument: str = "strategy") -> None:
        """``strategy`` is None or a skip strategy object (not its class, not its name)."""
        if strategy is None:
            return
        if isinstance(strategy, type):
            raise InvalidArgumentError(
                f"{argument}= takes a strategy object: {strategy.__name__}(), not the class {strategy.__name__}"
            )
        if not all(hasattr(strategy, a) for a in ("name", "reason", "needs_end", "needs_window")) or not callable(
            getattr(strategy, "plan", None)
        ):
            raise InvalidArgumentError(
                f"{argument}= takes a skip strategy such as pauseable.SeekToEnd(), got "
                f"{type(strategy).__name__} ({strategy!r}); the built-in ones are Continue(), SeekToEnd(), "
                "DiscardUntil(), SkipPauseWindow() and Rebuild(factory)"
            )

    @staticmethod
    def check_lookup_config(config: object) -> Mapping[str, Any] | None:
        """``lookup_config=``: None, or a mapping of the client's configuration names to values (not echoed in
        the error: it may hold credentials)."""
        if config is None:
            return None
        if not isinstance(config, Mapping) or not all(isinstance(key, str) for key in config):
            raise InvalidArgumentError(
                f"lookup_config= takes the consumer's configuration as a mapping of str names to values, got "
                f"{type(config).__name__}; omit it to make offset lookups through the consumer"
            )
        return dict(config)

    def check_callbacks(self, **callbacks: object) -> None:
        """Rebalance callbacks: None or callable, and for a synchronous controller not coroutine functions."""
        sync = not self.backend.is_async
        for argument, callback in callbacks.items():
            if callback is None:
                continue
            if not callable(callback):
                raise InvalidArgumentError(
                    f"{argument}= takes a function of the list of partitions, got {type(callback).__name__} "
                    f"({callback!r})"
                )
            if sync and inspect.iscoroutinefunction(callback):  # its coroutine would never run
                raise InvalidArgumentError(
                    f"{argument}= is a coroutine function, but a synchronous Controller cannot await it; pass a "
                    "plain function, or use pauseable.async_controller() with an asyncio client"
                )

    def check_rebuilt(self, consumer: object) -> None:
        """What a Rebuild's factory returned is a consumer of this controller's backend."""
        sync = not self.backend.is_async
        if self.backend.claims(consumer):
            return
        if inspect.iscoroutine(consumer):
            consumer.close()  # never awaited, on purpose: no "never awaited" warning
        kind = f"{type(consumer).__module__}.{type(consumer).__qualname__}"
        fix = (
            "a synchronous Controller calls it without awaiting: pass a plain function"
            if sync and inspect.isawaitable(consumer)
            else "make it return the new native consumer"
        )
        raise InvalidArgumentError(
            f"Rebuild's factory returned a {kind}, not a {self.backend.consumer_class}; {fix}. The old consumer is "
            "closed (its positions committed): create a new controller"
        )

    @staticmethod
    def unassigned_topics(partitions: Iterable[TopicPartition], assignment: Collection[TopicPartition]) -> list[str]:
        """The topics to look up in the cluster's metadata: those of partitions not assigned (which exist)."""
        return sorted({tp.topic for tp in partitions if tp not in assignment})

    @staticmethod
    def require_existing(
        partitions: Iterable[TopicPartition],
        assignment: Collection[TopicPartition],
        known: Mapping[str, Collection[int]],
        op: str,
    ) -> None:
        """UnknownPartitionError unless the cluster has every partition (``known``: partition ids by topic)."""
        for tp in partitions:
            if tp in assignment or tp.partition in known[tp.topic]:
                continue
            have = sorted(known[tp.topic])
            if not have:
                raise UnknownPartitionError(
                    f"cannot {op} {tp}: the cluster has no topic {tp.topic!r}; "
                    "check the name, or create the topic first"
                )
            raise UnknownPartitionError(
                f"cannot {op} {tp}: topic {tp.topic!r} has {len(have)} partition(s), {tp.topic}[0] to "
                f"{tp.topic}[{have[-1]}]; use one of those, or add partitions to the topic first"
            )

    def forget(self, controller: Any, partitions: Iterable[TopicPartition]) -> None:
        """Partitions revoked: their pause, timed pause and skip state end."""
        partitions = list(partitions)
        self.end(controller, partitions, "revoked")
        for tp in partitions:
            self.paused.discard(tp)
            self.paused_at.pop(tp, None)
            self.resume_at.pop(tp, None)
            self.skips.pop((tp.topic, tp.partition), None)

    def plan(
        self, strategy: SkipStrategy, resumed: list[TopicPartition], facts: list[ResumeFacts]
    ) -> tuple[SkipReport, dict[TopicPartition, int]]:
        """The report of a resume of ``resumed``, and the seeks it needs now; ranges to drop later become rules.
        ``facts`` is empty for a strategy that skips nothing (no lookups are made)."""
        report = SkipReport(strategy.name, tuple(resumed))
        seeks: dict[TopicPartition, int] = {}
        for f in facts:
            step = strategy.plan(f)
            if not step.skips:
                continue
            skipped = SkippedRange(f.partition, step.skip_from, step.skip_to, strategy.name, strategy.reason)
            report.ranges[f.partition] = skipped
            key = (f.partition.topic, f.partition.partition)
            if step.discard:
                self.skips[key] = SkipRule(skipped, jump=False)
            elif step.skip_from <= f.position:
                seeks[f.partition] = step.skip_to  # done once the controller has sought
            else:  # deliver the backlog before the range, then jump over it
                self.skips[key] = SkipRule(skipped, jump=True)
        return report, seeks

    def screen(self, records: list[Any]) -> tuple[list[Any], dict[TopicPartition, int]]:
        """Drop records of paused partitions and of skipped ranges; return the rest and the seeks due.

        A paused partition is rewound to its first dropped record, so it is delivered after resume.
        """
        paused = {(tp.topic, tp.partition) for tp in self.paused}
        kept: list[Any] = []
        seeks: dict[TopicPartition, int] = {}
        jumped: set[tuple[str, int]] = set()  # partitions whose jump seek is due after this batch
        for record in records:
            topic, partition, offset = self.locate(record)
            key = (topic, partition)
            if key in paused:
                tp = TopicPartition(topic, partition)
                seeks[tp] = min(offset, seeks.get(tp, offset))
                continue
            rule = self.skips.get(key)
            if rule is not None and offset >= rule.skipped.start:
                if offset < rule.skipped.end:
                    rule.skipped.records_fetched += 1
                    rule.skipped.bytes_fetched += self.size(record)
                    if rule.jump and not rule.jumped:
                        seeks[TopicPartition(topic, partition)] = rule.skipped.end
                        rule.jumped = True
                        jumped.add(key)
                    if offset == rule.skipped.end - 1 or (rule.jump and not rule.skipped.done):
                        rule.skipped.done = True
                        self.finished.append(rule.skipped)
                    if offset == rule.skipped.end - 1:
                        del self.skips[key]
                    continue
                self.got_past(rule.skipped)
                del self.skips[key]
            if key in jumped:  # the batch already went past the range: no seek back to its end
                seeks.pop(TopicPartition(topic, partition), None)
                jumped.discard(key)
            kept.append(record)
        return kept, seeks

    @staticmethod
    def check_poll(timeout: float, max_records: int) -> None:
        if isinstance(timeout, bool) or not isinstance(timeout, (int, float)) or not 0 <= timeout < math.inf:
            raise InvalidArgumentError(
                f"timeout must be a finite number of seconds >= 0, got {timeout!r}; poll in a loop to wait longer"
            )
        if isinstance(max_records, bool) or not isinstance(max_records, int) or max_records < 1:
            raise InvalidArgumentError(f"max_records must be an int >= 1, got {max_records!r}; e.g. 500")

    @staticmethod
    def check_offsets(offsets: Mapping[TopicPartition, int]) -> dict[TopicPartition, int]:
        if not isinstance(offsets, Mapping):
            raise InvalidArgumentError(f"expected a mapping TopicPartition -> offset, got {type(offsets).__name__}")
        as_partitions(offsets.keys())
        return {tp: check_offset(off, allow_sentinels=False) for tp, off in offsets.items()}

    @staticmethod
    def check_timestamps(timestamps: Mapping[TopicPartition, int]) -> dict[TopicPartition, int]:
        if not isinstance(timestamps, Mapping):
            raise InvalidArgumentError(
                f"expected a mapping TopicPartition -> timestamp (ms), got {type(timestamps).__name__}"
            )
        as_partitions(timestamps.keys())
        return {tp: check_timestamp(ts) for tp, ts in timestamps.items()}


class SkipRule:
    """A skipped range still ahead of the consumer: records in it are dropped as they arrive."""

    __slots__ = ("jump", "jumped", "skipped")

    def __init__(self, skipped: SkippedRange, *, jump: bool) -> None:
        self.skipped = skipped
        #: seek past the range at its first record (else fetch and drop all of it)
        self.jump = jump
        self.jumped = False


class LookupRetry:
    """Back-off for offset lookups that failed with an error the adapter calls transient: a partition's
    leader moved or a broker restarted while the consumer was paused, or a topic is so new that not every
    broker knows its leader yet, so the client's metadata is stale until it refreshes.

    Every lookup goes through it: a resume's (positions, committed offsets, end offsets, offsets for times)
    and the public calls' (``committed``, ``end_offsets``, ``offsets_for_times``, ``seek_to_end``, ``seek`` to
    ``Offset.END``/``BEGINNING``). Adapters say which errors are transient with ``is_transient_error(exc)``;
    by default none is.
    """

    #: the whole budget of one call's retries, and the first and longest pause between attempts
    BUDGET_S = 30.0
    FIRST_S = 0.1
    LONGEST_S = 2.0

    def __init__(self, adapter: AnyAdapter) -> None:
        self._transient = adapter.is_transient_error
        self._deadline = time.monotonic() + self.BUDGET_S
        self._next = self.FIRST_S

    def delay(self, exc: BaseException) -> float | None:
        """How long to wait before trying again after ``exc``, or None to give up (and raise it)."""
        if not self._transient(exc) or time.monotonic() + self._next > self._deadline:
            return None
        delay, self._next = self._next, min(self.LONGEST_S, 2 * self._next)
        return delay


def check_adapter(backend: Backend, adapter: object) -> None:
    """The adapter a backend built subclasses the adapter protocol of its kind, which brings the optional
    methods' defaults (pauseable.adapter): a plain class would fail at the first optional call."""
    base = AsyncConsumerAdapter if backend.is_async else ConsumerAdapter
    if base not in type(adapter).__mro__:
        kind = f"{type(adapter).__module__}.{type(adapter).__qualname__}"
        raise InvalidArgumentError(
            f"the backend {backend.name!r} built a {kind}, which does not subclass pauseable.adapter."
            f"{base.__name__}; declare it as `class {type(adapter).__name__}({base.__name__})` (the base brings "
            "the defaults of the optional methods; see pauseable/adapter.py)"
        )


def now_ms() -> int:
    return time.time_ns() // 1_000_000


def fallback_position(committed: int | None, beginning: int) -> int:
    """Where delivery starts without a position: the committed offset, else the log's start."""
    return committed if committed is not None else beginning


def facts_of(
    tp: TopicPartition,
    positions: Mapping[TopicPartition, int | None],
    ends: Mapping[TopicPartition, int],
    windows: Mapping[TopicPartition, int | None],
    paused_at: Mapping[TopicPartition, int],
) -> ResumeFacts:
    position = positions[tp]
    assert position is not None
    return ResumeFacts(tp, position, ends.get(tp), windows.get(tp), paused_at.get(tp))
