"""Group pauses' control client (:class:`pauseable.adapter.ControlClient`) built with confluent-kafka.

librdkafka does not expose a consumer's configuration, so it is built from ``config`` (``GroupPauses(config=)``
or the controller's ``lookup_config``; librdkafka's key names), of which it keeps the connection and security
settings: a reader ``Consumer`` assigned every control partition (it never joins its group), an ``acks=all``
``Producer`` and an ``AdminClient``, each made at its first use. Topics are listed whole: asking librdkafka
about one topic by name lets a broker with auto-create on create it.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from typing import Any

from pauseable.adapter import ControlClient, ControlRecord
from pauseable.errors import AuthorizationError, InvalidArgumentError

try:
    import confluent_kafka
    from confluent_kafka import KafkaError, KafkaException
    from confluent_kafka import TopicPartition as NativeTP
    from confluent_kafka.admin import AdminClient
    from confluent_kafka.cimpl import NewTopic
except ImportError:  # pragma: no cover - the backend is then not listed
    pass

#: the settings every client kind shares: where the cluster is, and how to log in
_CONNECTION = (
    "bootstrap.servers", "client.id", "security.protocol", "sasl.", "ssl.", "oauth_cb", "socket.",
    "broker.address.family", "client.dns.lookup", "api.version.", "enable.ssl.", "log.", "debug",
)  # fmt: skip
#: the reader's error events that say nothing about reading: the end of a partition, and the refusal of its own
#: throwaway group (librdkafka needs a group.id and looks up its coordinator, though assign() never joins it and
#: nothing is committed: a principal without ACLs on that group reads the control topic all the same)
_NOT_OURS = ("_PARTITION_EOF", "GROUP_AUTHORIZATION_FAILED")
#: per call, in seconds
_TIMEOUT_S = 10.0


def connection(config: Mapping[str, Any]) -> dict[str, Any]:
    """The connection and security settings of ``config``."""
    return {key: value for key, value in config.items() if key.startswith(_CONNECTION)}


def open_control(consumer: Any, config: Mapping[str, Any] | None) -> ConfluentControl:
    """A control client from ``config``; a consumer alone is not enough (its configuration is not exposed)."""
    if config is None:
        raise InvalidArgumentError(
            "confluent-kafka does not expose a consumer's configuration: pass the consumer's configuration as "
            "lookup_config=, or GroupPauses(config=...) with at least bootstrap.servers (and the security settings)"
        )
    return ConfluentControl(config)


class ConfluentControl(ControlClient):
    """The control client of confluent-kafka."""

    def __init__(self, config: Mapping[str, Any]) -> None:
        self._config = connection(config)
        self._config.setdefault("log.connection.close", False)
        group = config.get("group.id")
        self.group: str | None = group if isinstance(group, str) else None
        self._reader: Any = None
        self._producer: Any = None
        self._admin: Any = None
        self._topic = ""

    def _consumer(self) -> Any:
        if self._reader is None:
            self._reader = confluent_kafka.Consumer({
                **self._config,
                "client.id": f"{self._config.get('client.id', 'rdkafka')}-control",
                "group.id": f"pauseable-control-reader-{uuid.uuid4().hex}",  # required; assign() never joins it
                "enable.auto.commit": False,
                "enable.auto.offset.store": False,
                "fetch.wait.max.ms": 100,
                "auto.offset.reset": "earliest",
            })  # fmt: skip
        return self._reader

    def _admin_client(self) -> Any:
        if self._admin is None:
            self._admin = AdminClient(self._config)
        return self._admin

    def partitions(self, topic: str) -> int:
        found = self._admin_client().list_topics(timeout=_TIMEOUT_S).topics.get(topic)
        return 0 if found is None or found.error is not None else len(found.partitions)

    def brokers(self) -> int:
        return len(self._admin_client().list_topics(timeout=_TIMEOUT_S).brokers)

    def create(self, topic: str, partitions: int, replication: int, configs: Mapping[str, str]) -> None:
        new = NewTopic(topic, num_partitions=partitions, replication_factor=replication, config=dict(configs))
        for future in self._admin_client().create_topics([new], operation_timeout=_TIMEOUT_S).values():
            future.result()

    def send(self, topic: str, records: Sequence[tuple[int, bytes, bytes | None]]) -> None:
        if not records:
            return
        if self._producer is None:
            self._producer = confluent_kafka.Producer({**self._config, "acks": "all"})
        errors: list[Any] = []

        def delivered(error: Any, _: Any) -> None:
            if error is not None:
                errors.append(error)

        for partition, key, value in records:
            self._producer.produce(topic, value=value, key=key, partition=partition, on_delivery=delivered)
        if self._producer.flush(_TIMEOUT_S) > 0:
            raise KafkaException(KafkaError(KafkaError._MSG_TIMED_OUT, "control records not acknowledged in time"))
        if errors:
            raise KafkaException(errors[0])

    def read(self, topic: str, partitions: int) -> None:
        self._topic = topic
        beginning = confluent_kafka.OFFSET_BEGINNING
        self._consumer().assign([NativeTP(topic, p, beginning) for p in range(partitions)])

    def fetch(self, timeout: float) -> list[ControlRecord]:
        found = []
        for message in self._consumer().consume(500, timeout):
            if (error := message.error()) is not None:
                if error.name() in _NOT_OURS:
                    continue
                raise KafkaException(error)
            found.append(ControlRecord(message.partition(), message.offset(), message.key(), message.value()))
        return found

    def caught_up(self, ends: Mapping[int, int]) -> bool:
        reader = self._consumer()
        positions = reader.position([NativeTP(self._topic, p) for p in ends])
        for native in positions:
            end = ends[native.partition]
            if native.offset >= 0:
                if native.offset < end:
                    return False
            elif reader.get_watermark_offsets(native, timeout=_TIMEOUT_S, cached=False)[0] < end:
                return False  # nothing read yet, and something to read
        return True

    def end_offsets(self, topic: str, partitions: Sequence[int]) -> dict[int, int]:
        reader = self._consumer()
        return {p: reader.get_watermark_offsets(NativeTP(topic, p), timeout=_TIMEOUT_S)[1] for p in partitions}

    def committed(self, group: str, topic: str, partitions: Sequence[int]) -> dict[int, int | None]:
        asking = confluent_kafka.Consumer({**self._config, "group.id": group, "enable.auto.commit": False})
        try:
            found = asking.committed([NativeTP(topic, p) for p in partitions], timeout=_TIMEOUT_S)
        finally:
            asking.close()
        return {tp.partition: (tp.offset if tp.offset >= 0 else None) for tp in found}

    def denied(self, exc: BaseException) -> bool:
        from pauseable_confluent_kafka import _typed_error

        return _typed_error(exc) is AuthorizationError

    def close(self) -> None:
        if self._producer is not None:
            self._producer.flush(_TIMEOUT_S)
        if self._reader is not None:
            self._reader.close()
        self._reader = self._producer = self._admin = None
