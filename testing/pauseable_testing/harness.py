"""Drive any backend from plain (synchronous) test code, so each behaviour is written once.

An async backend's controller is wrapped in :class:`Blocking`, which runs every coroutine on the
harness's own event loop; a sync backend's controller is wrapped the same way and passes through.
Records are produced with whichever producer client is installed (confluent-kafka, else kafka-python).
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from pauseable.adapter import Backend, ConsumerSettings
from pauseable.controller import AsyncController, Controller
from pauseable.strategies import STRATEGIES, Rebuild, SkipStrategy
from pauseable.types import TopicPartition
from pauseable_testing.cluster import KafkaCluster, unique_name

#: Delivered offsets, per partition, in delivery order.
Delivered = dict[TopicPartition, list[int]]
#: The ``new_topic`` fixture: ``new_topic(partitions=1, configs=None) -> name``.
NewTopic = Callable[..., str]


class Blocking:
    """A controller whose coroutine methods are run to completion: the same calls for sync and async."""

    __slots__ = ("_run", "_target")

    def __init__(self, target: Any, run: Callable[[Any], Any]) -> None:
        self._target = target
        self._run = run

    def __getattr__(self, name: str) -> Any:
        attribute = getattr(self._target, name)
        if not callable(attribute):
            return attribute

        def call(*args: Any, **kwargs: Any) -> Any:
            return self._run(attribute(*args, **kwargs))

        return call

    @property
    def target(self) -> Any:
        """The controller itself (an :class:`AsyncController` for async backends)."""
        return self._target


@dataclass(frozen=True)
class Capabilities:
    """What a backend can do. The suite skips, with the reason, behaviours a backend declares it lacks."""

    #: joins consumer groups with subscribe() and takes part in rebalances
    consumer_groups: bool = True
    #: answers offsets_for_times from record timestamps
    offsets_for_times: bool = True


class BackendHarness:
    """Builds consumers of one backend against a cluster, and cleans them up."""

    def __init__(
        self,
        backend: Backend,
        cluster: KafkaCluster,
        capabilities: Capabilities | None = None,
        timeout: float = 30.0,
    ) -> None:
        self.backend = backend
        #: how long consume() waits by default
        self.timeout = timeout
        self.cluster = cluster
        self.capabilities = capabilities or Capabilities()
        self.loop = asyncio.new_event_loop() if backend.is_async else None
        self._controllers: list[Blocking] = []
        self._producer = Producer(cluster.bootstrap_servers)
        #: native settings every consumer of this harness gets (e.g. a client's debug log)
        self.native: dict[str, Any] = {}

    @property
    def name(self) -> str:
        return self.backend.name

    def requires(self, capability: str) -> None:
        """Skip the calling test when the backend declares it lacks ``capability``."""
        if not getattr(self.capabilities, capability):
            import pytest

            pytest.skip(f"{self.name} declares no {capability.replace('_', ' ')} (pauseable_capabilities)")

    def run(self, value: Any) -> Any:
        """``value``, or its result when it is awaitable (run on the harness's loop)."""
        if inspect.isawaitable(value):
            assert self.loop is not None, f"{self.name} is a sync backend but returned an awaitable"
            return self.loop.run_until_complete(_awaited(value))
        return value

    def settings(self, group_id: str | None = None, **overrides: Any) -> ConsumerSettings:
        if self.native:
            overrides["native"] = {**self.native, **overrides.get("native", {})}
        return ConsumerSettings(self.cluster.bootstrap_servers, group_id=group_id, **overrides)

    def strategy(self, name: str, group_id: str | None = None) -> SkipStrategy:
        """A built-in strategy by name; ``rebuild`` builds its new consumers like :meth:`native_consumer`."""
        if name == Rebuild.name:
            build = self.backend.build_consumer
            assert build is not None, f"backend {self.name!r} registers no build_consumer"
            return Rebuild(lambda: build(self.settings(group_id)))  # a coroutine for async backends
        return STRATEGIES[name]()

    def native_consumer(self, group_id: str | None = None, **overrides: Any) -> Any:
        """A new native consumer of this backend (started, for async clients)."""
        if self.backend.build_consumer is None:
            raise NotImplementedError(f"backend {self.name!r} registers no build_consumer; tests need one")
        return self.run(self.backend.build_consumer(self.settings(group_id, **overrides)))

    def controller(self, group_id: str | None = None, **overrides: Any) -> Blocking:
        """A controller over a new native consumer; closed when the harness closes.

        A backend whose client does not expose its configuration gets it as ``lookup_config``
        (``Backend.lookup_config``), as a user would pass it, so offset lookups have a client of their own.
        """
        consumer = self.native_consumer(group_id, **overrides)
        make_config = self.backend.lookup_config
        lookup_config = make_config(self.settings(group_id, **overrides)) if make_config is not None else None
        if self.backend.sync_adapter is not None:
            adapter: Any = self.backend.sync_adapter(consumer)
            ctl: Any = Controller(consumer, self.backend, adapter, lookup_config=lookup_config)
        else:
            assert self.backend.async_adapter is not None
            adapter = self.backend.async_adapter(consumer)
            ctl = AsyncController(consumer, self.backend, adapter, lookup_config=lookup_config)
        view = Blocking(ctl, self.run)
        self._controllers.append(view)
        return view

    def flow(self, ctl: Blocking, **settings: Any) -> Blocking:
        """A flow (pauseable.flow) over ``ctl``: a :class:`~pauseable.Flow`, or an :class:`~pauseable.AsyncFlow`
        for async backends, run the same way as the controller."""
        from pauseable.flow import AsyncFlow, Flow

        target = ctl.target
        made = AsyncFlow(target, **settings) if isinstance(target, AsyncController) else Flow(target, **settings)
        return Blocking(made, self.run)

    def close_natively(self, ctl: Blocking) -> None:
        """Close the native consumer behind ``ctl`` as a user of the client would, bypassing pauseable."""
        native = ctl.consumer
        closer = getattr(native, "close", None) or native.stop  # aiokafka's consumer has stop()
        self.run(closer())

    def produce(
        self, topic: str, count: int, partition: int = 0, timestamp_ms: int | None = None, value: bytes | None = None
    ) -> list[int]:
        """Produce ``count`` records to one partition (each a unique value unless ``value``); return their offsets."""
        return self._producer.produce(topic, count, partition, timestamp_ms, value)

    def produce_bulk(self, topic: str, count: int, size: int, value_prefix: bytes = b"", partition: int = 0) -> None:
        """Produce ``count`` records of ``size`` value bytes as fast as possible (no offsets kept)."""
        self._producer.produce_bulk(topic, count, size, value_prefix, partition)

    @staticmethod
    def value_of(record: Any) -> bytes:
        """A native record's value (a method on confluent-kafka's records, an attribute elsewhere)."""
        value = record.value
        return bytes((value() if callable(value) else value) or b"")

    def consume(
        self,
        ctl: Blocking,
        until: Callable[[Delivered], bool],
        *,
        timeout: float | None = None,
        what: str = "records",
        into: Delivered | None = None,
        max_records: int = 500,
    ) -> Delivered:
        """Poll ``ctl`` until ``until(delivered)`` holds; fail with what arrived after ``timeout``."""
        delivered: Delivered = {} if into is None else into
        self.consume_all(
            [(ctl, delivered)], lambda: until(delivered), timeout=timeout, what=what, max_records=max_records
        )
        return delivered

    def consume_all(
        self,
        members: list[tuple[Blocking, Delivered]],
        until: Callable[[], bool],
        *,
        timeout: float | None = None,
        what: str = "records",
        max_records: int = 500,
    ) -> None:
        """Poll several controllers in turn (e.g. members of one group) until ``until()`` holds."""
        timeout = self.timeout if timeout is None else timeout
        deadline = time.monotonic() + timeout
        poll_s = 0.3
        while not until():
            if time.monotonic() > deadline:
                got = [delivered for _, delivered in members]
                raise AssertionError(f"{self.name}: timed out after {timeout:.0f} s waiting for {what}; got {got}")
            for ctl, delivered in members:
                record_into(delivered, ctl, ctl.poll(poll_s, max_records))

    def join(self, ctl: Blocking, expected: set[TopicPartition], into: Delivered | None = None) -> Delivered:
        """Poll until the group gave ``ctl`` exactly ``expected``."""
        return self.consume(
            ctl, lambda _: ctl.assignment() == expected, what=f"assignment {sorted(expected)}", into=into
        )

    def poll_for(self, ctl: Blocking, seconds: float, into: Delivered | None = None) -> Delivered:
        """Poll ``ctl`` for ``seconds`` (for checks that something does *not* arrive)."""
        delivered: Delivered = {} if into is None else into
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            record_into(delivered, ctl, ctl.poll(0.1))
        return delivered

    def close(self) -> None:
        for view in reversed(self._controllers):
            with contextlib.suppress(Exception):  # a test may have broken or closed it on purpose
                view.close()
        self._producer.close()
        if self.loop is not None:
            self.loop.run_until_complete(self.loop.shutdown_asyncgens())
            self.loop.close()


async def _awaited(value: Any) -> Any:
    return await value


def record_into(delivered: Delivered, ctl: Blocking, records: Iterable[Any]) -> None:
    locate = ctl.target.locate
    for record in records:
        topic, partition, offset = locate(record)
        if partition >= 0:
            delivered.setdefault(TopicPartition(topic, partition), []).append(offset)


def payload(prefix: bytes, size: int) -> bytes:
    """A record value of ``size`` bytes starting with ``prefix`` (all of the prefix, if it is longer)."""
    return (prefix + b"x" * size)[: max(size, len(prefix))]


def paused_now(ctl: Blocking) -> frozenset[TopicPartition]:
    """The controller's paused set without I/O: usable inside a rebalance callback, sync or async."""
    return frozenset(ctl.target._core.paused)


def count(delivered: Delivered, tp: TopicPartition | None = None) -> int:
    """How many records were delivered (of one partition, or in all)."""
    if tp is not None:
        return len(delivered.get(tp, []))
    return sum(len(offsets) for offsets in delivered.values())


class Producer:
    """Produces test records and reports their offsets, with whichever producer client is installed."""

    def __init__(self, bootstrap_servers: str) -> None:
        self._bootstrap = bootstrap_servers
        self._native: Any = None  # low latency, for test records
        self._bulk: Any = None  # large batches, for backlogs

    def produce(
        self, topic: str, count: int, partition: int = 0, timestamp_ms: int | None = None, value: bytes | None = None
    ) -> list[int]:
        try:
            import confluent_kafka
        except ImportError:
            return self._produce_kafka_python(topic, count, partition, timestamp_ms, value)
        if self._native is None:
            # Idempotent: a retry after a broker fault must not write a record twice (the ledger would see a stranger).
            self._native = confluent_kafka.Producer(
                {"bootstrap.servers": self._bootstrap, "linger.ms": 2, "enable.idempotence": True}
            )
        offsets: list[int] = []
        errors: list[Any] = []

        def delivered(err: Any, msg: Any) -> None:
            (errors.append(err) if err is not None else offsets.append(msg.offset()))

        for i in range(count):
            extra = {"timestamp": timestamp_ms} if timestamp_ms is not None else {}
            record = value if value is not None else f"{unique_name('v')}-{i}".encode()
            self._native.produce(topic, value=record, partition=partition, on_delivery=delivered, **extra)
            self._native.poll(0)
        remaining = self._native.flush(30)
        if errors or remaining:
            raise AssertionError(f"producing to {topic}[{partition}] failed: {errors or f'{remaining} undelivered'}")
        return sorted(offsets)

    def produce_bulk(self, topic: str, count: int, size: int, prefix: bytes, partition: int) -> None:
        value = payload(prefix, size)
        try:
            import confluent_kafka
        except ImportError:
            import kafka

            producer = kafka.KafkaProducer(bootstrap_servers=self._bootstrap, linger_ms=5)
            for _ in range(count):
                producer.send(topic, value=value, partition=partition)
            producer.flush(120)
            producer.close()
            return
        if self._bulk is None:
            self._bulk = confluent_kafka.Producer(
                {"bootstrap.servers": self._bootstrap, "linger.ms": 20, "batch.size": 1_000_000}
            )
        bulk = self._bulk
        for i in range(count):
            while True:
                try:
                    bulk.produce(topic, value=value, partition=partition)
                    break
                except BufferError:  # the local queue is full: let deliveries drain
                    bulk.poll(0.05)
            if i % 10_000 == 0:
                bulk.poll(0)
        if bulk.flush(120):
            raise AssertionError(f"producing {count} records to {topic}[{partition}] did not finish in 120 s")

    def _produce_kafka_python(
        self, topic: str, count: int, partition: int, timestamp_ms: int | None, value: bytes | None
    ) -> list[int]:
        import kafka

        if self._native is None:
            self._native = kafka.KafkaProducer(bootstrap_servers=self._bootstrap, linger_ms=2, enable_idempotence=True)
        futures = [
            self._native.send(topic, value=value or f"v-{i}".encode(), partition=partition, timestamp_ms=timestamp_ms)
            for i in range(count)
        ]
        self._native.flush(30)
        return sorted(f.get(timeout=30).offset for f in futures)

    def close(self) -> None:
        for producer in (self._native, self._bulk):
            if producer is not None and hasattr(producer, "close"):
                producer.close()
        self._native = self._bulk = None
