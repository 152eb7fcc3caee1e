"""The same with aiokafka, asynchronous: every call is awaited."""

import asyncio
import os

from aiokafka import AIOKafkaConsumer

import pauseable
from pauseable import TopicPartition

bootstrap = os.environ["PAUSEABLE_BOOTSTRAP_SERVERS"]
topic = os.environ.get("TOPIC", "orders")


async def main() -> None:
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, group_id="quickstart-async", auto_offset_reset="earliest")
    await consumer.start()
    ctl = pauseable.async_controller(consumer)
    await ctl.subscribe(topic)
    while not await ctl.assignment():
        await ctl.poll(0.5)

    first = TopicPartition(topic, 0)
    await ctl.pause_topics(topic)
    print("paused:", sorted(map(str, await ctl.paused())))
    await ctl.resume_topics(topic)
    print("committed before:", (await ctl.committed(first))[first])
    ends = await ctl.seek_to_end()
    print("moved to the end:", {str(tp): offset for tp, offset in ends.items()})
    await ctl.commit()
    print("committed after:", (await ctl.committed(first))[first])
    await ctl.close()


asyncio.run(main())
