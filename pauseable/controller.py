"""The controllers: :class:`Controller` (sync) and :class:`AsyncController` (asyncio).

Every decision lives in :class:`~pauseable.core.ControllerCore`, which does no I/O. The two
controllers only order the adapter calls around it, so each rule is written once for both.
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import time
import weakref
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from typing import Any, TypeVar

from pauseable.adapter import AsyncConsumerAdapter, AsyncLookupAdapter, Backend, ConsumerAdapter, LookupAdapter
from pauseable.backoff import Backoff
from pauseable.core import (
    TIMED_RESUME,
    AsyncAttachment,
    ControllerCore,
    LookupRetry,
    SyncAttachment,
    facts_of,
    fallback_position,
)
from pauseable.errors import CloseTimeoutError
from pauseable.gate import AsyncGate, Gate, aserialized, serialized
from pauseable.protocol import (
    AsyncPauseController,
    AsyncRebalanceCallback,
    Partitions,
    PauseController,
    RebalanceCallback,
    Topics,
)
from pauseable.report import SkipReport
from pauseable.strategies import Rebuild, ResumeFacts, SkipStrategy
from pauseable.types import Offset, TopicPartition, as_partitions, as_topics, check_offset

R = TypeVar("R")
T = TypeVar("T")


class Controller(PauseController[R]):
    """A :class:`~pauseable.protocol.PauseController` over a synchronous client's consumer.

    Its methods' documentation is the contract's, inherited from the protocol (``help(ctl.pause)`` shows it).
    """

    __slots__ = (
        "__weakref__", "_adapter", "_attachment", "_closer", "_consumer", "_core", "_gate", "_lookup_config",
        "_lookups",
    )  # fmt: skip

    def __init__(
        self,
        consumer: Any,
        backend: Backend,
        adapter: ConsumerAdapter,
        default_strategy: SkipStrategy | None = None,
        *,
        lookup_config: Mapping[str, Any] | None = None,
        attachment: SyncAttachment | None = None,
    ) -> None:
        self._lookup_config = ControllerCore.check_lookup_config(lookup_config)
        self._consumer = consumer
        self._adapter = adapter
        self._core = ControllerCore(backend, adapter, default_strategy, self._lookup_config)
        #: pause state followed from outside (pauseable.group), acted on between poll slices
        self._attachment = attachment
        self._core.attached = attachment
        self._gate = Gate()
        #: where offset lookups go (the adapter's side client, or the adapter itself); None until the first
        self._lookups: LookupAdapter | None = None
        #: closes the side client, at close() or when the controller is garbage collected
        self._closer: weakref.finalize[Any, Any] | None = None

    def __repr__(self) -> str:
        return f"<pauseable.{type(self).__name__} backend={self.backend!r} closed={self._core.closed}>"

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

    def _offsets(self) -> LookupAdapter:
        """Where offset lookups go: the adapter's side client, built at the first lookup, else the consumer."""
        if self._lookups is None:
            side = self._adapter.lookup_adapter(self._lookup_config)
            if side is not None:
                self._closer = weakref.finalize(self, side.close)
                self._closer.atexit = False  # at exit its daemon threads end with the process
            self._lookups = side if side is not None else self._adapter
        return self._lookups

    # The public lookups, where lookups go; each a function, so a retry makes a fresh attempt.
    def _end_offsets(self, tps: list[TopicPartition]) -> dict[TopicPartition, int]:
        return self._offsets().end_offsets(tps)

    def _beginning_offsets(self, tps: list[TopicPartition]) -> dict[TopicPartition, int]:
        return self._offsets().beginning_offsets(tps)

    def _offsets_for_times(self, timestamps: dict[TopicPartition, int]) -> dict[TopicPartition, int | None]:
        return self._offsets().offsets_for_times(timestamps)

    def _close_lookups(self) -> None:
        closer, self._closer, self._lookups = self._closer, None, None
        if closer is not None:
            closer()

    def _detach(self) -> None:
        attachment, self._attachment = self._attachment, None
        if attachment is not None:
            attachment.close()

    # -- membership ------------------------------------------------------------------------

    @serialized
    def subscribe(
        self,
        topics: Topics,
        *,
        on_assigned: RebalanceCallback | None = None,
        on_revoked: RebalanceCallback | None = None,
    ) -> None:
        names = as_topics(topics)
        self._core.check_callbacks(on_assigned=on_assigned, on_revoked=on_revoked)

        def assigned(partitions: list[TopicPartition]) -> None:
            self._reconcile(partitions)
            _call_back(on_assigned, partitions)

        def revoked(partitions: list[TopicPartition]) -> None:
            _call_back(on_revoked, partitions)
            self._core.forget(self, partitions)

        with self._call("subscribe"):
            self._adapter.subscribe(names, assigned, revoked)
        self._core.subscribed(names, on_assigned, on_revoked)

    @serialized
    def assign(self, partitions: Partitions) -> None:
        tps = as_partitions(partitions)
        with self._call("assign"):
            self._adapter.assign(tps)
            self._core.assigned(self, tps)
            self._reconcile(tps)

    def _reconcile(self, partitions: list[TopicPartition]) -> None:
        to_pause, to_resume, begins = self._core.reconcile(partitions)
        if to_pause:
            self._adapter.pause(to_pause)
            self._core.announce_paused(self, begins)
        if to_resume:
            self._adapter.resume(to_resume)

    def _follow(self) -> None:
        """A membership the controller takes no part in: its rebalances as the controller's callbacks would see
        them, after the poll and before its records are screened (a partition of a paused topic assigned in that
        poll is paused, its records held back)."""
        gone, assigned = self._core.follow(self._adapter.assignment())
        self._core.forget(self, gone)
        if assigned:
            self._reconcile(assigned)

    @serialized
    def assignment(self) -> frozenset[TopicPartition]:
        with self._call("read the assignment"):
            return frozenset(self._adapter.assignment())

    # -- pause and resume ------------------------------------------------------------------

    @serialized
    def pause(
        self,
        partitions: Partitions,
        *,
        for_seconds: float | Backoff | None = None,
        then: SkipStrategy | None = None,
        reason: str = "manual",
    ) -> None:
        tps = as_partitions(partitions)
        self._core.check_timed_pause(for_seconds, then)
        self._core.check_reason(reason)
        with self._call("pause"):
            self._assigned(tps, "pause")
            self._adapter.pause(tps)
        self._core.after_pause(self, tps, reason, seconds=for_seconds, then=then)

    @serialized
    def resume(
        self, partitions: Partitions, strategy: SkipStrategy | None = None, *, reason: str = "manual"
    ) -> SkipReport:
        self._core.check_reason(reason)
        return self._resume(as_partitions(partitions), strategy, "resume", reason)

    def _resume(
        self,
        tps: list[TopicPartition],
        strategy: SkipStrategy | None,
        op: str,
        reason: str,
        topics: Sequence[str] = (),
    ) -> SkipReport:
        chosen = self._core.resume_strategy(strategy)
        began = time.monotonic()
        with self._call(op):
            self._assigned(tps, op)
            report: SkipReport | None = None
            try:
                report, seeks = self._core.plan(chosen, tps, self._facts(tps, chosen))
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
                raise self._core.resume_failed(self, chosen, tps, report, exc) from exc
        return self._core.after_resume(self, report, tps, chosen, began, reason, topics=topics, op=op)

    def _facts(self, tps: list[TopicPartition], strategy: SkipStrategy) -> list[ResumeFacts]:
        if not tps or not (strategy.needs_end or strategy.needs_window):
            return []
        return self._retried(lambda: self._lookup(tps, strategy))

    def _retried(self, lookup: Callable[[], T]) -> T:
        """``lookup()``, tried again with back-off while it fails with an error the adapter calls transient
        (:class:`~pauseable.core.LookupRetry`): a resume's lookups and the public ones alike."""
        retry = LookupRetry(self._adapter)
        while True:
            try:
                return lookup()
            except Exception as exc:
                if (delay := retry.delay(exc)) is None:
                    raise
                time.sleep(delay)

    def _lookup(self, tps: list[TopicPartition], strategy: SkipStrategy) -> list[ResumeFacts]:
        positions = self._adapter.positions(tps)
        lookups = self._offsets()
        if unknown := [tp for tp, position in positions.items() if position is None]:
            committed = self._adapter.committed(unknown)  # OffsetFetch has its own coordinator connection
            beginning = lookups.beginning_offsets(unknown)
            positions.update({tp: fallback_position(committed[tp], beginning[tp]) for tp in unknown})
        ends = lookups.end_offsets(tps)
        paused_at = {tp: self._core.paused_at[tp] for tp in tps if tp in self._core.paused_at}
        windows = lookups.offsets_for_times(paused_at) if strategy.needs_window and paused_at else {}
        return [facts_of(tp, positions, ends, windows, paused_at) for tp in tps]

    def _rebuild(self, strategy: Rebuild, tps: list[TopicPartition], seeks: dict[TopicPartition, int]) -> None:
        assigned = sorted(self._adapter.assignment())
        offsets = self._core.handover_offsets(
            self._adapter.positions([tp for tp in assigned if tp not in seeks]), seeks
        )
        if offsets:
            self._adapter.commit(offsets)
            # asked of the consumer that just committed: its coordinator connection is warm, and group
            # requests never share a connection with fetches on any first-party client
            self._core.check_handover(offsets, self._adapter.committed(list(offsets)))
        self._close_lookups()  # the new consumer gets its own, from its own configuration
        try:
            self._adapter.close()
        except CloseTimeoutError as exc:  # the hand-over is committed and read back: the old one may go
            self._core.give_up(exc)
        self._core.closed = True  # until the new consumer is in place
        self._consumer = self._new_consumer(strategy)
        self._adapter = self._core.rebuilt(self._consumer, tps)
        if self._core.membership[:1] == ("subscribe",):
            _, names, on_assigned, on_revoked = self._core.membership
            self.subscribe(names, on_assigned=on_assigned, on_revoked=on_revoked)
        else:
            self.assign(assigned)
            for tp, offset in offsets.items():
                self._adapter.seek(tp, offset)

    def _new_consumer(self, strategy: Rebuild) -> Any:
        return strategy.factory()

    @serialized
    def pause_topics(self, topics: Topics) -> None:
        names = as_topics(topics)
        with self._call("pause topics"):
            tps = self._core.of_topics(self._adapter.assignment(), names)
            if tps:
                self._adapter.pause(tps)
        self._core.after_pause(self, tps, "topic", topics=names)

    @serialized
    def resume_topics(self, topics: Topics, strategy: SkipStrategy | None = None) -> SkipReport:
        names = as_topics(topics)
        with self._call("resume topics"):
            tps = self._core.of_topics(self._adapter.assignment(), names)
        return self._resume(tps, strategy, "resume topics", "topic", topics=names)

    @serialized
    def paused(self) -> frozenset[TopicPartition]:
        with self._call("read the paused partitions"):
            return frozenset(self._core.paused & self._adapter.assignment())

    def paused_topics(self) -> frozenset[str]:
        return frozenset(self._core.paused_topics)

    @property
    def last_report(self) -> SkipReport | None:
        return self._core.last_report

    # -- positions -------------------------------------------------------------------------

    @serialized
    def seek(self, partition: TopicPartition, offset: int | Offset) -> None:
        (tp,) = as_partitions([partition])
        target = check_offset(offset)
        with self._call("seek"):
            self._assigned([tp], "seek")
            if target in (Offset.END, Offset.BEGINNING):
                look = self._end_offsets if target == Offset.END else self._beginning_offsets
                target = self._retried(lambda: look([tp]))[tp]
            self._adapter.seek(tp, target)
        self._core.after_seek(tp)

    @serialized
    def seek_to_end(self, partitions: Partitions | None = None) -> dict[TopicPartition, int]:
        with self._call("seek to the end"):
            assignment = self._adapter.assignment()
            tps = sorted(assignment) if partitions is None else as_partitions(partitions)
            self._core.require_assigned(tps, assignment, "seek to the end of")
            found = self._retried(lambda: self._end_offsets(tps)) if tps else {}
            ends = {tp: found[tp] for tp in tps}  # in the order asked (sorted when all)
            for tp, offset in ends.items():
                self._adapter.seek(tp, offset)
        return ends

    @serialized
    def position(self, partition: TopicPartition) -> int | None:
        (tp,) = as_partitions([partition])
        with self._call("read the position"):
            self._assigned([tp], "read the position of")
            return self._adapter.position(tp)

    def _existing(self, partitions: Iterable[TopicPartition], op: str) -> None:
        """UnknownPartitionError for partitions the cluster does not have (clients time out or answer 0)."""
        assignment = self._adapter.assignment()
        topics = self._core.unassigned_topics(partitions, assignment)
        known = {topic: self._adapter.partitions_of(topic) for topic in topics}
        self._core.require_existing(partitions, assignment, known, op)

    @serialized
    def committed(self, partitions: Partitions) -> dict[TopicPartition, int | None]:
        tps = as_partitions(partitions)
        with self._call("read committed offsets"):
            self._existing(tps, "read the committed offset of")
            # OffsetFetch goes to the group coordinator on a connection of its own in every client: it never
            # waits behind a Fetch, and the consumer's own group id answers it (not the side client's).
            return self._retried(lambda: self._adapter.committed(tps)) if tps else {}

    @serialized
    def end_offsets(self, partitions: Partitions) -> dict[TopicPartition, int]:
        tps = as_partitions(partitions)
        with self._call("read end offsets"):
            self._existing(tps, "read the end offset of")
            return self._retried(lambda: self._end_offsets(tps)) if tps else {}

    @serialized
    def offsets_for_times(self, timestamps: Mapping[TopicPartition, int]) -> dict[TopicPartition, int | None]:
        checked = self._core.check_timestamps(timestamps)
        with self._call("look up offsets for times"):
            self._existing(checked, "look up offsets for times in")
            return self._retried(lambda: self._offsets_for_times(checked)) if checked else {}

    @serialized
    def commit(self, offsets: Mapping[TopicPartition, int] | None = None) -> None:
        checked = None if offsets is None else self._core.check_offsets(offsets)
        with self._call("commit"):
            if checked:  # only the owner of a partition commits it (aiokafka insists; the others let it through)
                self._assigned(list(checked), "commit")
            if checked != {}:  # an empty mapping commits nothing (aiokafka would raise ValueError)
                self._adapter.commit(checked)

    # -- records ---------------------------------------------------------------------------

    @serialized
    def poll(self, timeout: float = 1.0, max_records: int = 500) -> list[R]:
        self._core.check_poll(timeout, max_records)
        deadline = time.monotonic() + timeout
        while True:  # in slices, so that calls from other threads get in (pauseable.gate)
            for tps, then in self._core.due():
                self._resume(tps, then, TIMED_RESUME, "timed")
            if self._attachment is not None:
                self._attachment.between_polls(self)
            with self._call("poll"):
                self._verify()
                self._core.raise_pending()
                polled = self._adapter.poll(_slice(deadline, self._adapter), max_records)
                if self._core.follows():
                    self._follow()
                records, seeks = self._core.after_poll(self, polled)
                for tp, offset in seeks.items():
                    self._adapter.seek(tp, offset)  # back to a held-back record, or past a skipped range
            if records or time.monotonic() >= deadline - _SHORTEST_SLICE_S:
                return records
            self._gate.let_others_in()

    def _verify(self) -> None:
        """After subscribe or assign, at the first empty poll: do the topics exist, does the cluster answer?"""
        if topics := self._core.to_verify():
            try:
                # on the side client when there is one: kafka-python 3.0.12 throws away a group join answered
                # while its consumer does I/O outside poll() (a metadata request here), and the member rejoins
                check = getattr(self._offsets(), "partitions_of", self._adapter.partitions_of)
                known = {topic: check(topic) for topic in topics}
            except Exception as exc:
                self._core.unverifiable(self, exc)
                return
            self._core.verified(self, known)

    @serialized
    def close(self) -> None:
        if self._core.closed or self._adapter.is_closed():
            self._core.shut(self)
            with contextlib.suppress(Exception):  # closing a closed controller is a no-op
                self._close_lookups()
                self._detach()
            return
        try:
            with self._call("close"):
                try:
                    self._adapter.close()
                finally:
                    self._close_lookups()
                    self._detach()
        except CloseTimeoutError:
            self._core.shut(self)  # given up: nothing more can be done with it
            raise
        self._core.shut(self)


class AsyncController(AsyncPauseController[R]):
    """An :class:`~pauseable.protocol.AsyncPauseController` over an asyncio client's consumer.

    The twin of :class:`Controller`, line for line but awaited (tests/test_twins.py holds them to it).
    """

    __slots__ = ("__weakref__", "_adapter", "_attachment", "_consumer", "_core", "_gate", "_lookup_config", "_lookups")

    def __init__(
        self,
        consumer: Any,
        backend: Backend,
        adapter: AsyncConsumerAdapter,
        default_strategy: SkipStrategy | None = None,
        *,
        lookup_config: Mapping[str, Any] | None = None,
        attachment: AsyncAttachment | None = None,
    ) -> None:
        self._lookup_config = ControllerCore.check_lookup_config(lookup_config)
        self._consumer = consumer
        self._adapter = adapter
        self._core = ControllerCore(backend, adapter, default_strategy, self._lookup_config)
        self._attachment = attachment
        self._core.attached = attachment
        self._gate = AsyncGate()
        self._lookups: AsyncLookupAdapter | None = None

    def __repr__(self) -> str:
        return f"<pauseable.{type(self).__name__} backend={self.backend!r} closed={self._core.closed}>"

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

    async def _offsets(self) -> AsyncLookupAdapter:
        if self._lookups is None:
            side = await self._adapter.lookup_adapter(self._lookup_config)
            self._lookups = side if side is not None else self._adapter
        return self._lookups

    async def _close_lookups(self) -> None:
        side, self._lookups = self._lookups, None
        if side is not None and side is not self._adapter:
            await side.close()

    async def _detach(self) -> None:
        attachment, self._attachment = self._attachment, None
        if attachment is not None:
            await attachment.close()

    # The public lookups, where lookups go; each a coroutine function, so a retry makes a fresh attempt.
    async def _end_offsets(self, tps: list[TopicPartition]) -> dict[TopicPartition, int]:
        return await (await self._offsets()).end_offsets(tps)

    async def _beginning_offsets(self, tps: list[TopicPartition]) -> dict[TopicPartition, int]:
        return await (await self._offsets()).beginning_offsets(tps)

    async def _offsets_for_times(self, timestamps: dict[TopicPartition, int]) -> dict[TopicPartition, int | None]:
        return await (await self._offsets()).offsets_for_times(timestamps)

    @aserialized
    async def subscribe(
        self,
        topics: Topics,
        *,
        on_assigned: AsyncRebalanceCallback | None = None,
        on_revoked: AsyncRebalanceCallback | None = None,
    ) -> None:
        names = as_topics(topics)
        self._core.check_callbacks(on_assigned=on_assigned, on_revoked=on_revoked)

        async def assigned(partitions: list[TopicPartition]) -> None:
            await self._reconcile(partitions)
            await _acall_back(on_assigned, partitions)

        async def revoked(partitions: list[TopicPartition]) -> None:
            await _acall_back(on_revoked, partitions)
            self._core.forget(self, partitions)

        with self._call("subscribe"):
            await self._adapter.subscribe(names, assigned, revoked)
        self._core.subscribed(names, on_assigned, on_revoked)

    @aserialized
    async def assign(self, partitions: Partitions) -> None:
        tps = as_partitions(partitions)
        with self._call("assign"):
            await self._adapter.assign(tps)
            self._core.assigned(self, tps)
            await self._reconcile(tps)

    async def _reconcile(self, partitions: list[TopicPartition]) -> None:
        to_pause, to_resume, begins = self._core.reconcile(partitions)
        if to_pause:
            await self._adapter.pause(to_pause)
            self._core.announce_paused(self, begins)
        if to_resume:
            await self._adapter.resume(to_resume)

    async def _follow(self) -> None:
        """A membership the controller takes no part in: its rebalances as the controller's callbacks would see
        them, after the poll and before its records are screened (a partition of a paused topic assigned in that
        poll is paused, its records held back)."""
        gone, assigned = self._core.follow(await self._adapter.assignment())
        self._core.forget(self, gone)
        if assigned:
            await self._reconcile(assigned)

    @aserialized
    async def assignment(self) -> frozenset[TopicPartition]:
        with self._call("read the assignment"):
            return frozenset(await self._adapter.assignment())

    @aserialized
    async def pause(
        self,
        partitions: Partitions,
        *,
        for_seconds: float | Backoff | None = None,
        then: SkipStrategy | None = None,
        reason: str = "manual",
    ) -> None:
        tps = as_partitions(partitions)
        self._core.check_timed_pause(for_seconds, then)
        self._core.check_reason(reason)
        with self._call("pause"):
            await self._assigned(tps, "pause")
            await self._adapter.pause(tps)
        self._core.after_pause(self, tps, reason, seconds=for_seconds, then=then)

    @aserialized
    async def resume(
        self, partitions: Partitions, strategy: SkipStrategy | None = None, *, reason: str = "manual"
    ) -> SkipReport:
        self._core.check_reason(reason)
        return await self._resume(as_partitions(partitions), strategy, "resume", reason)

    async def _resume(
        self,
        tps: list[TopicPartition],
        strategy: SkipStrategy | None,
        op: str,
        reason: str,
        topics: Sequence[str] = (),
    ) -> SkipReport:
        chosen = self._core.resume_strategy(strategy)
        began = time.monotonic()
        with self._call(op):
            await self._assigned(tps, op)
            report: SkipReport | None = None
            try:
                report, seeks = self._core.plan(chosen, tps, await self._facts(tps, chosen))
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
                raise self._core.resume_failed(self, chosen, tps, report, exc) from exc
        return self._core.after_resume(self, report, tps, chosen, began, reason, topics=topics, op=op)

    async def _facts(self, tps: list[TopicPartition], strategy: SkipStrategy) -> list[ResumeFacts]:
        if not tps or not (strategy.needs_end or strategy.needs_window):
            return []
        return await self._retried(lambda: self._lookup(tps, strategy))

    async def _retried(self, lookup: Callable[[], Awaitable[T]]) -> T:
        """``await lookup()``, tried again with back-off while it fails with an error the adapter calls
        transient (:class:`~pauseable.core.LookupRetry`): a resume's lookups and the public ones alike."""
        retry = LookupRetry(self._adapter)
        while True:
            try:
                return await lookup()
            except Exception as exc:
                if (delay := retry.delay(exc)) is None:
                    raise
                await asyncio.sleep(delay)

    async def _lookup(self, tps: list[TopicPartition], strategy: SkipStrategy) -> list[ResumeFacts]:
        positions = await self._adapter.positions(tps)
        lookups = await self._offsets()
        if unknown := [tp for tp, position in positions.items() if position is None]:
            committed = await self._adapter.committed(unknown)
            beginning = await lookups.beginning_offsets(unknown)
            positions.update({tp: fallback_position(committed[tp], beginning[tp]) for tp in unknown})
        ends = await lookups.end_offsets(tps)
        paused_at = {tp: self._core.paused_at[tp] for tp in tps if tp in self._core.paused_at}
        windows = await lookups.offsets_for_times(paused_at) if strategy.needs_window and paused_at else {}
        return [facts_of(tp, positions, ends, windows, paused_at) for tp in tps]

    async def _rebuild(self, strategy: Rebuild, tps: list[TopicPartition], seeks: dict[TopicPartition, int]) -> None:
        assigned = sorted(await self._adapter.assignment())
        offsets = self._core.handover_offsets(
            await self._adapter.positions([tp for tp in assigned if tp not in seeks]), seeks
        )
        if offsets:
            await self._adapter.commit(offsets)
            self._core.check_handover(offsets, await self._adapter.committed(list(offsets)))
        await self._close_lookups()
        try:
            await self._adapter.close()
        except CloseTimeoutError as exc:
            self._core.give_up(exc)
        self._core.closed = True
        self._consumer = await self._new_consumer(strategy)
        self._adapter = self._core.rebuilt(self._consumer, tps)
        if self._core.membership[:1] == ("subscribe",):
            _, names, on_assigned, on_revoked = self._core.membership
            await self.subscribe(names, on_assigned=on_assigned, on_revoked=on_revoked)
        else:
            await self.assign(assigned)
            for tp, offset in offsets.items():
                await self._adapter.seek(tp, offset)

    async def _new_consumer(self, strategy: Rebuild) -> Any:
        made = strategy.factory()  # a plain function or a coroutine function
        return await made if inspect.isawaitable(made) else made

    @aserialized
    async def pause_topics(self, topics: Topics) -> None:
        names = as_topics(topics)
        with self._call("pause topics"):
            tps = self._core.of_topics(await self._adapter.assignment(), names)
            if tps:
                await self._adapter.pause(tps)
        self._core.after_pause(self, tps, "topic", topics=names)

    @aserialized
    async def resume_topics(self, topics: Topics, strategy: SkipStrategy | None = None) -> SkipReport:
        names = as_topics(topics)
        with self._call("resume topics"):
            tps = self._core.of_topics(await self._adapter.assignment(), names)
        return await self._resume(tps, strategy, "resume topics", "topic", topics=names)

    @aserialized
    async def paused(self) -> frozenset[TopicPartition]:
        with self._call("read the paused partitions"):
            return frozenset(self._core.paused & await self._adapter.assignment())

    def paused_topics(self) -> frozenset[str]:
        return frozenset(self._core.paused_topics)

    @property
    def last_report(self) -> SkipReport | None:
        return self._core.last_report

    @aserialized
    async def seek(self, partition: TopicPartition, offset: int | Offset) -> None:
        (tp,) = as_partitions([partition])
        target = check_offset(offset)
        with self._call("seek"):
            await self._assigned([tp], "seek")
            if target in (Offset.END, Offset.BEGINNING):
                look = self._end_offsets if target == Offset.END else self._beginning_offsets
                target = (await self._retried(lambda: look([tp])))[tp]
            await self._adapter.seek(tp, target)
        self._core.after_seek(tp)

    @aserialized
    async def seek_to_end(self, partitions: Partitions | None = None) -> dict[TopicPartition, int]:
        with self._call("seek to the end"):
            assignment = await self._adapter.assignment()
            tps = sorted(assignment) if partitions is None else as_partitions(partitions)
            self._core.require_assigned(tps, assignment, "seek to the end of")
            found = await self._retried(lambda: self._end_offsets(tps)) if tps else {}
            ends = {tp: found[tp] for tp in tps}
            for tp, offset in ends.items():
                await self._adapter.seek(tp, offset)
        return ends

    @aserialized
    async def position(self, partition: TopicPartition) -> int | None:
        (tp,) = as_partitions([partition])
        with self._call("read the position"):
            await self._assigned([tp], "read the position of")
            return await self._adapter.position(tp)

    async def _existing(self, partitions: Iterable[TopicPartition], op: str) -> None:
        assignment = await self._adapter.assignment()
        topics = self._core.unassigned_topics(partitions, assignment)
        known = {topic: await self._adapter.partitions_of(topic) for topic in topics}
        self._core.require_existing(partitions, assignment, known, op)

    @aserialized
    async def committed(self, partitions: Partitions) -> dict[TopicPartition, int | None]:
        tps = as_partitions(partitions)
        with self._call("read committed offsets"):
            await self._existing(tps, "read the committed offset of")
            return await self._retried(lambda: self._adapter.committed(tps)) if tps else {}

    @aserialized
    async def end_offsets(self, partitions: Partitions) -> dict[TopicPartition, int]:
        tps = as_partitions(partitions)
        with self._call("read end offsets"):
            await self._existing(tps, "read the end offset of")
            return await self._retried(lambda: self._end_offsets(tps)) if tps else {}

    @aserialized
    async def offsets_for_times(self, timestamps: Mapping[TopicPartition, int]) -> dict[TopicPartition, int | None]:
        checked = self._core.check_timestamps(timestamps)
        with self._call("look up offsets for times"):
            await self._existing(checked, "look up offsets for times in")
            return await self._retried(lambda: self._offsets_for_times(checked)) if checked else {}

    @aserialized
    async def commit(self, offsets: Mapping[TopicPartition, int] | None = None) -> None:
        checked = None if offsets is None else self._core.check_offsets(offsets)
        with self._call("commit"):
            if checked:
                await self._assigned(list(checked), "commit")
            if checked != {}:
                await self._adapter.commit(checked)

    @aserialized
    async def poll(self, timeout: float = 1.0, max_records: int = 500) -> list[R]:
        self._core.check_poll(timeout, max_records)
        deadline = time.monotonic() + timeout
        while True:
            for tps, then in self._core.due():
                await self._resume(tps, then, TIMED_RESUME, "timed")
            if self._attachment is not None:
                await self._attachment.between_polls(self)
            with self._call("poll"):
                await self._verify()
                self._core.raise_pending()
                polled = await self._adapter.poll(_slice(deadline, self._adapter), max_records)
                if self._core.follows():
                    await self._follow()
                records, seeks = self._core.after_poll(self, polled)
                for tp, offset in seeks.items():
                    await self._adapter.seek(tp, offset)
            if records or time.monotonic() >= deadline - _SHORTEST_SLICE_S:
                return records
            await self._gate.let_others_in()

    async def _verify(self) -> None:
        if topics := self._core.to_verify():
            try:
                # on the side client when there is one: kafka-python 3.0.12 throws away a group join answered
                # while its consumer does I/O outside poll() (a metadata request here), and the member rejoins
                check = getattr(await self._offsets(), "partitions_of", self._adapter.partitions_of)
                known = {topic: await check(topic) for topic in topics}
            except Exception as exc:
                self._core.unverifiable(self, exc)
                return
            self._core.verified(self, known)

    @aserialized
    async def close(self) -> None:
        if self._core.closed or self._adapter.is_closed():
            self._core.shut(self)
            with contextlib.suppress(Exception):
                await self._close_lookups()
                await self._detach()
            return
        try:
            with self._call("close"):
                try:
                    await self._adapter.close()
                finally:
                    await self._close_lookups()
                    await self._detach()
        except CloseTimeoutError:
            self._core.shut(self)
            raise
        self._core.shut(self)


def _call_back(callback: RebalanceCallback | None, partitions: list[TopicPartition]) -> None:
    if callback is not None:
        callback(partitions)


async def _acall_back(callback: AsyncRebalanceCallback | None, partitions: list[TopicPartition]) -> None:
    if callback is not None:
        result = callback(partitions)
        if inspect.isawaitable(result):
            await result


#: a poll ends rather than wait a last sliver in the client: kafka-python given a 0-1 ms timeout during a
#: rebalance now and then never finished the join (the member was evicted: 1 of 36 tries under load)
_SHORTEST_SLICE_S = 0.01


def _slice(deadline: float, adapter: ConsumerAdapter | AsyncConsumerAdapter) -> float:
    """How long the next slice of a poll may wait in the client (an adapter may set ``poll_slice_s``)."""
    return max(0.0, min(adapter.poll_slice_s, deadline - time.monotonic()))
