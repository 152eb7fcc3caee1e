"""Route a FastStream subscriber's getter through a pauseable controller of its consumer."""

from __future__ import annotations

from typing import Any

import pauseable
from pauseable import InvalidArgumentError, TopicPartition
from pauseable.protocol import AsyncPauseController
from pauseable_faststream._executor import ExecutorController

_BINDING = "_pauseable_binding"
#: How long the aiokafka getter waits in one poll: short enough for the loop to see a stop soon.
AIOKAFKA_POLL_S = 0.5


class _Binding:
    """The subscriber's consumer and the controller bound to it (a new one when FastStream restarts)."""

    __slots__ = ("consumer", "controller", "finished", "generation", "handed", "pressed")

    def __init__(self) -> None:
        self.consumer: Any = None
        self.controller: AsyncPauseController[Any] | None = None
        #: partitions paused because every worker of a concurrent subscriber was busy
        self.pressed: set[TopicPartition] = set()
        #: records a concurrent subscriber's getter handed over, and those its workers finished, since the
        #: consumer of this generation (a restart begins a new one) started
        self.handed = self.finished = self.generation = 0

    async def pace(self, ctl: AsyncPauseController[Any], workers: int) -> None:
        """A concurrent subscriber (``max_workers``): while every worker is busy, FastStream's loop would wait to
        hand over the next record and stop polling, and the member would be put out of its group after
        ``max.poll.interval.ms`` (ag2ai/faststream#2143). Pause the assigned partitions instead, so the loop keeps
        polling (nothing of them is handed over), and resume them once half the workers are free."""
        busy = self.handed - self.finished  # counted here: a record on its way to a worker shows nowhere else
        if busy >= workers:
            fresh = set(await ctl.assignment()) - set(await ctl.paused())
            if fresh:
                await ctl.pause(sorted(fresh), reason="backpressure")
                self.pressed |= fresh
        elif self.pressed and busy <= workers // 2:
            still = self.pressed & set(await ctl.assignment())
            self.pressed = set()
            if still:
                await ctl.resume(sorted(still), reason="backpressure")

    async def release(self) -> None:
        """After FastStream stopped the consumer: end the controller (its pauses end as at a close, its
        lookup client is closed)."""
        ctl, self.controller, self.consumer = self.controller, None, None
        self.pressed = set()
        self.handed = self.finished = 0
        self.generation += 1  # work cancelled by the stop is not counted against the next consumer
        if isinstance(ctl, ExecutorController):
            ctl.controller.close()  # the consumer is closed already and its executor shut down: lookups only
        elif ctl is not None:
            await ctl.close()

    def bound(self, subscriber: Any, consumer: Any) -> AsyncPauseController[Any]:
        """The controller of ``consumer``, built at the first call and again when the consumer changed."""
        if self.controller is None or self.consumer is not consumer:
            self.controller = _build(subscriber, consumer)
            self.consumer = consumer
        return self.controller


def _shape(subscriber: Any) -> tuple[str, str]:
    """Which broker serves ``subscriber`` (``"kafka"`` or ``"confluent"``) and how it takes records (``"one"``,
    ``"batch"`` or ``"concurrent"``); InvalidArgumentError for anything else."""
    module = type(subscriber).__module__
    for broker in ("kafka", "confluent"):
        usecase = f"faststream.{broker}.subscriber.usecase"
        if _is(subscriber, usecase, "ConcurrentBetweenPartitionsSubscriber"):
            break
        if _is(subscriber, usecase, "LogicSubscriber"):
            if _is(subscriber, usecase, "BatchSubscriber"):
                return broker, "batch"
            return broker, "concurrent" if _is(subscriber, usecase, "ConcurrentDefaultSubscriber") else "one"
    raise InvalidArgumentError(
        f"pauseable_faststream serves the Kafka subscribers of faststream.kafka and faststream.confluent with one "
        f"consumer each, not a {module}.{type(subscriber).__qualname__}"
    )


def _is(subscriber: Any, module: str, name: str) -> bool:
    import importlib

    try:
        cls = getattr(importlib.import_module(module), name, None)
    except ImportError:  # that broker's client is not installed
        return False
    return cls is not None and isinstance(subscriber, cls)


def _build(subscriber: Any, consumer: Any) -> AsyncPauseController[Any]:
    if _shape(subscriber)[0] == "kafka":
        return pauseable.async_controller(consumer, backend="aiokafka")
    config = {key: value for key, value in consumer.config.items() if value is not None}
    sync = pauseable.controller(consumer.consumer, backend="confluent-kafka", lookup_config=config)
    return ExecutorController(sync, consumer._thread_pool)


def attach(subscriber: Any) -> Any:
    """Route ``subscriber``'s fetches through a pauseable controller of its consumer; return ``subscriber``.

    Call it before the broker starts (at declaration) for the whole guarantee: no record of a partition paused
    through :func:`controller` reaches a handler. Attached once started, a fetch already in progress finishes
    unfiltered (at most one record, or one batch). Idempotent; InvalidArgumentError for a subscriber it does
    not serve (see the module's docstring).
    """
    broker, shape = _shape(subscriber)
    if getattr(subscriber, _BINDING, None) is not None:
        return subscriber
    binding = _Binding()
    setattr(subscriber, _BINDING, binding)
    stop = subscriber.stop

    async def stopped() -> None:
        try:
            await stop()
        finally:
            await binding.release()

    subscriber.stop = stopped
    concurrent = shape == "concurrent"
    if concurrent:  # its workers run each record through this method: count what they finish
        work = subscriber._consume_msg

        async def counted(msg: Any) -> None:
            generation = binding.generation
            try:
                await work(msg)
            finally:
                if binding.generation == generation:
                    binding.finished += 1

        subscriber._consume_msg = counted

    async def one(ctl: AsyncPauseController[Any], timeout: float) -> Any:
        if concurrent:
            await binding.pace(ctl, subscriber.max_workers)
        records = await ctl.poll(timeout, max_records=1)
        binding.handed += len(records)
        return records[0] if records else None

    if broker == "kafka" and shape != "batch":

        async def get_one(consumer: Any) -> Any:
            return await one(binding.bound(subscriber, consumer), AIOKAFKA_POLL_S)

        subscriber.get_msg = get_one
    elif broker == "kafka":

        async def get_batch(consumer: Any) -> Any:
            ctl = binding.bound(subscriber, consumer)
            return tuple(await ctl.poll(subscriber.batch_timeout_ms / 1000, max_records=subscriber.max_records or 500))

        subscriber.get_msg = get_batch
    elif shape != "batch":

        async def get_confluent() -> Any:
            return await one(binding.bound(subscriber, subscriber.consumer), subscriber.polling_interval)

        subscriber.get_msg = get_confluent
    else:

        async def get_confluent_batch() -> Any:
            ctl = binding.bound(subscriber, subscriber.consumer)
            records = await ctl.poll(subscriber.polling_interval, max_records=subscriber.max_records or 10)
            return tuple(records) or None

        subscriber.get_msg = get_confluent_batch
    return subscriber


def controller(subscriber: Any) -> AsyncPauseController[Any]:
    """The pauseable controller of ``subscriber``'s consumer (attaching it if it is not yet).

    An :class:`~pauseable.protocol.AsyncPauseController` on both brokers: pauseable's ``aiokafka`` backend on
    ``faststream.kafka``, an :class:`ExecutorController` around its ``confluent-kafka`` backend on
    ``faststream.confluent``. The subscriber must be started (its consumer exists); after a restart, call it
    again (a new consumer, a new controller). Its topics and partitions are FastStream's: do not ``subscribe``,
    ``assign`` or ``close`` through it.
    """
    attach(subscriber)
    consumer = getattr(subscriber, "consumer", None)
    if consumer is None:
        raise InvalidArgumentError("the subscriber is not started: start its broker (or app) first")
    binding: _Binding = getattr(subscriber, _BINDING)
    return binding.bound(subscriber, consumer)
