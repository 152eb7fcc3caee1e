"""A FastStream app whose subscriber is paused, resumed past its backlog, and paused for a while."""

import asyncio
import os

from faststream.kafka import KafkaBroker, KafkaMessage  # or faststream.confluent: the same calls

import pauseable_faststream
from pauseable import SeekToEnd, TopicPartition

bootstrap = os.environ["PAUSEABLE_BOOTSTRAP_SERVERS"]
topic = os.environ.get("TOPIC", "orders")

broker = KafkaBroker(bootstrap, logger=None)  # its log lines off: what is printed is the example
subscriber = broker.subscriber(topic, group_id="shipping", auto_offset_reset="earliest")
pauseable_faststream.attach(subscriber)  # before the broker starts: every fetch goes through pauseable
delivered: list[int] = []


@subscriber
async def handle(body: bytes, message: KafkaMessage) -> None:
    delivered.append(message.raw_message.offset)


async def until(count: int) -> None:
    while len(delivered) < count:
        await asyncio.sleep(0.05)


async def main() -> None:
    async with broker:
        await broker.start()
        ctl = pauseable_faststream.controller(subscriber)
        print("backend:", ctl.backend)
        await until(5)  # the 5 records already there
        orders = TopicPartition(topic, 0)

        await ctl.pause(orders)
        for i in range(4):
            await broker.publish(b"late %d" % i, topic, partition=0)
        report = await ctl.resume(orders, SeekToEnd())  # none of the 4 reached the handler: all skipped
        print(str(report).replace(topic, "orders"))

        await ctl.pause(orders, for_seconds=0.5)  # ends by itself at the subscriber's first poll after 0.5 s
        await broker.publish(b"after", topic, partition=0)
        await until(6)
        print("delivered:", delivered)


asyncio.run(main())
