"""The same with asyncio tasks (aiokafka): the dead letter may be a coroutine function."""

import asyncio
import os

from aiokafka import AIOKafkaConsumer

import pauseable
from pauseable import Backoff, Backpressure, Retry, TopicPartition

bootstrap = os.environ["PAUSEABLE_BOOTSTRAP_SERVERS"]
topic = os.environ.get("TOPIC", "orders")
records = int(os.environ.get("RECORDS", "20"))
dead: list[int] = []


async def dead_letter(record, error):  # e.g. send it to a dead-letter topic
    dead.append(record.offset)


async def work(flow, record):
    async with flow.working(record):  # done at the end of the block; an exception: retried, at last dead-lettered
        await asyncio.sleep(0.005)  # the slow sink
        if record.value == b"poison":
            raise ValueError("the sink refuses it")


async def main() -> None:
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, group_id="flow-async", auto_offset_reset="earliest",
                                enable_auto_commit=False)  # fmt: skip
    await consumer.start()
    ctl = pauseable.async_controller(consumer)
    flow = pauseable.AsyncFlow(
        ctl,
        backpressure=Backpressure(high=8),
        retry=Retry(Backoff(first=0.1), attempts=3, dead_letter=dead_letter),
    )
    await flow.subscribe(topic)
    first = TopicPartition(topic, 0)
    tasks = set()
    while ((await ctl.committed(first))[first] or 0) < records:
        for record in await flow.poll(0.5):
            task = asyncio.create_task(work(flow, record))
            tasks.add(task)
            task.add_done_callback(tasks.discard)
        await flow.commit()
    print("dead-lettered:", dead)
    print("committed:", (await ctl.committed(first))[first])
    await flow.close()


asyncio.run(main())
