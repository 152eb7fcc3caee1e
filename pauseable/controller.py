"""The controllers: :class:`Controller` (sync) and :class:`AsyncController` (asyncio).

Every decision lives in :class:`_Core`, which does no I/O: argument checks, the paused set, sticky
topic pauses, which records to hold back, error translation. The two controllers only order the
adapter calls around it, so each rule is written once for sync and async alike.
"""

from __future__ import annotations

import inspect
import time
from collections.abc import Awaitable, Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any, Generic, TypeVar

from pauseable.adapter import AnyAdapter, AsyncConsumerAdapter, Backend, ConsumerAdapter
from pauseable.errors import (
    BackendError,
    ConsumerClosedError,
    InvalidArgumentError,
    NotAssignedError,
    PauseableError,
    ResumeError,
)
from pauseable.plugins import load_plugins
from pauseable.protocol import AsyncRebalanceCallback, Partitions, RebalanceCallback, Topics
from pauseable.report import SkippedRange, SkipReport
from pauseable.strategies import Continue, Rebuild, ResumeFacts, SkipStrategy
from pauseable.types import Offset, TopicPartition, as_partitions, as_topics, check_offset, check_timestamp

R = TypeVar("R")


class _Core:
    """State and rules shared by both controllers."""

    __slots__ = (
        "backend", "closed", "default_strategy", "finished", "hooks", "last_report", "locate", "membership",
        "paused", "paused_at", "paused_topics", "resume_at", "size", "skips",
    )  # fmt: skip

    def __init__(self, backend: Backend, adapter: AnyAdapter, default_strategy: SkipStrategy | None) -> None:
        self.backend = backend
        self.locate = adapter.locate
        self.size = adapter.size
        self.default_strategy: SkipStrategy = default_strategy or Continue()
        #: partitions paused through this controller (pruned on revocation)
        self.paused: set[TopicPartition] = set()
        #: when each paused partition was paused, in ms since the epoch
        self.paused_at: dict[TopicPartition, int] = {}
        #: ranges being skipped as records arrive, by (topic, partition)
        self.skips: dict[tuple[str, int], _SkipRule] = {}
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

    @contextmanager
    def call(self, operation: str, adapter: AnyAdapter) -> Iterator[None]:
        """Run native calls, turning native exceptions into pauseable's (the native one chained)."""
        if self.closed or adapter.is_closed():
            self.closed = True
            raise ConsumerClosedError(
                f"cannot {operation}: the {self.backend.name} consumer is closed; create a new consumer"
            )
        try:
            yield
        except PauseableError:
            raise
        except Exception as exc:
            if adapter.is_closed_error(exc):
                self.closed = True
                raise ConsumerClosedError(
                    f"cannot {operation}: the {self.backend.name} consumer is closed; create a new consumer"
                ) from exc
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

    def reconcile(self, assigned: Iterable[TopicPartition]) -> tuple[list[TopicPartition], list[TopicPartition]]:
        """Newly assigned partitions split into (to pause, to resume), and the paused set updated.

        Paused: partitions of paused topics (sticky), and partitions still paused from before. Every
        other one is resumed explicitly, because clients disagree on what a reassigned partition
        remembers: librdkafka keeps a revoked partition's pause flag, kafka-python keeps it for
        partitions it retains, aiokafka drops it.
        """
        to_pause: list[TopicPartition] = []
        to_resume: list[TopicPartition] = []
        for tp in sorted(set(assigned)):
            (to_pause if tp.topic in self.paused_topics or tp in self.paused else to_resume).append(tp)
        self.mark_paused(to_pause)
        return to_pause, to_resume

    def of_topics(self, assignment: Iterable[TopicPartition], topics: Iterable[str]) -> list[TopicPartition]:
        wanted = set(topics)
        return sorted(tp for tp in assignment if tp.topic in wanted)

    def mark_paused(self, partitions: Iterable[TopicPartition]) -> None:
        now = _now_ms()
        for tp in partitions:
            self.paused.add(tp)
            self.paused_at.setdefault(tp, now)

    def mark_resumed(self, partitions: Iterable[TopicPartition]) -> None:
        for tp in partitions:
            self.paused.discard(tp)
            self.paused_at.pop(tp, None)
            self.resume_at.pop(tp, None)

    def schedule(self, partitions: Iterable[TopicPartition], seconds: float | None, then: SkipStrategy | None) -> None:
        if seconds is None:
            return
        at = time.monotonic() + seconds
        for tp in partitions:
            self.resume_at[tp] = (at, then)

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
        self, strategy: SkipStrategy, tps: list[TopicPartition], report: SkipReport | None, exc: Exception
    ) -> ResumeError:
        """Roll back a failed resume: its skip rules go, its partitions stay paused, the seeks done are reported."""
        for tp in tps:
            self.skips.pop((tp.topic, tp.partition), None)
        done = {
            tp: r for tp, r in (report.ranges.items() if report else []) if r.done and not isinstance(strategy, Rebuild)
        }
        partial = SkipReport(strategy.name, (), done)
        names = ", ".join(map(str, tps))
        cause = exc if isinstance(exc, PauseableError) else f"{type(exc).__name__}: {exc}"
        return ResumeError(
            f"resume with {strategy.name} failed ({cause}); still paused: {names}; skipped before the failure: "
            f"{partial.skipped} record(s); resume again to retry",
            partial,
            tps,
        )

    def rebuilt(self, adapter: AnyAdapter, resumed: list[TopicPartition]) -> None:
        """A Rebuild put a new consumer in place: it starts with no skip rules, the resumed unpaused."""
        self.locate, self.size = adapter.locate, adapter.size
        self.skips.clear()
        self.mark_resumed(resumed)
        self.closed = False

    def announce_paused(self, controller: Any, partitions: list[TopicPartition]) -> None:
        if partitions:
            self.hooks.pauseable_paused(controller=controller, partitions=partitions)

    def announce_resumed(self, controller: Any, report: SkipReport) -> None:
        self.last_report = report
        self.hooks.pauseable_resumed(controller=controller, report=report)
        for skipped in report.ranges.values():
            if skipped.done:  # sought past at once
                self.hooks.pauseable_skipped(controller=controller, skipped=skipped)

    def announce_finished(self, controller: Any) -> None:
        finished, self.finished = self.finished, []
        for skipped in finished:
            self.hooks.pauseable_skipped(controller=controller, skipped=skipped)

    @staticmethod
    def check_seconds(seconds: float | None) -> None:
        if seconds is not None and (isinstance(seconds, bool) or not isinstance(seconds, (int, float)) or seconds < 0):
            raise InvalidArgumentError(f"for_seconds must be a number of seconds >= 0, got {seconds!r}")

    def forget(self, partitions: Iterable[TopicPartition]) -> None:
        """Partitions revoked, or sought by hand: their pause and skip state ends."""
        for tp in partitions:
            self.paused.discard(tp)
            self.paused_at.pop(tp, None)
            self.resume_at.pop(tp, None)
            self.skips.pop((tp.topic, tp.partition), None)

    def plan(self, strategy: SkipStrategy, facts: list[ResumeFacts]) -> tuple[SkipReport, dict[TopicPartition, int]]:
        """The report of a resume, and the seeks it needs now; ranges to drop later become rules."""
        report = SkipReport(strategy.name, tuple(f.partition for f in facts))
        seeks: dict[TopicPartition, int] = {}
        for f in facts:
            step = strategy.plan(f)
            if not step.skips:
                continue
            skipped = SkippedRange(f.partition, step.skip_from, step.skip_to, strategy.name, strategy.reason)
            report.ranges[f.partition] = skipped
            key = (f.partition.topic, f.partition.partition)
            if step.discard:
                self.skips[key] = _SkipRule(skipped, jump=False)
            elif step.skip_from <= f.position:
                seeks[f.partition] = step.skip_to
                skipped.done = True
            else:  # deliver the backlog before the range, then jump over it
                self.skips[key] = _SkipRule(skipped, jump=True)
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
                if not rule.skipped.done:
                    rule.skipped.done = True
                    self.finished.append(rule.skipped)
                del self.skips[key]
            if key in jumped:  # the batch already went past the range: no seek back to its end
                seeks.pop(TopicPartition(topic, partition), None)
                jumped.discard(key)
            kept.append(record)
        return kept, seeks

    @staticmethod
    def check_poll(timeout: float, max_records: int) -> None:
        if isinstance(timeout, bool) or not isinstance(timeout, (int, float)) or timeout < 0:
            raise InvalidArgumentError(f"timeout must be a number of seconds >= 0, got {timeout!r}")
        if isinstance(max_records, bool) or not isinstance(max_records, int) or max_records < 1:
            raise InvalidArgumentError(f"max_records must be an int >= 1, got {max_records!r}")

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


class Controller(Generic[R]):
    """A :class:`~pauseable.protocol.PauseController` over a synchronous client's consumer."""

    __slots__ = ("_adapter", "_consumer", "_core")

    def __init__(
        self, consumer: Any, backend: Backend, adapter: ConsumerAdapter, default_strategy: SkipStrategy | None = None
    ) -> None:
        self._consumer = consumer
        self._adapter = adapter
        self._core = _Core(backend, adapter, default_strategy)

    def __repr__(self) -> str:
        return f"<pauseable.Controller backend={self.backend!r} closed={self._core.closed}>"

    @property
    def backend(self) -> str:
        return self._core.backend.name

    @property
    def consumer(self) -> Any:
        return self._consumer

    def _call(self, operation: str) -> Any:
        return self._core.call(operation, self._adapter)

    def locate(self, record: Any) -> tuple[str, int, int]:
        """The ``(topic, partition, offset)`` of a native record (partition -1 for a client event)."""
        return self._adapter.locate(record)

    def _assigned(self, partitions: Sequence[TopicPartition], op: str) -> None:
        self._core.require_assigned(partitions, self._adapter.assignment(), op)

    # -- membership ------------------------------------------------------------------------

    def subscribe(
        self,
        topics: Topics,
        *,
        on_assigned: RebalanceCallback | None = None,
        on_revoked: RebalanceCallback | None = None,
    ) -> None:
        names = as_topics(topics)

        def assigned(partitions: list[TopicPartition]) -> None:
            self._reconcile(partitions)
            if on_assigned is not None:
                on_assigned(partitions)

        def revoked(partitions: list[TopicPartition]) -> None:
            if on_revoked is not None:
                on_revoked(partitions)
            self._core.forget(partitions)

        with self._call("subscribe"):
            self._adapter.subscribe(names, assigned, revoked)
        self._core.membership = ("subscribe", names, on_assigned, on_revoked)

    def assign(self, partitions: Partitions) -> None:
        tps = as_partitions(partitions)
        with self._call("assign"):
            self._adapter.assign(tps)
            self._core.paused.intersection_update(tps)
            self._reconcile(tps)
        self._core.membership = ("assign", tps)

    def _reconcile(self, partitions: list[TopicPartition]) -> None:
        to_pause, to_resume = self._core.reconcile(partitions)
        if to_pause:
            self._adapter.pause(to_pause)
            self._core.announce_paused(self, to_pause)
        if to_resume:
            self._adapter.resume(to_resume)

    def assignment(self) -> frozenset[TopicPartition]:
        with self._call("read the assignment"):
            return frozenset(self._adapter.assignment())

    # -- pause and resume ------------------------------------------------------------------

    def pause(
        self, partitions: Partitions, *, for_seconds: float | None = None, then: SkipStrategy | None = None
    ) -> None:
        tps = as_partitions(partitions)
        self._core.check_seconds(for_seconds)
        with self._call("pause"):
            self._assigned(tps, "pause")
            self._adapter.pause(tps)
        self._core.mark_paused(tps)
        self._core.schedule(tps, for_seconds, then)
        self._core.announce_paused(self, tps)

    def resume(self, partitions: Partitions, strategy: SkipStrategy | None = None) -> SkipReport:
        return self._resume(as_partitions(partitions), strategy, "resume")

    def _resume(self, tps: list[TopicPartition], strategy: SkipStrategy | None, op: str) -> SkipReport:
        chosen = strategy or self._core.default_strategy
        began = time.monotonic()
        with self._call(op):
            self._assigned(tps, op)
            report: SkipReport | None = None
            try:
                report, seeks = self._core.plan(chosen, self._facts(tps, chosen))
                for skipped in report.ranges.values():
                    skipped.done = False  # until its seek has happened
                if isinstance(chosen, Rebuild):
                    self._rebuild(chosen, tps, seeks)
                else:
                    for tp, offset in seeks.items():
                        self._adapter.seek(tp, offset)
                        report.ranges[tp].done = True
                    if seeks and getattr(chosen, "commit", False):
                        self._adapter.commit(seeks)
                    if tps:
                        self._adapter.resume(tps)
            except Exception as exc:
                if self._core.closed or self._adapter.is_closed_error(exc):
                    raise
                raise self._core.resume_failed(chosen, tps, report, exc) from exc
            if isinstance(chosen, Rebuild):
                for skipped in report.ranges.values():
                    skipped.done = True
        self._core.mark_resumed(tps)
        report.took_s = time.monotonic() - began
        self._core.announce_resumed(self, report)
        return report

    def _facts(self, tps: list[TopicPartition], strategy: SkipStrategy) -> list[ResumeFacts]:
        if not tps or not (strategy.needs_end or strategy.needs_window):
            return []
        positions = {tp: self._adapter.position(tp) for tp in tps}
        if unknown := [tp for tp, position in positions.items() if position is None]:
            committed = self._adapter.committed(unknown)
            beginning = self._adapter.beginning_offsets(unknown)
            positions.update({tp: _fallback_position(None, committed[tp], beginning[tp]) for tp in unknown})
        ends = self._adapter.end_offsets(tps)
        paused_at = {tp: self._core.paused_at[tp] for tp in tps if tp in self._core.paused_at}
        windows = self._adapter.offsets_for_times(paused_at) if strategy.needs_window and paused_at else {}
        return [_facts_of(tp, positions, ends, windows, paused_at) for tp in tps]

    def _rebuild(self, strategy: Rebuild, tps: list[TopicPartition], seeks: dict[TopicPartition, int]) -> None:
        assigned = sorted(self._adapter.assignment())
        offsets = {tp: p for tp in assigned if tp not in seeks and (p := self._adapter.position(tp)) is not None}
        offsets.update(seeks)
        if offsets:
            self._adapter.commit(offsets)
        self._adapter.close()
        self._core.closed = True  # until the new consumer is in place
        consumer = strategy.factory()
        assert self._core.backend.sync_adapter is not None
        self._consumer, self._adapter = consumer, self._core.backend.sync_adapter(consumer)
        self._core.rebuilt(self._adapter, tps)
        if self._core.membership and self._core.membership[0] == "subscribe":
            _, names, on_assigned, on_revoked = self._core.membership
            self.subscribe(names, on_assigned=on_assigned, on_revoked=on_revoked)
        else:
            self.assign(assigned)
            for tp, offset in offsets.items():
                self._adapter.seek(tp, offset)

    def pause_topics(self, topics: Topics) -> None:
        names = as_topics(topics)
        with self._call("pause topics"):
            tps = self._core.of_topics(self._adapter.assignment(), names)
            if tps:
                self._adapter.pause(tps)
        self._core.paused_topics.update(names)
        self._core.mark_paused(tps)
        self._core.announce_paused(self, tps)

    def resume_topics(self, topics: Topics, strategy: SkipStrategy | None = None) -> SkipReport:
        names = as_topics(topics)
        with self._call("resume topics"):
            tps = self._core.of_topics(self._adapter.assignment(), names)
        report = self._resume(tps, strategy, "resume topics")
        self._core.paused_topics.difference_update(names)
        return report

    def paused(self) -> frozenset[TopicPartition]:
        with self._call("read the paused partitions"):
            return frozenset(self._core.paused & self._adapter.assignment())

    def paused_topics(self) -> frozenset[str]:
        return frozenset(self._core.paused_topics)

    @property
    def last_report(self) -> SkipReport | None:
        """The report of the latest resume (including one made when a timed pause ran out)."""
        return self._core.last_report

    # -- positions -------------------------------------------------------------------------

    def seek(self, partition: TopicPartition, offset: int | Offset) -> None:
        (tp,) = as_partitions([partition])
        target = check_offset(offset)
        with self._call("seek"):
            self._assigned([tp], "seek")
            if target == Offset.END:
                target = self._adapter.end_offsets([tp])[tp]
            elif target == Offset.BEGINNING:
                target = self._adapter.beginning_offsets([tp])[tp]
            self._adapter.seek(tp, target)
        self._core.skips.pop((tp.topic, tp.partition), None)  # the user's seek wins over a pending skip

    def seek_to_end(self, partitions: Partitions | None = None) -> dict[TopicPartition, int]:
        with self._call("seek to the end"):
            assignment = self._adapter.assignment()
            tps = sorted(assignment) if partitions is None else as_partitions(partitions)
            self._core.require_assigned(tps, assignment, "seek to the end of")
            found = self._adapter.end_offsets(tps) if tps else {}
            ends = {tp: found[tp] for tp in tps}  # in the order asked (sorted when all)
            for tp, offset in ends.items():
                self._adapter.seek(tp, offset)
        return ends

    def position(self, partition: TopicPartition) -> int | None:
        (tp,) = as_partitions([partition])
        with self._call("read the position"):
            self._assigned([tp], "read the position of")
            return self._adapter.position(tp)

    def committed(self, partitions: Partitions) -> dict[TopicPartition, int | None]:
        tps = as_partitions(partitions)
        with self._call("read committed offsets"):
            return self._adapter.committed(tps) if tps else {}

    def end_offsets(self, partitions: Partitions) -> dict[TopicPartition, int]:
        tps = as_partitions(partitions)
        with self._call("read end offsets"):
            return self._adapter.end_offsets(tps) if tps else {}

    def offsets_for_times(self, timestamps: Mapping[TopicPartition, int]) -> dict[TopicPartition, int | None]:
        checked = self._core.check_timestamps(timestamps)
        with self._call("look up offsets for times"):
            return self._adapter.offsets_for_times(checked) if checked else {}

    def commit(self, offsets: Mapping[TopicPartition, int] | None = None) -> None:
        checked = None if offsets is None else self._core.check_offsets(offsets)
        with self._call("commit"):
            self._adapter.commit(checked)

    # -- records ---------------------------------------------------------------------------

    def poll(self, timeout: float = 1.0, max_records: int = 500) -> list[R]:
        self._core.check_poll(timeout, max_records)
        for tps, then in self._core.due():
            self._resume(tps, then, "resume after a timed pause")
        with self._call("poll"):
            records = self._adapter.poll(timeout, max_records)
            if not records or not (self._core.paused or self._core.skips):
                return records
            kept, seeks = self._core.screen(records)
            self._core.announce_finished(self)
            for tp, offset in seeks.items():
                self._adapter.seek(tp, offset)  # back to a held-back record, or past a skipped range
            return kept

    def close(self) -> None:
        if self._core.closed or self._adapter.is_closed():
            self._core.closed = True
            return
        with self._call("close"):
            self._adapter.close()
        self._core.closed = True


class AsyncController(Generic[R]):
    """An :class:`~pauseable.protocol.AsyncPauseController` over an asyncio client's consumer."""

    __slots__ = ("_adapter", "_consumer", "_core")

    def __init__(
        self,
        consumer: Any,
        backend: Backend,
        adapter: AsyncConsumerAdapter,
        default_strategy: SkipStrategy | None = None,
    ) -> None:
        self._consumer = consumer
        self._adapter = adapter
        self._core = _Core(backend, adapter, default_strategy)

    def __repr__(self) -> str:
        return f"<pauseable.AsyncController backend={self.backend!r} closed={self._core.closed}>"

    @property
    def backend(self) -> str:
        return self._core.backend.name

    @property
    def consumer(self) -> Any:
        return self._consumer

    def _call(self, operation: str) -> Any:
        return self._core.call(operation, self._adapter)

    def locate(self, record: Any) -> tuple[str, int, int]:
        """The ``(topic, partition, offset)`` of a native record (partition -1 for a client event)."""
        return self._adapter.locate(record)

    async def _assigned(self, partitions: Sequence[TopicPartition], op: str) -> None:
        self._core.require_assigned(partitions, await self._adapter.assignment(), op)

    async def subscribe(
        self,
        topics: Topics,
        *,
        on_assigned: AsyncRebalanceCallback | None = None,
        on_revoked: AsyncRebalanceCallback | None = None,
    ) -> None:
        names = as_topics(topics)

        async def assigned(partitions: list[TopicPartition]) -> None:
            await self._reconcile(partitions)
            await _maybe_await(on_assigned, partitions)

        async def revoked(partitions: list[TopicPartition]) -> None:
            await _maybe_await(on_revoked, partitions)
            self._core.forget(partitions)

        with self._call("subscribe"):
            await self._adapter.subscribe(names, assigned, revoked)
        self._core.membership = ("subscribe", names, on_assigned, on_revoked)

    async def assign(self, partitions: Partitions) -> None:
        tps = as_partitions(partitions)
        with self._call("assign"):
            await self._adapter.assign(tps)
            self._core.paused.intersection_update(tps)
            await self._reconcile(tps)
        self._core.membership = ("assign", tps)

    async def _reconcile(self, partitions: list[TopicPartition]) -> None:
        to_pause, to_resume = self._core.reconcile(partitions)
        if to_pause:
            await self._adapter.pause(to_pause)
            self._core.announce_paused(self, to_pause)
        if to_resume:
            await self._adapter.resume(to_resume)

    async def assignment(self) -> frozenset[TopicPartition]:
        with self._call("read the assignment"):
            return frozenset(await self._adapter.assignment())

    async def pause(
        self, partitions: Partitions, *, for_seconds: float | None = None, then: SkipStrategy | None = None
    ) -> None:
        tps = as_partitions(partitions)
        self._core.check_seconds(for_seconds)
        with self._call("pause"):
            await self._assigned(tps, "pause")
            await self._adapter.pause(tps)
        self._core.mark_paused(tps)
        self._core.schedule(tps, for_seconds, then)
        self._core.announce_paused(self, tps)

    async def resume(self, partitions: Partitions, strategy: SkipStrategy | None = None) -> SkipReport:
        return await self._resume(as_partitions(partitions), strategy, "resume")

    async def _resume(self, tps: list[TopicPartition], strategy: SkipStrategy | None, op: str) -> SkipReport:
        chosen = strategy or self._core.default_strategy
        began = time.monotonic()
        with self._call(op):
            await self._assigned(tps, op)
            report: SkipReport | None = None
            try:
                report, seeks = self._core.plan(chosen, await self._facts(tps, chosen))
                for skipped in report.ranges.values():
                    skipped.done = False  # until its seek has happened
                if isinstance(chosen, Rebuild):
                    await self._rebuild(chosen, tps, seeks)
                else:
                    for tp, offset in seeks.items():
                        await self._adapter.seek(tp, offset)
                        report.ranges[tp].done = True
                    if seeks and getattr(chosen, "commit", False):
                        await self._adapter.commit(seeks)
                    if tps:
                        await self._adapter.resume(tps)
            except Exception as exc:
                if self._core.closed or self._adapter.is_closed_error(exc):
                    raise
                raise self._core.resume_failed(chosen, tps, report, exc) from exc
            if isinstance(chosen, Rebuild):
                for skipped in report.ranges.values():
                    skipped.done = True
        self._core.mark_resumed(tps)
        report.took_s = time.monotonic() - began
        self._core.announce_resumed(self, report)
        return report

    async def _facts(self, tps: list[TopicPartition], strategy: SkipStrategy) -> list[ResumeFacts]:
        if not tps or not (strategy.needs_end or strategy.needs_window):
            return []
        positions = {tp: await self._adapter.position(tp) for tp in tps}
        if unknown := [tp for tp, position in positions.items() if position is None]:
            committed = await self._adapter.committed(unknown)
            beginning = await self._adapter.beginning_offsets(unknown)
            positions.update({tp: _fallback_position(None, committed[tp], beginning[tp]) for tp in unknown})
        ends = await self._adapter.end_offsets(tps)
        paused_at = {tp: self._core.paused_at[tp] for tp in tps if tp in self._core.paused_at}
        windows = await self._adapter.offsets_for_times(paused_at) if strategy.needs_window and paused_at else {}
        return [_facts_of(tp, positions, ends, windows, paused_at) for tp in tps]

    async def _rebuild(self, strategy: Rebuild, tps: list[TopicPartition], seeks: dict[TopicPartition, int]) -> None:
        assigned = sorted(await self._adapter.assignment())
        positions = {tp: await self._adapter.position(tp) for tp in assigned if tp not in seeks}
        offsets = {tp: p for tp, p in positions.items() if p is not None}
        offsets.update(seeks)
        if offsets:
            await self._adapter.commit(offsets)
        await self._adapter.close()
        self._core.closed = True  # until the new consumer is in place
        made = strategy.factory()
        consumer = await made if inspect.isawaitable(made) else made
        assert self._core.backend.async_adapter is not None
        self._consumer, self._adapter = consumer, self._core.backend.async_adapter(consumer)
        self._core.rebuilt(self._adapter, tps)
        if self._core.membership and self._core.membership[0] == "subscribe":
            _, names, on_assigned, on_revoked = self._core.membership
            await self.subscribe(names, on_assigned=on_assigned, on_revoked=on_revoked)
        else:
            await self.assign(assigned)
            for tp, offset in offsets.items():
                await self._adapter.seek(tp, offset)

    async def pause_topics(self, topics: Topics) -> None:
        names = as_topics(topics)
        with self._call("pause topics"):
            tps = self._core.of_topics(await self._adapter.assignment(), names)
            if tps:
                await self._adapter.pause(tps)
        self._core.paused_topics.update(names)
        self._core.mark_paused(tps)
        self._core.announce_paused(self, tps)

    async def resume_topics(self, topics: Topics, strategy: SkipStrategy | None = None) -> SkipReport:
        names = as_topics(topics)
        with self._call("resume topics"):
            tps = self._core.of_topics(await self._adapter.assignment(), names)
        report = await self._resume(tps, strategy, "resume topics")
        self._core.paused_topics.difference_update(names)
        return report

    async def paused(self) -> frozenset[TopicPartition]:
        with self._call("read the paused partitions"):
            return frozenset(self._core.paused & await self._adapter.assignment())

    def paused_topics(self) -> frozenset[str]:
        return frozenset(self._core.paused_topics)

    @property
    def last_report(self) -> SkipReport | None:
        """The report of the latest resume (including one made when a timed pause ran out)."""
        return self._core.last_report

    async def seek(self, partition: TopicPartition, offset: int | Offset) -> None:
        (tp,) = as_partitions([partition])
        target = check_offset(offset)
        with self._call("seek"):
            await self._assigned([tp], "seek")
            if target == Offset.END:
                target = (await self._adapter.end_offsets([tp]))[tp]
            elif target == Offset.BEGINNING:
                target = (await self._adapter.beginning_offsets([tp]))[tp]
            await self._adapter.seek(tp, target)
        self._core.skips.pop((tp.topic, tp.partition), None)

    async def seek_to_end(self, partitions: Partitions | None = None) -> dict[TopicPartition, int]:
        with self._call("seek to the end"):
            assignment = await self._adapter.assignment()
            tps = sorted(assignment) if partitions is None else as_partitions(partitions)
            self._core.require_assigned(tps, assignment, "seek to the end of")
            found = await self._adapter.end_offsets(tps) if tps else {}
            ends = {tp: found[tp] for tp in tps}
            for tp, offset in ends.items():
                await self._adapter.seek(tp, offset)
        return ends

    async def position(self, partition: TopicPartition) -> int | None:
        (tp,) = as_partitions([partition])
        with self._call("read the position"):
            await self._assigned([tp], "read the position of")
            return await self._adapter.position(tp)

    async def committed(self, partitions: Partitions) -> dict[TopicPartition, int | None]:
        tps = as_partitions(partitions)
        with self._call("read committed offsets"):
            return await self._adapter.committed(tps) if tps else {}

    async def end_offsets(self, partitions: Partitions) -> dict[TopicPartition, int]:
        tps = as_partitions(partitions)
        with self._call("read end offsets"):
            return await self._adapter.end_offsets(tps) if tps else {}

    async def offsets_for_times(self, timestamps: Mapping[TopicPartition, int]) -> dict[TopicPartition, int | None]:
        checked = self._core.check_timestamps(timestamps)
        with self._call("look up offsets for times"):
            return await self._adapter.offsets_for_times(checked) if checked else {}

    async def commit(self, offsets: Mapping[TopicPartition, int] | None = None) -> None:
        checked = None if offsets is None else self._core.check_offsets(offsets)
        with self._call("commit"):
            await self._adapter.commit(checked)

    async def poll(self, timeout: float = 1.0, max_records: int = 500) -> list[R]:
        self._core.check_poll(timeout, max_records)
        for tps, then in self._core.due():
            await self._resume(tps, then, "resume after a timed pause")
        with self._call("poll"):
            records = await self._adapter.poll(timeout, max_records)
            if not records or not (self._core.paused or self._core.skips):
                return records
            kept, seeks = self._core.screen(records)
            self._core.announce_finished(self)
            for tp, offset in seeks.items():
                await self._adapter.seek(tp, offset)
            return kept

    async def close(self) -> None:
        if self._core.closed or self._adapter.is_closed():
            self._core.closed = True
            return
        with self._call("close"):
            await self._adapter.close()
        self._core.closed = True


async def _maybe_await(callback: Callable[[list[TopicPartition]], Awaitable[None] | None] | None, arg: Any) -> None:
    if callback is not None:
        result = callback(arg)
        if inspect.isawaitable(result):
            await result


class _SkipRule:
    """A skipped range still ahead of the consumer: records in it are dropped as they arrive."""

    __slots__ = ("jump", "jumped", "skipped")

    def __init__(self, skipped: SkippedRange, *, jump: bool) -> None:
        self.skipped = skipped
        #: seek past the range at its first record (else fetch and drop all of it)
        self.jump = jump
        self.jumped = False


def _now_ms() -> int:
    return time.time_ns() // 1_000_000


def _fallback_position(position: int | None, committed: int | None, beginning: int) -> int:
    """Where delivery would start: the position, else the committed offset, else the log's start."""
    if position is not None:
        return position
    return committed if committed is not None else beginning


def _facts_of(
    tp: TopicPartition,
    positions: Mapping[TopicPartition, int | None],
    ends: Mapping[TopicPartition, int],
    windows: Mapping[TopicPartition, int | None],
    paused_at: Mapping[TopicPartition, int],
) -> ResumeFacts:
    position = positions[tp]
    assert position is not None
    return ResumeFacts(tp, position, ends.get(tp), windows.get(tp), paused_at.get(tp))
