"""A pauseable backend with three deliberate bugs, each one a real client's native behaviour.

1. ``committed`` reports "nothing committed" as ``-1001``, as librdkafka does.
2. seeking to the end is lazy: resolved at the next fetch, as kafka-python's ``seek_to_end`` is.
3. ``pause`` does nothing natively, so the client keeps fetching and handing over paused
   partitions' records. pauseable's core holds those back, so this one must *not* break the contract.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import kafka

import pauseable
from pauseable import TopicPartition
from pauseable.adapter import Backend, ConsumerSettings
from pauseable_kafka_python import KafkaPythonAdapter


class BrokenKafkaConsumer(kafka.KafkaConsumer):  # type: ignore[misc]
    """A kafka-python consumer that this backend, and only this one, claims."""


class BrokenAdapter(KafkaPythonAdapter):
    __slots__ = ()

    def committed(self, partitions: Sequence[TopicPartition]) -> dict[TopicPartition, int | None]:
        found = super().committed(partitions)
        return {tp: -1001 if offset is None else offset for tp, offset in found.items()}

    def seek(self, partition: TopicPartition, offset: int) -> None:
        native = kafka.TopicPartition(partition.topic, partition.partition)
        if offset >= self._consumer.end_offsets([native])[native]:
            self._consumer.seek_to_end(native)  # lazy
        else:
            super().seek(partition, offset)

    def pause(self, partitions: Sequence[TopicPartition]) -> None:
        pass


def build_consumer(settings: ConsumerSettings) -> Any:
    return BrokenKafkaConsumer(**settings.keyword_config())


@pauseable.hookimpl
def pauseable_register_backends(register: Any) -> None:
    register(
        Backend(
            name="broken-kafka-python",
            client="kafka-python",
            claims=lambda consumer: isinstance(consumer, BrokenKafkaConsumer),
            sync_adapter=BrokenAdapter,
            build_consumer=build_consumer,
            consumer_class="pauseable_broken.BrokenKafkaConsumer",
        )
    )
