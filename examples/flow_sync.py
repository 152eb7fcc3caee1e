"""Flow control with a thread pool: backpressure, retries, a dead letter, commits of what finished (confluent-kafka)."""

import os
import time
from concurrent.futures import ThreadPoolExecutor

from confluent_kafka import Consumer

import pauseable
from pauseable import Backoff, Backpressure, Retry, TopicPartition

bootstrap = os.environ["PAUSEABLE_BOOTSTRAP_SERVERS"]
topic = os.environ.get("TOPIC", "orders")
records = int(os.environ.get("RECORDS", "20"))
dead: list[int] = []


def dead_letter(record, error):  # e.g. produce it to a dead-letter topic
    dead.append(record.offset())


def work(record):
    with flow.working(record):  # done at the end of the block; an exception: retried, at last dead-lettered
        time.sleep(0.005)  # the slow sink
        if record.value() == b"poison":
            raise ValueError("the sink refuses it")


config = {"bootstrap.servers": bootstrap, "group.id": "flow-sync", "auto.offset.reset": "earliest",
          "enable.auto.commit": False}  # the flow commits each partition's finished prefix  # fmt: skip
ctl = pauseable.controller(Consumer(config), lookup_config=config)
flow = pauseable.Flow(
    ctl,
    backpressure=Backpressure(high=8),  # at most 8 records with the workers; the partitions pause meanwhile
    retry=Retry(Backoff(first=0.1), attempts=3, dead_letter=dead_letter),
)
flow.subscribe(topic)
first = TopicPartition(topic, 0)
with ThreadPoolExecutor(max_workers=4) as pool:
    while (ctl.committed(first)[first] or 0) < records:
        for record in flow.poll(0.5):  # keeps polling while the work runs: the member stays in its group
            pool.submit(work, record)
        flow.commit()
print("dead-lettered:", dead)
print("committed:", ctl.committed(first)[first])
flow.close()
