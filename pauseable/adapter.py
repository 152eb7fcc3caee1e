"""What a backend implements: the one page an adapter author reads.

A backend drives one client's native consumer. It is a plugin: a distribution with one entry point in
the group ``pauseable`` whose module implements the hook ``pauseable_register_backends`` and registers a
:class:`Backend` (see :mod:`pauseable.hookspecs`). The backend names an adapter class, a thin
translation table from pauseable's vocabulary to the client: :class:`ConsumerAdapter` for a synchronous
client, :class:`AsyncConsumerAdapter` for an asyncio one. Subclass it: its abstract methods are what you
must write, and the optional ones have working defaults, so you override only what your client needs.

What the core does for you, once, in :mod:`pauseable.controller` and :mod:`pauseable.core`: argument
checks (an adapter gets pauseable ``TopicPartition`` objects, offsets ``>= 0``, only assigned partitions
where assignment matters), sticky topic pauses, eager seek-to-end, holding back records of paused
partitions, skip strategies, timed pauses, hooks, one call at a time, and error translation. An adapter
holds no policy; where the client misbehaves (every first-party adapter's module docstring lists its
client's quirks and cures), the adapter cures it, so the controller sees the contract below.

**Errors.** Native exceptions may propagate out of any method: the core chains them into
:class:`~pauseable.errors.BackendError`, or into :class:`~pauseable.errors.ConsumerClosedError` when
:meth:`~ConsumerAdapter.is_closed_error` says the consumer is closed. Which exceptions count as what:

- *closed* (``is_closed_error``): the client's "this consumer is closed" (kafka-python's
  ``IllegalStateError`` after ``close()``, confluent-kafka's ``RuntimeError("Consumer closed")``, aiokafka's
  ``IllegalStateError``/``ConsumerStoppedError``). Nothing else: a closed error ends the controller.
- *transient* (``is_transient_error``): the request may succeed if sent again, because the client's metadata
  is stale or a broker is away for a while: not leader / leader not available / fenced or unknown leader
  epoch, broker or coordinator not available or loading, a dropped connection, a request timeout. Not
  transient: an unknown topic or partition, authorization and authentication failures, invalid arguments, a
  host name that does not resolve. A resume retries transient lookups with back-off
  (:class:`~pauseable.core.LookupRetry`, 30 s in all).

**Registering.** :attr:`Backend.client` must be the client's *distribution* name on the package index
(``"kafka-python"``, not its import name ``kafka``): the core reads its version with
:func:`importlib.metadata.version`, and a backend whose client distribution is not installed is not
listed and never asked to claim a consumer. That is how :attr:`Backend.claims` tells apart two
distributions that install the same import package (kafka-python and its fork kafka-python-ng both
install ``kafka``): a backend for the fork registers ``client="kafka-python-ng"``, so only the backend of
the distribution actually installed is asked, and its ``claims`` need only check the class
(``isinstance(consumer, kafka.KafkaConsumer)``). ``claims`` must be cheap, must not fail, and must answer
False for anything else; two backends must never claim the same object (the first that does drives it).

**Proving it.** The conformance suite (:mod:`pauseable_testing.suite`) runs every behaviour of the
contract against a real broker on every installed backend: ``pauseable conformance --backend NAME``;
``pauseable conformance --ledger --backend NAME --seeds N`` checks the skip strategies offset by offset on
seeded schedules (:mod:`pauseable_testing.suite.ledger`). Each method below names the behaviours that
check it (``AbstractPauseTests.test_...``, in the suite's modules). ``Backend.build_consumer`` is what the
suite uses to make consumers.

Offset lookups apart from fetching (optional). Kafka answers the requests of one connection in order,
so a lookup sent on a connection where the consumer has a long-poll Fetch outstanding waits for that
Fetch (up to ``fetch.wait.max.ms``, 500 ms by default): a resume while other partitions of the same
broker keep flowing would wait for them. An adapter avoids that by giving the lookups a client of
their own, with the method :meth:`~ConsumerAdapter.lookup_adapter` (``async def`` on an asyncio adapter):

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

Group pauses (optional, :mod:`pauseable.group`). ``Backend.control(consumer, config)`` builds a
:class:`ControlClient` with the client's own library: a reader of the control topic in no group, an
``acks=all`` producer and an admin client, never the application's consumer. Without it the backend
refuses ``group_pauses=`` and operators cannot pick it as ``--client``.
"""

from __future__ import annotations

import functools
import importlib.metadata
import math
import time
from abc import abstractmethod
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from pauseable.errors import AuthorizationError, ClientError, UnknownTopicError
from pauseable.gate import POLL_SLICE_S
from pauseable.types import TopicPartition

#: The core's own rebalance reactions, which an adapter calls from the client's native hooks.
AssignedHook = Callable[[list[TopicPartition]], None]
RevokedHook = Callable[[list[TopicPartition]], None]
AsyncAssignedHook = Callable[[list[TopicPartition]], Awaitable[None]]
AsyncRevokedHook = Callable[[list[TopicPartition]], Awaitable[None]]


class ConsumerAdapter(Protocol):
    """A synchronous client, translated: subclass it. Every method maps to one or a few native calls.

    The abstract methods are required; the others are optional, with the defaults shown. The suite
    behaviours named in each docstring are in :mod:`pauseable_testing.suite`.
    """

    __slots__ = ()

    # -- membership ----------------------------------------------------------------------------------

    @abstractmethod
    def assignment(self) -> set[TopicPartition]:
        """The partitions assigned now (by ``assign`` or by the group), as the client knows them.

        Checked by: ``AbstractTopicPauseTests.test_pause_topics_pauses_every_assigned_partition_of_the_topic``,
        ``AbstractErrorTests.test_seeking_or_reading_the_position_of_an_unassigned_partition_raises_not_assigned``.
        """

    @abstractmethod
    def assign(self, partitions: Sequence[TopicPartition]) -> None:
        """Replace the assignment with ``partitions`` (no group); each fetches from its committed offset, else
        by the consumer's ``auto.offset.reset``. An empty list unassigns everything.

        Checked by: ``AbstractOffsetTests.test_a_new_consumer_of_the_group_starts_at_the_committed_offset`` and
        every behaviour that assigns.
        """

    @abstractmethod
    def subscribe(self, topics: Sequence[str], on_assigned: AssignedHook, on_revoked: RevokedHook) -> None:
        """Subscribe in the consumer's group; call ``on_assigned`` after new partitions are assigned and before
        any of their records can be delivered, and ``on_revoked`` before partitions are given up (or lost).

        Checked by: ``AbstractMembershipTests.test_the_assigned_callback_runs_after_sticky_pauses_are_applied``,
        ``AbstractMembershipTests.test_the_revoked_callback_gets_the_partitions_before_they_are_given_up``,
        ``AbstractTopicPauseTests.test_a_topic_paused_before_subscribing_starts_paused_in_the_group``,
        ``AbstractTopicPauseTests.test_topic_pause_is_sticky_when_partitions_move_away_and_come_back``.
        """

    # -- pause and resume -----------------------------------------------------------------------------

    @abstractmethod
    def pause(self, partitions: Sequence[TopicPartition]) -> None:
        """Stop fetching these (assigned) partitions natively; positions do not move. Records already buffered
        may still come out of ``poll``: the core holds them back.

        Checked by: ``AbstractPauseTests.test_pausing_a_partition_stops_its_delivery_at_once_while_others_flow``,
        ``AbstractPauseTests.test_pausing_every_partition_delivers_nothing_and_keeps_positions``,
        ``AbstractMembershipTests.test_a_pause_longer_than_max_poll_interval_keeps_the_consumer_in_its_group``.
        """

    @abstractmethod
    def resume(self, partitions: Sequence[TopicPartition]) -> None:
        """Fetch these partitions again, from their position (or from a seek made while paused), promptly.

        Checked by: ``AbstractResumeTests.test_resume_continues_at_exactly_the_next_offset``,
        ``AbstractResumeTests.test_resume_delivers_records_that_were_buffered_when_the_partition_was_paused``,
        ``AbstractResumeTests.test_resuming_a_partition_that_was_never_paused_changes_nothing``.
        """

    # -- positions ------------------------------------------------------------------------------------

    @abstractmethod
    def seek(self, partition: TopicPartition, offset: int) -> None:
        """Set the next offset to fetch (``offset >= 0``), effective for the next poll, paused or not.

        Checked by: ``AbstractSeekTests.test_seek_to_an_absolute_offset_delivers_from_there``,
        ``AbstractSeekTests.test_seek_to_end_of_a_paused_partition_keeps_it_paused``,
        ``AbstractOffsetTests.test_commit_without_offsets_commits_sought_positions_too``.
        """

    @abstractmethod
    def position(self, partition: TopicPartition) -> int | None:
        """The offset of the next record to deliver, a seek included; None only when nothing was delivered from
        the partition nor sought since it was assigned (the core then uses the committed offset).

        Checked by: ``AbstractOffsetTests.test_position_is_the_next_offset_to_deliver``,
        ``AbstractResumeTests.test_the_position_after_a_resume_is_the_next_offset_to_deliver_and_commit_keeps_it``.
        """

    @abstractmethod
    def committed(self, partitions: Sequence[TopicPartition]) -> dict[TopicPartition, int | None]:
        """The group's committed offset of each partition (assigned or not); None where nothing is committed.

        Checked by: ``AbstractOffsetTests.test_committed_is_none_before_any_commit``,
        ``AbstractOffsetTests.test_committed_is_the_offset_of_the_last_commit``,
        ``AbstractOffsetTests.test_committed_is_answered_for_partitions_not_assigned``.
        """

    @abstractmethod
    def beginning_offsets(self, partitions: Sequence[TopicPartition]) -> dict[TopicPartition, int]:
        """The first offset still in each partition's log (any partition of the cluster).

        Checked by: ``AbstractSeekTests.test_seek_to_beginning_delivers_again_from_the_first_offset``.
        """

    @abstractmethod
    def end_offsets(self, partitions: Sequence[TopicPartition]) -> dict[TopicPartition, int]:
        """The offset the next produced record of each partition will get (the last stable offset under
        read_committed), asked of the broker now: never a cached or lazily resolved value.

        Checked by: ``AbstractOffsetTests.test_end_offsets_are_the_offset_the_next_record_will_get``,
        ``AbstractSeekTests.test_seek_to_end_is_eager_and_returns_the_end_offsets``,
        ``AbstractSeekTests.test_seek_to_end_of_an_empty_partition_returns_zero``.
        """

    @abstractmethod
    def offsets_for_times(self, timestamps: Mapping[TopicPartition, int]) -> dict[TopicPartition, int | None]:
        """The first offset whose timestamp is ``>=`` each timestamp (ms); None when there is none.

        Checked by: ``AbstractOffsetTests.test_offsets_for_times_finds_the_first_record_at_or_after_a_timestamp``,
        ``AbstractOffsetTests.test_offsets_for_times_is_none_past_the_last_record``.
        """

    @abstractmethod
    def partitions_of(self, topic: str) -> frozenset[int]:
        """The partition ids the cluster has for ``topic`` now (fresh metadata), empty when there is no such
        topic; must not create the topic.

        Checked by: ``AbstractOffsetTests.test_committed_is_answered_for_partitions_not_assigned`` and the
        bad-input table (an unknown topic or partition raises UnknownPartitionError).
        """

    @abstractmethod
    def commit(self, offsets: Mapping[TopicPartition, int] | None) -> None:
        """Commit ``offsets`` synchronously; None commits the current positions (sought or consumed) of the
        assigned partitions that have one. Raise when the broker refuses a partition's commit.

        Checked by: ``AbstractOffsetTests.test_commit_without_offsets_commits_the_consumed_positions``,
        ``AbstractOffsetTests.test_commit_without_offsets_commits_sought_positions_too``,
        ``AbstractOffsetTests.test_a_new_consumer_of_the_group_starts_at_the_committed_offset``.
        """

    # -- records --------------------------------------------------------------------------------------

    @abstractmethod
    def poll(self, timeout: float, max_records: int) -> list[Any]:
        """Up to ``max_records`` native records, returning as soon as any is ready, waiting at most ``timeout``
        seconds for the first. Serve the client's rebalance callbacks here (``subscribe``'s hooks). A client
        that hands out its error events among the records (librdkafka) may return them too: :meth:`error_of`
        tells them apart, and the controller's ``poll`` never hands them to the application.

        Checked by: ``AbstractPollTests.test_poll_returns_at_once_when_a_record_is_ready`` and every behaviour
        that consumes.
        """

    @abstractmethod
    def locate(self, record: Any) -> tuple[str, int, int]:
        """The ``(topic, partition, offset)`` of a native record.

        Checked by: ``AbstractPauseTests.test_pausing_a_partition_stops_its_delivery_at_once_while_others_flow``
        (the core holds back records by where they come from).
        """

    @abstractmethod
    def size(self, record: Any) -> int:
        """The key and value bytes of a native record (for reports of what skipping fetched)."""

    # -- closing --------------------------------------------------------------------------------------

    @abstractmethod
    def close(self) -> None:
        """Close the native consumer (leaving its group), within a bounded time: raise
        :class:`~pauseable.errors.CloseTimeoutError` rather than hang (:mod:`pauseable.bounded` helps).

        Checked by: ``AbstractErrorTests.test_a_closed_consumer_raises_consumer_closed_on_every_operation``,
        ``AbstractErrorTests.test_close_is_idempotent``.
        """

    @abstractmethod
    def is_closed(self) -> bool:
        """True when the native consumer is known to be closed (False when the client cannot tell).

        Checked by: ``AbstractErrorTests.test_a_consumer_closed_natively_raises_consumer_closed``.
        """

    @abstractmethod
    def is_closed_error(self, exc: BaseException) -> bool:
        """Whether a native exception means the consumer is closed (see "Errors" in the module docstring).

        Checked by: ``AbstractErrorTests.test_a_consumer_closed_natively_raises_consumer_closed``.
        """

    # -- optional, with defaults ----------------------------------------------------------------------

    #: the longest one ``poll`` call may wait in the client: the controller's ``poll`` waits in slices this
    #: long so that calls from other threads or tasks get in between (:mod:`pauseable.gate`); raise it for a
    #: client that misbehaves with short polls. Checked by:
    #: ``AbstractConcurrencyTests.test_pause_and_resume_from_another_thread_or_task_return_promptly_while_a_poll_waits``
    poll_slice_s: float = POLL_SLICE_S

    def auto_commit(self, config: Mapping[str, Any] | None) -> tuple[str, bool] | None:
        """Whether the consumer commits by itself: the client's name of the setting and whether it is on, or None
        when the adapter cannot tell (``config``: the ``lookup_config`` the user passed, for a client that does not
        expose its configuration). A flow (pauseable.flow) refuses a consumer that does, or that it cannot tell.
        Default: None.

        Checked by: ``AbstractFlowTests.test_a_flow_refuses_a_consumer_that_commits_by_itself``.
        """
        return None

    def stores_handed_out(self) -> str | None:
        """The client's setting, when it is on, under which the client stores the offset of each record it hands
        out, so that a commit of stored offsets passes records pauseable held back and rewound to (the controller
        warns once); None when the client stores nothing by itself, or the adapter cannot tell. Default: None.
        Not awaited on an async adapter (a local question to the client)."""
        return None

    def is_transient_error(self, exc: BaseException) -> bool:
        """Whether a failed lookup (position, committed, end offsets, offsets for times) may succeed if tried
        again (see "Errors" in the module docstring). Default: nothing is transient, nothing is retried.

        Checked by the fault tests of the project (a leader moving while paused), not by the suite.
        """
        return False

    def positions(self, partitions: Sequence[TopicPartition]) -> dict[TopicPartition, int | None]:
        """:meth:`position` of each of ``partitions`` (assigned), as a resume asks for them all at once.
        Default: :meth:`position` of each. Override it where the client can answer many at less cost than
        one call each (a resume of 1,000 partitions asks for 1,000).

        Checked by: ``AbstractResumeTests.test_resume_continues_at_exactly_the_next_offset`` and every
        behaviour that resumes with a skipping strategy.
        """
        return {tp: self.position(tp) for tp in partitions}

    def lookup_adapter(self, config: Mapping[str, Any] | None) -> LookupAdapter | None:
        """A client for the offset lookups apart from the consumer's fetch connections (see the module
        docstring), or None to look up through the consumer. Default: None.
        """
        return None

    def identity(self, config: Mapping[str, Any] | None) -> tuple[str | None, str | None]:
        """The consumer's group id and client id, for metrics' labels (``config``: the controller's
        ``lookup_config``). Default: ``group.id`` and ``client.id`` of ``config``, else None.
        """
        return config_identity(config)

    def error_of(self, record: Any) -> BaseException | None:
        """The client's error, as an exception, when ``record`` is an error event rather than a record (what
        librdkafka's ``consume`` returns among records, e.g. "Subscribed topic not available"); None for a
        record. Default: None (the client's ``poll`` returns records only).

        Checked by: ``AbstractPollTests.test_a_record_batch_never_contains_client_error_events``.
        """
        return None

    def typed_error(self, exc: BaseException) -> type[ClientError] | None:
        """The :class:`~pauseable.errors.ClientError` that ``poll`` raises for this client error (an event from
        :meth:`error_of`, or an exception a native call raised), or None when the client gets past it by
        itself: then it is only reported (the ``pauseable_client_error`` hook, and the log). Raise
        :class:`~pauseable.errors.UnknownTopicError` for an unknown topic or partition (the core checks the
        cluster's metadata before raising it), :class:`~pauseable.errors.AuthorizationError` for
        authentication and authorization failures, :class:`~pauseable.errors.FatalClientError` for what the
        client calls fatal. Default: None. (A topic that does not exist is found without it too: an empty
        ``poll`` after ``subscribe`` or ``assign`` asks :meth:`partitions_of` once.)

        Checked by: ``AbstractPollTests.test_polling_a_topic_that_does_not_exist_raises_unknown_topic``.
        """
        return None


class LookupAdapter(Protocol):
    """The offset lookups, on a client apart from the consumer's fetch connections (a side client).

    The same methods, arguments and answers as :class:`ConsumerAdapter`'s, for any partition of the
    cluster (the side client is assigned nothing). A :class:`ConsumerAdapter` is one.
    """

    def beginning_offsets(self, partitions: Sequence[TopicPartition]) -> dict[TopicPartition, int]: ...
    def end_offsets(self, partitions: Sequence[TopicPartition]) -> dict[TopicPartition, int]: ...
    def offsets_for_times(self, timestamps: Mapping[TopicPartition, int]) -> dict[TopicPartition, int | None]: ...
    def close(self) -> None:
        """Close the side client: its connections and threads end."""
        ...


class AsyncConsumerAdapter(Protocol):
    """An asyncio client, translated: subclass it. The same methods as :class:`ConsumerAdapter`, with the
    same duties and the same suite behaviours checking them, awaited (but ``locate``, ``size``,
    ``is_closed``, ``is_closed_error`` and ``is_transient_error``, which do no I/O)."""

    __slots__ = ()

    @abstractmethod
    async def assignment(self) -> set[TopicPartition]: ...
    @abstractmethod
    async def assign(self, partitions: Sequence[TopicPartition]) -> None: ...
    @abstractmethod
    async def subscribe(
        self, topics: Sequence[str], on_assigned: AsyncAssignedHook, on_revoked: AsyncRevokedHook
    ) -> None: ...
    @abstractmethod
    async def pause(self, partitions: Sequence[TopicPartition]) -> None: ...
    @abstractmethod
    async def resume(self, partitions: Sequence[TopicPartition]) -> None: ...
    @abstractmethod
    async def seek(self, partition: TopicPartition, offset: int) -> None: ...
    @abstractmethod
    async def position(self, partition: TopicPartition) -> int | None: ...
    @abstractmethod
    async def committed(self, partitions: Sequence[TopicPartition]) -> dict[TopicPartition, int | None]: ...
    @abstractmethod
    async def beginning_offsets(self, partitions: Sequence[TopicPartition]) -> dict[TopicPartition, int]: ...
    @abstractmethod
    async def end_offsets(self, partitions: Sequence[TopicPartition]) -> dict[TopicPartition, int]: ...
    @abstractmethod
    async def offsets_for_times(self, timestamps: Mapping[TopicPartition, int]) -> dict[TopicPartition, int | None]: ...
    @abstractmethod
    async def partitions_of(self, topic: str) -> frozenset[int]: ...
    @abstractmethod
    async def commit(self, offsets: Mapping[TopicPartition, int] | None) -> None: ...
    @abstractmethod
    async def poll(self, timeout: float, max_records: int) -> list[Any]: ...
    @abstractmethod
    def locate(self, record: Any) -> tuple[str, int, int]: ...
    @abstractmethod
    def size(self, record: Any) -> int: ...
    @abstractmethod
    async def close(self) -> None: ...
    @abstractmethod
    def is_closed(self) -> bool: ...
    @abstractmethod
    def is_closed_error(self, exc: BaseException) -> bool: ...

    poll_slice_s: float = POLL_SLICE_S

    def is_transient_error(self, exc: BaseException) -> bool:
        """As :meth:`ConsumerAdapter.is_transient_error`. Default: False."""
        return False

    async def positions(self, partitions: Sequence[TopicPartition]) -> dict[TopicPartition, int | None]:
        """As :meth:`ConsumerAdapter.positions`, awaited. Default: :meth:`position` of each."""
        return {tp: await self.position(tp) for tp in partitions}

    async def lookup_adapter(self, config: Mapping[str, Any] | None) -> AsyncLookupAdapter | None:
        """As :meth:`ConsumerAdapter.lookup_adapter`, awaited. Default: None."""
        return None

    def identity(self, config: Mapping[str, Any] | None) -> tuple[str | None, str | None]:
        """As :meth:`ConsumerAdapter.identity` (not awaited)."""
        return config_identity(config)

    def auto_commit(self, config: Mapping[str, Any] | None) -> tuple[str, bool] | None:
        """As :meth:`ConsumerAdapter.auto_commit`. Default: None."""
        return None

    def stores_handed_out(self) -> str | None:
        """As :meth:`ConsumerAdapter.stores_handed_out` (not awaited). Default: None."""
        return None

    def error_of(self, record: Any) -> BaseException | None:
        """As :meth:`ConsumerAdapter.error_of`. Default: None."""
        return None

    def typed_error(self, exc: BaseException) -> type[ClientError] | None:
        """As :meth:`ConsumerAdapter.typed_error`. Default: None."""
        return None


class AsyncLookupAdapter(Protocol):
    """The asyncio twin of :class:`LookupAdapter`."""

    async def beginning_offsets(self, partitions: Sequence[TopicPartition]) -> dict[TopicPartition, int]: ...
    async def end_offsets(self, partitions: Sequence[TopicPartition]) -> dict[TopicPartition, int]: ...
    async def offsets_for_times(self, timestamps: Mapping[TopicPartition, int]) -> dict[TopicPartition, int | None]: ...
    async def close(self) -> None: ...


#: the errors of clients that name them as Kafka's Java client does (kafka-python, aiokafka and their forks)
#: which ``poll`` raises, by class name: see :func:`typed_by_name`
JAVA_NAMED_ERRORS: Mapping[str, type[ClientError]] = {
    "UnknownTopicOrPartitionError": UnknownTopicError,
    "TopicAuthorizationFailedError": AuthorizationError,
    "GroupAuthorizationFailedError": AuthorizationError,
    "ClusterAuthorizationFailedError": AuthorizationError,
    "SaslAuthenticationFailedError": AuthorizationError,
    "AuthenticationFailedError": AuthorizationError,
    "AuthenticationMethodNotSupported": AuthorizationError,
}


def config_identity(config: Mapping[str, Any] | None) -> tuple[str | None, str | None]:
    """``group.id`` and ``client.id`` of a librdkafka-style configuration (None for what it lacks)."""
    if not config:
        return None, None
    return config.get("group.id"), config.get("client.id")


def typed_by_name(exc: BaseException) -> type[ClientError] | None:
    """A :meth:`ConsumerAdapter.typed_error` for a client whose exceptions carry Kafka's Java names: the class
    of :data:`JAVA_NAMED_ERRORS` for ``exc``'s class or one of its bases, else None."""
    for cls in type(exc).__mro__:
        if (typed := JAVA_NAMED_ERRORS.get(cls.__name__)) is not None:
            return typed
    return None


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


@functools.cache
def _installed_version(distribution: str) -> str | None:
    """The installed version of ``distribution``, None when it is not installed. Read once per process: reading a
    distribution's metadata takes ~20 ms, and every lookup of a backend asks for every client's version."""
    try:
        return importlib.metadata.version(distribution)
    except importlib.metadata.PackageNotFoundError:
        return None


@dataclass(frozen=True)
class Backend:
    """One backend, as an adapter plugin registers it."""

    #: the name users pass as ``backend=`` (e.g. ``"kafka-python"``)
    name: str
    #: the client's *distribution* name on the package index (``"kafka-python"``, not the import name
    #: ``kafka``): its installed version is read with importlib.metadata, and a backend whose client
    #: distribution is not installed is not listed (see "Registering" in the module docstring)
    client: str
    #: whether this backend drives a given native consumer object: cheap, never failing, an ``isinstance``
    #: check of the client's consumer class; asked only when ``client`` is installed
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
    #: group pauses (pauseable.group): ``control(consumer, config)`` builds a :class:`ControlClient` with this
    #: client's library, from the consumer's connection settings where the client exposes them (``consumer``
    #: None for an operator), with ``config`` (the client's own key names) on top
    control: Callable[[Any, Mapping[str, Any] | None], ControlClient] | None = field(default=None, repr=False)

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
        return _installed_version(self.client)


@dataclass(frozen=True)
class ControlRecord:
    """A record of the control topic (pauseable.group), as a :class:`ControlClient` reads it."""

    partition: int
    offset: int
    key: bytes | None
    #: None for a tombstone
    value: bytes | None


class ControlClient(Protocol):
    """Group pauses' own client of the control topic (optional: ``Backend.control`` builds it), made with the
    backend's client library and never the consumer's: a reader in no group, an ``acks=all`` producer and an
    admin client, each made at its first use. Blocking calls, from one thread at a time (an asyncio client
    runs them on a loop of its own). Errors propagate as the client raises them.
    """

    #: the consumer's group id when the client exposes it (kafka-python, aiokafka), else None
    group: str | None

    def partitions(self, topic: str) -> int:
        """How many partitions ``topic`` has, 0 when the cluster has no such topic (listing every topic: asking
        for one by name lets a broker with auto-create on create it)."""

    def brokers(self) -> int:
        """How many brokers the cluster has."""

    def create(self, topic: str, partitions: int, replication: int, configs: Mapping[str, str]) -> None:
        """Create ``topic`` and wait until it is created."""

    def send(self, topic: str, records: Sequence[tuple[int, bytes, bytes | None]]) -> None:
        """Produce ``(partition, key, value or None)`` records with ``acks=all``, and wait until every one is
        acknowledged (raise otherwise)."""

    def read(self, topic: str, partitions: int) -> None:
        """Start reading every partition of ``topic`` from its beginning, in no group."""

    def fetch(self, timeout: float) -> list[ControlRecord]:
        """What :meth:`read` brings next, waiting at most ``timeout`` seconds (the broker's wait capped at
        100 ms)."""

    def caught_up(self, ends: Mapping[int, int]) -> bool:
        """Whether reading has reached ``ends`` (offsets by partition of the topic being read)."""

    def end_offsets(self, topic: str, partitions: Sequence[int]) -> dict[int, int]:
        """The end offsets of ``topic``'s ``partitions``."""

    def committed(self, group: str, topic: str, partitions: Sequence[int]) -> dict[int, int | None]:
        """``group``'s committed offsets of ``topic``'s ``partitions`` (None where nothing is committed),
        without joining the group."""

    def close(self) -> None:
        """Close every client made."""

    def denied(self, exc: BaseException) -> bool:
        """Whether ``exc`` (raised by one of these calls) is the cluster refusing this client: authentication
        failed, or an ACL is missing. Default: by the Java client's error names (kafka-python, aiokafka)."""
        return typed_by_name(exc) is AuthorizationError


#: Either kind of adapter: the core only needs their two closed-state checks in common.
AnyAdapter = ConsumerAdapter | AsyncConsumerAdapter
