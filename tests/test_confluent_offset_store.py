"""librdkafka stores the offset of each record it hands out (``enable.auto.offset.store``, its default), so records
the controller holds back may be committed past (tests/test_native_behaviour.py shows the client doing it). Nothing
outside librdkafka can take a stored offset back while auto store is on; the adapters tell whether it is, and the
controller warns once (tests/test_controller_core.py)."""

from __future__ import annotations

import asyncio

import pytest

from pauseable_testing import KafkaCluster

confluent_kafka = pytest.importorskip("confluent_kafka")
from pauseable_confluent_kafka import ConfluentAdapter, ConfluentAsyncAdapter  # noqa: E402


@pytest.mark.parametrize(
    ("setting", "told"), [({}, "enable.auto.offset.store"), ({"enable.auto.offset.store": False}, None)]
)
def test_the_adapters_tell_whether_the_client_stores_what_it_hands_out(
    kafka_cluster: KafkaCluster, group_id: str, setting: dict[str, bool], told: str | None
) -> None:
    config = {"bootstrap.servers": kafka_cluster.bootstrap_servers, "group.id": group_id, **setting}
    consumer = confluent_kafka.Consumer(config)
    try:
        adapter = ConfluentAdapter(consumer)
        assert adapter.stores_handed_out() == told
        assert adapter.stores_handed_out() == told  # asked once, remembered
    finally:
        consumer.close()

    async def aio() -> str | None:
        from confluent_kafka.aio import AIOConsumer

        consumer = AIOConsumer(config)
        try:
            return ConfluentAsyncAdapter(consumer).stores_handed_out()
        finally:
            await consumer.close()

    assert asyncio.run(aio()) == told
