"""The metrics plugins against their real libraries and the real broker: prometheus_client's default registry
and an OpenTelemetry SDK meter provider read by an in-memory reader.

Every way a pause ends must bring "paused now" back to 0 (resume, a timed pause running out, revocation,
close), and the lag of a paused partition grows with what is produced while it is paused.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
from opentelemetry import metrics
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader
from prometheus_client import REGISTRY

import pauseable_opentelemetry
import pauseable_prometheus
from pauseable import Backoff, DiscardUntil, ResumeError, SeekToEnd, TopicPartition, observe
from pauseable.strategies import ResumeFacts, Step
from pauseable_testing.harness import BackendHarness, NewTopic, count

_READER: InMemoryMetricReader | None = None


@pytest.fixture(scope="module")
def reader() -> InMemoryMetricReader:
    """The process's meter provider (set once: OpenTelemetry allows one), read in memory."""
    global _READER
    if _READER is None:
        _READER = InMemoryMetricReader()
        metrics.set_meter_provider(MeterProvider(metric_readers=[_READER]))
    return _READER


def prom(name: str, **labels: str) -> float | None:
    return REGISTRY.get_sample_value(name, labels)


def points(reader: InMemoryMetricReader, name: str, group: str) -> list[Any]:
    """The data points of one instrument, of one consumer group."""
    data = reader.get_metrics_data()
    found = []
    for resource in data.resource_metrics if data else []:
        for scope in resource.scope_metrics:
            for metric in scope.metrics:
                if metric.name == name:
                    found += [
                        p for p in metric.data.data_points if p.attributes.get("messaging.consumer.group.name") == group
                    ]
    return found


class Failing(SeekToEnd):
    """A user's strategy whose plan fails: the resume raises ResumeError, the partition stays paused."""

    name = "failing"

    def plan(self, facts: ResumeFacts) -> Step:
        raise RuntimeError("no plan")


def test_paused_now_comes_back_to_0_at_resume_timed_end_and_assign_leaving_it_out(
    harness: BackendHarness, new_topic: NewTopic, group_id: str
) -> None:
    topic = new_topic(partitions=2)
    tp0, tp1 = TopicPartition(topic, 0), TopicPartition(topic, 1)
    harness.produce(topic, 3)
    ctl = harness.controller(group_id)
    ctl.assign([tp0, tp1])
    got = harness.consume(ctl, lambda d: count(d) >= 3)
    who = {"group": group_id, "client_id": observe.identity(ctl.target).client_id}
    at0 = {**who, "topic": topic, "partition": "0"}

    ctl.pause(tp0)
    assert prom("pauseable_partitions_paused", **at0, reason="manual") == 1
    harness.produce(topic, 4)  # offsets 3..6, skipped at resume
    with pytest.raises(ResumeError):
        ctl.resume(tp0, Failing())
    assert prom("pauseable_resume_errors_total", **who, strategy="failing") == 1
    assert prom("pauseable_partitions_paused", **at0, reason="manual") == 1  # still paused
    ctl.resume(tp0, SeekToEnd())
    harness.produce(topic, 1)
    harness.consume(ctl, lambda d: count(d) >= 4, into=got)
    assert prom("pauseable_partitions_paused", **at0, reason="manual") == 0
    assert prom("pauseable_resumes_total", **who, strategy="seek-to-end") == 1
    assert prom("pauseable_offsets_skipped_total", **who, topic=topic, strategy="seek-to-end") == 4
    assert prom("pauseable_pause_duration_seconds_count", **who, topic=topic, reason_ended="resumed") == 1

    ctl.pause(tp0, for_seconds=0.2)
    assert prom("pauseable_partitions_paused", **at0, reason="timed") == 1
    harness.consume(ctl, lambda _: ctl.paused() == set(), what="the timed pause to run out")
    assert prom("pauseable_partitions_paused", **at0, reason="timed") == 0
    assert prom("pauseable_pause_duration_seconds_count", **who, topic=topic, reason_ended="timed") == 1

    ctl.pause(tp1, for_seconds=0.2)
    ctl.assign([tp0])  # tp1 left out: its pause and its timed resume end, as at a revocation
    assert prom("pauseable_partitions_paused", **who, topic=topic, partition="1", reason="timed") == 0
    assert prom("pauseable_pause_duration_seconds_count", **who, topic=topic, reason_ended="revoked") == 1
    harness.poll_for(ctl, 0.4)  # the timed resume of tp1, no longer assigned, is not tried
    assert ctl.paused() == set()


def test_paused_now_is_labelled_with_how_each_pause_began(
    harness: BackendHarness, new_topic: NewTopic, group_id: str, reader: InMemoryMetricReader
) -> None:
    topic = new_topic(partitions=4)
    tps = [TopicPartition(topic, p) for p in range(4)]
    ctl = harness.controller(group_id)
    ctl.assign(tps)
    ctl.pause(tps[0], reason="maintenance")  # the caller's own reason is kept
    ctl.pause(tps[1], for_seconds=60)
    ctl.pause(tps[2], for_seconds=Backoff(first=60))
    ctl.pause_topics(topic)  # the one partition not paused yet: the others keep how they began
    who = {"group": group_id, "client_id": observe.identity(ctl.target).client_id, "topic": topic}
    began = {s.labels["partition"]: s.labels["reason"] for s in _samples("pauseable_partitions_paused", **who)}
    assert began == {"0": "maintenance", "1": "timed", "2": "back-off", "3": "topic"}
    otel = {p.attributes["messaging.destination.partition.id"]: p.attributes["pauseable.pause.reason"]
            for p in points(reader, "messaging.kafka.partitions.paused", group_id) if p.value == 1}  # fmt: skip
    assert otel == began


def test_close_and_a_rebalance_end_pauses_and_opentelemetry_sees_it(
    harness: BackendHarness, new_topic: NewTopic, group_id: str, reader: InMemoryMetricReader
) -> None:
    topic = new_topic(partitions=2)
    tp0 = TopicPartition(topic, 0)
    harness.produce(topic, 5)
    ctl = harness.controller(group_id)
    ctl.subscribe(topic)
    harness.consume(ctl, lambda d: count(d) >= 5)
    ctl.pause(tp0)
    harness.produce(topic, 3)
    (paused,) = points(reader, "messaging.kafka.partitions.paused", group_id)
    assert paused.value == 1
    assert paused.attributes["messaging.destination.partition.id"] == "0"
    assert paused.attributes["pauseable.pause.reason"] == "manual"
    ctl.resume(tp0, DiscardUntil())
    harness.consume(ctl, lambda _: ctl.last_report is not None and ctl.last_report.ranges[tp0].done)
    (discarded,) = points(reader, "messaging.kafka.records.discarded", group_id)
    assert discarded.value == 3
    (discarded_bytes,) = points(reader, "messaging.kafka.bytes.discarded", group_id)
    assert discarded_bytes.value > 0

    ctl.pause(tp0)
    other = harness.controller(group_id)  # a second member: one of the two partitions moves to it
    other.subscribe(topic)
    harness.consume_all([(ctl, {}), (other, {})], lambda: len(ctl.assignment()) == 1, what="the rebalance")
    ctl.pause_topics(topic)  # whatever ctl holds now is paused, until ctl is closed
    ctl.close()
    gauges = [p.value for p in points(reader, "messaging.kafka.partitions.paused", group_id)]
    assert gauges and all(value == 0 for value in gauges), gauges
    ended = {p.attributes["pauseable.pause.ended"]: p.count for p in
             points(reader, "messaging.kafka.pause.duration", group_id)}  # fmt: skip
    assert ended.get("resumed") == 1
    assert set(ended) - {"resumed"} <= {"closed", "revoked"} and len(ended) > 1, ended


def test_the_lag_of_a_paused_partition_grows_while_paused_and_too_long_is_flagged_once(
    harness: BackendHarness,
    topic: str,
    group_id: str,
    reader: InMemoryMetricReader,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    tp = TopicPartition(topic, 0)
    harness.produce(topic, 2)
    ctl = harness.controller(group_id)
    ctl.assign([tp])
    harness.consume(ctl, lambda d: count(d) >= 2)
    ctl.pause(tp)
    at = {"group": group_id, "topic": topic, "partition": "0"}
    for produced, lag in ((3, 3), (4, 7)):
        harness.produce(topic, produced)
        _refresh(harness, ctl)
        assert {s.labels["group"]: s.value for s in _samples("pauseable_paused_lag", **at)} == {group_id: lag}
        (point,) = points(reader, "messaging.kafka.partition.paused_lag", group_id)
        assert point.value == lag

    monkeypatch.setenv("PAUSEABLE_PAUSED_TOO_LONG_S", "0")
    with caplog.at_level(logging.WARNING, logger="pauseable"):
        for _ in range(2):
            assert [s.value for s in _samples("pauseable_partitions_paused_too_long", group=group_id)] == [1]
    warned = [r for r in caplog.records if "has been paused for" in r.getMessage() and group_id in r.getMessage()]
    assert len(warned) == 1  # once per pause
    ctl.resume(tp)
    assert [s.value for s in _samples("pauseable_partitions_paused_too_long", group=group_id)] == [0]
    assert not _samples("pauseable_paused_lag", **at)


def _samples(name: str, **labels: str) -> list[Any]:
    return [
        sample
        for family in REGISTRY.collect()
        for sample in family.samples
        if sample.name == name and all(sample.labels.get(k) == v for k, v in labels.items())
    ]


def _refresh(harness: BackendHarness, ctl: Any) -> None:
    """Refresh the plugins' lag figures on a thread of its own, as a scrape would start it; the test polls
    meanwhile (an async controller's lookups run on its loop, which runs while the harness polls)."""
    threads = [
        threading.Thread(target=cache.refresh) for cache in (pauseable_prometheus.lag, pauseable_opentelemetry.lag)
    ]
    for thread in threads:
        thread.start()
    harness.consume(ctl, lambda _: not any(t.is_alive() for t in threads), what="the lag refresh")


@pytest.fixture(autouse=True)
def _no_lag_refresh_at_scrape() -> Iterator[None]:
    """Scrapes read the figures the test refreshed: no refresh of their own starts meanwhile."""
    before, observe.LAG.refresh_after_s = observe.LAG.refresh_after_s, float("inf")
    yield
    observe.LAG.refresh_after_s = before


def test_what_the_hooks_measure_waits_for_a_collection_and_a_flood_goes_to_the_recording_thread() -> None:
    tracker = observe.Tracker(wake_at=5)
    applied: list[tuple[int, str]] = []
    held = threading.Event()

    def record(i: int) -> None:
        if i == 100:
            held.wait(30)  # the recorder busy: measurements pile up behind it
        applied.append((i, threading.current_thread().name))

    for i in range(4):
        tracker.later(record, i)
    assert applied == []  # a hook only notes it
    tracker.catch_up()  # a collection applies it, on its own thread
    assert applied == [(i, "MainThread") for i in range(4)]

    applied.clear()
    for i in range(5):  # the fifth waiting wakes the recorder
        tracker.later(record, i)
    _wait_for(lambda: len(applied) == 5)
    assert {name for _, name in applied} == {"pauseable-metrics"}

    applied.clear()
    tracker.later(record, 100)
    for i in range(4):
        tracker.later(record, i)  # wakes the recorder, which stops at 100
    _wait_for(lambda: len(tracker._pending) == 4)
    for i in range(4, 20):  # 4 x 5 waiting: the hook records them itself
        tracker.later(record, i)
    assert sorted(i for i, name in applied if name == "MainThread") == list(range(20))
    held.set()
    _wait_for(lambda: len(applied) == 21)
    assert sorted(i for i, _ in applied) == [*range(20), 100]  # each once, none lost


def _wait_for(condition: Any, seconds: float = 10.0) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "not within 10 s"
        time.sleep(0.01)
