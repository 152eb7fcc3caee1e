"""Route a FastStream subscriber's getter through a pauseable controller of its consumer."""

from __future__ import annotations

from typing import Any

import pauseable
from pauseable import InvalidArgumentError
from pauseable.protocol import AsyncPauseController
from pauseable_faststream._executor import ExecutorController

_BINDING = "_pauseable_binding"
#: How long the aiokafka getter waits in one poll: short enough for the loop to see a stop soon.
AIOKAFKA_POLL_S = 0.5


class _Binding:
    """The subscriber's consumer and the controller bound to it (a new one when FastStream restarts)."""

    __slots__ = ("consumer", "controller")

    def __init__(self) -> None:
        self.consumer: Any = None
        self.controller: AsyncPauseController[Any] | None = None

    async def release(self) -> None:
        """After FastStream stopped the consumer: end the controller (its pauses end as at a close, its
        lookup client is closed)."""
        ctl, self.controller, self.consumer = self.controller, None, None
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


def _kind(subscriber: Any) -> str:
    """``"kafka"`` or ``"confluent"`` (and ``"-batch"``); InvalidArgumentError for anything else."""
    module = type(subscriber).__module__
    for kind in ("kafka", "confluent"):
        if _is(subscriber, f"faststream.{kind}.subscriber.usecase", "ConcurrentBetweenPartitionsSubscriber"):
            break
        if _is(subscriber, f"faststream.{kind}.subscriber.usecase", "LogicSubscriber"):
            batch = _is(subscriber, f"faststream.{kind}.subscriber.usecase", "BatchSubscriber")
            return kind + ("-batch" if batch else "")
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
    if _kind(subscriber).startswith("kafka"):
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
    kind = _kind(subscriber)
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
    if kind == "kafka":

        async def get_one(consumer: Any) -> Any:
            records = await binding.bound(subscriber, consumer).poll(AIOKAFKA_POLL_S, max_records=1)
            return records[0] if records else None

        subscriber.get_msg = get_one
    elif kind == "kafka-batch":

        async def get_batch(consumer: Any) -> Any:
            ctl = binding.bound(subscriber, consumer)
            return tuple(await ctl.poll(subscriber.batch_timeout_ms / 1000, max_records=subscriber.max_records or 500))

        subscriber.get_msg = get_batch
    elif kind == "confluent":

        async def get_confluent() -> Any:
            ctl = binding.bound(subscriber, subscriber.consumer)
            records = await ctl.poll(subscriber.polling_interval, max_records=1)
            return records[0] if records else None

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
