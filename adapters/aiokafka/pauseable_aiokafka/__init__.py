"""pauseable backend ``aiokafka``: drives :class:`aiokafka.AIOKafkaConsumer` (asyncio).

Native behaviour that differs from pauseable's contract, and where it is cured:

- ``committed`` asks one partition per request (one OffsetFetch each): the adapter asks the group
  coordinator for all of them in one request (None where nothing is committed).
- ``seek_to_end`` is already eager (it awaits the offset reset), but the core resolves ``end_offsets``
  itself so it can return them.
- pause, resume, seek and assignment are plain methods; position, committed and the offset lookups
  are coroutines. The adapter presents all of them as coroutines.
- ``position`` is a coroutine with checks of its own on every call, which a resume of 1,000 partitions
  paid 1,000 times: ``positions`` reads them from the client's partition states (private attributes)
  where a position is set, and awaits ``position`` for the rest (or for all, in another release).
- an offset lookup retries the errors the client marks retriable until ``request_timeout_ms``, then raises
  ``KafkaTimeoutError``, which the client marks not retriable; an error code it does not retry (replica
  or broker not available, a network exception, no matching listener) is raised at once, also marked not
  retriable. The adapter counts these as transient and, after any transient lookup failure, asks the
  client for fresh metadata so the retry goes to the current leader.
- offset lookups go on the same connection to a broker as the consumer's fetches (group requests have a
  connection of their own), which the broker answers in order: a lookup sent while a long-poll Fetch of
  other partitions is outstanding there waits for it (``fetch_max_wait_ms``, ~500 ms measured). The
  adapter makes the lookups (end and beginning offsets, offsets for times) on a second
  ``AIOKafkaConsumer``, started at the first lookup with the consumer's settings (:func:`side_settings`:
  the client keeps them on private attributes), never assigned anything, stopped with the controller.
  Where those attributes are missing (another aiokafka release) the lookups go through the consumer.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any

import pauseable
from pauseable import TopicPartition
from pauseable.adapter import (
    AsyncAssignedHook,
    AsyncConsumerAdapter,
    AsyncRevokedHook,
    Backend,
    ConsumerSettings,
    typed_by_name,
)
from pauseable.errors import ClientError
from pauseable_aiokafka.control import open_control
from pauseable_aiokafka.stop import stop_consumer

try:
    import aiokafka
    from aiokafka import TopicPartition as NativeTP
    from aiokafka import errors as aiokafka_errors
    from aiokafka.abc import ConsumerRebalanceListener
    from aiokafka.errors import ConsumerStoppedError

    HAVE_CLIENT = True
except ImportError:  # pragma: no cover - the backend is then simply not listed
    HAVE_CLIENT = False

if HAVE_CLIENT:
    #: not retriable by the client's flag, yet they mean its metadata is stale, a broker went away or the
    #: lookup ran out of time (aiokafka/consumer/fetcher.py, _retrieve_offsets and _proc_offset_request):
    #: ask again. StaleLeaderEpochCodeError is code 13, NETWORK_EXCEPTION since Kafka 2.0.
    _STALE = (
        aiokafka_errors.KafkaTimeoutError,
        aiokafka_errors.BrokerNotAvailableError,
        aiokafka_errors.ReplicaNotAvailableError,
        aiokafka_errors.StaleLeaderEpochCodeError,
        aiokafka_errors.ListenerNotFound,
        aiokafka_errors.KafkaUnavailableError,
    )
    #: retriable by the client's flag, but the client retries it itself until its timeout before it surfaces:
    #: by then the topic is absent, and asking again cannot help
    _ABSENT = (aiokafka_errors.UnknownTopicOrPartitionError,)


def _is_transient(exc: BaseException) -> bool:
    """Whether a lookup that failed with ``exc`` may succeed if asked again (a leader moved, a broker went
    away, a timeout): the client's ``retriable`` flag, corrected where it is wrong for a lookup."""
    if not isinstance(exc, aiokafka_errors.KafkaError) or isinstance(exc, _ABSENT):
        return False
    return isinstance(exc, _STALE) or bool(exc.retriable)


#: the side client's keyword arguments, and where AIOKafkaConsumer.__init__ keeps each (consumer or its client);
#: what changes an answer or a login: bootstrap servers, security settings and the OAuth token provider, the
#: isolation level (read_committed ends at the last stable offset), the group (committed offsets), timeouts
_SIDE_SETTINGS = {
    "group_id": ("consumer", "_group_id"),
    "isolation_level": ("consumer", "_isolation_level"),
    "request_timeout_ms": ("consumer", "_request_timeout_ms"),
    "retry_backoff_ms": ("consumer", "_retry_backoff_ms"),
    "exclude_internal_topics": ("consumer", "_exclude_internal_topics"),
    "bootstrap_servers": ("client", "_bootstrap_servers"),
    "metadata_max_age_ms": ("client", "_metadata_max_age_ms"),
    "connections_max_idle_ms": ("client", "_connections_max_idle_ms"),
    "security_protocol": ("client", "_security_protocol"),
    "ssl_context": ("client", "_ssl_context"),
    "sasl_mechanism": ("client", "_sasl_mechanism"),
    "sasl_plain_username": ("client", "_sasl_plain_username"),
    "sasl_plain_password": ("client", "_sasl_plain_password"),
    "sasl_kerberos_service_name": ("client", "_sasl_kerberos_service_name"),
    "sasl_kerberos_domain_name": ("client", "_sasl_kerberos_domain_name"),
    "sasl_oauth_token_provider": ("client", "_sasl_oauth_token_provider"),
}


def side_settings(consumer: Any, extra: Mapping[str, Any] | None = None) -> dict[str, Any] | None:
    """Keyword arguments of an ``AIOKafkaConsumer`` for offset lookups with ``consumer``'s settings: read from
    its private attributes (aiokafka exposes no configuration), ``client_id`` suffixed ``-lookups``, no
    commits; ``extra`` (``lookup_config``) on top. None when an attribute is missing."""
    owners = {"consumer": consumer, "client": getattr(consumer, "_client", None)}
    missing = object()
    side: dict[str, Any] = {}
    for name, (owner, attribute) in _SIDE_SETTINGS.items():
        if (value := getattr(owners[owner], attribute, missing)) is missing:
            return None
        side[name] = value
    client_id = getattr(owners["client"], "_client_id", None) or "aiokafka"
    side.update(client_id=f"{client_id}-lookups", enable_auto_commit=False)
    side.update(extra or {})
    return side


class AIOKafkaAdapter(AsyncConsumerAdapter):
    """The translation table from pauseable to :class:`aiokafka.AIOKafkaConsumer`."""

    __slots__ = ("_assigned", "_consumer", "_side")

    def __init__(self, consumer: Any, *, side: bool = False) -> None:
        self._consumer = consumer
        #: a side client for lookups, whose metadata has only the topics it was asked about
        self._side = side
        #: the client's last assignment (a frozenset it keeps until the assignment changes) and its translation
        self._assigned: tuple[Any, frozenset[TopicPartition]] = (None, frozenset())

    async def _track(self, partitions: Iterable[Any]) -> None:
        """On a side client, the metadata of topics looked up for the first time, before the lookup: for a
        partition its metadata lacks, aiokafka asks for it and waits ``retry_backoff_ms`` (100 ms) to retry."""
        if self._side:
            client = self._consumer._client
            for topic in sorted({tp.topic for tp in partitions}):
                await client.add_topic(topic)  # at once when tracked already

    async def assignment(self) -> set[TopicPartition]:
        # translated once per assignment: every resume checks its partitions against it
        native = self._consumer.assignment()
        if native is not self._assigned[0] or not isinstance(native, frozenset):
            self._assigned = (native, frozenset(TopicPartition(tp.topic, tp.partition) for tp in native))
        return set(self._assigned[1])

    async def assign(self, partitions: Sequence[TopicPartition]) -> None:
        self._consumer.assign([NativeTP(tp.topic, tp.partition) for tp in partitions])

    async def subscribe(
        self, topics: Sequence[str], on_assigned: AsyncAssignedHook, on_revoked: AsyncRevokedHook
    ) -> None:
        self._consumer.subscribe(topics=list(topics), listener=_Listener(on_assigned, on_revoked))

    async def pause(self, partitions: Sequence[TopicPartition]) -> None:
        self._consumer.pause(*(NativeTP(tp.topic, tp.partition) for tp in partitions))

    async def resume(self, partitions: Sequence[TopicPartition]) -> None:
        self._consumer.resume(*(NativeTP(tp.topic, tp.partition) for tp in partitions))

    async def seek(self, partition: TopicPartition, offset: int) -> None:
        self._consumer.seek(NativeTP(partition.topic, partition.partition), offset)

    async def position(self, partition: TopicPartition) -> int | None:
        with self._refresh_on_transient():
            position: int | None = await self._consumer.position(NativeTP(partition.topic, partition.partition))
        return position

    async def positions(self, partitions: Sequence[TopicPartition]) -> dict[TopicPartition, int | None]:
        # read from the client's state where a partition has a position (what position() returns then, after
        # checks that cost more than the read: a resume of 1,000 partitions asks for 1,000); position() for
        # the rest, which waits for the client to reset them
        states = _partition_states(self._consumer)
        found: dict[TopicPartition, int | None] = {}
        for tp in partitions:
            state = states.get(NativeTP(tp.topic, tp.partition))
            found[tp] = state.position if state is not None and state.has_valid_position else await self.position(tp)
        return found

    async def committed(self, partitions: Sequence[TopicPartition]) -> dict[TopicPartition, int | None]:
        with self._refresh_on_transient():
            consumer = self._consumer
            if consumer._group_id is None:  # the client's own error (IllegalOperation: Requires group_id)
                return {tp: await consumer.committed(NativeTP(tp.topic, tp.partition)) for tp in partitions}
            # One OffsetFetch for all of them: the client's committed() asks one partition per request.
            found = await consumer._coordinator.fetch_committed_offsets(
                [NativeTP(tp.topic, tp.partition) for tp in partitions]
            )
            return {tp: _committed_offset(found.get(NativeTP(tp.topic, tp.partition))) for tp in partitions}

    @contextmanager
    def _refresh_on_transient(self) -> Iterator[None]:
        """A lookup that fails transiently asks for fresh metadata (in the background: the next lookup waits
        for it), so the retry (pauseable.core.LookupRetry) finds the current leader; the client refreshes by
        itself only for the errors it retries itself."""
        try:
            yield
        except Exception as exc:
            client = getattr(self._consumer, "_client", None)
            if _is_transient(exc) and client is not None:
                client.force_metadata_update()
            raise

    async def beginning_offsets(self, partitions: Sequence[TopicPartition]) -> dict[TopicPartition, int]:
        await self._track(partitions)
        natives = _natives(partitions)
        with self._refresh_on_transient():
            found = await self._consumer.beginning_offsets(list(natives))
        return {natives[tp]: offset for tp, offset in found.items()}

    async def end_offsets(self, partitions: Sequence[TopicPartition]) -> dict[TopicPartition, int]:
        await self._track(partitions)
        natives = _natives(partitions)
        with self._refresh_on_transient():
            found = await self._consumer.end_offsets(list(natives))
        return {natives[tp]: offset for tp, offset in found.items()}

    async def offsets_for_times(self, timestamps: Mapping[TopicPartition, int]) -> dict[TopicPartition, int | None]:
        natives = _natives(timestamps)
        await self._track(timestamps)
        with self._refresh_on_transient():
            found = await self._consumer.offsets_for_times({tp: timestamps[natives[tp]] for tp in natives})
        return {natives[tp]: (o.offset if o else None) for tp, o in found.items()}

    async def partitions_of(self, topic: str) -> frozenset[int]:
        # fresh metadata of every topic (asking for one topic could auto-create it), read from the answer itself:
        # the consumer's topics() does not update the metadata its partitions_for_topic() reads, so a topic it
        # was assigned a moment ago could read as missing
        cluster = await self._consumer._client.fetch_all_metadata()
        return frozenset(cluster.partitions_for_topic(topic) or ())

    async def commit(self, offsets: Mapping[TopicPartition, int] | None) -> None:
        if offsets is None:
            await self._consumer.commit()
        else:
            await self._consumer.commit({NativeTP(tp.topic, tp.partition): o for tp, o in offsets.items()})

    async def poll(self, timeout: float, max_records: int) -> list[Any]:
        batches = await self._consumer.getmany(timeout_ms=int(timeout * 1000), max_records=max_records)
        if len(batches) == 1:  # one partition's records: the client's own list, not a copy (the hot path)
            records: list[Any] = next(iter(batches.values()))
            return records
        return [record for records in batches.values() for record in records]

    def locate(self, record: Any) -> tuple[str, int, int]:
        return record.topic, record.partition, record.offset

    def size(self, record: Any) -> int:
        return int(max(record.serialized_key_size, 0) + max(record.serialized_value_size, 0))

    async def close(self) -> None:
        await stop_consumer(self._consumer)

    def is_closed(self) -> bool:
        return bool(getattr(self._consumer, "_closed", False))

    def is_closed_error(self, exc: BaseException) -> bool:
        return isinstance(exc, ConsumerStoppedError) or self.is_closed()

    def typed_error(self, exc: BaseException) -> type[ClientError] | None:
        return typed_by_name(exc)

    def is_transient_error(self, exc: BaseException) -> bool:
        return _is_transient(exc)

    def identity(self, config: Mapping[str, Any] | None) -> tuple[str | None, str | None]:
        """The consumer's group id and its client's id (private attributes: aiokafka exposes no settings)."""
        client = getattr(self._consumer, "_client", None)
        return getattr(self._consumer, "_group_id", None), getattr(client, "_client_id", None)

    def auto_commit(self, config: Mapping[str, Any] | None) -> tuple[str, bool] | None:
        """The consumer's own setting (on by default)."""
        return "enable_auto_commit", bool(getattr(self._consumer, "_enable_auto_commit", True))

    async def lookup_adapter(self, config: Mapping[str, Any] | None) -> AIOKafkaAdapter | None:
        """Offset lookups on a started consumer of their own (:func:`side_settings`); None when the consumer's
        settings cannot be read."""
        if (settings := side_settings(self._consumer, config)) is None:
            return None
        side = aiokafka.AIOKafkaConsumer(**settings)
        try:
            await side.start()
        except BaseException:
            await side.stop()
            raise
        return AIOKafkaAdapter(side, side=True)


def _natives(partitions: Iterable[TopicPartition]) -> dict[Any, TopicPartition]:
    """The client's partition of each of ``partitions``, mapped to it: a lookup's answer, keyed by the client's,
    goes back to the caller's own objects (building new ones would check each topic name again)."""
    return {NativeTP(tp.topic, tp.partition): tp for tp in partitions}


def _partition_states(consumer: Any) -> Mapping[Any, Any]:
    """The client's state of each assigned partition, by its partition (``position``, ``has_valid_position``):
    private, read from where aiokafka keeps it; empty when it is not there (not assigned, another release)."""
    subscription = getattr(getattr(consumer, "_subscription", None), "subscription", None)
    states = getattr(getattr(subscription, "assignment", None), "_tp_state", None)
    return states if isinstance(states, dict) else {}


def _committed_offset(found: Any) -> int | None:
    """An ``OffsetAndMetadata`` of the coordinator's answer → the offset; None when nothing is committed."""
    if found is None or found.offset < 0:
        return None
    return int(found.offset)


if HAVE_CLIENT:

    class _Listener(ConsumerRebalanceListener):  # type: ignore[misc]
        def __init__(self, on_assigned: AsyncAssignedHook, on_revoked: AsyncRevokedHook) -> None:
            self._on_assigned = on_assigned
            self._on_revoked = on_revoked

        async def on_partitions_revoked(self, revoked: Any) -> None:
            await self._on_revoked([TopicPartition(tp.topic, tp.partition) for tp in revoked])

        async def on_partitions_assigned(self, assigned: Any) -> None:
            await self._on_assigned([TopicPartition(tp.topic, tp.partition) for tp in assigned])


async def build_consumer(settings: ConsumerSettings) -> Any:
    """A started :class:`aiokafka.AIOKafkaConsumer` from client-neutral settings."""
    consumer = aiokafka.AIOKafkaConsumer(**settings.keyword_config())
    await consumer.start()
    return consumer


def _claims(consumer: object) -> bool:
    return HAVE_CLIENT and isinstance(consumer, aiokafka.AIOKafkaConsumer)


@pauseable.hookimpl
def pauseable_register_backends(register: Any) -> None:
    """Register the ``aiokafka`` backend."""
    register(
        Backend(
            name="aiokafka",
            client="aiokafka",
            claims=_claims,
            async_adapter=AIOKafkaAdapter,
            build_consumer=build_consumer,
            package="pauseable-aiokafka",
            consumer_class="aiokafka.AIOKafkaConsumer",
            control=open_control,
        )
    )
