"""Group pauses' control client (:class:`pauseable.adapter.ControlClient`) built with aiokafka.

The follower is a thread, so this client runs aiokafka on an event loop of its own, in a daemon thread, and
its methods block until their coroutine is done there. A reader ``AIOKafkaConsumer`` in no group, an
``acks=all`` ``AIOKafkaProducer`` and an ``AIOKafkaAdminClient``, each started at its first use from the
consumer's connection and security settings (read as the offset lookups' side client reads them), ``config``
on top (aiokafka's key names).
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Coroutine, Mapping, Sequence
from typing import Any, TypeVar

from pauseable.adapter import ControlClient, ControlRecord
from pauseable_aiokafka.stop import stop_consumer

try:
    import aiokafka
    from aiokafka import TopicPartition as NativeTP
    from aiokafka.admin import AIOKafkaAdminClient, NewTopic
except ImportError:  # pragma: no cover - the backend is then not listed
    pass

T = TypeVar("T")

#: the settings every client kind takes: where the cluster is, and how to log in
_CONNECTION = ("bootstrap_servers", "client_id", "security_protocol", "ssl_context", "sasl_", "request_timeout_ms",
               "connections_max_idle_ms", "metadata_max_age_ms", "retry_backoff_ms")  # fmt: skip
_TIMEOUT_S = 10.0


def open_control(consumer: Any, config: Mapping[str, Any] | None) -> AIOKafkaControl:
    """A control client from ``consumer``'s settings (None for an operator), ``config`` on top."""
    from pauseable_aiokafka import side_settings

    settings = (side_settings(consumer) or {}) if consumer is not None else {}
    settings.update(config or {})
    return AIOKafkaControl(settings)


class AIOKafkaControl(ControlClient):
    """The control client of aiokafka, on a loop of its own."""

    def __init__(self, settings: Mapping[str, Any]) -> None:
        self.group: str | None = settings.get("group_id")
        self._settings = {k: v for k, v in settings.items() if k.startswith(_CONNECTION) and v is not None}
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="pauseable-aiokafka-control", daemon=True)
        self._thread.start()
        self._reader: Any = None
        self._producer: Any = None
        self._admin: Any = None
        self._topic = ""

    def _run(self, coroutine: Coroutine[Any, Any, T]) -> T:
        return asyncio.run_coroutine_threadsafe(coroutine, self._loop).result()

    async def _consumer(self) -> Any:
        if self._reader is None:
            client_id = f"{self._settings.get('client_id', 'aiokafka')}-control"
            settings = {**self._settings, "client_id": client_id}
            reader = aiokafka.AIOKafkaConsumer(
                **settings, group_id=None, enable_auto_commit=False, fetch_max_wait_ms=100, auto_offset_reset="earliest"
            )
            await reader.start()
            self._reader = reader
        return self._reader

    async def _admin_client(self) -> Any:
        if self._admin is None:
            admin = AIOKafkaAdminClient(**self._settings)
            await admin.start()
            self._admin = admin
        return self._admin

    def partitions(self, topic: str) -> int:
        async def count() -> int:
            reader = await self._consumer()
            # every topic's metadata (asking for one could auto-create it); the consumer's own cluster view has
            # only the topics it tracks, so the partitions are read from this answer
            cluster = await reader._client.fetch_all_metadata()
            return len(cluster.partitions_for_topic(topic) or ())

        return self._run(count())

    def brokers(self) -> int:
        async def count() -> int:
            return len((await (await self._admin_client()).describe_cluster())["brokers"])

        return self._run(count())

    def create(self, topic: str, partitions: int, replication: int, configs: Mapping[str, str]) -> None:
        new = NewTopic(topic, num_partitions=partitions, replication_factor=replication, topic_configs=dict(configs))

        async def create() -> None:
            await (await self._admin_client()).create_topics([new], timeout_ms=int(_TIMEOUT_S * 1000))

        self._run(create())

    def send(self, topic: str, records: Sequence[tuple[int, bytes, bytes | None]]) -> None:
        async def send() -> None:
            if self._producer is None:
                producer = aiokafka.AIOKafkaProducer(**self._settings, acks="all")
                await producer.start()
                self._producer = producer
            sent = [await self._producer.send(topic, value=v, key=k, partition=p) for p, k, v in records]
            await asyncio.wait_for(asyncio.gather(*sent), _TIMEOUT_S)

        if records:
            self._run(send())

    def read(self, topic: str, partitions: int) -> None:
        async def read() -> None:
            reader = await self._consumer()
            reader.assign([NativeTP(topic, p) for p in range(partitions)])
            await reader.seek_to_beginning()

        self._topic = topic
        self._run(read())

    def fetch(self, timeout: float) -> list[ControlRecord]:
        async def fetch() -> list[ControlRecord]:
            batches = await (await self._consumer()).getmany(timeout_ms=int(timeout * 1000))
            return [ControlRecord(r.partition, r.offset, r.key, r.value) for rs in batches.values() for r in rs]

        return self._run(fetch())

    def caught_up(self, ends: Mapping[int, int]) -> bool:
        async def positions() -> bool:
            reader = await self._consumer()
            for p, end in ends.items():
                if await reader.position(NativeTP(self._topic, p)) < end:
                    return False
            return True

        return self._run(positions())

    def end_offsets(self, topic: str, partitions: Sequence[int]) -> dict[int, int]:
        async def ends() -> dict[int, int]:
            found = await (await self._consumer()).end_offsets([NativeTP(topic, p) for p in partitions])
            return {tp.partition: offset for tp, offset in found.items()}

        return self._run(ends())

    def committed(self, group: str, topic: str, partitions: Sequence[int]) -> dict[int, int | None]:
        async def committed() -> dict[int, int | None]:
            asking = aiokafka.AIOKafkaConsumer(**self._settings, group_id=group, enable_auto_commit=False)
            await asking.start()
            try:
                return {p: await asking.committed(NativeTP(topic, p)) for p in partitions}
            finally:
                await asking.stop()

        return self._run(committed())

    def close(self) -> None:
        async def stop() -> None:
            if self._reader is not None:  # its fetch may wait out a back-off (its broker died): stopped whole
                await stop_consumer(self._reader)
            if self._producer is not None:
                await self._producer.stop()
            if self._admin is not None:
                await self._admin.close()

        if self._thread.is_alive():
            try:
                self._run(stop())
            finally:
                self._loop.call_soon_threadsafe(self._loop.stop)
                self._thread.join(5)
                self._loop.close()
        self._reader = self._producer = self._admin = None
