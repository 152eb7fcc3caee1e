"""Pause, resume, seek to the end and read committed offsets: confluent-kafka, synchronous."""

import os

from confluent_kafka import Consumer

import pauseable
from pauseable import TopicPartition

bootstrap = os.environ["PAUSEABLE_BOOTSTRAP_SERVERS"]
topic = os.environ.get("TOPIC", "orders")

config = {"bootstrap.servers": bootstrap, "group.id": "quickstart", "auto.offset.reset": "earliest"}
consumer = Consumer(config)
# the installed backend that claims this consumer; offset lookups get a client of their own, built from
# config (librdkafka does not expose a consumer's), so they never wait behind the consumer's fetches
ctl = pauseable.controller(consumer, lookup_config=config)
ctl.subscribe(topic)  # rebalance-aware: topic pauses stick to partitions assigned later
while not ctl.assignment():
    ctl.poll(0.5)

first = TopicPartition(topic, 0)
ctl.pause_topics(topic)  # from now on no record of `topic` is handed over, not even buffered ones
print("paused:", sorted(map(str, ctl.paused())))
ctl.resume_topics(topic)  # delivery continues at exactly the next offset
print("committed before:", ctl.committed(first)[first])  # None: nothing committed yet, on every client
ends = ctl.seek_to_end()  # eager: the end offsets are resolved now, and returned
print("moved to the end:", {str(tp): offset for tp, offset in ends.items()})
ctl.commit()  # the current positions
print("committed after:", ctl.committed(first)[first])
ctl.close()
