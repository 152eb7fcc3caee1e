"""Group pauses' control client (:class:`pauseable.adapter.ControlClient`) built with kafka-python.

A reader ``KafkaConsumer`` in no group, an ``acks=all`` ``KafkaProducer`` and a ``KafkaAdminClient``, each made
at its first use from the connection and security settings only (the consumer's ``config`` where given,
``config`` on top, kafka-python's key names). Never the application's consumer: kafka-python 3.0.12 throws
away a group join answered while that consumer does I/O outside ``poll()``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from pauseable.adapter import ControlClient, ControlRecord, typed_by_name
from pauseable.errors import AuthorizationError

try:
    import kafka
    from kafka import TopicPartition as NativeTP
    from kafka.admin import KafkaAdminClient, NewTopic
except ImportError:  # pragma: no cover - the backend is then not listed
    pass

#: the settings every client kind shares: where the cluster is, and how to log in
_CONNECTION = ("bootstrap_servers", "client_id", "security_protocol", "sasl_", "ssl_", "api_version",
               "client_dns_lookup", "socks5_proxy", "request_timeout_ms")  # fmt: skip
#: per call, in seconds
_TIMEOUT_S = 10.0


def connection(settings: Mapping[str, Any], kind: type) -> dict[str, Any]:
    """The connection and security settings of ``settings`` that a client of class ``kind`` takes."""
    known = kind.DEFAULT_CONFIG  # type: ignore[attr-defined]
    return {k: v for k, v in settings.items() if k.startswith(_CONNECTION) and k in known and v is not None}


def open_control(consumer: Any, config: Mapping[str, Any] | None) -> KafkaPythonControl:
    """A control client from ``consumer``'s settings (None for an operator), ``config`` on top."""
    settings = dict(consumer.config) if consumer is not None else {}
    settings.update(config or {})
    return KafkaPythonControl(settings)


class KafkaPythonControl(ControlClient):
    """The control client of kafka-python."""

    def __init__(self, settings: Mapping[str, Any]) -> None:
        self._settings = dict(settings)
        self.group: str | None = self._settings.get("group_id")
        self._reader: Any = None
        self._producer: Any = None
        self._admin: Any = None
        self._topic = ""

    def _consumer(self) -> Any:
        if self._reader is None:
            base = connection(self._settings, kafka.KafkaConsumer)
            base["client_id"] = f"{base.get('client_id', 'kafka-python')}-control"
            self._reader = kafka.KafkaConsumer(
                **base, group_id=None, enable_auto_commit=False, fetch_max_wait_ms=100, auto_offset_reset="earliest"
            )
        return self._reader

    def _admin_client(self) -> Any:
        if self._admin is None:
            self._admin = KafkaAdminClient(**connection(self._settings, KafkaAdminClient))
        return self._admin

    def partitions(self, topic: str) -> int:
        reader = self._consumer()
        if topic not in reader.topics():  # every topic's metadata: asking for one could auto-create it
            return 0
        return len(reader.partitions_for_topic(topic) or ())

    def brokers(self) -> int:
        return len(self._admin_client().describe_cluster()["brokers"])

    def create(self, topic: str, partitions: int, replication: int, configs: Mapping[str, str]) -> None:
        new = NewTopic(topic, num_partitions=partitions, replication_factor=replication, topic_configs=dict(configs))
        self._admin_client().create_topics([new], timeout_ms=int(_TIMEOUT_S * 1000))

    def send(self, topic: str, records: Sequence[tuple[int, bytes, bytes | None]]) -> None:
        if not records:
            return
        if self._producer is None:
            self._producer = kafka.KafkaProducer(**connection(self._settings, kafka.KafkaProducer), acks="all")
        futures = [self._producer.send(topic, key=key, value=value, partition=p) for p, key, value in records]
        self._producer.flush(_TIMEOUT_S)
        for future in futures:
            future.get(_TIMEOUT_S)

    def read(self, topic: str, partitions: int) -> None:
        reader = self._consumer()
        self._topic = topic
        reader.assign([NativeTP(topic, p) for p in range(partitions)])
        reader.seek_to_beginning()

    def fetch(self, timeout: float) -> list[ControlRecord]:
        batches = self._consumer().poll(timeout_ms=int(timeout * 1000))
        return [ControlRecord(r.partition, r.offset, r.key, r.value) for rs in batches.values() for r in rs]

    def caught_up(self, ends: Mapping[int, int]) -> bool:
        reader = self._consumer()
        return all(reader.position(NativeTP(self._topic, p)) >= end for p, end in ends.items())

    def end_offsets(self, topic: str, partitions: Sequence[int]) -> dict[int, int]:
        found = self._consumer().end_offsets([NativeTP(topic, p) for p in partitions])
        return {tp.partition: offset for tp, offset in found.items()}

    def committed(self, group: str, topic: str, partitions: Sequence[int]) -> dict[int, int | None]:
        base = connection(self._settings, kafka.KafkaConsumer)
        asking = kafka.KafkaConsumer(**base, group_id=group, enable_auto_commit=False)
        try:
            return {p: asking.committed(NativeTP(topic, p)) for p in partitions}
        finally:
            asking.close()

    def denied(self, exc: BaseException) -> bool:
        # kafka-python's idempotent producer raises a plain KafkaError when InitProducerId is refused ("Unexpected
        # error in InitProducerIdResponse: [Error 31] ClusterAuthorizationFailedError"): a principal that may write
        # no topic at all
        return typed_by_name(exc) is AuthorizationError or "AuthorizationFailedError" in str(exc)

    def close(self) -> None:
        for client in (self._reader, self._producer, self._admin):
            if client is not None:
                client.close()
        self._reader = self._producer = self._admin = None
