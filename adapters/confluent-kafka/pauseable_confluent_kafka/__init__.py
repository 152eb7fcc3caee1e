"""pauseable backends ``confluent-kafka`` (:class:`confluent_kafka.Consumer`, sync) and
``confluent-kafka-aio`` (:class:`confluent_kafka.aio.AIOConsumer`, asyncio, where installed).

Native behaviour that differs from pauseable's contract, and where it is cured:

- ``committed`` reports "nothing committed" as offset ``-1001`` (``OFFSET_INVALID``): translated to None.
- ``position`` is the offset after the last record handed over (``-1001`` before the first), and a
  ``seek`` sets it back to ``-1001`` until the next record of the partition is handed over (2.16 here,
  pinned in tests/test_native_behaviour.py). The adapter remembers every offset it sought, the waking
  seek of a resume included, until a record of the partition is delivered, so ``position`` is the
  next offset to deliver; None when the client has none yet. (Forgetting the waking seek made a
  resumed partition's position unknown: ``commit()`` and ``Rebuild`` left it out, and the next
  consumer started it from an older committed offset, delivering records twice.)
- ``consume`` stores the offset of each record it hands out (``enable.auto.offset.store``, on by default) and
  ``seek`` keeps it: records the controller held back and sought back to are committed past by an auto commit,
  a ``commit()`` of stored offsets or a revocation (tests/test_native_behaviour.py). Not curable from outside:
  ``store_offsets`` is refused while auto store is on. The adapter tells whether it is on
  (``stores_handed_out``, an empty ``store_offsets`` fails only then) and the controller warns once.
- ``commit(asynchronous=False)`` reports per-partition failures in the returned list, not by raising:
  the adapter raises them.
- ``seek`` right after ``assign`` fails with ``_STATE`` ("Erroneous state") until the partition's
  fetcher has started (~60 ms here), and with ``_OUTDATED`` when another op on the partition overtook
  it (under load): the adapter retries it for up to 10 s.
- ``assign`` (without offsets) starts a partition's fetcher only after an OffsetFetch of its committed
  offset. When that request fails as a whole (``NOT_COORDINATOR``: the group's coordinator is not loaded
  yet, as on a young cluster whose ``__consumer_offsets`` the first FindCoordinator has just created),
  librdkafka neither retries it nor starts the fetcher: the partitions stay on its "queried" list for
  good (no record, ``seek`` fails with ``_STATE``) until the next ``assign``, and every later
  committed-offset query of the assignment waits behind them (librdkafka issue #5586). The adapter
  first asks the coordinator itself (``committed`` of the same partitions), retrying the errors of a
  coordinator that is still being found or loaded, and assigns once it has answered.
- ``offsets_for_times`` reports "no such record" as offset ``-1`` (``OFFSET_END``): translated to None.
- ``commit()`` commits the offsets stored for consumed records only (a ``seek`` is not one), and raises
  ``_NO_OFFSET`` when there are none. The adapter commits the current positions (sought or consumed)
  explicitly, like the other clients do; with no known position it is a no-op.
- ``offsets_for_times`` fails with ``_UNKNOWN_PARTITION`` when librdkafka knows no leader for any of the
  partitions asked about (a leader being elected, or one its metadata names but it has dropped as a broker):
  it reads exactly like a partition that does not exist. The adapter asks the cluster which partitions
  exist, and reports a missing leader as ``LEADER_NOT_AVAILABLE`` (transient, so a resume retries it).
- there is no seek-to-end call; ``seek`` with ``OFFSET_END`` is resolved lazily by the fetcher. The core
  resolves the end offsets and seeks to them (eager). The adapter looks beginning and end offsets up
  with ``offsets_for_times`` at the logical ``OFFSET_BEGINNING``/``OFFSET_END``: one ListOffsets request
  per leader for all the partitions, where ``get_watermark_offsets`` sends two per partition (low and high).
- ``on_assign`` assigns automatically only after the callback returns, so the adapter assigns itself
  (``assign``, or ``incremental_assign`` under a cooperative protocol) and then lets the core pause
  partitions of paused topics, before any of their records can be fetched.
- ``on_lost`` (forced eviction) is treated as a revocation.
- ``assignment()`` (like ``assign``) is a request to librdkafka's main thread that the client makes holding
  the GIL: the whole process waits for the answer. librdkafka drops a request that reaches a consumer group's
  handler as the group terminates, unanswered (``rd_kafka_cgrp_op_serve``; librdkafka#4884, #4041), and two
  group-pause schedules hung the whole process in such a wait (``assign`` in the revoke callback that
  ``close`` runs; ``assignment()`` during a poll, its cause not pinned down). A membership the adapter set up
  (its ``assign``, or its ``subscribe``, whose rebalance callbacks it writes) changes only through calls it
  makes, so the adapter keeps the assignment itself and asks the client nothing; a membership set up
  elsewhere (FastStream's) is read from the client. Also one thread-pool hop less per control call on
  ``AIOConsumer``. And ``close()`` of a consumer it subscribed first unsubscribes and serves the revocation in
  polls of its own (its partitions paused, so nothing more is handed over), so librdkafka's close finds
  nothing assigned and makes no ``assign`` as the group terminates (the workaround of librdkafka#4527).
- ``resume`` does not wake librdkafka's fetcher: the partition's broker thread notices it only at
  its next idle wake-up, up to 1 s later (``rd_kafka_max_block_ms``, not configurable), so the
  first record after a resume came 0-1 s late, and ~1 s when a seek or an offset lookup had just
  woken that thread. A seek made after the resume does wake it (the fetch state turns active); one
  made before, while paused, does not. So the adapter seeks every partition it resumes to the
  position it resumes at, right after the native resume: local, no round trip, nothing skipped or
  repeated (the seek only discards records prefetched for the old fetch version, which a pause has
  already purged). A seek of a partition the adapter paused natively is therefore only noted, and
  made once, at resume: a resume that skips sends each partition one seek, not two.
- ``consume(num_messages, timeout)`` waits until it has ``num_messages`` or the timeout ran out, even
  with records ready (``poll(2.0, 500)`` with one record fetched took 2 s). The adapter takes what is
  ready without waiting (``consume(n, 0)``); only when nothing is ready does it wait, up to the
  timeout, for the first record, then takes what else is ready with it.
- a consumer sends its requests to a broker on one connection (group requests on one of their own),
  which the broker answers in order: an offset lookup (ListOffsets) sent while a long-poll Fetch of other
  partitions is outstanding there waits for it, up to ``fetch.wait.max.ms`` (~450 ms right after a poll).
  The adapter makes the lookups (end and beginning offsets, offsets for times) on a consumer
  of its own, never assigned anything, built at the first lookup from ``lookup_config``
  (:func:`side_config`) and closed with the controller. librdkafka does not expose a consumer's
  configuration, so the user passes it: ``pauseable.controller(consumer, lookup_config=config)``; without
  it, the lookups go through the consumer as before, and wait behind its fetches. The side client fetches
  nothing, so nothing tells it a leader moved: before a lookup it asks for the topic's leaders when it
  last did over a second ago (librdkafka would wait for a dead leader until the lookup's timeout).
"""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from collections.abc import Mapping, Sequence
from typing import Any

import pauseable
from pauseable import CloseTimeoutError, TopicPartition, bounded
from pauseable.adapter import (
    AssignedHook,
    AsyncAssignedHook,
    AsyncConsumerAdapter,
    AsyncRevokedHook,
    Backend,
    ConsumerAdapter,
    ConsumerSettings,
    LeaderAges,
    RevokedHook,
)
from pauseable.errors import AuthorizationError, ClientError, FatalClientError, UnknownTopicError
from pauseable_confluent_kafka.control import open_control

try:
    import confluent_kafka
    from confluent_kafka import KafkaError, KafkaException
    from confluent_kafka import TopicPartition as NativeTP

    HAVE_CLIENT = True
except ImportError:  # pragma: no cover - the backends are then simply not listed
    HAVE_CLIENT = False
try:
    from confluent_kafka.aio import AIOConsumer

    HAVE_AIO = True
except ImportError:  # pragma: no cover - releases before 2.12 have no asyncio consumer
    HAVE_AIO = False

_OFFSET_INVALID = -1001
#: codes of a lookup error that asking again may cure: the client's metadata is stale (a leader moved,
#: a broker restarted), a broker or the coordinator went away, or the lookup timed out. Not among them:
#: UNKNOWN_TOPIC_OR_PART, _UNKNOWN_TOPIC and _UNKNOWN_PARTITION (the topic or partition is absent),
#: authorization, _INVALID_ARG, _STATE, _RESOLVE (a host name that does not resolve).
_TRANSIENT_NAMES = (
    # the broker's answer: its leadership or its replica moved, or it is going away
    "NOT_LEADER_FOR_PARTITION", "LEADER_NOT_AVAILABLE", "FENCED_LEADER_EPOCH", "UNKNOWN_LEADER_EPOCH",
    "OFFSET_NOT_AVAILABLE", "REPLICA_NOT_AVAILABLE", "BROKER_NOT_AVAILABLE", "NETWORK_EXCEPTION",
    "KAFKA_STORAGE_ERROR", "LISTENER_NOT_FOUND", "REBOOTSTRAP_REQUIRED", "REQUEST_TIMED_OUT",
    "NOT_COORDINATOR", "COORDINATOR_NOT_AVAILABLE", "COORDINATOR_LOAD_IN_PROGRESS",
    # librdkafka's own: the connection to a broker went, the broker is not (or no longer) in its metadata,
    # its metadata cache is being updated, the coordinator is being looked up, a timeout
    "_TRANSPORT", "_DESTROY_BROKER", "_ALL_BROKERS_DOWN", "_UNKNOWN_BROKER", "_NODE_UPDATE", "_WAIT_CACHE",
    "_WAIT_COORD", "_TIMED_OUT", "_TIMED_OUT_QUEUE", "_RETRY",
)  # fmt: skip
if HAVE_CLIENT:  # a name this release of the client does not have is left out
    _TRANSIENT_CODES = frozenset(getattr(KafkaError, name) for name in _TRANSIENT_NAMES if hasattr(KafkaError, name))
_TIMEOUT_S = 30.0
_log = logging.getLogger("pauseable")
#: a side client's lookup: one that waits for a dead leader (its metadata a second old) gives up in time for
#: a retry within a resume's budget (pauseable.core.LookupRetry, 30 s), which asks for the leaders first
_SIDE_TIMEOUT_S = 10.0


def _timeout(side: bool) -> float:
    return _SIDE_TIMEOUT_S if side else _TIMEOUT_S


#: consume() refuses more than this many messages per call; poll(max_records) promises "up to", so cap it
_MAX_CONSUME = 1_000_000
#: how long each poll of a closing consumer waits for its revocation to be served
_LEAVE_POLL_S = 0.05


#: callbacks and settings of lookup_config the side client leaves out: a static member id is the consumer's
#: alone, and librdkafka serves the reporting callbacks only when the client is polled (the side client is
#: not, so their events would queue up unserved); oauth_cb stays (served on librdkafka's background thread)
_NOT_ON_SIDE = (
    "group.instance.id", "on_commit", "error_cb", "throttle_cb", "stats_cb", "statistics.interval.ms", "logger",
)  # fmt: skip


def side_config(config: Mapping[str, Any]) -> dict[str, Any]:
    """The configuration of the side client for offset lookups, from the consumer's (``lookup_config``).

    Kept as given: what changes an answer or a login (``bootstrap.servers``, ``security.protocol``,
    ``ssl.*``, ``sasl.*``, ``oauth_cb``, ``isolation.level``, ``group.id``, ...).
    ``client.id`` gets ``-lookups``; it never commits; see :data:`_NOT_ON_SIDE` for what it leaves out.
    Its idle connections closing are not logged (``log.connection.close``, unless set).
    """
    side = {key: value for key, value in config.items() if key not in _NOT_ON_SIDE}
    side["client.id"] = f"{config.get('client.id', 'rdkafka')}-lookups"
    side["enable.auto.commit"] = False
    side.setdefault("log.connection.close", False)
    return side


def _native(partitions: Sequence[TopicPartition]) -> list[Any]:
    return [NativeTP(tp.topic, tp.partition) for tp in partitions]


def _firsts(records: Sequence[Any]) -> list[Any]:
    """The first record's offset of each partition among ``records`` (native), errors left out."""
    first: dict[tuple[str, int], int] = {}
    for record in records:
        if record.error() is None:
            first.setdefault((record.topic(), record.partition()), record.offset())
    return [NativeTP(topic, partition, offset) for (topic, partition), offset in first.items()]


def _ours(partitions: Sequence[Any]) -> list[TopicPartition]:
    return [TopicPartition(tp.topic, tp.partition) for tp in partitions]


def _offsets(found: Sequence[Any], *, none_below: int = 0) -> dict[TopicPartition, int | None]:
    """Native partitions with offsets → pauseable's map; offsets below ``none_below`` mean None."""
    result: dict[TopicPartition, int | None] = {}
    for tp in found:
        if tp.error is not None:
            raise KafkaException(tp.error)
        result[TopicPartition(tp.topic, tp.partition)] = tp.offset if tp.offset >= none_below else None
    return result


def _raise_partition_errors(committed: Sequence[Any] | None) -> None:
    """A synchronous commit's answer lists each partition with its own error: the first is raised."""
    for tp in committed or ():
        if tp.error is not None:
            raise KafkaException(tp.error)


def _partition_ids(metadata: Any, topic: str) -> frozenset[int]:
    """The partition ids of ``topic`` in a ``list_topics`` answer; empty when the cluster has no such topic."""
    found = metadata.topics.get(topic)
    if found is None or (found.error is not None and found.error.code() == KafkaError.UNKNOWN_TOPIC_OR_PART):
        return frozenset()
    return frozenset(found.partitions)


def _is_unknown_partition(exc: BaseException) -> bool:
    error = exc.args[0] if isinstance(exc, KafkaException) and exc.args else None
    return isinstance(error, KafkaError) and error.code() == KafkaError._UNKNOWN_PARTITION


def _missing_leader(partitions: Sequence[TopicPartition], existing: Mapping[str, frozenset[int]]) -> Exception | None:
    """For an ``offsets_for_times`` that failed with ``_UNKNOWN_PARTITION``: a transient error when every
    partition asked about exists (``existing``: the partition ids of each topic, from the cluster), else None.

    librdkafka (rd_kafka_topic_partition_list_query_leaders) fails the whole call with _UNKNOWN_PARTITION
    when it has a leader for none of the partitions: "No leader(s) for partitions means all partitions are
    unknown", whether a partition is absent or its leader is -1 or a broker it no longer knows.
    """
    if any(tp.partition not in existing.get(tp.topic, frozenset()) for tp in partitions):
        return None
    names = ", ".join(sorted(str(tp) for tp in partitions))
    reason = f"no leader known for {names} (librdkafka reports _UNKNOWN_PARTITION; the partitions exist)"
    return KafkaException(KafkaError(KafkaError.LEADER_NOT_AVAILABLE, reason, retriable=True))


#: how long the check of which partitions exist may take (one Metadata request)
_EXISTS_TIMEOUT_S = 10.0


def _logical(partitions: Sequence[TopicPartition], offset: int) -> list[Any]:
    """A ListOffsets query: ``offset`` is OFFSET_BEGINNING or OFFSET_END, which the broker resolves."""
    return [NativeTP(tp.topic, tp.partition, offset) for tp in partitions]


def _resolved(found: Sequence[Any]) -> dict[TopicPartition, int]:
    result: dict[TopicPartition, int] = {}
    for tp in found:
        if tp.error is not None:
            raise KafkaException(tp.error)
        result[TopicPartition(tp.topic, tp.partition)] = int(tp.offset)
    return result


#: librdkafka's error codes that poll raises as which typed error; a fatal error (``KafkaError.fatal()``) is raised
#: as FatalClientError; any other event (e.g. _MAX_POLL_EXCEEDED, _PARTITION_EOF) is only reported
_TYPED_NAMES: dict[str, type[ClientError]] = {
    "UNKNOWN_TOPIC_OR_PART": UnknownTopicError, "_UNKNOWN_TOPIC": UnknownTopicError,
    "_UNKNOWN_PARTITION": UnknownTopicError, "TOPIC_AUTHORIZATION_FAILED": AuthorizationError,
    "GROUP_AUTHORIZATION_FAILED": AuthorizationError, "CLUSTER_AUTHORIZATION_FAILED": AuthorizationError,
    "SASL_AUTHENTICATION_FAILED": AuthorizationError, "_AUTHENTICATION": AuthorizationError,
    "UNSUPPORTED_SASL_MECHANISM": AuthorizationError, "ILLEGAL_SASL_STATE": AuthorizationError,
}  # fmt: skip
if HAVE_CLIENT:
    _TYPED_CODES = {
        getattr(KafkaError, name): typed for name, typed in _TYPED_NAMES.items() if hasattr(KafkaError, name)
    }


def _error_of(record: Any) -> BaseException | None:
    """consume() hands out the client's error events among records (e.g. "Subscribed topic not available")."""
    error = record.error()
    return None if error is None else KafkaException(error)


def _typed_error(exc: BaseException) -> type[ClientError] | None:
    error = exc.args[0] if isinstance(exc, KafkaException) and exc.args else None
    if not isinstance(error, KafkaError):
        return None
    if error.fatal():
        return FatalClientError
    return _TYPED_CODES.get(error.code())


def _locate(record: Any) -> tuple[str, int, int]:
    if record.error() is not None:  # an event (e.g. partition EOF), never held back
        return record.topic() or "", -1, -1
    return record.topic(), record.partition(), record.offset()


def _size(record: Any) -> int:
    return len(record.key() or b"") + len(record.value() or b"")


def _is_state_error(exc: BaseException) -> bool:
    return isinstance(exc, KafkaException) and exc.args[0].code() == KafkaError._STATE


def _is_retried_seek_error(exc: BaseException) -> bool:
    """A seek to try again: ``_STATE`` while the partition's fetcher starts; ``_OUTDATED`` when another op on
    the partition (a pause, a resume, a fetch restart) overtook it — seen under load on a busy machine."""
    return isinstance(exc, KafkaException) and exc.args[0].code() in (KafkaError._STATE, KafkaError._OUTDATED)


def _is_closed_message(exc: BaseException) -> bool:
    return isinstance(exc, RuntimeError) and "closed" in str(exc).lower()


def _stores_handed_out(consumer: Any) -> str | None:
    """The setting's name when librdkafka's auto offset store is on: it refuses any ``store_offsets`` then, an
    empty one included, which stores nothing otherwise (a local call, no request, safe from any thread).
    Asked of the ``Consumer`` itself, or of the one an ``AIOConsumer`` drives; None when there is none."""
    native = consumer if isinstance(consumer, confluent_kafka.Consumer) else getattr(consumer, "_consumer", None)
    if not isinstance(native, confluent_kafka.Consumer):
        return None
    try:
        native.store_offsets(offsets=[])
    except KafkaException as exc:
        on = bool(exc.args) and exc.args[0].code() == KafkaError._INVALID_ARG
        return "enable.auto.offset.store" if on else None  # else: cannot tell
    return None


def _is_transient(exc: BaseException) -> bool:
    """A lookup error that a retry may cure. librdkafka answers a lookup for a partition whose leader
    moved while it was paused with NOT_LEADER_FOR_PARTITION or _DESTROY_BROKER, and does not retry it
    itself (it refreshes its metadata meanwhile, so the adapter need not ask for it)."""
    error = exc.args[0] if isinstance(exc, KafkaException) and exc.args else None
    return isinstance(error, KafkaError) and (error.retriable() or error.code() in _TRANSIENT_CODES)


_SEEK_RETRY_S = 10.0
#: the first timeout of the committed-offset query that waits for the group coordinator, doubled on
#: each retry: librdkafka's committed() may wait its whole timeout for a broker state change
_COORDINATOR_WAIT_S = 0.5
_COORDINATOR_RETRY_S = 0.02


def _coordinator_wait(previous: float, deadline: float) -> float:
    """The next query's timeout: twice the previous one, within ``deadline``."""
    return min(2 * previous, max(deadline - time.monotonic(), 0.01))


class _SoughtOffsets:
    """Offsets sought but not yet delivered past: librdkafka's ``position`` does not reflect a seek."""

    __slots__ = ("_sought",)

    def __init__(self) -> None:
        self._sought: dict[tuple[str, int], int] = {}

    def note_seek(self, partition: TopicPartition, offset: int) -> None:
        self._sought[partition.topic, partition.partition] = offset

    def note_delivered(self, records: list[Any]) -> None:
        if self._sought:
            for record in records:
                if record.error() is None:
                    self._sought.pop((record.topic(), record.partition()), None)

    def position(self, partition: TopicPartition, native: Sequence[Any]) -> int | None:
        return self.positions([partition], native)[partition]

    def positions(
        self, partitions: Sequence[TopicPartition], native: Sequence[Any]
    ) -> dict[TopicPartition, int | None]:
        offsets = _offsets(native)
        return {tp: self._sought.get((tp.topic, tp.partition), offsets[tp]) for tp in partitions}

    def known(self, assigned: Sequence[Any], native_positions: Sequence[Any]) -> dict[TopicPartition, int]:
        """The known positions of ``assigned`` partitions: sought, else consumed."""
        consumed = _offsets(native_positions)
        result: dict[TopicPartition, int] = {}
        for tp in _ours(assigned):
            position = self._sought.get((tp.topic, tp.partition), consumed.get(tp))
            if position is not None:
                result[tp] = position
        return result

    def forget(self, partitions: Sequence[Any]) -> None:
        for tp in partitions:
            self._sought.pop((tp.topic, tp.partition), None)


def _take_paused(paused: set[tuple[str, int]], resumed: Sequence[TopicPartition]) -> list[TopicPartition]:
    """The ``resumed`` partitions that were paused natively (removed from ``paused``)."""
    taken = [tp for tp in resumed if (tp.topic, tp.partition) in paused]
    paused.difference_update((tp.topic, tp.partition) for tp in taken)
    return taken


def _wake_seeks(sought: _SoughtOffsets, resumed: list[TopicPartition], positions: Sequence[Any]) -> list[Any]:
    """Seeks to where ``resumed`` partitions resume (sought, else consumed): they wake the fetcher.

    A partition with no known position (nothing delivered, nothing sought) resumes at a logical
    offset, whose lookup wakes the fetcher by itself.
    """
    known = sought.known(_native(resumed), positions)
    return [NativeTP(tp.topic, tp.partition, known[tp]) for tp in resumed if tp in known]


def _paused_again(paused: set[tuple[str, int]], resumed: list[TopicPartition]) -> list[Any]:
    """A resume's seek failed: the partitions it resumed natively are paused again (returned, to pause), as
    the controller keeps them, so none fetches from where it is not meant to resume (a seek still to make
    stays noted, for the next resume)."""
    paused.update((tp.topic, tp.partition) for tp in resumed)
    return _native(resumed)


class ConfluentAdapter(ConsumerAdapter):
    """The translation table from pauseable to :class:`confluent_kafka.Consumer`."""

    __slots__ = (
        "_assigned", "_consumer", "_deferred", "_leaders", "_leaving", "_paused", "_side", "_sought", "_stores",
        "_subscribed",
    )  # fmt: skip

    def __init__(self, consumer: Any, *, side: bool = False) -> None:
        self._consumer = consumer
        #: a side client for lookups: nothing tells it a leader moved (it fetches nothing)
        self._side = side
        #: on a side client: when each topic's leaders were last asked for
        self._leaders = LeaderAges()
        self._sought = _SoughtOffsets()
        #: partitions this adapter paused natively, to wake the fetcher for at resume
        self._paused: set[tuple[str, int]] = set()
        #: paused partitions sought but not yet natively: the seek is made at resume (it wakes the fetcher)
        self._deferred: set[tuple[str, int]] = set()
        #: subscribed in a group: close runs the revoke callback, which may call the controller (see close)
        self._subscribed = False
        #: the assignment, when this adapter made it (see the module notes); None: ask the client
        self._assigned: set[TopicPartition] | None = None
        #: closing: unsubscribed, serving the revocation before the close (see close)
        self._leaving = False
        #: stores_handed_out, asked once (False: not yet)
        self._stores: str | bool | None = False

    def assignment(self) -> set[TopicPartition]:
        if self._assigned is not None:
            return set(self._assigned)
        return set(_ours(self._consumer.assignment()))

    def assign(self, partitions: Sequence[TopicPartition]) -> None:
        if partitions:
            self._await_coordinator(_native(partitions))
        self._assigned = None  # until the client has taken it
        self._consumer.assign(_native(partitions))
        self._assigned = set(partitions)
        self._sought = _SoughtOffsets()
        self._paused.clear()
        self._deferred.clear()

    def _await_coordinator(self, native: list[Any]) -> None:
        """Return once the group coordinator answers an OffsetFetch of ``native`` (see the module notes)."""
        deadline = time.monotonic() + _TIMEOUT_S
        wait = _COORDINATOR_WAIT_S
        while True:
            try:
                self._consumer.committed(native, timeout=wait)
                return
            except KafkaException as exc:
                if not _is_transient(exc) or time.monotonic() >= deadline:
                    raise
            time.sleep(_COORDINATOR_RETRY_S)
            wait = _coordinator_wait(wait, deadline)

    def subscribe(self, topics: Sequence[str], on_assigned: AssignedHook, on_revoked: RevokedHook) -> None:
        self._subscribed = True
        self._assigned = set()

        def on_assign(consumer: Any, partitions: list[Any]) -> None:
            ours, held = _ours(partitions), self._assigned
            self._assigned = None  # unknown until one of the calls below has returned
            try:
                consumer.assign(partitions)
                self._assigned = set(ours)
            except KafkaException as exc:
                if not _is_state_error(exc):
                    raise
                consumer.incremental_assign(partitions)  # a cooperative rebalance protocol
                self._assigned = None if held is None else held | set(ours)
            if self._leaving:  # an assignment served while closing: none of it is fetched
                consumer.pause(partitions)
            on_assigned(ours)

        def on_revoke(consumer: Any, partitions: list[Any]) -> None:
            self._forget(partitions)
            on_revoked(_ours(partitions))

        self._consumer.subscribe(list(topics), on_assign=on_assign, on_revoke=on_revoke, on_lost=on_revoke)

    def pause(self, partitions: Sequence[TopicPartition]) -> None:
        self._consumer.pause(_native(partitions))
        self._paused.update((tp.topic, tp.partition) for tp in partitions)

    def _forget(self, partitions: Sequence[Any]) -> None:
        self._sought.forget(partitions)
        keys = {(tp.topic, tp.partition) for tp in partitions}
        self._paused.difference_update(keys)
        self._deferred.difference_update(keys)
        if self._assigned is not None:  # the client unassigns them once the revoke callback returns
            self._assigned.difference_update(_ours(partitions))

    def resume(self, partitions: Sequence[TopicPartition]) -> None:
        self._consumer.resume(_native(partitions))
        if not (was_paused := _take_paused(self._paused, partitions)):
            return
        try:
            for wake in _wake_seeks(self._sought, was_paused, self._consumer.position(_native(was_paused))):
                key = (wake.topic, wake.partition)
                if key in self._deferred:  # the one seek of a partition sought while paused
                    self._seek_native(wake)
                    self._deferred.discard(key)
                else:
                    self._wake(wake)
                # librdkafka forgets the position at every seek: the resume position is remembered instead
                self._sought.note_seek(TopicPartition(wake.topic, wake.partition), wake.offset)
        except Exception:
            self._consumer.pause(_paused_again(self._paused, was_paused))
            raise

    def _wake(self, wake: Any) -> None:
        try:
            self._consumer.seek(wake)
        except KafkaException as exc:
            if not _is_retried_seek_error(exc):  # _STATE: the fetcher is still starting, and that wakes it
                raise

    def _seek_native(self, native: Any) -> None:
        deadline = time.monotonic() + _SEEK_RETRY_S
        while True:
            try:
                self._consumer.seek(native)
                return
            except KafkaException as exc:
                if not _is_retried_seek_error(exc) or time.monotonic() > deadline:
                    raise
                time.sleep(0.01)  # the partition's fetcher is still starting

    def seek(self, partition: TopicPartition, offset: int) -> None:
        key = (partition.topic, partition.partition)
        if key in self._paused:  # made at resume, where it also wakes the fetcher
            self._deferred.add(key)
        else:
            self._seek_native(NativeTP(partition.topic, partition.partition, offset))
        self._sought.note_seek(partition, offset)

    def position(self, partition: TopicPartition) -> int | None:
        return self._sought.position(partition, self._consumer.position(_native([partition])))

    def positions(self, partitions: Sequence[TopicPartition]) -> dict[TopicPartition, int | None]:
        # one call for them all: on the asyncio client each call is a hop through its thread pool
        return self._sought.positions(partitions, self._consumer.position(_native(partitions)))

    def committed(self, partitions: Sequence[TopicPartition]) -> dict[TopicPartition, int | None]:
        return _offsets(self._consumer.committed(_native(partitions), timeout=_TIMEOUT_S))

    def beginning_offsets(self, partitions: Sequence[TopicPartition]) -> dict[TopicPartition, int]:
        return _resolved(self._list_offsets(partitions, _logical(partitions, confluent_kafka.OFFSET_BEGINNING)))

    def end_offsets(self, partitions: Sequence[TopicPartition]) -> dict[TopicPartition, int]:
        return _resolved(self._list_offsets(partitions, _logical(partitions, confluent_kafka.OFFSET_END)))

    def offsets_for_times(self, timestamps: Mapping[TopicPartition, int]) -> dict[TopicPartition, int | None]:
        query = [NativeTP(tp.topic, tp.partition, ts) for tp, ts in timestamps.items()]
        return _offsets(self._list_offsets(list(timestamps), query))

    def _list_offsets(self, partitions: Sequence[TopicPartition], query: list[Any]) -> list[Any]:
        """``offsets_for_times``, with a missing leader told apart from a missing partition."""
        for topic in self._leaders.due(tp.topic for tp in partitions) if self._side else ():
            self._consumer.list_topics(topic, timeout=_EXISTS_TIMEOUT_S)  # librdkafka would wait for a dead leader
            self._leaders.asked(topic)
        try:
            found: list[Any] = self._consumer.offsets_for_times(query, timeout=_timeout(self._side))
            return found
        except KafkaException as exc:
            if self._side and _is_transient(exc):  # the retry asks for the leaders first
                self._leaders.expire(tp.topic for tp in partitions)
            if not _is_unknown_partition(exc):
                raise
            existing = {
                t: _partition_ids(self._consumer.list_topics(t, timeout=_EXISTS_TIMEOUT_S), t)
                for t in {tp.topic for tp in partitions}
            }
            if (missing_leader := _missing_leader(partitions, existing)) is None:
                raise
            raise missing_leader from exc

    def partitions_of(self, topic: str) -> frozenset[int]:
        # A consumer's metadata request never creates the topic (allow.auto.create.topics is off by default).
        return _partition_ids(self._consumer.list_topics(topic, timeout=_TIMEOUT_S), topic)

    def commit(self, offsets: Mapping[TopicPartition, int] | None) -> None:
        if offsets is None:
            assigned = _native(sorted(self.assignment()))
            positions = self._consumer.position(assigned) if assigned else []
            offsets = self._sought.known(assigned, positions)
        if offsets:
            native = [NativeTP(tp.topic, tp.partition, o) for tp, o in offsets.items()]
            _raise_partition_errors(self._consumer.commit(offsets=native, asynchronous=False))

    def poll(self, timeout: float, max_records: int) -> list[Any]:
        consume, wanted = self._consumer.consume, min(max_records, _MAX_CONSUME)
        records: list[Any] = consume(num_messages=wanted, timeout=0)  # what is ready: no waiting for a full batch
        if not records and timeout > 0:
            records = consume(num_messages=1, timeout=timeout)  # the first record to arrive
            if records and wanted > 1:
                records += consume(num_messages=wanted - 1, timeout=0)
        self._sought.note_delivered(records)
        return records

    def locate(self, record: Any) -> tuple[str, int, int]:
        return _locate(record)

    def size(self, record: Any) -> int:
        return _size(record)

    def close(self) -> None:
        if self._subscribed:
            # a rebalance callback may still run inside close (an assignment on its way), on the closing thread,
            # and call the controller, whose gate the caller holds: a close on another thread would wait for
            # itself. Not bounded. An error of the leaving (a revoke callback's) is raised once closed.
            try:
                self._leave_group()
            finally:
                try:
                    self._consumer.close()
                finally:
                    self._assigned = None  # closed: the client answers (that it is closed)
            return
        self._assigned = None  # closed: the client answers (that it is closed)
        # bounded: librdkafka's close waits as long as brokers do not answer, and can deadlock (pauseable.bounded)
        try:
            bounded.call_within(self._consumer.close, bounded.CLOSE_TIMEOUT_S, "confluent-kafka Consumer.close()")
        except CloseTimeoutError as exc:
            if not self._side:
                raise
            _log.warning("the offset-lookup client: %s", exc)  # it never commits: nothing to lose

    def _leave_group(self) -> None:
        """Unsubscribe and serve the revocation in polls of this thread, so the close that follows finds nothing
        assigned. librdkafka's close serves the revocation itself, and an ``assign`` made in that callback can
        reach the group's handler as it terminates and wait forever, holding the GIL (module notes; the
        workaround of librdkafka#4527). Nothing is handed over meanwhile: the partitions are paused first, which
        drops their fetched records."""
        if self._assigned is None:  # a membership of unknown state: librdkafka's close serves it
            return
        self._leaving = True
        if self._assigned:
            self._consumer.pause(_native(sorted(self._assigned)))
        self._consumer.unsubscribe()
        deadline = time.monotonic() + bounded.CLOSE_TIMEOUT_S
        while self._assigned and time.monotonic() < deadline:
            for first in _firsts(self._consumer.consume(num_messages=_MAX_CONSUME, timeout=_LEAVE_POLL_S)):
                self._seek_native(first)  # never handed over: the position stays before it
                self._sought.note_seek(TopicPartition(first.topic, first.partition), first.offset)

    def is_closed(self) -> bool:
        return False  # the client has no such query; a closed consumer raises RuntimeError instead

    def is_closed_error(self, exc: BaseException) -> bool:
        return _is_closed_message(exc)

    def error_of(self, record: Any) -> BaseException | None:
        return _error_of(record)

    def typed_error(self, exc: BaseException) -> type[ClientError] | None:
        return _typed_error(exc)

    def is_transient_error(self, exc: BaseException) -> bool:
        return _is_transient(exc)

    def auto_commit(self, config: Mapping[str, Any] | None) -> tuple[str, bool] | None:
        """From ``lookup_config`` (librdkafka does not expose a consumer's configuration); on by default."""
        return None if config is None else ("enable.auto.commit", _is_on(config.get("enable.auto.commit", True)))

    def stores_handed_out(self) -> str | None:
        if self._stores is False:
            self._stores = _stores_handed_out(self._consumer)
        return self._stores  # type: ignore[return-value]

    def lookup_adapter(self, config: Mapping[str, Any] | None) -> ConfluentAdapter | None:
        """Offset lookups on a consumer of their own (:func:`side_config`); None without ``config``."""
        return None if config is None else ConfluentAdapter(confluent_kafka.Consumer(side_config(config)), side=True)


class ConfluentAsyncAdapter(AsyncConsumerAdapter):
    """The translation table from pauseable to :class:`confluent_kafka.aio.AIOConsumer`."""

    __slots__ = (
        "_assigned", "_consumer", "_deferred", "_leaders", "_leaving", "_paused", "_side", "_sought", "_stores",
        "_subscribed",
    )  # fmt: skip

    def __init__(self, consumer: Any, *, side: bool = False) -> None:
        self._consumer = consumer
        #: a side client for lookups: nothing tells it a leader moved (it fetches nothing)
        self._side = side
        #: on a side client: when each topic's leaders were last asked for
        self._leaders = LeaderAges()
        self._sought = _SoughtOffsets()
        #: partitions this adapter paused natively, to wake the fetcher for at resume
        self._paused: set[tuple[str, int]] = set()
        #: paused partitions sought but not yet natively: the seek is made at resume (it wakes the fetcher)
        self._deferred: set[tuple[str, int]] = set()
        #: subscribed in a group: close runs the revoke callback, which may call the controller (see close)
        self._subscribed = False
        #: the assignment, when this adapter made it (see the module notes); None: ask the client
        self._assigned: set[TopicPartition] | None = None
        #: closing: unsubscribed, serving the revocation before the close (see close)
        self._leaving = False
        #: stores_handed_out, asked once (False: not yet)
        self._stores: str | bool | None = False

    async def assignment(self) -> set[TopicPartition]:
        if self._assigned is not None:
            return set(self._assigned)
        return set(_ours(await self._consumer.assignment()))

    async def assign(self, partitions: Sequence[TopicPartition]) -> None:
        if partitions:
            await self._await_coordinator(_native(partitions))
        self._assigned = None  # until the client has taken it
        await self._consumer.assign(_native(partitions))
        self._assigned = set(partitions)
        self._sought = _SoughtOffsets()
        self._paused.clear()
        self._deferred.clear()

    async def _await_coordinator(self, native: list[Any]) -> None:
        """Return once the group coordinator answers an OffsetFetch of ``native`` (see the module notes)."""
        deadline = time.monotonic() + _TIMEOUT_S
        wait = _COORDINATOR_WAIT_S
        while True:
            try:
                await self._consumer.committed(native, timeout=wait)
                return
            except KafkaException as exc:
                if not _is_transient(exc) or time.monotonic() >= deadline:
                    raise
            await asyncio.sleep(_COORDINATOR_RETRY_S)
            wait = _coordinator_wait(wait, deadline)

    async def subscribe(
        self, topics: Sequence[str], on_assigned: AsyncAssignedHook, on_revoked: AsyncRevokedHook
    ) -> None:
        self._subscribed = True
        self._assigned = set()

        async def on_assign(consumer: Any, partitions: list[Any]) -> None:
            ours, held = _ours(partitions), self._assigned
            self._assigned = None  # unknown until one of the calls below has returned
            try:
                await consumer.assign(partitions)
                self._assigned = set(ours)
            except KafkaException as exc:
                if not _is_state_error(exc):
                    raise
                await consumer.incremental_assign(partitions)
                self._assigned = None if held is None else held | set(ours)
            if self._leaving:  # an assignment served while closing: none of it is fetched
                await consumer.pause(partitions)
            await on_assigned(ours)

        async def on_revoke(consumer: Any, partitions: list[Any]) -> None:
            self._forget(partitions)
            await on_revoked(_ours(partitions))

        await self._consumer.subscribe(list(topics), on_assign=on_assign, on_revoke=on_revoke, on_lost=on_revoke)

    async def pause(self, partitions: Sequence[TopicPartition]) -> None:
        await self._consumer.pause(_native(partitions))
        self._paused.update((tp.topic, tp.partition) for tp in partitions)

    def _forget(self, partitions: Sequence[Any]) -> None:
        self._sought.forget(partitions)
        keys = {(tp.topic, tp.partition) for tp in partitions}
        self._paused.difference_update(keys)
        self._deferred.difference_update(keys)
        if self._assigned is not None:  # the client unassigns them once the revoke callback returns
            self._assigned.difference_update(_ours(partitions))

    async def resume(self, partitions: Sequence[TopicPartition]) -> None:
        await self._consumer.resume(_native(partitions))
        if not (was_paused := _take_paused(self._paused, partitions)):
            return
        try:
            for wake in _wake_seeks(self._sought, was_paused, await self._consumer.position(_native(was_paused))):
                key = (wake.topic, wake.partition)
                if key in self._deferred:  # the one seek of a partition sought while paused
                    await self._seek_native(wake)
                    self._deferred.discard(key)
                else:
                    await self._wake(wake)
                self._sought.note_seek(TopicPartition(wake.topic, wake.partition), wake.offset)
        except Exception:
            await self._consumer.pause(_paused_again(self._paused, was_paused))
            raise

    async def _wake(self, wake: Any) -> None:
        try:
            await self._consumer.seek(wake)
        except KafkaException as exc:
            if not _is_retried_seek_error(exc):  # _STATE: the fetcher is still starting, and that wakes it
                raise

    async def _seek_native(self, native: Any) -> None:
        deadline = time.monotonic() + _SEEK_RETRY_S
        while True:
            try:
                await self._consumer.seek(native)
                return
            except KafkaException as exc:
                if not _is_retried_seek_error(exc) or time.monotonic() > deadline:
                    raise
                await asyncio.sleep(0.01)  # the partition's fetcher is still starting

    async def seek(self, partition: TopicPartition, offset: int) -> None:
        key = (partition.topic, partition.partition)
        if key in self._paused:  # made at resume, where it also wakes the fetcher
            self._deferred.add(key)
        else:
            await self._seek_native(NativeTP(partition.topic, partition.partition, offset))
        self._sought.note_seek(partition, offset)

    async def position(self, partition: TopicPartition) -> int | None:
        return self._sought.position(partition, await self._consumer.position(_native([partition])))

    async def positions(self, partitions: Sequence[TopicPartition]) -> dict[TopicPartition, int | None]:
        # one call for them all: on the asyncio client each call is a hop through its thread pool
        return self._sought.positions(partitions, await self._consumer.position(_native(partitions)))

    async def committed(self, partitions: Sequence[TopicPartition]) -> dict[TopicPartition, int | None]:
        return _offsets(await self._consumer.committed(_native(partitions), timeout=_TIMEOUT_S))

    async def beginning_offsets(self, partitions: Sequence[TopicPartition]) -> dict[TopicPartition, int]:
        return _resolved(await self._list_offsets(partitions, _logical(partitions, confluent_kafka.OFFSET_BEGINNING)))

    async def end_offsets(self, partitions: Sequence[TopicPartition]) -> dict[TopicPartition, int]:
        return _resolved(await self._list_offsets(partitions, _logical(partitions, confluent_kafka.OFFSET_END)))

    async def offsets_for_times(self, timestamps: Mapping[TopicPartition, int]) -> dict[TopicPartition, int | None]:
        query = [NativeTP(tp.topic, tp.partition, ts) for tp, ts in timestamps.items()]
        return _offsets(await self._list_offsets(list(timestamps), query))

    async def _list_offsets(self, partitions: Sequence[TopicPartition], query: list[Any]) -> list[Any]:
        """``offsets_for_times``, with a missing leader told apart from a missing partition."""
        for topic in self._leaders.due(tp.topic for tp in partitions) if self._side else ():
            await self._consumer.list_topics(topic, timeout=_EXISTS_TIMEOUT_S)  # librdkafka would wait for a dead one
            self._leaders.asked(topic)
        try:
            found: list[Any] = await self._consumer.offsets_for_times(query, timeout=_timeout(self._side))
            return found
        except KafkaException as exc:
            if self._side and _is_transient(exc):  # the retry asks for the leaders first
                self._leaders.expire(tp.topic for tp in partitions)
            if not _is_unknown_partition(exc):
                raise
            existing = {
                t: _partition_ids(await self._consumer.list_topics(t, timeout=_EXISTS_TIMEOUT_S), t)
                for t in {tp.topic for tp in partitions}
            }
            if (missing_leader := _missing_leader(partitions, existing)) is None:
                raise
            raise missing_leader from exc

    async def partitions_of(self, topic: str) -> frozenset[int]:
        return _partition_ids(await self._consumer.list_topics(topic, timeout=_TIMEOUT_S), topic)

    async def commit(self, offsets: Mapping[TopicPartition, int] | None) -> None:
        if offsets is None:
            assigned = _native(sorted(await self.assignment()))
            positions = await self._consumer.position(assigned) if assigned else []
            offsets = self._sought.known(assigned, positions)
        if offsets:
            native = [NativeTP(tp.topic, tp.partition, o) for tp, o in offsets.items()]
            _raise_partition_errors(await self._consumer.commit(offsets=native, asynchronous=False))

    async def poll(self, timeout: float, max_records: int) -> list[Any]:
        consume, wanted = self._consumer.consume, min(max_records, _MAX_CONSUME)
        records: list[Any] = await consume(num_messages=wanted, timeout=0)  # what is ready: one hop when any is
        if not records and timeout > 0:
            records = await consume(num_messages=1, timeout=timeout)  # the first record to arrive
            if records and wanted > 1:
                records += await consume(num_messages=wanted - 1, timeout=0)
        self._sought.note_delivered(records)
        return records

    def locate(self, record: Any) -> tuple[str, int, int]:
        return _locate(record)

    def size(self, record: Any) -> int:
        return _size(record)

    async def close(self) -> None:
        # bounded like the sync close; the inner Consumer's close runs on a daemon thread of ours, not on the
        # AIOConsumer's executor, whose threads the interpreter joins at exit (a hung close would hang the exit)
        if self._subscribed:  # see the sync close: not bounded
            try:
                await self._leave_group()
            finally:
                try:
                    await self._consumer.close()
                finally:
                    self._assigned = None  # closed: the client answers (that it is closed)
            return
        self._assigned = None  # closed: the client answers (that it is closed)
        aio, native = self._consumer, getattr(self._consumer, "_consumer", None)
        if not isinstance(native, confluent_kafka.Consumer):  # a release without one, or a wrapper of AIOConsumer
            native = None
        what = "confluent-kafka AIOConsumer.close()"
        try:
            if native is None:  # a release that keeps no inner Consumer: its own close, waited for in time
                await asyncio.wait_for(asyncio.shield(aio.close()), bounded.CLOSE_TIMEOUT_S)
            else:
                await bounded.call_within_async(native.close, bounded.CLOSE_TIMEOUT_S, what)
        except (CloseTimeoutError, asyncio.TimeoutError) as exc:
            error = exc if isinstance(exc, CloseTimeoutError) else CloseTimeoutError(f"{what} timed out")
            if not self._side:
                raise error from None
            _log.warning("the offset-lookup client: %s", error)  # it never commits: nothing to lose
        finally:
            if native is not None:
                aio._closed = True
                if getattr(aio, "_owns_executor", False):
                    aio.executor.shutdown(wait=False)

    async def _leave_group(self) -> None:
        """As :meth:`ConfluentAdapter._leave_group`."""
        if self._assigned is None:
            return
        self._leaving = True
        if self._assigned:
            await self._consumer.pause(_native(sorted(self._assigned)))
        await self._consumer.unsubscribe()
        deadline = time.monotonic() + bounded.CLOSE_TIMEOUT_S
        while self._assigned and time.monotonic() < deadline:
            for first in _firsts(await self._consumer.consume(num_messages=_MAX_CONSUME, timeout=_LEAVE_POLL_S)):
                await self._seek_native(first)
                self._sought.note_seek(TopicPartition(first.topic, first.partition), first.offset)

    def is_closed(self) -> bool:
        return bool(getattr(self._consumer, "_closed", False))

    def is_closed_error(self, exc: BaseException) -> bool:
        return _is_closed_message(exc)

    def error_of(self, record: Any) -> BaseException | None:
        return _error_of(record)

    def typed_error(self, exc: BaseException) -> type[ClientError] | None:
        return _typed_error(exc)

    def is_transient_error(self, exc: BaseException) -> bool:
        return _is_transient(exc)

    def auto_commit(self, config: Mapping[str, Any] | None) -> tuple[str, bool] | None:
        """From ``lookup_config`` (librdkafka does not expose a consumer's configuration); on by default."""
        return None if config is None else ("enable.auto.commit", _is_on(config.get("enable.auto.commit", True)))

    def stores_handed_out(self) -> str | None:
        if self._stores is False:
            self._stores = _stores_handed_out(self._consumer)
        return self._stores  # type: ignore[return-value]

    async def lookup_adapter(self, config: Mapping[str, Any] | None) -> ConfluentAsyncAdapter | None:
        """Offset lookups on a consumer of their own (:func:`side_config`); None without ``config``."""
        if config is None:
            return None
        return ConfluentAsyncAdapter(AIOConsumer(side_config(config), max_workers=1), side=True)  # one at a time


def _is_on(value: object) -> bool:
    """A librdkafka boolean setting: a bool, or a string such as "true" / "false"."""
    return value.strip().lower() in ("true", "1", "t") if isinstance(value, str) else bool(value)


def consumer_config(settings: ConsumerSettings) -> dict[str, Any]:
    """librdkafka configuration from client-neutral settings."""
    config: dict[str, Any] = {
        "bootstrap.servers": settings.bootstrap_servers,
        "auto.offset.reset": settings.auto_offset_reset,
        "enable.auto.commit": settings.enable_auto_commit,
        "client.id": settings.client_id,
    }
    # librdkafka insists on a group id even for assign()-only use; a fresh one joins no group by itself.
    config["group.id"] = settings.group_id or f"pauseable-standalone-{uuid.uuid4().hex}"
    for key, name in (
        ("max_poll_interval_ms", "max.poll.interval.ms"),
        ("session_timeout_ms", "session.timeout.ms"),
        ("heartbeat_interval_ms", "heartbeat.interval.ms"),
        ("metadata_max_age_ms", "topic.metadata.refresh.interval.ms"),
    ):
        if (value := getattr(settings, key)) is not None:
            config[name] = value
    config.update(settings.native)
    return config


def build_consumer(settings: ConsumerSettings) -> Any:
    """A :class:`confluent_kafka.Consumer` from client-neutral settings."""
    return confluent_kafka.Consumer(consumer_config(settings))


async def build_async_consumer(settings: ConsumerSettings) -> Any:
    """A :class:`confluent_kafka.aio.AIOConsumer` from client-neutral settings."""
    return AIOConsumer(consumer_config(settings))


def _claims(consumer: object) -> bool:
    return HAVE_CLIENT and isinstance(consumer, confluent_kafka.Consumer)


def _claims_aio(consumer: object) -> bool:
    return HAVE_AIO and isinstance(consumer, AIOConsumer)


@pauseable.hookimpl
def pauseable_register_backends(register: Any) -> None:
    """Register ``confluent-kafka`` and, where the client has it, ``confluent-kafka-aio``."""
    register(
        Backend(
            name="confluent-kafka",
            client="confluent-kafka",
            claims=_claims,
            sync_adapter=ConfluentAdapter,
            build_consumer=build_consumer,
            package="pauseable-confluent-kafka",
            consumer_class="confluent_kafka.Consumer",
            lookup_config=consumer_config,
            control=open_control,
        )
    )
    if HAVE_AIO:
        register(
            Backend(
                name="confluent-kafka-aio",
                client="confluent-kafka",
                claims=_claims_aio,
                async_adapter=ConfluentAsyncAdapter,
                build_consumer=build_async_consumer,
                package="pauseable-confluent-kafka",
                consumer_class="confluent_kafka.aio.AIOConsumer",
                lookup_config=consumer_config,
                control=open_control,
            )
        )
