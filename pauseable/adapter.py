"""What a backend implements: a thin translation from pauseable's vocabulary to one client.

An adapter receives arguments already checked by the core (pauseable ``TopicPartition`` objects,
offsets ``>= 0``, only assigned partitions where assignment matters) and returns pauseable types.
It holds no policy: validation, sticky topic pauses, eager seek-to-end, holding back records of
paused partitions and error wrapping all live in :mod:`pauseable.controller`, once.

Native exceptions may propagate: the core chains them into :class:`~pauseable.errors.BackendError`,
or into :class:`~pauseable.errors.ConsumerClosedError` when ``is_closed_error`` says so.
"""

from __future__ import annotations

import importlib.metadata
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from pauseable.types import TopicPartition

#: The core's own rebalance reactions, which an adapter calls from the client's native hooks.
AssignedHook = Callable[[list[TopicPartition]], None]
RevokedHook = Callable[[list[TopicPartition]], None]
AsyncAssignedHook = Callable[[list[TopicPartition]], Awaitable[None]]
AsyncRevokedHook = Callable[[list[TopicPartition]], Awaitable[None]]


class ConsumerAdapter(Protocol):
    """A synchronous client, translated. Every method maps to one or two native calls."""

    def assignment(self) -> set[TopicPartition]: ...
    def assign(self, partitions: Sequence[TopicPartition]) -> None: ...
    def subscribe(self, topics: Sequence[str], on_assigned: AssignedHook, on_revoked: RevokedHook) -> None:
        """Subscribe; call ``on_assigned`` after new partitions are assigned and before any of their
        records can be delivered, and ``on_revoked`` before partitions are given up (or lost)."""
        ...

    def pause(self, partitions: Sequence[TopicPartition]) -> None: ...
    def resume(self, partitions: Sequence[TopicPartition]) -> None: ...
    def seek(self, partition: TopicPartition, offset: int) -> None:
        """Set the next offset to fetch (``offset >= 0``), effective for the next poll."""
        ...

    def position(self, partition: TopicPartition) -> int | None: ...
    def committed(self, partitions: Sequence[TopicPartition]) -> dict[TopicPartition, int | None]: ...
    def beginning_offsets(self, partitions: Sequence[TopicPartition]) -> dict[TopicPartition, int]: ...
    def end_offsets(self, partitions: Sequence[TopicPartition]) -> dict[TopicPartition, int]: ...
    def offsets_for_times(self, timestamps: Mapping[TopicPartition, int]) -> dict[TopicPartition, int | None]: ...
    def partitions_of(self, topic: str) -> frozenset[int]:
        """The partition ids the cluster has for ``topic`` now (fresh metadata), empty when there is no such
        topic; must not create the topic."""
        ...

    def commit(self, offsets: Mapping[TopicPartition, int] | None) -> None: ...
    def poll(self, timeout: float, max_records: int) -> list[Any]: ...
    def locate(self, record: Any) -> tuple[str, int, int]:
        """The ``(topic, partition, offset)`` of a native record."""
        ...

    def size(self, record: Any) -> int:
        """The key and value bytes of a native record (for reports of what skipping fetched)."""
        ...

    def close(self) -> None: ...
    def is_closed(self) -> bool:
        """True when the native consumer is known to be closed (False when the client cannot tell)."""
        ...

    def is_closed_error(self, exc: BaseException) -> bool:
        """Whether a native exception means the consumer is closed."""
        ...

    # Optional: ``is_transient_error(exc) -> bool``, whether a failed lookup (position, committed,
    # end offsets, offsets for times) may succeed if tried again, e.g. after a leader moved. A resume
    # retries those with back-off (pauseable.core.LookupRetry); an adapter without it is never retried.
    #
    # Optional: ``poll_slice_s: float``, the longest one ``poll`` call may wait in the client (default
    # pauseable.gate.POLL_SLICE_S, 0.1 s). The controller's ``poll`` waits in slices this long so that calls
    # from other threads or tasks get in between; raise it for a client that misbehaves with short polls.


class AsyncConsumerAdapter(Protocol):
    """An asyncio client, translated: the same methods as :class:`ConsumerAdapter`, awaited."""

    async def assignment(self) -> set[TopicPartition]: ...
    async def assign(self, partitions: Sequence[TopicPartition]) -> None: ...
    async def subscribe(
        self, topics: Sequence[str], on_assigned: AsyncAssignedHook, on_revoked: AsyncRevokedHook
    ) -> None: ...
    async def pause(self, partitions: Sequence[TopicPartition]) -> None: ...
    async def resume(self, partitions: Sequence[TopicPartition]) -> None: ...
    async def seek(self, partition: TopicPartition, offset: int) -> None: ...
    async def position(self, partition: TopicPartition) -> int | None: ...
    async def committed(self, partitions: Sequence[TopicPartition]) -> dict[TopicPartition, int | None]: ...
    async def beginning_offsets(self, partitions: Sequence[TopicPartition]) -> dict[TopicPartition, int]: ...
    async def end_offsets(self, partitions: Sequence[TopicPartition]) -> dict[TopicPartition, int]: ...
    async def offsets_for_times(self, timestamps: Mapping[TopicPartition, int]) -> dict[TopicPartition, int | None]: ...
    async def partitions_of(self, topic: str) -> frozenset[int]: ...
    async def commit(self, offsets: Mapping[TopicPartition, int] | None) -> None: ...
    async def poll(self, timeout: float, max_records: int) -> list[Any]: ...
    def locate(self, record: Any) -> tuple[str, int, int]: ...
    def size(self, record: Any) -> int: ...
    async def close(self) -> None: ...
    def is_closed(self) -> bool: ...
    def is_closed_error(self, exc: BaseException) -> bool: ...


@dataclass(frozen=True)
class ConsumerSettings:
    """Client-neutral consumer settings, which each backend translates to its client's configuration.

    Used to build consumers for tests, benchmarks and strategies that rebuild a consumer.
    """

    bootstrap_servers: str
    group_id: str | None = None
    #: where to start without a committed offset: "earliest" or "latest"
    auto_offset_reset: str = "earliest"
    enable_auto_commit: bool = False
    client_id: str = "pauseable"
    max_poll_interval_ms: int | None = None
    session_timeout_ms: int | None = None
    heartbeat_interval_ms: int | None = None
    #: how often to refresh metadata, so partitions added to a topic are noticed
    metadata_max_age_ms: int | None = None
    #: native configuration passed through unchanged (the client's own key names)
    native: Mapping[str, Any] = field(default_factory=dict)

    def keyword_config(self) -> dict[str, Any]:
        """The settings as the keyword arguments kafka-python and aiokafka share (unset ones left out),
        with ``native`` on top."""
        config: dict[str, Any] = {
            "bootstrap_servers": self.bootstrap_servers,
            "group_id": self.group_id,
            "auto_offset_reset": self.auto_offset_reset,
            "enable_auto_commit": self.enable_auto_commit,
            "client_id": self.client_id,
        }
        for key in ("max_poll_interval_ms", "session_timeout_ms", "heartbeat_interval_ms", "metadata_max_age_ms"):
            if (value := getattr(self, key)) is not None:
                config[key] = value
        config.update(self.native)
        return config


@dataclass(frozen=True)
class Backend:
    """One backend, as an adapter plugin registers it."""

    #: the name users pass as ``backend=`` (e.g. ``"kafka-python"``)
    name: str
    #: the client's distribution on PyPI, for its version and install hints
    client: str
    #: whether this backend drives a given native consumer object
    claims: Callable[[object], bool] = field(repr=False)
    #: builds the adapter around a synchronous native consumer ...
    sync_adapter: Callable[[Any], ConsumerAdapter] | None = field(default=None, repr=False)
    #: ... or around an asyncio one (exactly one of the two is set)
    async_adapter: Callable[[Any], AsyncConsumerAdapter] | None = field(default=None, repr=False)
    #: builds a native consumer from :class:`ConsumerSettings` (a coroutine function for async
    #: backends: it returns the consumer started and ready)
    build_consumer: Callable[[ConsumerSettings], Any] | None = field(default=None, repr=False)
    #: what to ``pip install`` to get this backend
    package: str = ""
    #: the native consumer class, for people ("aiokafka.AIOKafkaConsumer")
    consumer_class: str = ""

    def __post_init__(self) -> None:
        if (self.sync_adapter is None) == (self.async_adapter is None):
            raise TypeError(f"backend {self.name!r}: set exactly one of sync_adapter and async_adapter")

    @property
    def is_async(self) -> bool:
        """True when the controller is an :class:`~pauseable.protocol.AsyncPauseController`."""
        return self.async_adapter is not None

    @property
    def client_version(self) -> str | None:
        """The installed version of the client, or None when it is not installed."""
        try:
            return importlib.metadata.version(self.client)
        except importlib.metadata.PackageNotFoundError:
            return None


#: Either kind of adapter: the core only needs their two closed-state checks in common.
AnyAdapter = ConsumerAdapter | AsyncConsumerAdapter
