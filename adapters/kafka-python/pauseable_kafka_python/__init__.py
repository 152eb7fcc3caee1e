"""pauseable backend ``kafka-python``: drives :class:`kafka.KafkaConsumer` (sync).

Native behaviour that differs from pauseable's contract, and where it is cured:

- ``seek_to_end`` is lazy: it only marks the partition for an offset reset, resolved at the next
  fetch, so records produced between the call and that fetch are skipped silently. The core's
  ``seek_to_end`` resolves ``end_offsets`` and seeks to them instead (eager).
- resuming a partition whose buffered records were parked while paused can stall it for good
  (kafka-python 3.0.x: parked records are restored only into an empty in-line slot, and a drained
  slot is not treated as empty); ``resume`` frees the drained slot so delivery continues.
- ``committed`` already returns None when nothing is committed, but asks one partition per request
  (one OffsetFetch each); the adapter asks the group coordinator for all of them in one request.
- the rebalance listener's ``on_partitions_lost`` (forced eviction) is treated as a revocation.
- kafka-python 3 runs rebalance listeners on its IO thread, where a blocking ``commit`` raises
  ``RuntimeError("Cannot block on net.run() from the IO thread ...")`` before sending anything; the adapter
  sends such a commit with ``commit_async`` instead. A listener that waits (a flow's revocation awaiting its
  workers) holds up the IO thread, heartbeats included: keep a flow's ``revoke_wait_s`` below the session timeout.
- an offset lookup sent to a leader that the client's metadata names but no longer lists as a broker
  (a metadata refresh landing between grouping the lookup by leader and connecting to it) raises
  ``UnknownBrokerIdError``, which the client marks not retriable and does not retry. The adapter counts
  it (and ``BrokerNotAvailableError``) as transient and, after any transient lookup failure, flags the
  metadata stale so the retry goes to the current leader.
- a group join that finishes while no ``poll()`` waits for it is thrown away and a new JoinGroup sent
  (3.0.x): a member polled in short slices, or in turn with others from one thread, can rejoin forever and
  never be assigned. The adapter keeps a finished join's answer for the next poll (:mod:`.join`).
- polls of 50 ms while the group rejoins (a topic's metadata arriving after the first join) left the
  rejoin unfinished now and then (2 of 16 tries natively): the member was evicted and never assigned.
  So the controller's poll slices (pauseable.gate) are 0.3 s on this backend (``poll_slice_s``), the
  poll length the project's tests have always used.
- every request of a consumer to a broker goes on one connection, which the broker answers in order: an
  offset lookup sent while a long-poll Fetch of other partitions is outstanding there waits for it (up
  to ``fetch_max_wait_ms``). The adapter makes the lookups (end and beginning offsets,
  offsets for times) on a second ``KafkaConsumer`` built at the first lookup from ``consumer.config``
  (:func:`side_settings`), never assigned anything, closed with the controller. It fetches nothing, so
  nothing refreshes its metadata: before a lookup it flags it stale when it last did over a second ago
  (one Metadata request), so a leader that moved is found instead of the lookup spinning against the old
  one.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any

import pauseable
from pauseable import TopicPartition
from pauseable.adapter import (
    AssignedHook,
    Backend,
    ConsumerAdapter,
    ConsumerSettings,
    LeaderAges,
    RevokedHook,
    typed_by_name,
)
from pauseable.errors import ClientError
from pauseable_kafka_python.control import open_control
from pauseable_kafka_python.join import keep_finished_joins

try:
    import kafka
    from kafka import OffsetAndMetadata
    from kafka import TopicPartition as NativeTP
    from kafka import errors as kafka_errors
    from kafka.consumer.subscription_state import ConsumerRebalanceListener
    from kafka.errors import IllegalStateError

    HAVE_CLIENT = True
except ImportError:  # pragma: no cover - the backend is then simply not listed
    HAVE_CLIENT = False

if HAVE_CLIENT:
    #: not retriable by the client's flag, yet they mean its metadata is stale or a broker went away: ask again
    #: (UnknownBrokerIdError: kafka/net/manager.py, get_connection, a node the metadata names but does not list)
    _STALE = (kafka_errors.UnknownBrokerIdError, kafka_errors.BrokerNotAvailableError)
    #: retriable by the client's flag, but the client retries them itself until its timeout before they surface:
    #: by then the topic is absent, and asking again cannot help
    _ABSENT = (kafka_errors.UnknownTopicOrPartitionError, kafka_errors.UnknownTopicIdError)


def _is_transient(exc: BaseException) -> bool:
    """Whether a lookup that failed with ``exc`` may succeed if asked again (a leader moved, a broker went
    away, a timeout): the client's ``retriable`` flag, corrected where it is wrong for a lookup."""
    if not isinstance(exc, kafka_errors.KafkaError) or isinstance(exc, _ABSENT):
        return False
    return isinstance(exc, _STALE) or bool(exc.retriable)


def side_settings(settings: Mapping[str, Any], extra: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """The side client's settings: the consumer's (``consumer.config``: bootstrap servers, security settings
    and callbacks, ``isolation_level``, ``group_id``, the broker version already found, ...) with
    ``client_id`` suffixed ``-lookups``, no commits, no static member id (the consumer's alone) and no
    deserializers (closing the side client would close the consumer's); ``extra`` (``lookup_config``) on top."""
    side = dict(settings)
    side.update(
        client_id=f"{settings['client_id']}-lookups",
        enable_auto_commit=False,
        group_instance_id=None,
        key_deserializer=None,
        value_deserializer=None,
    )
    side.update(extra or {})
    return side


#: per lookup: the client's default (request_timeout_ms, 30 s) would spend a resume's whole retry budget
#: on one attempt against a leader that is gone (pauseable.core.LookupRetry retries transient errors)
_LOOKUP_TIMEOUT_MS = 10_000


class KafkaPythonAdapter(ConsumerAdapter):
    """The translation table from pauseable to :class:`kafka.KafkaConsumer`."""

    __slots__ = ("_consumer", "_leaders", "_side")

    def __init__(self, consumer: Any, *, side: bool = False) -> None:
        self._consumer = consumer
        if not side:
            keep_finished_joins(consumer)
        #: a side client for lookups: nothing refreshes its metadata (it fetches nothing)
        self._side = side
        #: on a side client: when each topic's leaders were last asked for
        self._leaders = LeaderAges()

    def assignment(self) -> set[TopicPartition]:
        return {TopicPartition(tp.topic, tp.partition) for tp in self._consumer.assignment()}

    def assign(self, partitions: Sequence[TopicPartition]) -> None:
        self._consumer.assign([NativeTP(tp.topic, tp.partition) for tp in partitions])

    def subscribe(self, topics: Sequence[str], on_assigned: AssignedHook, on_revoked: RevokedHook) -> None:
        self._consumer.subscribe(topics=list(topics), listener=_Listener(on_assigned, on_revoked))

    def pause(self, partitions: Sequence[TopicPartition]) -> None:
        self._consumer.pause(*(NativeTP(tp.topic, tp.partition) for tp in partitions))

    def resume(self, partitions: Sequence[TopicPartition]) -> None:
        self._consumer.resume(*(NativeTP(tp.topic, tp.partition) for tp in partitions))
        self._unpark()

    def _unpark(self) -> None:
        """Free the fetcher's in-line slot so records parked while paused are handed over again.

        kafka-python 3.0 parks the parsed records of a paused partition (KAFKA-7548) and restores
        them only when the slot is ``None``, one partition per call; a fully drained slot is falsy but
        not ``None``, and a parked partition is also left out of fetch requests, so a resumed partition
        never delivers again. Called at resume and before each poll (two partitions parked at once need
        two restores). A drained slot holds nothing, so emptying it loses nothing.
        """
        fetcher = getattr(self._consumer, "_fetcher", None)
        if not getattr(fetcher, "_paused_partition_records", None):
            return
        current = getattr(fetcher, "_next_partition_records", None)
        if current is not None and not current:
            fetcher._next_partition_records = None  # type: ignore[union-attr]

    def seek(self, partition: TopicPartition, offset: int) -> None:
        self._consumer.seek(NativeTP(partition.topic, partition.partition), offset)

    def position(self, partition: TopicPartition) -> int | None:
        native = NativeTP(partition.topic, partition.partition)
        # The client's position() refreshes every assigned partition first (a walk over all of them per
        # call: a 1,000-partition resume took 2.3 s); a partition with a valid position needs none of it.
        subscription = getattr(self._consumer, "_subscription", None)
        try:
            if subscription is not None and subscription.has_valid_position(native):
                return int(subscription.position(native).offset)
        except Exception:  # a private API of the client: if it changed, ask the public one
            pass
        with self._refresh_on_transient():
            position: int | None = self._consumer.position(native)
        return position

    def committed(self, partitions: Sequence[TopicPartition]) -> dict[TopicPartition, int | None]:
        with self._refresh_on_transient():
            consumer = self._consumer
            if consumer.config.get("group_id") is None:  # the client's own error (IllegalStateError: Requires group_id)
                return {tp: consumer.committed(NativeTP(tp.topic, tp.partition)) for tp in partitions}
            # One OffsetFetch for all of them: the client's committed() asks one partition per request.
            found = consumer._coordinator.fetch_committed_offsets(
                [NativeTP(tp.topic, tp.partition) for tp in partitions], timeout_ms=_LOOKUP_TIMEOUT_MS
            )
            return {tp: _committed_offset(found.get(NativeTP(tp.topic, tp.partition))) for tp in partitions}

    def _request_metadata(self) -> None:
        cluster = getattr(getattr(self._consumer, "_client", None), "cluster", None)
        if cluster is not None:
            cluster.request_update()

    @contextmanager
    def _refresh_on_transient(self) -> Iterator[None]:
        """A lookup that fails transiently flags the metadata stale, so the retry (pauseable.core.LookupRetry)
        finds the current leader: the client refreshes by itself only for the errors it retries itself, and
        never for ``UnknownBrokerIdError`` (its metadata names a leader it does not list as a broker)."""
        try:
            yield
        except Exception as exc:
            if _is_transient(exc):
                self._request_metadata()
            raise

    def _refresh_before_lookup(self, partitions: Iterable[TopicPartition]) -> None:
        """kafka-python 3.0.12 bug: a ListOffsets answered NOT_LEADER_OR_FOLLOWER is retried at once, with no
        metadata refresh and no back-off, until the timeout — so a lookup for a partition whose leader moved
        while it was paused (no fetches to notice it) spins against the old leader (thousands of requests a
        second). Flag the metadata stale first: the loop picks up the new leader as soon as it lands (one
        Metadata request; when a partition looked up is paused, or on a side client when it last asked for the
        topic's leaders over a second ago)."""
        if self._side:
            if due := self._leaders.due(tp.topic for tp in partitions):
                self._request_metadata()
                for topic in due:
                    self._leaders.asked(topic)
            return
        paused = self._consumer.paused()
        if any(NativeTP(tp.topic, tp.partition) in paused for tp in partitions):
            self._request_metadata()

    def beginning_offsets(self, partitions: Sequence[TopicPartition]) -> dict[TopicPartition, int]:
        self._refresh_before_lookup(partitions)
        with self._refresh_on_transient():
            found = self._consumer.beginning_offsets(
                [NativeTP(tp.topic, tp.partition) for tp in partitions], timeout_ms=_LOOKUP_TIMEOUT_MS
            )
        return {TopicPartition(tp.topic, tp.partition): offset for tp, offset in found.items()}

    def end_offsets(self, partitions: Sequence[TopicPartition]) -> dict[TopicPartition, int]:
        self._refresh_before_lookup(partitions)
        with self._refresh_on_transient():
            found = self._consumer.end_offsets(
                [NativeTP(tp.topic, tp.partition) for tp in partitions], timeout_ms=_LOOKUP_TIMEOUT_MS
            )
        return {TopicPartition(tp.topic, tp.partition): offset for tp, offset in found.items()}

    def offsets_for_times(self, timestamps: Mapping[TopicPartition, int]) -> dict[TopicPartition, int | None]:
        self._refresh_before_lookup(timestamps)
        native = {NativeTP(tp.topic, tp.partition): ts for tp, ts in timestamps.items()}
        with self._refresh_on_transient():
            found = self._consumer.offsets_for_times(native, timeout_ms=_LOOKUP_TIMEOUT_MS)
        return {TopicPartition(tp.topic, tp.partition): (o.offset if o else None) for tp, o in found.items()}

    def partitions_of(self, topic: str) -> frozenset[int]:
        self._consumer.topics()  # fresh metadata of every topic: asking for one topic could auto-create it
        return frozenset(self._consumer.partitions_for_topic(topic) or ())

    def commit(self, offsets: Mapping[TopicPartition, int] | None) -> None:
        native = (
            None
            if offsets is None
            else {NativeTP(tp.topic, tp.partition): OffsetAndMetadata(o, "", -1) for tp, o in offsets.items()}
        )
        try:
            self._consumer.commit(native)
        except RuntimeError as exc:
            if "from the IO thread" not in str(exc):
                raise
            # kafka-python 3 runs rebalance listeners on its IO thread, where a blocking commit raises before it
            # sends anything: a commit made from a listener (a flow's revocation) is sent without waiting
            self._consumer.commit_async(native)

    #: how long the controller's poll waits here before letting calls from other threads in (see the notes)
    poll_slice_s = 0.3

    def poll(self, timeout: float, max_records: int) -> list[Any]:
        self._unpark()
        batches = self._consumer.poll(timeout_ms=int(timeout * 1000), max_records=max_records)
        if len(batches) == 1:  # one partition's records: the client's own list, not a copy (the hot path)
            records: list[Any] = next(iter(batches.values()))
            return records
        return [record for records in batches.values() for record in records]

    def locate(self, record: Any) -> tuple[str, int, int]:
        return record.topic, record.partition, record.offset

    def size(self, record: Any) -> int:
        return int(max(record.serialized_key_size, 0) + max(record.serialized_value_size, 0))

    def close(self) -> None:
        self._consumer.close()

    def is_closed(self) -> bool:
        return bool(getattr(self._consumer, "_closed", False))

    def is_closed_error(self, exc: BaseException) -> bool:
        return isinstance(exc, IllegalStateError) and self.is_closed()

    def typed_error(self, exc: BaseException) -> type[ClientError] | None:
        return typed_by_name(exc)

    def is_transient_error(self, exc: BaseException) -> bool:
        return _is_transient(exc)

    def auto_commit(self, config: Mapping[str, Any] | None) -> tuple[str, bool] | None:
        """The consumer's own setting (on by default)."""
        return "enable_auto_commit", bool(self._consumer.config.get("enable_auto_commit", True))

    def lookup_adapter(self, config: Mapping[str, Any] | None) -> KafkaPythonAdapter:
        """Offset lookups on a consumer of their own (:func:`side_settings`; ``config`` on top)."""
        return KafkaPythonAdapter(kafka.KafkaConsumer(**side_settings(self._consumer.config, config)), side=True)

    def identity(self, config: Mapping[str, Any] | None) -> tuple[str | None, str | None]:
        """``group_id`` and ``client_id`` of the consumer's settings."""
        return self._consumer.config.get("group_id"), self._consumer.config.get("client_id")


def _committed_offset(found: Any) -> int | None:
    """An ``OffsetAndMetadata`` of the coordinator's answer → the offset; None when nothing is committed."""
    if found is None or found.offset < 0:
        return None
    return int(found.offset)


if HAVE_CLIENT:

    class _Listener(ConsumerRebalanceListener):  # type: ignore[misc]
        def __init__(self, on_assigned: AssignedHook, on_revoked: RevokedHook) -> None:
            self._on_assigned = on_assigned
            self._on_revoked = on_revoked

        def on_partitions_revoked(self, revoked: Any) -> None:
            self._on_revoked([TopicPartition(tp.topic, tp.partition) for tp in revoked])

        def on_partitions_assigned(self, assigned: Any) -> None:
            self._on_assigned([TopicPartition(tp.topic, tp.partition) for tp in assigned])

        def on_partitions_lost(self, lost: Any) -> None:
            self.on_partitions_revoked(lost)


def build_consumer(settings: ConsumerSettings) -> Any:
    """A :class:`kafka.KafkaConsumer` from client-neutral settings."""
    return kafka.KafkaConsumer(**settings.keyword_config())


def _claims(consumer: object) -> bool:
    return HAVE_CLIENT and isinstance(consumer, kafka.KafkaConsumer)


@pauseable.hookimpl
def pauseable_register_backends(register: Any) -> None:
    """Register the ``kafka-python`` backend."""
    register(
        Backend(
            name="kafka-python",
            client="kafka-python",
            claims=_claims,
            sync_adapter=KafkaPythonAdapter,
            build_consumer=build_consumer,
            package="pauseable-kafka-python",
            consumer_class="kafka.KafkaConsumer",
            control=open_control,
        )
    )
