"""Metrics of a pause: the Prometheus endpoint scraped, and an OpenTelemetry in-memory reader's points."""

import os
import urllib.request

import prometheus_client
from confluent_kafka import Consumer, Producer
from opentelemetry import metrics
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader

import pauseable
from pauseable import TopicPartition, observe

bootstrap = os.environ["PAUSEABLE_BOOTSTRAP_SERVERS"]
topic = os.environ.get("TOPIC", "orders")

reader = InMemoryMetricReader()  # with pauseable-opentelemetry installed: your exporter's reader here
metrics.set_meter_provider(MeterProvider(metric_readers=[reader]))
server, _ = prometheus_client.start_http_server(0)  # with pauseable-prometheus installed

config = {"bootstrap.servers": bootstrap, "group.id": "billing", "client.id": "billing-1"}
consumer = Consumer({**config, "auto.offset.reset": "earliest"})
ctl = pauseable.controller(consumer, lookup_config=config)
orders = TopicPartition(topic, 0)
ctl.assign([orders])
delivered = 0
while delivered < 5:  # the 5 records already there
    delivered += len(ctl.poll(0.5))

ctl.pause(orders)
producer = Producer({"bootstrap.servers": bootstrap})
for i in range(4):  # produced while paused
    producer.produce(topic, b"late %d" % i, partition=0)
producer.flush()

observe.LAG.refresh()  # now, for the example; a scrape starts it on a thread when the figures are 10 s old


def read(*names: str) -> None:
    data = reader.get_metrics_data()
    for metric in data.resource_metrics[0].scope_metrics[0].metrics if data else []:
        for point in metric.data.data_points if metric.name in names else []:
            shown = {k.removeprefix("messaging."): v for k, v in point.attributes.items() if k != "messaging.system"}
            value = getattr(point, "value", None)
            figure = value if value is not None else f"count={point.count}"
            print(metric.name, str(shown).replace(topic, "orders"), figure)


def scrape(*names: str) -> None:
    with urllib.request.urlopen(f"http://127.0.0.1:{server.server_port}/metrics") as answer:
        for line in answer.read().decode().splitlines():
            if line.startswith(names):
                print(line.replace(topic, "orders"))


scrape("pauseable_partitions_paused{", "pauseable_paused_lag")
read("messaging.kafka.partitions.paused", "messaging.kafka.partition.paused_lag")
ctl.resume(orders, pauseable.SeekToEnd())
scrape("pauseable_partitions_paused{", "pauseable_pause_duration_seconds_count", "pauseable_resumes_total",
       "pauseable_offsets_skipped_total")  # fmt: skip
read("messaging.kafka.partitions.paused", "messaging.kafka.pause.duration", "messaging.kafka.resumes",
     "messaging.kafka.offsets.skipped")  # fmt: skip
ctl.close()
