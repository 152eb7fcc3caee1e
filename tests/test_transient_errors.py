"""Which native lookup errors each adapter calls transient (a resume retries them) and which not.

A resume's lookups (positions, committed offsets, end offsets, offsets for times) are retried with
back-off when ``is_transient_error`` says so (pauseable.core.LookupRetry). Transient: the client's
metadata is stale (a leader moved, a broker restarted), a broker or the coordinator went away, a timeout.
Not transient: the topic or partition is absent, authorization, bad arguments, a closed consumer.

Each table builds the client's own exception objects. The kafka-python and aiokafka tables also pin the
client's ``retriable`` flag, so a release that changes it shows up here: where the flag is wrong for a
lookup, the adapter overrides it (the rows where the two columns differ).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from types import SimpleNamespace
from typing import Any

import pytest

from pauseable import TopicPartition

TP = TopicPartition("t", 0)


# -- kafka-python ----------------------------------------------------------------------------

kafka_errors = pytest.importorskip("kafka.errors")

#: (exception, the client's ``retriable`` flag, transient for the adapter)
KAFKA_PYTHON: list[tuple[Callable[[], BaseException], bool, bool]] = [
    # a node the metadata names as a leader but no longer lists as a broker (kafka/net/manager.py, get_connection)
    (lambda: kafka_errors.UnknownBrokerIdError(3), False, True),
    (lambda: kafka_errors.BrokerNotAvailableError(), False, True),
    (lambda: kafka_errors.NotLeaderForPartitionError(), True, True),
    (lambda: kafka_errors.LeaderNotAvailableError(), True, True),
    (lambda: kafka_errors.ReplicaNotAvailableError(), True, True),
    (lambda: kafka_errors.NetworkExceptionError(), True, True),
    (lambda: kafka_errors.KafkaStorageError(), True, True),
    (lambda: kafka_errors.FencedLeaderEpochError(), True, True),
    (lambda: kafka_errors.UnknownLeaderEpochError(), True, True),
    (lambda: kafka_errors.OffsetNotAvailableError(), True, True),
    (lambda: kafka_errors.ListenerNotFoundError(), True, True),
    (lambda: kafka_errors.StaleMetadata(), True, True),
    (lambda: kafka_errors.MetadataEmptyBrokerList(), True, True),
    (lambda: kafka_errors.KafkaConnectionError("socket disconnected"), True, True),
    (lambda: kafka_errors.NodeNotReadyError(3), True, True),
    (lambda: kafka_errors.KafkaTimeoutError("Failed to get offsets by timestamps in 10000 ms"), True, True),
    (lambda: kafka_errors.RequestTimedOutError(), True, True),
    (lambda: kafka_errors.NotCoordinatorError(), True, True),
    (lambda: kafka_errors.CoordinatorNotAvailableError(), True, True),
    (lambda: kafka_errors.CoordinatorLoadInProgressError(), True, True),
    (lambda: kafka_errors.Cancelled(), True, True),
    # the client retries these itself until its timeout (then KafkaTimeoutError): surfacing, the topic is absent
    (lambda: kafka_errors.UnknownTopicOrPartitionError(), True, False),
    (lambda: kafka_errors.UnknownTopicIdError(), True, False),
    (lambda: kafka_errors.TopicAuthorizationFailedError({"t"}), False, False),
    (lambda: kafka_errors.GroupAuthorizationFailedError(), False, False),
    (lambda: kafka_errors.SaslAuthenticationFailedError(), False, False),
    (lambda: kafka_errors.IllegalStateError("Partition is not assigned"), False, False),
    (lambda: kafka_errors.IllegalArgumentError(), False, False),
    (lambda: kafka_errors.KafkaConfigurationError(), False, False),
    (lambda: kafka_errors.NoOffsetForPartitionError(), False, False),
    (lambda: kafka_errors.OffsetOutOfRangeError(), False, False),
    (lambda: kafka_errors.UnsupportedVersionError(), False, False),
    (lambda: kafka_errors.InvalidTopicError(), False, False),
    (lambda: kafka_errors.UnknownError(), False, False),
]


def _name(value: Any) -> str:
    if isinstance(value, BaseException):
        return type(value).__name__
    return type(value()).__name__ if callable(value) else str(value)


@pytest.mark.parametrize(("make", "retriable", "transient"), KAFKA_PYTHON, ids=[_name(r[0]) for r in KAFKA_PYTHON])
def test_kafka_python_transient_errors(make: Callable[[], BaseException], retriable: bool, transient: bool) -> None:
    from pauseable_kafka_python import KafkaPythonAdapter

    exc = make()
    assert exc.retriable is retriable, "the client changed its retriable flag: revisit the adapter's correction"
    assert KafkaPythonAdapter(None).is_transient_error(exc) is transient


@pytest.mark.parametrize("exc", [ValueError("x"), TypeError("x"), RuntimeError("x")], ids=_name)
def test_kafka_python_other_exceptions_are_not_transient(exc: BaseException) -> None:
    from pauseable_kafka_python import KafkaPythonAdapter

    assert not KafkaPythonAdapter(None).is_transient_error(exc)


class _KafkaPythonConsumer:
    """Just enough of a KafkaConsumer for a lookup that fails with ``exc``."""

    def __init__(self, exc: BaseException) -> None:
        self.updates = 0
        self._client = SimpleNamespace(cluster=SimpleNamespace(request_update=self._request_update))
        self._exc = exc

    def _request_update(self) -> None:
        self.updates += 1

    def paused(self) -> set[Any]:
        return set()

    def end_offsets(self, *args: Any, **kwargs: Any) -> Any:
        raise self._exc


@pytest.mark.parametrize(
    ("exc", "updates"),
    [(lambda: kafka_errors.UnknownBrokerIdError(3), 1), (lambda: kafka_errors.TopicAuthorizationFailedError(), 0)],
    ids=_name,
)
def test_kafka_python_a_transient_lookup_failure_flags_the_metadata_stale(
    exc: Callable[[], BaseException], updates: int
) -> None:
    """The client does not refresh its metadata after UnknownBrokerIdError: the retry would fail alike."""
    from pauseable_kafka_python import KafkaPythonAdapter

    consumer = _KafkaPythonConsumer(exc())
    with pytest.raises(type(consumer._exc)):
        KafkaPythonAdapter(consumer).end_offsets([TP])
    assert consumer.updates == updates


# -- aiokafka --------------------------------------------------------------------------------

aiokafka_errors = pytest.importorskip("aiokafka.errors")

#: (exception, the client's ``retriable`` flag, transient for the adapter)
AIOKAFKA: list[tuple[Callable[[], BaseException], bool, bool]] = [
    # a lookup's own timeout, after the client retried what it calls retriable (aiokafka/consumer/fetcher.py)
    (lambda: aiokafka_errors.KafkaTimeoutError("Failed to get offsets by times in 40000 ms"), False, True),
    # ListOffsets answers the client does not retry, raised at once (fetcher.py, _proc_offset_request)
    (lambda: aiokafka_errors.BrokerNotAvailableError(TP), False, True),
    (lambda: aiokafka_errors.ReplicaNotAvailableError(TP), False, True),
    (lambda: aiokafka_errors.StaleLeaderEpochCodeError(TP), False, True),  # code 13: NETWORK_EXCEPTION
    (lambda: aiokafka_errors.ListenerNotFound(TP), False, True),
    (lambda: aiokafka_errors.KafkaUnavailableError(), False, True),
    (lambda: aiokafka_errors.NotLeaderForPartitionError(TP), True, True),
    (lambda: aiokafka_errors.LeaderNotAvailableError(TP), True, True),
    (lambda: aiokafka_errors.KafkaStorageError(TP), True, True),
    (lambda: aiokafka_errors.RequestTimedOutError(), True, True),
    (lambda: aiokafka_errors.NodeNotReadyError("node 3 not ready"), True, True),
    (lambda: aiokafka_errors.KafkaConnectionError("connection lost"), True, True),
    (lambda: aiokafka_errors.StaleMetadata(TP), True, True),
    (lambda: aiokafka_errors.NoBrokersAvailable(), True, True),
    (lambda: aiokafka_errors.MetadataEmptyBrokerList(), True, True),
    (lambda: aiokafka_errors.GroupCoordinatorNotAvailableError(), True, True),
    (lambda: aiokafka_errors.NotCoordinatorForGroupError(), True, True),
    (lambda: aiokafka_errors.GroupLoadInProgressError(), True, True),
    # the client retries it itself until its timeout (then KafkaTimeoutError): surfacing, the topic is absent
    (lambda: aiokafka_errors.UnknownTopicOrPartitionError(), True, False),
    (lambda: aiokafka_errors.TopicAuthorizationFailedError("t"), False, False),
    (lambda: aiokafka_errors.GroupAuthorizationFailedError("g"), False, False),
    (lambda: aiokafka_errors.AuthenticationFailedError(), False, False),
    (lambda: aiokafka_errors.IllegalStateError("No current assignment for partition"), False, False),
    (lambda: aiokafka_errors.IllegalArgumentError(), False, False),
    (lambda: aiokafka_errors.KafkaConfigurationError(), False, False),
    (lambda: aiokafka_errors.NoOffsetForPartitionError(), False, False),
    (lambda: aiokafka_errors.OffsetOutOfRangeError(), False, False),
    (lambda: aiokafka_errors.UnsupportedVersionError(), False, False),
    (lambda: aiokafka_errors.IncompatibleBrokerVersion(), False, False),
    (lambda: aiokafka_errors.UnknownError(TP), False, False),
]


@pytest.mark.parametrize(("make", "retriable", "transient"), AIOKAFKA, ids=[_name(r[0]) for r in AIOKAFKA])
def test_aiokafka_transient_errors(make: Callable[[], BaseException], retriable: bool, transient: bool) -> None:
    from pauseable_aiokafka import AIOKafkaAdapter

    exc = make()
    assert exc.retriable is retriable, "the client changed its retriable flag: revisit the adapter's correction"
    assert AIOKafkaAdapter(None).is_transient_error(exc) is transient


@pytest.mark.parametrize("exc", [aiokafka_errors.ConsumerStoppedError(), ValueError("x"), RuntimeError("x")], ids=_name)
def test_aiokafka_other_exceptions_are_not_transient(exc: BaseException) -> None:
    from pauseable_aiokafka import AIOKafkaAdapter

    assert not AIOKafkaAdapter(None).is_transient_error(exc)


class _AIOKafkaConsumer:
    """Just enough of an AIOKafkaConsumer for a lookup that fails with ``exc``."""

    def __init__(self, exc: BaseException) -> None:
        self.updates = 0
        self._client = SimpleNamespace(force_metadata_update=self._force_metadata_update)
        self._exc = exc

    def _force_metadata_update(self) -> None:
        self.updates += 1

    async def end_offsets(self, *args: Any, **kwargs: Any) -> Any:
        raise self._exc


@pytest.mark.parametrize(
    ("exc", "updates"),
    [(lambda: aiokafka_errors.ReplicaNotAvailableError(TP), 1), (lambda: aiokafka_errors.IllegalStateError(), 0)],
    ids=_name,
)
def test_aiokafka_a_transient_lookup_failure_asks_for_fresh_metadata(
    exc: Callable[[], BaseException], updates: int
) -> None:
    from pauseable_aiokafka import AIOKafkaAdapter

    consumer = _AIOKafkaConsumer(exc())
    with pytest.raises(type(consumer._exc)):
        asyncio.run(AIOKafkaAdapter(consumer).end_offsets([TP]))
    assert consumer.updates == updates


# -- confluent-kafka -------------------------------------------------------------------------

confluent_kafka = pytest.importorskip("confluent_kafka")
KafkaError = confluent_kafka.KafkaError

#: librdkafka's error codes (broker codes, and its own, with a leading underscore) by transient or not
CONFLUENT_TRANSIENT = [
    "NOT_LEADER_FOR_PARTITION",  # NOT_LEADER_OR_FOLLOWER since Kafka 2.4: the same code, 6
    "LEADER_NOT_AVAILABLE",
    "FENCED_LEADER_EPOCH",
    "UNKNOWN_LEADER_EPOCH",
    "OFFSET_NOT_AVAILABLE",  # a new leader whose high watermark has not caught up
    "REPLICA_NOT_AVAILABLE",
    "BROKER_NOT_AVAILABLE",
    "NETWORK_EXCEPTION",
    "KAFKA_STORAGE_ERROR",
    "LISTENER_NOT_FOUND",
    "REBOOTSTRAP_REQUIRED",
    "REQUEST_TIMED_OUT",
    "NOT_COORDINATOR",
    "COORDINATOR_NOT_AVAILABLE",
    "COORDINATOR_LOAD_IN_PROGRESS",
    "_TRANSPORT",
    "_DESTROY_BROKER",
    "_ALL_BROKERS_DOWN",
    "_UNKNOWN_BROKER",
    "_NODE_UPDATE",
    "_WAIT_CACHE",
    "_WAIT_COORD",
    "_TIMED_OUT",
    "_TIMED_OUT_QUEUE",
    "_RETRY",
]
CONFLUENT_FATAL = [
    "UNKNOWN_TOPIC_OR_PART",
    "_UNKNOWN_TOPIC",
    "_UNKNOWN_PARTITION",  # when the partition exists, the adapter reports LEADER_NOT_AVAILABLE instead (below)
    "UNKNOWN_TOPIC_ID",
    "TOPIC_AUTHORIZATION_FAILED",
    "GROUP_AUTHORIZATION_FAILED",
    "_AUTHENTICATION",
    "_SSL",
    "_INVALID_ARG",
    "_STATE",
    "_RESOLVE",
    "_NO_OFFSET",
    "_FATAL",
    "OFFSET_OUT_OF_RANGE",
    "TOPIC_EXCEPTION",
    "UNSUPPORTED_VERSION",
    "UNKNOWN",
]


@pytest.mark.parametrize(
    ("code", "transient"),
    [(name, True) for name in CONFLUENT_TRANSIENT] + [(name, False) for name in CONFLUENT_FATAL],
    ids=lambda v: str(v) if isinstance(v, str) else "",
)
def test_confluent_transient_error_codes(code: str, transient: bool) -> None:
    from pauseable_confluent_kafka import ConfluentAdapter

    exc = confluent_kafka.KafkaException(KafkaError(getattr(KafkaError, code)))
    assert ConfluentAdapter(None).is_transient_error(exc) is transient


def test_confluent_counts_what_librdkafka_flags_retriable_and_nothing_else() -> None:
    from pauseable_confluent_kafka import ConfluentAdapter

    adapter = ConfluentAdapter(None)
    flagged = KafkaError(KafkaError.INVALID_REQUEST, "retry me", retriable=True)
    assert adapter.is_transient_error(confluent_kafka.KafkaException(flagged))
    assert not adapter.is_transient_error(RuntimeError("Consumer closed"))
    assert not adapter.is_transient_error(confluent_kafka.KafkaException("not a KafkaError"))


@pytest.mark.parametrize(
    ("existing", "missing_leader"),
    [
        ({"t": frozenset({0, 1})}, True),  # the partition exists: librdkafka knows no leader for it
        ({"t": frozenset({1})}, False),  # the topic exists, the partition does not
        ({}, False),  # no such topic
    ],
    ids=["exists", "no-such-partition", "no-such-topic"],
)
def test_confluent_unknown_partition_is_a_missing_leader_when_the_partition_exists(
    existing: dict[str, frozenset[int]], missing_leader: bool
) -> None:
    """librdkafka's offsets_for_times fails with _UNKNOWN_PARTITION whenever it knows no leader for any of the
    partitions (rdkafka_partition.c, rd_kafka_topic_partition_list_query_leaders)."""
    from pauseable_confluent_kafka import ConfluentAdapter, _missing_leader

    found = _missing_leader([TP], existing)
    if not missing_leader:
        assert found is None
        return
    assert found is not None
    assert found.args[0].code() == KafkaError.LEADER_NOT_AVAILABLE and "t[0]" in found.args[0].str()
    assert ConfluentAdapter(None).is_transient_error(found)


class _ConfluentConsumer:
    """Just enough of a Consumer (or, with ``awaitable``, an AIOConsumer) whose leader lookups find no leader."""

    def __init__(self, partitions: dict[str, list[int]], awaitable: bool = False) -> None:
        self._partitions = partitions
        self._awaitable = awaitable

    def _answer(self, value: Any) -> Any:
        if not self._awaitable:
            return value

        async def answer() -> Any:
            return value

        return answer()

    def offsets_for_times(self, *args: Any, **kwargs: Any) -> Any:
        error = confluent_kafka.KafkaException(KafkaError(KafkaError._UNKNOWN_PARTITION))
        if not self._awaitable:
            raise error

        async def fail() -> Any:
            raise error

        return fail()

    def list_topics(self, topic: str, timeout: float) -> Any:
        found = {t: SimpleNamespace(error=None, partitions=dict.fromkeys(ids)) for t, ids in self._partitions.items()}
        return self._answer(SimpleNamespace(topics=found))


@pytest.mark.parametrize("awaitable", [False, True], ids=["Consumer", "AIOConsumer"])
@pytest.mark.parametrize(("partitions", "code"), [({"t": [0]}, "LEADER_NOT_AVAILABLE"), ({}, "_UNKNOWN_PARTITION")])
def test_confluent_end_offsets_tell_a_missing_leader_from_a_missing_partition(
    awaitable: bool, partitions: dict[str, list[int]], code: str
) -> None:
    from pauseable_confluent_kafka import ConfluentAdapter, ConfluentAsyncAdapter

    consumer = _ConfluentConsumer(partitions, awaitable)

    def lookup() -> Any:
        if awaitable:
            return asyncio.run(ConfluentAsyncAdapter(consumer).end_offsets([TP]))
        return ConfluentAdapter(consumer).end_offsets([TP])

    with pytest.raises(confluent_kafka.KafkaException) as caught:
        lookup()
    assert caught.value.args[0].code() == getattr(KafkaError, code)
    assert ConfluentAdapter(None).is_transient_error(caught.value) is (code == "LEADER_NOT_AVAILABLE")


@pytest.mark.parametrize(("code", "retried"), [("_STATE", True), ("_OUTDATED", True), ("_INVALID_ARG", False)])
def test_confluent_seek_retries_a_starting_fetcher_and_an_overtaken_seek(code: str, retried: bool) -> None:
    from pauseable_confluent_kafka import _is_retried_seek_error

    assert _is_retried_seek_error(confluent_kafka.KafkaException(KafkaError(getattr(KafkaError, code)))) is retried
