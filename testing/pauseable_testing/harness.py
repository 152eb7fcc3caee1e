"""Drive any backend from plain (synchronous) test code, so each behaviour is written once.

An async backend's controller is wrapped in :class:`Blocking`, which runs every coroutine on the
harness's own event loop; a sync backend's controller is wrapped the same way and passes through.
Records are produced through the kit's own wire client, whichever Kafka clients are installed.
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
from pauseable_testing.broker.errors import BrokerError
from pauseable_testing.broker.producer import WireProducer
from pauseable_testing.cluster import KafkaCluster, unique_name
from pauseable_testing.config import SETTING_KEYS, ConsumerConfig

#: Delivered offsets, per partition, in delivery order.
Delivered = dict[TopicPartition, list[int]]
#: The ``new_topic`` fixture: ``new_topic(partitions=1, configs=None) -> name``.
NewTopic = Callable[..., str]


class Blocking:
    """A controller whose coroutine methods are run to completion: the same calls for sync and async.

    With a ``harness``, each call is noted as its last call (named when a behaviour runs past its bound),
    and each ``poll`` is timed against the contract's bound (:meth:`BackendHarness.check_poll`).
    """

    __slots__ = ("_harness", "_run", "_target")

    def __init__(self, target: Any, run: Callable[[Any], Any], harness: BackendHarness | None = None) -> None:
        self._target = target
        self._run = run
        self._harness = harness

    def __getattr__(self, name: str) -> Any:
        attribute = getattr(self._target, name)
        if not callable(attribute):
            return attribute
        harness = self._harness
        if harness is None:
            return lambda *args, **kwargs: self._run(attribute(*args, **kwargs))

        def call(*args: Any, **kwargs: Any) -> Any:
            began = harness.began(self, name, args, kwargs)
            try:
                result = self._run(attribute(*args, **kwargs))
            finally:
                harness.returned(began)
            if name == "poll":
                harness.check_poll(began, args, kwargs)
            return result

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
        consumer_config: ConsumerConfig | None = None,
    ) -> None:
        self.backend = backend
        #: the user's own native settings, merged into every consumer (``--pauseable-consumer-config``)
        self.consumer_config = consumer_config or ConsumerConfig()
        #: how long consume() waits by default
        self.timeout = timeout
        self.cluster = cluster
        self.capabilities = capabilities or Capabilities()
        self.loop = asyncio.new_event_loop() if backend.is_async else None
        self._controllers: list[Blocking] = []
        self._producer = Producer(cluster.bootstrap_servers)
        #: how far past its timeout a poll may return before it breaks the contract's bound; None: unchecked
        self.poll_margin: float | None = POLL_MARGIN_S
        #: the last call made through the harness, for a behaviour that runs past its bound
        self.last_call: Call | None = None
        #: what the harness's consume loop waits for now, if anything
        self.waiting_for: str | None = None
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
        """The settings of a consumer: a behaviour's ``overrides`` over the user's configuration.

        Under ``group.protocol=consumer`` (KIP-848) the broker owns the session timeout and the heartbeat
        interval: a behaviour's values for them are left out.
        """
        if self.consumer_config.broker_side_groups:
            overrides.pop("session_timeout_ms", None)
            overrides.pop("heartbeat_interval_ms", None)
        elif not self.consumer_config.native(()).keys() & {"heartbeat.interval.ms", "heartbeat_interval_ms"}:
            # a member learns of a rebalance at its next heartbeat: at the clients' 3 s, every join or leave of a
            # behaviour waits up to 3 s for the others
            overrides.setdefault("heartbeat_interval_ms", FAST_HEARTBEAT_MS)
        own = [name for name in SETTING_KEYS if overrides.get(name) is not None]
        native = {**self.consumer_config.native(own), **self.native, **overrides.get("native", {})}
        if native:
            overrides["native"] = native
        return ConsumerSettings(self.cluster.bootstrap_servers, group_id=group_id, **overrides)

    def began(self, view: Blocking, name: str, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Call:
        """Note a controller call as the last call (see :attr:`last_call`)."""
        shown = ", ".join([*map(_short, args), *(f"{k}={_short(v)}" for k, v in kwargs.items())])
        member = next((i for i, v in enumerate(self._controllers, 1) if v is view), 0)
        self.last_call = Call(f"controller #{member}: {name}({shown})", time.monotonic())
        return self.last_call

    @staticmethod
    def returned(call: Call) -> None:
        call.ended = time.monotonic()

    def check_poll(self, call: Call, args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
        """Fail when a poll overran its timeout by more than :attr:`poll_margin`: the contract bounds it."""
        timeout = kwargs.get("timeout", args[0] if args else 1.0)
        took = (call.ended or time.monotonic()) - call.began
        if self.poll_margin is not None and took > timeout + self.poll_margin:
            raise AssertionError(
                f"{self.name}: {call.what} returned after {took:.1f} s: it broke the contract's bound on poll "
                f"(waiting at most its timeout of {timeout} s; {self.poll_margin:.0f} s of margin allowed). A poll "
                "must return in time even during a rebalance: the suite polls several members from one thread"
            )

    def describe(self) -> str:
        """The harness's last call and what it waits for: where a behaviour that ran past its bound was."""
        if self.last_call is None:
            return "no harness call yet"
        call = self.last_call
        now = time.monotonic()
        state = (
            f"returned {now - call.ended:.1f} s ago"
            if call.ended is not None
            else f"began {now - call.began:.1f} s ago and has not returned"
        )
        waiting = f"; waiting for {self.waiting_for}" if self.waiting_for else ""
        return f"last harness call: {call.what}, {state}{waiting}"

    def check_consumer_config(self) -> None:
        """Build and close one consumer with the user's configuration; the client's own error when it
        refuses it (an unknown key, a bad value, a setting it does not support)."""
        if self.consumer_config.settings:
            native = self.native_consumer()
            closer = getattr(native, "close", None) or native.stop  # aiokafka's consumer has stop()
            self.run(closer())

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
        view = Blocking(ctl, self.run, self)
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
        call = self.last_call = Call(f"produce({topic!r}, {count}, partition={partition})", time.monotonic())
        offsets = self._producer.produce(topic, count, partition, timestamp_ms, value)
        self.returned(call)
        return offsets

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
        self.waiting_for = what
        try:
            while not until():
                if time.monotonic() > deadline:
                    got = [delivered for _, delivered in members]
                    raise AssertionError(f"{self.name}: timed out after {timeout:.0f} s waiting for {what}; got {got}")
                for ctl, delivered in members:
                    record_into(delivered, ctl, ctl.poll(poll_s, max_records))
        finally:
            self.waiting_for = None

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


#: the heartbeat interval of the suite's consumers unless the user's configuration sets one
FAST_HEARTBEAT_MS = 500
#: how far past its timeout a poll may return (a loaded machine, a rebalance) before the suite calls it a breach
POLL_MARGIN_S = 15.0


@dataclass
class Call:
    """One call made through the harness: what, and when it began and returned (monotonic seconds)."""

    what: str
    began: float
    ended: float | None = None


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


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
    """Produces test records and reports their offsets, through the kit's own wire client
    (:class:`~pauseable_testing.broker.producer.WireProducer`): whatever clients are installed."""

    def __init__(self, bootstrap_servers: str) -> None:
        self._wire = WireProducer(bootstrap_servers)

    def produce(
        self, topic: str, count: int, partition: int = 0, timestamp_ms: int | None = None, value: bytes | None = None
    ) -> list[int]:
        if count <= 0:
            return []
        values = [value if value is not None else f"{unique_name('v')}-{i}".encode() for i in range(count)]
        try:
            base = self._wire.produce(topic, values, partition, timestamp_ms)
        except BrokerError as exc:
            raise AssertionError(f"producing to {topic}[{partition}] failed: {exc}") from exc
        return list(range(base, base + count))

    def produce_bulk(self, topic: str, count: int, size: int, prefix: bytes, partition: int) -> None:
        self._wire.produce_bulk(topic, count, payload(prefix, size), partition)

    def close(self) -> None:
        self._wire.close()
