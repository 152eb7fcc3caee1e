"""Timed pauses and the pause/resume/skip hooks, on every backend against the real broker."""

from __future__ import annotations

import logging
import time
from typing import Any

import pytest

import pauseable
from pauseable import Backoff, DiscardUntil, SeekToEnd, SkippedRange, SkipReport, TopicPartition
from pauseable.plugins import load_plugins
from pauseable_testing.harness import BackendHarness, count


def test_a_timed_pause_resumes_by_itself_at_the_first_poll_after_it_ran_out(
    harness: BackendHarness, topic: str, group_id: str
) -> None:
    tp = TopicPartition(topic, 0)
    harness.produce(topic, 5)
    ctl = harness.controller(group_id)
    ctl.assign([tp])
    got = harness.consume(ctl, lambda d: count(d) >= 5)
    ctl.pause(tp, for_seconds=0.6, then=SeekToEnd())
    paused_at = time.monotonic()
    harness.produce(topic, 5)  # offsets 5..9, produced while paused
    harness.consume(ctl, lambda _: ctl.paused() == set(), into=got, what="the timed pause to run out")
    assert time.monotonic() - paused_at >= 0.6
    report = ctl.last_report
    assert report is not None
    assert report.strategy == "seek-to-end"
    assert (report.ranges[tp].start, report.ranges[tp].end) == (5, 10)
    harness.produce(topic, 2)
    harness.consume(ctl, lambda d: count(d) >= 7, into=got)
    assert got == {tp: [0, 1, 2, 3, 4, 10, 11]}


def test_a_bad_duration_is_refused_before_anything_is_paused(
    harness: BackendHarness, topic: str, group_id: str
) -> None:
    tp = TopicPartition(topic, 0)
    ctl = harness.controller(group_id)
    ctl.assign([tp])
    for bad in (-1, float("nan"), "1", True):
        with pytest.raises(pauseable.InvalidArgumentError, match="for_seconds"):
            ctl.pause(tp, for_seconds=bad)
    assert ctl.paused() == set()


def test_a_backoff_makes_each_repeated_timed_pause_longer(harness: BackendHarness, topic: str, group_id: str) -> None:
    tp = TopicPartition(topic, 0)
    ctl = harness.controller(group_id)
    ctl.assign([tp])
    backoff = Backoff(first=0.3, factor=2, longest=1.0, reset_after=30)
    lasted = []
    for _ in range(4):
        ctl.pause(tp, for_seconds=backoff)
        began = time.monotonic()
        harness.consume(ctl, lambda _: ctl.paused() == set(), what="the timed pause to run out")
        lasted.append(time.monotonic() - began)
    # Lower bounds only: a busy machine makes pauses longer, never shorter (20 ms: the clock read in pause()).
    assert all(x > want - 0.02 for x, want in zip(lasted, (0.3, 0.6, 1.0, 1.0), strict=True)), lasted
    assert backoff.streak(tp) == 4


def test_a_backoff_starts_over_after_a_quiet_spell_and_refuses_bad_settings() -> None:
    tp = TopicPartition("t", 0)
    backoff = Backoff(first=1, factor=3, longest=20, reset_after=5)
    assert [backoff.next(tp, now) for now in (0, 1, 4, 13)] == [1, 3, 9, 20]  # each within 5 s of the last end
    assert backoff.next(tp, 33 + 5.1) == 1  # the last pause ended at 33; 5.1 s quiet: a new streak
    assert backoff.next(TopicPartition("t", 1), 0) == 1  # streaks are per partition
    for bad in ({"first": 0}, {"factor": 0.5}, {"longest": 0.5}, {"reset_after": -1}, {"first": float("nan")}):
        with pytest.raises(pauseable.InvalidArgumentError, match="Backoff"):
            Backoff(**bad)  # type: ignore[arg-type]


class _Recorder:
    def __init__(self) -> None:
        self.events: list[tuple[str, Any]] = []

    @pauseable.hookimpl
    def pauseable_paused(self, controller: Any, partitions: list[TopicPartition]) -> None:
        self.events.append(("paused", sorted(partitions)))

    @pauseable.hookimpl
    def pauseable_resumed(self, controller: Any, report: SkipReport) -> None:
        self.events.append(("resumed", report.strategy))

    @pauseable.hookimpl
    def pauseable_skipped(self, controller: Any, skipped: SkippedRange) -> None:
        self.events.append(("skipped", (skipped.start, skipped.end, skipped.records_fetched)))


def test_pause_resume_and_skip_are_hooks_a_plugin_receives(
    harness: BackendHarness, topic: str, group_id: str, caplog: pytest.LogCaptureFixture
) -> None:
    tp = TopicPartition(topic, 0)
    recorder = _Recorder()
    pm = load_plugins()
    pm.register(recorder, name="recorder")
    try:
        harness.produce(topic, 3)
        ctl = harness.controller(group_id)
        ctl.assign([tp])
        harness.consume(ctl, lambda d: count(d) >= 3)
        ctl.pause(tp)
        harness.produce(topic, 4)  # 3..6
        with caplog.at_level(logging.INFO, logger="pauseable"):
            report = ctl.resume(tp, strategy=DiscardUntil())
            assert recorder.events == [("paused", [tp]), ("resumed", "discard-until")]
            harness.produce(topic, 1)  # 7
            got = harness.consume(ctl, lambda d: count(d) >= 1)
    finally:
        pm.unregister(name="recorder")
    assert got == {tp: [7]}
    assert report.complete
    assert recorder.events[2] == ("skipped", (3, 7, 4)), "skipped once the discarded records are drained"
    assert any("skipped" in r.message and "[3, 7)" in r.message for r in caplog.records)


def test_rebuild_replaces_a_subscribed_consumer_and_the_controller_goes_on_with_it(
    harness: BackendHarness, new_topic: Any, group_id: str
) -> None:
    topic = new_topic(partitions=2)
    tps = {TopicPartition(topic, 0), TopicPartition(topic, 1)}
    for tp in tps:
        harness.produce(topic, 3, partition=tp.partition)
    ctl = harness.controller(group_id)
    ctl.subscribe(topic)
    got = harness.consume(ctl, lambda d: count(d) >= 6)
    old = ctl.consumer
    ctl.pause_topics(topic)
    for tp in tps:
        harness.produce(topic, 4, partition=tp.partition)  # 3..6, produced while paused
    build = harness.backend.build_consumer
    assert build is not None
    report = ctl.resume_topics(topic, strategy=pauseable.Rebuild(lambda: build(harness.settings(group_id))))
    assert ctl.consumer is not old
    assert {tp: (r.start, r.end) for tp, r in report.ranges.items()} == {tp: (3, 7) for tp in tps}
    for tp in tps:
        harness.produce(topic, 2, partition=tp.partition)  # 7, 8
    harness.consume(ctl, lambda d: all(count(d, tp) >= 5 for tp in tps), into=got, what="the records after resume")
    harness.poll_for(ctl, 0.3, into=got)
    assert got == {tp: [0, 1, 2, 7, 8] for tp in tps}
    assert ctl.paused() == set()


def test_resuming_a_partition_revoked_while_paused_raises_and_changes_nothing(
    harness: BackendHarness, new_topic: Any, group_id: str
) -> None:
    topic = new_topic(partitions=2)
    p0, p1 = TopicPartition(topic, 0), TopicPartition(topic, 1)
    harness.produce(topic, 3, partition=0)
    ctl = harness.controller(group_id)
    ctl.assign([p0, p1])
    ctl.pause([p0, p1])
    # Let the client settle first: aiokafka 0.14's coordination task asserts (and the next poll raises
    # "Unexpected error during coordination") when assign() replaces an assignment it is still looking
    # up the coordinator for.
    harness.poll_for(ctl, 0.5)
    ctl.assign([p0])  # p1 went away while paused
    with pytest.raises(pauseable.NotAssignedError, match=r"\[1\]"):
        ctl.resume([p0, p1], strategy=SeekToEnd())
    assert ctl.paused() == {p0}
    report = ctl.resume([p0], strategy=SeekToEnd())
    assert (report.ranges[p0].start, report.ranges[p0].end) == (0, 3)
    harness.produce(topic, 1, partition=0)
    assert harness.consume(ctl, lambda d: count(d) >= 1) == {p0: [3]}
