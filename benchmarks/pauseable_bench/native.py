"""What a user of each client writes without pauseable, and how its broker requests are counted.

The overhead and throughput benchmarks compare the controller against these calls on the same
consumer. Native topic-partition objects are built once, as a user holding them would; pauseable's
calls get pauseable ``TopicPartition`` objects and pay for translating them, which is its overhead.

Requests are counted by API name (``ListOffsets``, ``OffsetFetch``, ...) as the client sends them:
librdkafka reports them per broker in its statistics (``stats_cb``); kafka-python and aiokafka are
counted by wrapping the one method of their connection class every request goes through. A
controller's side client for offset lookups is counted too: kafka-python's and aiokafka's through the
same wrapped class, librdkafka's through statistics of its own (:meth:`RequestCounter.watch`).
"""

from __future__ import annotations

import asyncio
import json
import re
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

#: requests a caught-up consumer sends whatever the application does (long-poll fetches), left out
BACKGROUND = frozenset({"Fetch"})
_STATS_INTERVAL_MS = 50


@dataclass(frozen=True)
class NativeCalls:
    """The native calls for one partition; each returns a value, or an awaitable for an asyncio client."""

    pause: Callable[[], Any]
    resume: Callable[[], Any]
    #: the client's own seek-to-end (lazy on confluent-kafka and kafka-python, eager on aiokafka)
    seek_to_end: Callable[[], Any]
    #: what pauseable's eager seek_to_end does, by hand: look the end offset up, then seek to it
    seek_to_end_eager: Callable[[], Any]
    committed: Callable[[], Any]
    #: one poll of up to ``max_records``, returning how many records it delivered
    poll_count: Callable[[float, int], Any]


def controller_poll_count(ctl: Any) -> Callable[[float, int], Any]:
    """The pauseable side of :attr:`NativeCalls.poll_count`: ``ctl.poll``, returning how many records it
    delivered (an awaitable of it for an asyncio controller)."""

    def poll_count(timeout: float, n: int) -> Any:
        result = ctl.poll(timeout, n)
        if isinstance(result, list):
            return len(result)

        async def awaited() -> int:
            return len(await result)

        return awaited()

    return poll_count


def calls(backend: str, consumer: Any, topic: str, partition: int) -> NativeCalls:
    """The native calls of ``backend`` on ``consumer`` for ``topic[partition]``."""
    if backend == "confluent-kafka":
        return _confluent(consumer, topic, partition)
    if backend == "confluent-kafka-aio":
        return _confluent_aio(consumer, topic, partition)
    if backend == "kafka-python":
        return _kafka_python(consumer, topic, partition)
    if backend == "aiokafka":
        return _aiokafka(consumer, topic, partition)
    raise ValueError(f"no native calls for backend {backend!r}")


def _confluent(consumer: Any, topic: str, partition: int) -> NativeCalls:
    from confluent_kafka import OFFSET_END
    from confluent_kafka import TopicPartition as TP

    tps = [TP(topic, partition)]
    end = TP(topic, partition, OFFSET_END)

    def eager() -> None:
        _, high = consumer.get_watermark_offsets(tps[0], timeout=30)
        consumer.seek(TP(topic, partition, high))

    return NativeCalls(
        pause=lambda: consumer.pause(tps),
        resume=lambda: consumer.resume(tps),
        seek_to_end=lambda: consumer.seek(end),
        seek_to_end_eager=eager,
        committed=lambda: consumer.committed(tps, timeout=30),
        poll_count=lambda timeout, n: len(consumer.consume(n, timeout)),
    )


def _confluent_aio(consumer: Any, topic: str, partition: int) -> NativeCalls:
    from confluent_kafka import OFFSET_END
    from confluent_kafka import TopicPartition as TP

    tps = [TP(topic, partition)]
    end = TP(topic, partition, OFFSET_END)

    async def eager() -> None:
        _, high = await consumer.get_watermark_offsets(tps[0], timeout=30)
        await consumer.seek(TP(topic, partition, high))

    async def poll_count(timeout: float, n: int) -> int:
        return len(await consumer.consume(n, timeout))

    return NativeCalls(
        pause=lambda: consumer.pause(tps),
        resume=lambda: consumer.resume(tps),
        seek_to_end=lambda: consumer.seek(end),
        seek_to_end_eager=eager,
        committed=lambda: consumer.committed(tps, timeout=30),
        poll_count=poll_count,
    )


def _kafka_python(consumer: Any, topic: str, partition: int) -> NativeCalls:
    from kafka import TopicPartition as TP

    tp = TP(topic, partition)

    def eager() -> None:
        consumer.seek(tp, consumer.end_offsets([tp])[tp])

    def poll_count(timeout: float, n: int) -> int:
        return sum(len(records) for records in consumer.poll(timeout_ms=int(timeout * 1000), max_records=n).values())

    return NativeCalls(
        pause=lambda: consumer.pause(tp),
        resume=lambda: consumer.resume(tp),
        seek_to_end=lambda: consumer.seek_to_end(tp),
        seek_to_end_eager=eager,
        committed=lambda: consumer.committed(tp),
        poll_count=poll_count,
    )


def _aiokafka(consumer: Any, topic: str, partition: int) -> NativeCalls:
    from aiokafka import TopicPartition as TP

    tp = TP(topic, partition)

    async def eager() -> None:
        consumer.seek(tp, (await consumer.end_offsets([tp]))[tp])

    async def poll_count(timeout: float, n: int) -> int:
        batches = await consumer.getmany(timeout_ms=int(timeout * 1000), max_records=n)
        return sum(len(records) for records in batches.values())

    return NativeCalls(
        pause=lambda: consumer.pause(tp),  # plain methods in aiokafka: a user does not await them
        resume=lambda: consumer.resume(tp),
        seek_to_end=lambda: consumer.seek_to_end(tp),
        seek_to_end_eager=eager,
        committed=lambda: consumer.committed(tp),
        poll_count=poll_count,
    )


class RequestCounter:
    """Requests sent to the brokers so far, by API name, for one backend in this process.

    Build it before the consumer (:meth:`config` is librdkafka's statistics setting), then
    :meth:`install` it on the consumer. :meth:`counts` returns a value, or an awaitable for the
    asyncio confluent-kafka consumer (its statistics arrive through ``poll``).
    """

    def __init__(self, backend: str) -> None:
        self.backend = backend
        self._sent: Counter[str] = Counter()
        #: librdkafka's latest statistics of each client, by its name: (time, requests sent by API)
        self._stats: dict[str, tuple[int, Counter[str]]] = {}
        self._consumer: Any = None
        #: more librdkafka clients whose statistics count (a controller's side client)
        self._watched: list[Any] = []

    def config(self) -> dict[str, Any]:
        """Native consumer settings the count needs (librdkafka's statistics; nothing elsewhere)."""
        if self.backend == "confluent-kafka":
            return {"statistics.interval.ms": _STATS_INTERVAL_MS, "stats_cb": self._on_stats}
        if self.backend == "confluent-kafka-aio":  # AIOConsumer awaits its callbacks on the event loop
            return {"statistics.interval.ms": _STATS_INTERVAL_MS, "stats_cb": self._on_stats_async}
        return {}

    def install(self, consumer: Any) -> None:
        self._consumer = consumer
        if self.backend == "kafka-python":
            from kafka.net.connection import KafkaConnection

            _wrap(KafkaConnection, "_send_request", self._sent)
        elif self.backend == "aiokafka":
            from aiokafka.conn import AIOKafkaConnection

            _wrap(AIOKafkaConnection, "send", self._sent)

    def watch(self, client: Any) -> None:
        """Count the requests of another librdkafka client of this process too (built with :meth:`config`'s
        statistics settings): its statistics are served when the count polls it."""
        self._watched.append(client)

    def counts(self) -> Any:
        if self.backend == "confluent-kafka":
            return self._confluent_counts()
        if self.backend == "confluent-kafka-aio":
            return self._confluent_aio_counts()
        return Counter(self._sent)

    def _on_stats(self, blob: str) -> None:
        stats = json.loads(blob)
        sent: Counter[str] = Counter()
        for broker in stats.get("brokers", {}).values():
            sent.update({name: n for name, n in broker.get("req", {}).items() if n})
        self._stats[stats["name"]] = (int(stats["ts"]), sent)

    def _fresh(self, asked: int) -> bool:
        """Statistics of every client, the consumer's and each watched one, newer than ``asked``."""
        clients = 1 + len(self._watched)
        return len(self._stats) >= clients and all(ts > asked for ts, _ in self._stats.values())

    def _total(self) -> Counter[str]:
        total: Counter[str] = Counter()
        for _, sent in self._stats.values():
            total.update(sent)
        return total

    async def _on_stats_async(self, blob: str) -> None:
        self._on_stats(blob)

    def _confluent_counts(self) -> Counter[str]:
        # librdkafka's statistics clock (rd_clock, microseconds) is CLOCK_MONOTONIC, as time.monotonic
        asked = int(time.monotonic() * 1e6)
        deadline = time.monotonic() + 10
        while not self._fresh(asked):
            if time.monotonic() > deadline:
                raise TimeoutError("no librdkafka statistics within 10 s")
            self._consumer.poll(_STATS_INTERVAL_MS / 1000)  # serves stats_cb; the partition is caught up
            for client in self._watched:
                client.poll(0)
        return self._total()

    async def _confluent_aio_counts(self) -> Counter[str]:
        asked = int(time.monotonic() * 1e6)
        deadline = time.monotonic() + 10
        while not self._fresh(asked):
            if time.monotonic() > deadline:
                raise TimeoutError("no librdkafka statistics within 10 s")
            await self._consumer.poll(_STATS_INTERVAL_MS / 1000)
            for client in self._watched:
                await client.poll(0)
            await asyncio.sleep(0)  # the wrapped stats_cb runs on the loop
        return self._total()


def _wrap(cls: type, method: str, sent: Counter[str]) -> None:
    """Count every call of ``cls.method(request, ...)`` by the request's API name (this process only)."""
    original = getattr(cls, method)
    if getattr(original, "_pauseable_counted", False):
        return

    def counted(self: Any, request: Any, *args: Any, **kwargs: Any) -> Any:
        sent[api_name(request)] += 1
        return original(self, request, *args, **kwargs)

    counted._pauseable_counted = True  # type: ignore[attr-defined]
    setattr(cls, method, counted)


#: older names some clients keep for an API (aiokafka's ``OffsetRequest`` is ListOffsets)
_ALIASES = {"Offset": "ListOffsets", "GroupCoordinator": "FindCoordinator"}


def api_name(request: Any) -> str:
    """``ListOffsetsRequest_v4`` -> ``ListOffsets``: the API name librdkafka's statistics use too."""
    name = re.sub(r"_v\d+$", "", type(request).__name__)
    name = name.removesuffix("Request") or name
    return _ALIASES.get(name, name)


def difference(after: Counter[str], before: Counter[str]) -> dict[str, int]:
    """Requests sent between two counts, background fetches left out."""
    return {name: n for name, n in sorted((after - before).items()) if name not in BACKGROUND and n > 0}
