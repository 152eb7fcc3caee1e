"""Pause, resume, skip strategies and timed pauses for FastStream Kafka subscribers, through pauseable.

>>> broker = KafkaBroker(...)                      # faststream.kafka (aiokafka) or faststream.confluent
>>> subscriber = broker.subscriber("orders", group_id="billing")
>>> pauseable_faststream.attach(subscriber)        # before the broker starts: every fetch goes through pauseable
>>> ctl = pauseable_faststream.controller(subscriber)   # once started: an AsyncPauseController
>>> await ctl.pause(TopicPartition("orders", 0)); ...; await ctl.resume(..., SeekToEnd())

:func:`attach` replaces the subscriber's getter (the method its consume loop calls for the next record or
batch) with one that polls the subscriber's consumer through the pauseable controller, so a record of a paused
partition never reaches a handler, and a timed pause ends at the loop's next poll after its time.

- ``faststream.kafka`` (aiokafka): the controller is pauseable's ``aiokafka`` backend on
  ``subscriber.consumer``, awaited on the event loop like FastStream's own calls.
- ``faststream.confluent``: FastStream drives a synchronous ``confluent_kafka.Consumer`` from a one-thread
  executor (every call to it on that thread, one at a time). The controller is pauseable's ``confluent-kafka``
  backend (not ``confluent-kafka-aio``) on that ``Consumer``, and every call you make is run on the same
  executor, so the consumer keeps being called from one thread only; a call waits for the poll in progress
  (``polling_interval``, 0.1 s by default).

A concurrent subscriber (``max_workers`` with the default ``AckPolicy.ACK_FIRST``: one consumer, handlers run
concurrently) back-pressures: while every worker is busy its partitions are paused and its loop keeps polling
(FastStream's own loop stops polling then, and the member is put out of its group after
``max.poll.interval.ms``: ag2ai/faststream#2143); they are resumed once half the workers are free.

Not served: the concurrent-between-partitions subscriber (``max_workers`` with another ``ack_policy``: one
consumer per worker; pass a single-consumer subscriber) and FastStream's own ``get_one``/async iteration (no
handler loop to route).
"""

from __future__ import annotations

from pauseable_faststream._bind import attach, controller
from pauseable_faststream._executor import ExecutorController

__all__ = ["ExecutorController", "attach", "controller"]
