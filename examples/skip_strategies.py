"""Skip what was produced while paused: a resume with a strategy, a timed pause, a back-off (confluent-kafka)."""

import os

from confluent_kafka import Consumer, Producer

import pauseable
from pauseable import TopicPartition

bootstrap = os.environ["PAUSEABLE_BOOTSTRAP_SERVERS"]
topic = os.environ.get("TOPIC", "orders")  # partition 0 holds a backlog of 6 records

config = {"bootstrap.servers": bootstrap, "group.id": "skipping", "auto.offset.reset": "earliest"}
ctl = pauseable.controller(Consumer(config), lookup_config=config)
partitions = [TopicPartition(topic, 0)]
ctl.assign(partitions)
producer = Producer({"bootstrap.servers": bootstrap})

ctl.pause(partitions)
for _ in range(5):
    producer.produce(topic, b"produced while paused", partition=0)
producer.flush()
report = ctl.resume(partitions, strategy=pauseable.SkipPauseWindow())
print(report)  # the backlog from before the pause is still delivered; the pause window is not

delivered: list[int] = []
while len(delivered) < 6:
    delivered += [record.offset() for record in ctl.poll(1.0)]
print("delivered:", delivered)

ctl.pause(partitions, for_seconds=0.5, then=pauseable.SeekToEnd())  # resumes itself at a poll after 0.5 s
while ctl.paused():
    ctl.poll(0.1)
print("resumed by itself at a poll")

backoff = pauseable.Backoff(first=1, factor=2, longest=60)  # keep one per reason to pause
ctl.pause(partitions, for_seconds=backoff)  # 1 s, then 2, 4, ... 60 s while paused again within 60 s of the last end
print("paused:", sorted(map(str, ctl.paused())))
ctl.close()
