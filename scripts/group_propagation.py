"""How fast a group pause reaches every member: members (threads of this process) follow one control topic;
each try pauses the topic with an :class:`~pauseable.Operator` and times, from ``pause`` returning, the moment
the last member holds all its partitions paused (no record of them handed over after it), then resumes.

A loose measurement for the README, not the issue's three-process benchmark:
``PAUSEABLE_BOOTSTRAP_SERVERS=host:port python scripts/group_propagation.py [--tries 30] [--members 3]``.
"""

from __future__ import annotations

import argparse
import os
import statistics
import threading
import time
import uuid
from typing import Any

import confluent_kafka
from confluent_kafka.admin import AdminClient
from confluent_kafka.cimpl import NewTopic

import pauseable
from pauseable import GroupPauses, Operator


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--tries", type=int, default=30)
    parser.add_argument("--members", type=int, default=3)
    parser.add_argument("--client", choices=("confluent-kafka", "kafka-python"), default="confluent-kafka")
    args = parser.parse_args()
    bootstrap = os.environ["PAUSEABLE_BOOTSTRAP_SERVERS"]
    run = uuid.uuid4().hex[:8]
    topic, group, control = f"propagation-{run}", f"propagation-{run}", f"control-{run}"
    admin = AdminClient({"bootstrap.servers": bootstrap})
    admin.create_topics([NewTopic(topic, args.members * 2, 1)])[topic].result()
    operator = Operator({"bootstrap.servers": bootstrap}, control_topic=control)
    operator.create_control_topic()
    stop = threading.Event()
    #: per member: when (time.monotonic()) it last saw its whole assignment paused / not paused
    seen: list[dict[str, float]] = [{} for _ in range(args.members)]

    def follow(index: int) -> None:
        pauses = GroupPauses(topic=control)
        ctl: Any
        if args.client == "kafka-python":
            import kafka

            consumer = kafka.KafkaConsumer(bootstrap_servers=bootstrap, group_id=group, auto_offset_reset="earliest")
            ctl = pauseable.controller(consumer, group_pauses=pauses)
        else:
            config = {"bootstrap.servers": bootstrap, "group.id": group, "auto.offset.reset": "earliest"}
            ctl = pauseable.controller(confluent_kafka.Consumer(config), lookup_config=config, group_pauses=pauses)
        ctl.subscribe(topic)
        while not stop.is_set():
            ctl.poll(0.05)
            assigned = ctl.assignment()
            state = "paused" if assigned and assigned <= ctl.paused() else "running"
            seen[index].setdefault(state, time.monotonic())
            seen[index].pop("running" if state == "paused" else "paused", None)
        ctl.close()

    threads = [threading.Thread(target=follow, args=(i,), daemon=True) for i in range(args.members)]
    for thread in threads:
        thread.start()
    while not all("running" in s for s in seen):
        time.sleep(0.1)
    time.sleep(5)  # the group settles
    from_return: list[float] = []
    from_call: list[float] = []
    for _ in range(args.tries):
        called = time.monotonic()
        operator.pause(group, topic)
        returned = time.monotonic()
        while not all("paused" in s for s in seen):
            time.sleep(0.005)
        last = max(s["paused"] for s in seen)
        from_return.append(last - returned)
        from_call.append(last - called)
        operator.resume(group, topic)
        while not all("running" in s for s in seen):
            time.sleep(0.01)
    stop.set()
    for thread in threads:
        thread.join()
    operator.close()
    for name, values in (("from pause returning", from_return), ("from the pause call", from_call)):
        ordered = sorted(values)
        p99 = ordered[min(len(ordered) - 1, round(0.99 * (len(ordered) - 1)))]
        tries = f"{len(ordered)} tries, {args.members} {args.client} members"
        print(f"{name}: p50 {statistics.median(ordered) * 1000:.0f} ms, p99 {p99 * 1000:.0f} ms, "
              f"max {ordered[-1] * 1000:.0f} ms ({tries})")  # fmt: skip


if __name__ == "__main__":
    main()
