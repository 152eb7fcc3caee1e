"""What a backend implements: a thin translation from pauseable's vocabulary to one client.

An adapter receives arguments already checked by the core (pauseable ``TopicPartition`` objects,
offsets ``>= 0``, only assigned partitions where assignment matters) and returns pauseable types.
It holds no policy: validation, sticky topic pauses, eager seek-to-end, holding back records of
paused partitions and error wrapping all live in :mod:`pauseable.controller`, once.

Native exceptions may propagate: the core chains them into :class:`~pauseable.errors.BackendError`,
or into :class:`~pauseable.errors.ConsumerClosedError` when ``is_closed_error`` says so.

Offset lookups apart from fetching (optional). Kafka answers the requests of one connection in order,
so a lookup sent on a connection where the consumer has a long-poll Fetch outstanding waits for that
Fetch (up to ``fetch.wait.max.ms``, 500 ms by default): a resume while other partitions of the same
broker keep flowing would wait for them. An adapter avoids that by giving the lookups a client of
their own, with the method ``lookup_adapter(config)`` (``async def`` on an asyncio adapter):

- the core calls it once, at the first lookup, with the user's ``lookup_config`` (None when not given:
  ``pauseable.controller(consumer, lookup_config=...)``), and closes what it returns when the
  controller closes (or a ``Rebuild`` replaces the consumer);
- it returns a :class:`LookupAdapter`, built from the consumer's own configuration where the client
  exposes it (``config`` then adds to it or overrides it) or from ``config``, carrying what changes an
  answer or a login: bootstrap servers, security settings and their callbacks, the isolation level
  (read_committed ends at the last stable offset); it never joins the group nor subscribes;
- or None: the lookups go through the consumer, as without the method.

For a client that does not expose its configuration, set ``Backend.lookup_config`` too: the
``lookup_config`` matching ``build_consumer(settings)``, so the tests and benchmarks cover the side path.

The core then sends ``beginning_offsets``, ``end_offsets`` and ``offsets_for_times`` there (the resume's
lookups and the public calls): a :class:`LookupAdapter` has those three and ``close``, nothing else.
``committed`` stays on the consumer: OffsetFetch goes to the group coordinator on a connection of its
own in every first-party client, so it never waits behind a Fetch, and it must be the consumer's own
group id that answers it (a side client built from a ``lookup_config`` with another group id would
answer for the wrong group). ``position``, ``seek``, ``pause`` and ``resume`` stay on the consumer too.
Errors from it are translated like the consumer's, and retried when ``is_transient_error`` (of the
consumer's adapter) calls them transient. The usual way: the
same adapter class around a second native consumer that is never assigned anything. That consumer
fetches nothing, so nothing tells it a leader moved: :class:`LeaderAges` says when to ask for a topic's
leaders before a lookup.
"""

from __future__ import annotations

import importlib.metadata
import math
import time
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
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
    # end offsets, offsets for times) may succeed if tried again, e.g. after a leader moved. A resume and
    # the public lookups retry those with back-off (pauseable.core.LookupRetry); an adapter without it is
    # never retried.
    #
    # Optional: ``poll_slice_s: float``, the longest one ``poll`` call may wait in the client (default
    # pauseable.gate.POLL_SLICE_S, 0.1 s). The controller's ``poll`` waits in slices this long so that calls
    # from other threads or tasks get in between; raise it for a client that misbehaves with short polls.

    # Optional: ``lookup_adapter(config: Mapping[str, Any] | None) -> LookupAdapter | None``, a client
    # for the offset lookups apart from the consumer's fetch connections (see the module docstring).


class LookupAdapter(Protocol):
    """The offset lookups, on a client apart from the consumer's fetch connections (a side client).

    The same methods, arguments and answers as :class:`ConsumerAdapter`'s, for any partition of the
    cluster (the side client is assigned nothing). No ``committed``: it stays on the consumer (see the
    module docstring), so an adapter whose side client is its own class has it unused there.
    """

    def beginning_offsets(self, partitions: Sequence[TopicPartition]) -> dict[TopicPartition, int]: ...
    def end_offsets(self, partitions: Sequence[TopicPartition]) -> dict[TopicPartition, int]: ...
    def offsets_for_times(self, timestamps: Mapping[TopicPartition, int]) -> dict[TopicPartition, int | None]: ...
    def close(self) -> None:
        """Close the side client: its connections and threads end."""
        ...


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

    # Optional: ``async def lookup_adapter(config) -> AsyncLookupAdapter | None`` (see the module docstring).


class AsyncLookupAdapter(Protocol):
    """The asyncio twin of :class:`LookupAdapter`."""

    async def beginning_offsets(self, partitions: Sequence[TopicPartition]) -> dict[TopicPartition, int]: ...
    async def end_offsets(self, partitions: Sequence[TopicPartition]) -> dict[TopicPartition, int]: ...
    async def offsets_for_times(self, timestamps: Mapping[TopicPartition, int]) -> dict[TopicPartition, int | None]: ...
    async def close(self) -> None: ...


class LeaderAges:
    """For a side client's adapter: which topics' leaders to ask for before a lookup.

    A side client fetches nothing, so nothing tells it a leader moved, and a lookup sent to a dead leader
    can wait for the whole lookup timeout. Ask for a topic's metadata (one request) before a lookup when
    it was last asked for over ``every_s`` ago; not before a topic's first lookup, for which clients ask
    anyway (an unknown topic). Several lookups of one resume share one request.
    """

    __slots__ = ("_asked", "every_s")

    def __init__(self, every_s: float = 1.0) -> None:
        self.every_s = every_s
        self._asked: dict[str, float] = {}

    def due(self, topics: Iterable[str]) -> list[str]:
        """The topics to ask the leaders of now (sorted); a topic new here counts as asked for now."""
        now = time.monotonic()
        stale = []
        for topic in sorted(set(topics)):
            if topic not in self._asked:
                self._asked[topic] = now
            elif now - self._asked[topic] > self.every_s:
                stale.append(topic)
        return stale

    def asked(self, topic: str) -> None:
        """The leaders of ``topic`` were asked for, successfully, just now."""
        self._asked[topic] = time.monotonic()

    def expire(self, topics: Iterable[str]) -> None:
        """Ask for these topics' leaders before the next lookup (one failed as if a leader moved)."""
        for topic in topics:
            self._asked[topic] = -math.inf


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
    #: for a client that does not expose its configuration: the ``lookup_config`` matching
    #: ``build_consumer(settings)``, which tests and benchmarks pass to the controllers they build
    lookup_config: Callable[[ConsumerSettings], Mapping[str, Any]] | None = field(default=None, repr=False)

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
