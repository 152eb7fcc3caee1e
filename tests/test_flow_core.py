"""The flow's rules without a broker (pauseable.flow.rules): hand-out, backpressure, retries, prefix commits.

Records are plain objects located by ``(topic, partition, offset)``; time is a clock the test moves.
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from pauseable import Backoff, Backpressure, InvalidArgumentError, Retry, TopicPartition
from pauseable.flow.rules import DEAD_LETTER, IGNORED, RETRY, FlowCore

T0, T1 = TopicPartition("t", 0), TopicPartition("t", 1)


@dataclass(eq=False)
class Rec:
    partition: int
    offset: int
    topic: str = "t"


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def locate(record: Rec) -> tuple[str, int, int]:
    return record.topic, record.partition, record.offset


def core(clock: Clock | None = None, **kwargs: object) -> FlowCore:
    return FlowCore(locate, clock=clock or Clock(), **kwargs)  # type: ignore[arg-type]


def recs(partition: int, offsets: range) -> list[Rec]:
    return [Rec(partition, o) for o in offsets]


def test_the_finished_prefix_is_committed_not_what_finished_past_a_gap() -> None:
    flow = core()
    batch = recs(0, range(5))
    handed, seeks = flow.hand_out(batch)
    assert handed == batch and seeks == {}
    for record in (batch[0], batch[1], batch[3], batch[4]):
        assert flow.done(record)
    assert flow.to_commit() == {T0: 2}
    assert flow.done(batch[2])
    assert flow.to_commit() == {T0: 5}
    flow.committed({T0: 5})
    assert flow.to_commit() == {}


def test_offsets_the_log_skips_do_not_hold_the_prefix_back() -> None:
    """Compacted topics and transaction markers leave gaps: the prefix follows what was handed out."""
    flow = core()
    batch = [Rec(0, 3), Rec(0, 7), Rec(0, 8)]
    flow.hand_out(batch)
    for record in batch:
        flow.done(record)
    assert flow.to_commit() == {T0: 9}


def test_commits_are_planned_every_commit_every_s() -> None:
    clock = Clock()
    flow = core(clock, commit_every_s=5.0)
    (record,) = flow.hand_out([Rec(0, 0)])[0]
    flow.done(record)
    assert flow.plan({T0}, 500).commit == {}
    clock.now += 5.0
    assert flow.plan({T0}, 500).commit == {T0: 1}


def test_consumer_wide_backpressure_is_a_hard_bound_with_hysteresis() -> None:
    clock = Clock()
    flow = core(clock, backpressure=Backpressure(high=4, low=1, min_pause_s=2.0))
    assert flow.plan({T0, T1}, 500).room == 4
    handed, seeks = flow.hand_out(recs(0, range(3)) + recs(1, range(3)))
    assert len(handed) == 4 and seeks == {T1: 1}, "a poll never takes more than the room left"
    plan = flow.plan({T0, T1}, 500)
    assert plan.pause == {T0: "backpressure", T1: "backpressure"} and plan.room == 1
    for record in handed[:3]:
        flow.done(record)
    assert flow.plan({T0, T1}, 500).resume == {}, "not before min_pause_s"
    clock.now += 2.0
    assert flow.plan({T0, T1}, 500).resume == {T0: "backpressure", T1: "backpressure"}
    assert flow.plan({T0, T1}, 500).room == 3


def test_backpressure_does_not_resume_above_the_low_mark() -> None:
    clock = Clock()
    flow = core(clock, backpressure=Backpressure(high=4, low=1, min_pause_s=0.0))
    handed, _ = flow.hand_out(recs(0, range(4)))
    assert flow.plan({T0}, 500).pause == {T0: "backpressure"}
    flow.done(handed[0])
    flow.done(handed[1])
    assert flow.plan({T0}, 500).resume == {}
    flow.done(handed[2])
    assert flow.plan({T0}, 500).resume == {T0: "backpressure"}


def test_with_hold_full_workers_keep_polling_into_a_bounded_buffer_before_a_native_pause() -> None:
    """hold: no native pause (which drops librdkafka's prefetch) until the buffer is full; the held records come
    first when there is room again, in order, each once."""
    clock = Clock()
    flow = core(clock, backpressure=Backpressure(high=4, low=1, min_pause_s=2.0, hold=3))
    handed, seeks = flow.hand_out(recs(0, range(6)))
    assert [r.offset for r in handed] == [0, 1, 2, 3] and seeks == {}, "4 and 5 are held, not sought back to"
    plan = flow.plan({T0}, 500)
    assert plan.pause == {} and plan.pace and not plan.ready and plan.room == 1
    handed, seeks = flow.hand_out(recs(0, range(6, 8)))  # a paced poll (one record), then one more
    assert handed == [] and seeks == {T0: 7}, "past hold: sought back to"
    assert flow.held() == 3
    plan = flow.plan({T0}, 500)
    assert plan.pause == {T0: "backpressure"} and not plan.pace, "full: now the native pause"
    for record in recs(0, range(4)):
        assert not flow.done(record), "a stranger object is not the record handed out"
    clock.now += 2.0
    first = flow.hand_out([])[0]
    assert first == [], "no room yet"


def test_held_records_are_handed_out_first_and_never_twice() -> None:
    clock = Clock()
    flow = core(clock, backpressure=Backpressure(high=2, low=0, min_pause_s=0.0, hold=4))
    handed, _ = flow.hand_out(recs(0, range(5)))
    assert [r.offset for r in handed] == [0, 1] and flow.held() == 3
    for record in handed:
        flow.done(record)
    plan = flow.plan({T0}, 500)
    assert plan.ready and not plan.pace and plan.room == 1, "the poll does not wait: held records are ready"
    handed, seeks = flow.hand_out(recs(0, range(4, 7)))  # 4 fetched again (or a duplicate): handed once
    assert [r.offset for r in handed] == [2, 3] and seeks == {} and flow.held() == 3
    for record in handed:
        flow.done(record)
    handed, _ = flow.hand_out([])
    assert [r.offset for r in handed] == [4, 5] and flow.held() == 1
    assert flow.to_commit() == {T0: 4}, "the prefix ends at the first record in flight"


def test_held_records_are_dropped_at_a_seek_back_or_a_revocation_and_kept_while_paused() -> None:
    clock = Clock()
    flow = core(
        clock, backpressure=Backpressure(high=2, low=0, min_pause_s=0.0, hold=10), retry=Retry(Backoff(first=1.0))
    )
    handed, _ = flow.hand_out(recs(0, range(4)) + recs(1, range(3)))
    assert [(r.partition, r.offset) for r in handed] == [(0, 0), (0, 1)] and flow.held() == 5
    assert flow.failed(handed[0])[0] == RETRY
    flow.done(handed[1])
    plan = flow.plan({T0, T1}, 500)
    assert plan.seeks == {T0: 0} and plan.pause == {T0: "back-off"}
    assert flow.held() == 3, "the seek back drops T0's held records: they are fetched again"
    handed, _ = flow.hand_out([], paused=frozenset({T1}))
    assert handed == [] and flow.held() == 3, "a paused partition's held records stay held"
    handed, _ = flow.hand_out([])
    assert [(r.partition, r.offset) for r in handed] == [(1, 0), (1, 1)] and flow.held() == 1
    assert flow.revoke([T1]) == {T1: 0} and flow.held() == 0, "a revocation drops them (the next owner fetches them)"


def test_per_partition_backpressure_pauses_only_the_busy_partition() -> None:
    flow = core(backpressure=Backpressure(high=2, min_pause_s=0.0, per_partition=True))
    handed, seeks = flow.hand_out(recs(0, range(3)) + recs(1, range(1)))
    assert [locate(r)[1:] for r in handed] == [(0, 0), (0, 1), (1, 0)] and seeks == {T0: 2}
    assert flow.plan({T0, T1}, 500).pause == {T0: "backpressure"}


def test_a_failed_record_is_handed_out_again_from_its_offset_after_the_back_off() -> None:
    clock = Clock()
    flow = core(clock, retry=Retry(Backoff(first=1.0), attempts=3))
    first = recs(0, range(4))
    flow.hand_out(first)
    flow.done(first[0])
    flow.done(first[2])
    assert flow.failed(first[1]) == (RETRY, 1)
    plan = flow.plan({T0}, 500)
    assert plan.pause == {T0: "back-off"} and plan.seeks == {T0: 1}
    assert flow.to_commit() == {T0: 1}, "the failed record holds the prefix"
    clock.now += 1.0
    assert flow.plan({T0}, 500).resume == {T0: "back-off"}
    again = recs(0, range(1, 6))  # fetched again from the failed offset
    handed, _ = flow.hand_out(again)
    assert [r.offset for r in handed] == [1, 4, 5], "finished (2) and in-flight (3) records are not handed out twice"


def test_after_the_last_attempt_the_record_goes_to_the_dead_letter() -> None:
    clock = Clock()
    flow = core(clock, retry=Retry(Backoff(first=0.5), attempts=2))
    (record,) = flow.hand_out([Rec(0, 0)])[0]
    assert flow.failed(record) == (RETRY, 1)
    clock.now += 1.0
    flow.plan({T0}, 500)
    (again,) = flow.hand_out([Rec(0, 0)])[0]
    assert flow.failed(again) == (DEAD_LETTER, 2)
    assert flow.to_commit() == {T0: 0}, "held until the dead letter took it"
    assert flow.done(again)
    assert flow.to_commit() == {T0: 1}


def test_without_retry_a_failure_goes_to_the_dead_letter_at_once() -> None:
    flow = core()
    (record,) = flow.hand_out([Rec(0, 0)])[0]
    assert flow.failed(record) == (DEAD_LETTER, 1)


def test_failures_that_come_together_share_one_back_off_and_seek_to_the_lowest() -> None:
    clock = Clock()
    backoff = Backoff(first=1.0)
    flow = core(clock, retry=Retry(backoff))
    batch = recs(0, range(4))
    flow.hand_out(batch)
    flow.failed(batch[3])
    flow.failed(batch[1])
    assert flow.plan({T0}, 500).seeks == {T0: 1}
    assert backoff.streak(T0) == 1


def test_a_revoked_partition_commits_its_finished_prefix_and_ignores_late_reports() -> None:
    flow = core()
    batch = recs(0, range(3))
    flow.hand_out(batch)
    flow.done(batch[0])
    assert flow.in_flight([T0]) == 2
    assert flow.revoke([T0]) == {T0: 1}
    assert not flow.done(batch[1])
    assert flow.failed(batch[2]) == (IGNORED, 0)
    assert flow.in_flight() == 0


def test_a_late_report_of_a_record_handed_out_before_a_revocation_does_not_finish_its_successor() -> None:
    flow = core()
    old = Rec(0, 0)
    flow.hand_out([old])
    flow.revoke([T0])
    new = Rec(0, 0)
    flow.hand_out([new])
    assert not flow.done(old)
    assert flow.in_flight() == 1


def test_the_poll_waits_no_longer_than_the_next_back_off_or_commit() -> None:
    clock = Clock()
    flow = core(clock, retry=Retry(Backoff(first=0.25)), commit_every_s=5.0)
    (record,) = flow.hand_out([Rec(0, 0)])[0]
    flow.failed(record)
    assert flow.wait_s(1.0) == pytest.approx(0.25)
    assert core(clock, commit_every_s=0.5).wait_s(1.0) == pytest.approx(0.5)


@pytest.mark.parametrize(
    ("make", "fragment"),
    [
        (lambda: Backpressure(high=0), "high must be an int >= 1"),
        (lambda: Backpressure(high=4, low=4), "0 <= low < high=4"),
        (lambda: Backpressure(high=4, min_pause_s=-1), "min_pause_s must be"),
        (lambda: Backpressure(high=4, hold=-1), "hold must be an int >= 0"),
        (lambda: Backpressure(high=4, hold=10, per_partition=True), "hold works consumer-wide"),
        (lambda: Retry(attempts=0), "attempts must be an int >= 1"),
        (lambda: Retry(backoff=1.0), "takes a pauseable.Backoff"),  # type: ignore[arg-type]
        (lambda: Retry(dead_letter="dlq"), "takes a function"),  # type: ignore[arg-type]
        (lambda: core(commit_every_s=float("inf")), "commit_every_s must be"),
        (lambda: core(backpressure=10), "takes a pauseable.Backpressure"),
    ],
)
def test_bad_flow_settings_are_refused_with_the_fix(make: object, fragment: str) -> None:
    with pytest.raises(InvalidArgumentError, match=fragment):
        make()  # type: ignore[operator]
