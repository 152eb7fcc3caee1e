"""The public contract: :class:`PauseController` (sync) and :class:`AsyncPauseController` (async).

The same operations, vocabulary, return types and errors on every backend:

- after :meth:`pause` returns, no record of a paused partition is handed to the application
  (records the client had buffered are held back and delivered after resume);
- after :meth:`resume`, delivery continues at exactly the next offset: nothing lost or duplicated;
- :meth:`pause_topics` is sticky: partitions of a paused topic assigned later (a rebalance, or
  partitions added to the topic) start paused. A partition pause ends when the partition is revoked;
- :meth:`seek_to_end` is eager: it resolves the end offsets, seeks there and returns them, so a
  record produced after it returns is delivered;
- :meth:`committed` gives ``None`` for a partition with no committed offset;
- bad input raises a typed :class:`~pauseable.errors.PauseableError` and changes nothing.

``R`` is the client's native record type: :meth:`poll` returns the client's own records.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, Mapping
from typing import Any, Protocol, TypeVar, runtime_checkable

from pauseable.backoff import Backoff
from pauseable.report import SkipReport
from pauseable.strategies import SkipStrategy
from pauseable.types import Offset, TopicPartition

R = TypeVar("R")

#: Called with the partitions assigned or revoked by a rebalance.
RebalanceCallback = Callable[[list[TopicPartition]], None]
#: The async flavour: may return an awaitable, which is awaited.
AsyncRebalanceCallback = Callable[[list[TopicPartition]], "Awaitable[None] | None"]
Partitions = Iterable[TopicPartition] | TopicPartition
Topics = Iterable[str] | str


@runtime_checkable
class PauseController(Protocol[R]):
    """Pause, resume and position a synchronous Kafka consumer, the same way on every client."""

    __slots__ = ()  # the controllers that implement it keep theirs

    @property
    def backend(self) -> str:
        """The name of the backend that drives the consumer (e.g. ``"kafka-python"``)."""
        ...

    @property
    def consumer(self) -> Any:
        """The native consumer object."""
        ...

    def subscribe(
        self,
        topics: Topics,
        *,
        on_assigned: RebalanceCallback | None = None,
        on_revoked: RebalanceCallback | None = None,
    ) -> None:
        """Subscribe in a consumer group, taking part in rebalances so topic pauses stay sticky.

        ``on_assigned`` runs after sticky pauses are applied to new partitions; ``on_revoked``
        runs before the revoked partitions' pause state is dropped (commit there if you need to).
        """
        ...

    def assign(self, partitions: Partitions) -> None:
        """Assign partitions by hand (no group); partitions of paused topics start paused."""
        ...

    def assignment(self) -> frozenset[TopicPartition]:
        """The partitions currently assigned to this consumer."""
        ...

    def pause(
        self,
        partitions: Partitions,
        *,
        for_seconds: float | Backoff | None = None,
        then: SkipStrategy | None = None,
        reason: str = "manual",
    ) -> None:
        """Stop delivering records of these assigned partitions, at once; idempotent.

        With ``for_seconds``, the partitions resume by themselves at the first ``poll`` after that
        long, with the strategy ``then`` (the controller's default when None); no thread involved.
        A :class:`~pauseable.Backoff` as ``for_seconds`` makes repeated pauses of a partition longer
        and longer (exponential back-off). ``reason`` is handed to the ``pauseable_paused`` hook.
        """
        ...

    def resume(
        self, partitions: Partitions, strategy: SkipStrategy | None = None, *, reason: str = "manual"
    ) -> SkipReport:
        """Deliver again, after skipping what ``strategy`` says (default: the controller's, Continue).

        Returns the report of what is skipped: per partition, the half-open offset range and why.
        ``reason`` is handed to the ``pauseable_resumed`` hook.
        """
        ...

    def pause_topics(self, topics: Topics) -> None:
        """Pause every assigned partition of these topics, and every partition of them assigned later."""
        ...

    def resume_topics(self, topics: Topics, strategy: SkipStrategy | None = None) -> SkipReport:
        """End topic pauses and resume every assigned partition of these topics, like :meth:`resume`."""
        ...

    def paused(self) -> frozenset[TopicPartition]:
        """The assigned partitions that are paused now."""
        ...

    def paused_topics(self) -> frozenset[str]:
        """The topics paused with :meth:`pause_topics`."""
        ...

    @property
    def last_report(self) -> SkipReport | None:
        """The report of the latest resume, including one made when a timed pause ran out."""
        ...

    def seek(self, partition: TopicPartition, offset: int | Offset) -> None:
        """Deliver ``partition`` from ``offset`` next (``>= 0``, or an :class:`Offset`, resolved at once)."""
        ...

    def seek_to_end(self, partitions: Partitions | None = None) -> dict[TopicPartition, int]:
        """Resolve the end offsets, seek there (default: every assigned partition) and return them."""
        ...

    def position(self, partition: TopicPartition) -> int | None:
        """The offset of the next record to deliver, or None while the client has none yet."""
        ...

    def committed(self, partitions: Partitions) -> dict[TopicPartition, int | None]:
        """The group's committed offsets; ``None`` where nothing is committed."""
        ...

    def end_offsets(self, partitions: Partitions) -> dict[TopicPartition, int]:
        """The offset the next produced record of each partition will get (high watermark)."""
        ...

    def offsets_for_times(self, timestamps: Mapping[TopicPartition, int]) -> dict[TopicPartition, int | None]:
        """The first offset whose timestamp is ``>=`` each timestamp (ms); None when there is none."""
        ...

    def commit(self, offsets: Mapping[TopicPartition, int] | None = None) -> None:
        """Commit ``offsets`` (default: the current positions of the assigned partitions), synchronously."""
        ...

    def poll(self, timeout: float = 1.0, max_records: int = 500) -> list[R]:
        """Up to ``max_records`` native records, waiting at most ``timeout`` seconds; none of a paused partition."""
        ...

    def close(self) -> None:
        """Close the consumer; every later call raises ConsumerClosedError."""
        ...


@runtime_checkable
class AsyncPauseController(Protocol[R]):
    """The asyncio twin of :class:`PauseController`: the same operations, awaited
    (tests/test_twins.py holds the two to it)."""

    __slots__ = ()

    @property
    def backend(self) -> str:
        """The name of the backend that drives the consumer (e.g. ``"kafka-python"``)."""
        ...

    @property
    def consumer(self) -> Any:
        """The native consumer object."""
        ...

    async def subscribe(
        self,
        topics: Topics,
        *,
        on_assigned: AsyncRebalanceCallback | None = None,
        on_revoked: AsyncRebalanceCallback | None = None,
    ) -> None:
        """Subscribe in a consumer group, taking part in rebalances so topic pauses stay sticky.

        ``on_assigned`` runs after sticky pauses are applied to new partitions; ``on_revoked``
        runs before the revoked partitions' pause state is dropped (commit there if you need to).
        """
        ...

    async def assign(self, partitions: Partitions) -> None:
        """Assign partitions by hand (no group); partitions of paused topics start paused."""
        ...

    async def assignment(self) -> frozenset[TopicPartition]:
        """The partitions currently assigned to this consumer."""
        ...

    async def pause(
        self,
        partitions: Partitions,
        *,
        for_seconds: float | Backoff | None = None,
        then: SkipStrategy | None = None,
        reason: str = "manual",
    ) -> None:
        """Stop delivering records of these assigned partitions, at once; idempotent.

        With ``for_seconds``, the partitions resume by themselves at the first ``poll`` after that
        long, with the strategy ``then`` (the controller's default when None); no thread involved.
        A :class:`~pauseable.Backoff` as ``for_seconds`` makes repeated pauses of a partition longer
        and longer (exponential back-off). ``reason`` is handed to the ``pauseable_paused`` hook.
        """
        ...

    async def resume(
        self, partitions: Partitions, strategy: SkipStrategy | None = None, *, reason: str = "manual"
    ) -> SkipReport:
        """Deliver again, after skipping what ``strategy`` says (default: the controller's, Continue).

        Returns the report of what is skipped: per partition, the half-open offset range and why.
        ``reason`` is handed to the ``pauseable_resumed`` hook.
        """
        ...

    async def pause_topics(self, topics: Topics) -> None:
        """Pause every assigned partition of these topics, and every partition of them assigned later."""
        ...

    async def resume_topics(self, topics: Topics, strategy: SkipStrategy | None = None) -> SkipReport:
        """End topic pauses and resume every assigned partition of these topics, like :meth:`resume`."""
        ...

    async def paused(self) -> frozenset[TopicPartition]:
        """The assigned partitions that are paused now."""
        ...

    def paused_topics(self) -> frozenset[str]:
        """The topics paused with :meth:`pause_topics`."""
        ...

    @property
    def last_report(self) -> SkipReport | None:
        """The report of the latest resume, including one made when a timed pause ran out."""
        ...

    async def seek(self, partition: TopicPartition, offset: int | Offset) -> None:
        """Deliver ``partition`` from ``offset`` next (``>= 0``, or an :class:`Offset`, resolved at once)."""
        ...

    async def seek_to_end(self, partitions: Partitions | None = None) -> dict[TopicPartition, int]:
        """Resolve the end offsets, seek there (default: every assigned partition) and return them."""
        ...

    async def position(self, partition: TopicPartition) -> int | None:
        """The offset of the next record to deliver, or None while the client has none yet."""
        ...

    async def committed(self, partitions: Partitions) -> dict[TopicPartition, int | None]:
        """The group's committed offsets; ``None`` where nothing is committed."""
        ...

    async def end_offsets(self, partitions: Partitions) -> dict[TopicPartition, int]:
        """The offset the next produced record of each partition will get (high watermark)."""
        ...

    async def offsets_for_times(self, timestamps: Mapping[TopicPartition, int]) -> dict[TopicPartition, int | None]:
        """The first offset whose timestamp is ``>=`` each timestamp (ms); None when there is none."""
        ...

    async def commit(self, offsets: Mapping[TopicPartition, int] | None = None) -> None:
        """Commit ``offsets`` (default: the current positions of the assigned partitions), synchronously."""
        ...

    async def poll(self, timeout: float = 1.0, max_records: int = 500) -> list[R]:
        """Up to ``max_records`` native records, waiting at most ``timeout`` seconds; none of a paused partition."""
        ...

    async def close(self) -> None:
        """Close the consumer; every later call raises ConsumerClosedError."""
        ...
