"""An asyncio front over a synchronous controller whose consumer belongs to a one-thread executor."""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Callable, Mapping
from concurrent.futures import Executor
from typing import Any, TypeVar

from pauseable import Backoff, Controller, InvalidArgumentError, Offset, SkipReport, SkipStrategy, TopicPartition
from pauseable.protocol import AsyncPauseController, AsyncRebalanceCallback, Partitions, Topics

T = TypeVar("T")


class ExecutorController(AsyncPauseController[Any]):
    """Every call of a synchronous :class:`~pauseable.Controller`, awaited, run on the executor that owns
    its consumer (FastStream's confluent broker: a one-thread pool), so the consumer is called from that
    thread only and one call at a time. The subscriber's topics are FastStream's: ``subscribe`` and
    ``assign`` are refused, ``close`` is left to FastStream's stop."""

    __slots__ = ("_executor", "controller")

    def __init__(self, controller: Controller[Any], executor: Executor) -> None:
        #: the synchronous controller (pauseable's ``confluent-kafka`` backend)
        self.controller = controller
        self._executor = executor

    def __repr__(self) -> str:
        return f"ExecutorController({self.controller!r})"

    async def _run(self, method: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._executor, functools.partial(method, *args, **kwargs))

    @property
    def backend(self) -> str:
        """The backend that drives the consumer: ``"confluent-kafka"``."""
        return self.controller.backend

    @property
    def consumer(self) -> Any:
        """The native ``confluent_kafka.Consumer``."""
        return self.controller.consumer

    async def subscribe(
        self,
        topics: Topics,
        *,
        on_assigned: AsyncRebalanceCallback | None = None,
        on_revoked: AsyncRebalanceCallback | None = None,
    ) -> None:
        """Refused: the subscriber's topics are FastStream's."""
        raise InvalidArgumentError("a FastStream subscriber's topics are FastStream's: declare them there")

    async def assign(self, partitions: Partitions) -> None:
        """Refused: the subscriber's partitions are FastStream's."""
        raise InvalidArgumentError("a FastStream subscriber's partitions are FastStream's: declare them there")

    async def assignment(self) -> frozenset[TopicPartition]:
        """The partitions currently assigned to this consumer."""
        return await self._run(self.controller.assignment)

    async def pause(
        self,
        partitions: Partitions,
        *,
        for_seconds: float | Backoff | None = None,
        then: SkipStrategy | None = None,
        reason: str = "manual",
    ) -> None:
        """As :meth:`pauseable.Controller.pause`."""
        await self._run(self.controller.pause, partitions, for_seconds=for_seconds, then=then, reason=reason)

    async def resume(
        self, partitions: Partitions, strategy: SkipStrategy | None = None, *, reason: str = "manual"
    ) -> SkipReport:
        """As :meth:`pauseable.Controller.resume`."""
        return await self._run(self.controller.resume, partitions, strategy, reason=reason)

    async def pause_topics(self, topics: Topics) -> None:
        """As :meth:`pauseable.Controller.pause_topics`."""
        await self._run(self.controller.pause_topics, topics)

    async def resume_topics(self, topics: Topics, strategy: SkipStrategy | None = None) -> SkipReport:
        """As :meth:`pauseable.Controller.resume_topics`."""
        return await self._run(self.controller.resume_topics, topics, strategy)

    async def paused(self) -> frozenset[TopicPartition]:
        """The assigned partitions that are paused now."""
        return await self._run(self.controller.paused)

    def paused_topics(self) -> frozenset[str]:
        """The topics paused with :meth:`pause_topics`."""
        return self.controller.paused_topics()

    @property
    def last_report(self) -> SkipReport | None:
        """The report of the latest resume, including one made when a timed pause ran out."""
        return self.controller.last_report

    async def seek(self, partition: TopicPartition, offset: int | Offset) -> None:
        """As :meth:`pauseable.Controller.seek`."""
        await self._run(self.controller.seek, partition, offset)

    async def seek_to_end(self, partitions: Partitions | None = None) -> dict[TopicPartition, int]:
        """As :meth:`pauseable.Controller.seek_to_end`."""
        return await self._run(self.controller.seek_to_end, partitions)

    async def position(self, partition: TopicPartition) -> int | None:
        """The offset of the next record to deliver, or None while the client has none yet."""
        return await self._run(self.controller.position, partition)

    async def committed(self, partitions: Partitions) -> dict[TopicPartition, int | None]:
        """The group's committed offsets; ``None`` where nothing is committed."""
        return await self._run(self.controller.committed, partitions)

    async def end_offsets(self, partitions: Partitions) -> dict[TopicPartition, int]:
        """The offset the next produced record of each partition will get (high watermark)."""
        return await self._run(self.controller.end_offsets, partitions)

    async def offsets_for_times(self, timestamps: Mapping[TopicPartition, int]) -> dict[TopicPartition, int | None]:
        """The first offset whose timestamp is ``>=`` each timestamp (ms); None when there is none."""
        return await self._run(self.controller.offsets_for_times, timestamps)

    async def commit(self, offsets: Mapping[TopicPartition, int] | None = None) -> None:
        """As :meth:`pauseable.Controller.commit`."""
        await self._run(self.controller.commit, offsets)

    async def poll(self, timeout: float = 1.0, max_records: int = 500) -> list[Any]:
        """Up to ``max_records`` records, none of a paused partition (the subscriber's getter calls it)."""
        return await self._run(self.controller.poll, timeout, max_records)

    async def close(self) -> None:
        """Refused: FastStream closes the consumer when the subscriber stops."""
        raise InvalidArgumentError("a FastStream subscriber's consumer is closed by FastStream: stop the broker")
