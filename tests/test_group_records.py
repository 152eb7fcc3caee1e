"""The control topic's record format, the state it adds up to (pauseable.group.records), and the applier's
decisions from that state (pauseable.group.applier.Decisions): no broker."""

from __future__ import annotations

import json

import pytest

from pauseable import TopicPartition
from pauseable.group.applier import Decisions, Recorded
from pauseable.group.records import (
    FORMAT,
    AppliedMark,
    GroupPause,
    GroupState,
    applied_key,
    control_partition,
    decode_key,
    decode_value,
    encode,
    pause_key,
)
from pauseable.strategies import ResumeFacts, Step

TP0 = TopicPartition("orders", 0)


def _pause(id: str = "p1", state: str = "paused", then: str = "continue", until: int | None = None) -> GroupPause:
    return GroupPause(id, state, 1_000, until, then, "ops@host", "deploy", None, None)


def test_keys_are_json_arrays_naming_the_group_topic_and_partition() -> None:
    assert json.loads(pause_key("billing", "orders", None)) == ["pause", "billing", "orders", None]
    assert json.loads(pause_key("billing", "orders", 3)) == ["pause", "billing", "orders", 3]
    assert json.loads(applied_key("billing", "orders", 3)) == ["applied", "billing", "orders", 3]
    assert decode_key(pause_key("billing", "orders", None)) == ("pause", "billing", "orders", None)


def test_values_round_trip_and_carry_their_format() -> None:
    pause = _pause(until=5_000, then="seek-to-end")
    raw = encode(pause)
    assert json.loads(raw)["format"] == FORMAT
    assert decode_value("pause", raw) == pause
    mark = AppliedMark("p1", "seek-to-end", 5, 10, True, "member", 2_000)
    assert decode_value("applied", encode(mark)) == mark


@pytest.mark.parametrize(
    "raw",
    [
        b"not json",
        b"[]",
        json.dumps({"format": FORMAT + 1, "id": "x"}).encode(),  # a later release's format
        json.dumps({**json.loads(encode(_pause())), "extra": 1}).encode(),  # a field this release does not know
        json.dumps({**json.loads(encode(_pause())), "then": "rewind"}).encode(),  # a strategy it does not know
    ],
)
def test_an_unknown_value_is_skipped_not_fatal(raw: bytes) -> None:
    assert decode_value("pause", raw) is None
    state = GroupState()
    state.apply(0, pause_key("g", "orders", None), raw)
    assert state.pause_of("g", TP0) is None
    assert state.skipped == 1


@pytest.mark.parametrize(
    "raw", [None, b"x", b'["pause", "g"]', b'["other", "g", "t", 0]', b'["applied", "g", "t", null]']
)
def test_an_unknown_key_is_skipped(raw: bytes | None) -> None:
    assert decode_key(raw) is None


def test_the_later_written_of_the_topic_key_and_the_partition_key_decides() -> None:
    state = GroupState()
    state.apply(1, pause_key("g", "orders", None), encode(_pause("topic")))
    assert state.pause_of("g", TP0) == _pause("topic")
    assert state.pause_of("g", TopicPartition("orders", 1)) == _pause("topic")
    state.apply(2, pause_key("g", "orders", 0), encode(_pause("p0", state="resumed")))
    assert state.pause_of("g", TP0) == _pause("p0", state="resumed")
    assert state.pause_of("g", TopicPartition("orders", 1)) == _pause("topic")
    assert state.pause_of("other-group", TP0) is None


def test_a_tombstone_ends_a_pause_and_a_timed_pause_ends_by_itself() -> None:
    state = GroupState()
    state.apply(1, pause_key("g", "orders", None), encode(_pause(until=2_000)))
    pause = state.pause_of("g", TP0)
    assert pause is not None and pause.holds(1_999) and not pause.holds(2_000)
    assert pause.ended_at() == 2_000
    state.apply(2, pause_key("g", "orders", None), None)
    assert state.pause_of("g", TP0) is None


def test_applied_marks_are_kept_per_partition() -> None:
    state = GroupState()
    mark = AppliedMark("p1", "seek-to-end", 5, 10, False, "member", 2_000)
    state.apply(3, applied_key("g", "orders", 0), encode(mark))
    assert state.mark_of("g", TP0) == mark
    assert state.mark_of("g", TopicPartition("orders", 1)) is None


def test_every_record_of_a_group_and_topic_goes_to_one_stable_control_partition() -> None:
    assert control_partition("billing", "orders", 1) == 0
    assert control_partition("billing", "orders", 6) == control_partition("billing", "orders", 6)
    assert 0 <= control_partition("billing", "orders", 6) < 6


class _Followed:
    """What the applier's decisions read of a follower: its state (filled by hand here, no broker)."""

    def __init__(self) -> None:
        self.state = GroupState()
        self.offset = 0

    def write(self, key: bytes, value: GroupPause | AppliedMark | None) -> None:
        self.offset += 1
        self.state.apply(self.offset, key, None if value is None else encode(value))


def _decisions() -> tuple[_Followed, Decisions]:
    followed = _Followed()
    return followed, Decisions(followed, "g", "member")  # type: ignore[arg-type]


def test_a_member_holds_what_the_group_pauses_and_pauses_it_natively_once() -> None:
    followed, decisions = _decisions()
    tp1 = TopicPartition("orders", 1)
    assert decisions.hold(TP0) is None
    followed.write(pause_key("g", "orders", None), _pause())
    assert decisions.hold(TP0) == 1_000  # the group pause's own instant, for SkipPauseWindow
    assert decisions.plan({TP0, tp1}, set()) == ([TP0, tp1], [])
    assert decisions.plan({TP0, tp1}, {TP0, tp1}) == ([], [])  # paused natively already
    assert decisions.plan({TP0}, {TP0}) == ([], [])  # orders[1] revoked: its next owner holds it
    assert decisions.plan({TP0}, set()) == ([TP0], [])  # resumed by a local call: the group's pause outranks it


def test_a_member_resumes_what_the_group_no_longer_pauses_with_the_pause_strategy() -> None:
    followed, decisions = _decisions()
    followed.write(pause_key("g", "orders", None), _pause(then="seek-to-end"))
    decisions.plan({TP0}, set())
    followed.write(pause_key("g", "orders", None), _pause(state="resumed", then="seek-to-end"))
    _, (ended,) = decisions.plan({TP0}, {TP0})
    assert (ended.strategy, ended.partitions, ended.pause and ended.pause.id) == ("seek-to-end", [TP0], "p1")
    decisions.resumed([TP0], ended.pause)
    assert decisions.plan({TP0}, set()) == ([], [])  # applied here: not held again before the mark is read back
    followed.write(pause_key("g", "orders", None), None)
    assert decisions.plan({TP0}, set()) == ([], [])


def test_a_late_owner_holds_a_partition_whose_strategy_no_owner_applied() -> None:
    followed, decisions = _decisions()
    followed.write(pause_key("g", "orders", None), _pause(state="resumed", then="seek-to-end"))
    assert decisions.hold(TP0) == 1_000
    followed.write(applied_key("g", "orders", 0), AppliedMark("p1", "seek-to-end", 5, 10, False, "other", 2))
    assert decisions.hold(TP0) == 1_000  # marked, not committed: the range is applied again, the same one
    followed.write(applied_key("g", "orders", 0), AppliedMark("p1", "seek-to-end", 5, 10, True, "other", 3))
    assert decisions.hold(TP0) is None


def test_the_range_is_cut_at_the_pause_end_and_positions_fall_back_to_the_committed_offset() -> None:
    tp1 = TopicPartition("orders", 1)
    facts = Decisions.facts(
        [TP0, tp1], {TP0: None, tp1: 4}, {TP0: 5}, {}, {TP0: 13, tp1: 9}, {TP0: 10}, {}, paused_at=1_000
    )
    assert [(f.position, f.end) for f in facts] == [(5, 10), (4, 9)]
    _, decisions = _decisions()
    assert decisions.ranges("seek-to-end", facts) == {TP0: (5, 10), tp1: (4, 9)}
    recorded = Recorded({TP0: (5, 10)})
    assert recorded.plan(facts[0]) == Step(5, 10)
    assert recorded.plan(ResumeFacts(TP0, 12, 13, None, None)) == Step(12, 12)  # already past: nothing skipped


def test_after_a_resume_a_range_sought_past_or_empty_is_marked_committed_one_still_ahead_is_not() -> None:
    from pauseable.report import SkippedRange, SkipReport

    tp1, tp2 = TopicPartition("orders", 1), TopicPartition("orders", 2)
    report = SkipReport("group-resume", (TP0, tp1, tp2))
    report.ranges[TP0] = SkippedRange(TP0, 5, 10, "group-resume", "", done=True)
    report.ranges[tp1] = SkippedRange(tp1, 7, 9, "group-resume", "")  # jumped over once the backlog is delivered
    ranges = {TP0: (5, 10), tp1: (7, 9), tp2: (3, 3)}
    assert Decisions.settled(report, ranges, {}) == {TP0: (5, 10), tp2: (3, 3)}
    marked = {TP0: AppliedMark("p1", "seek-to-end", 5, 10, True, "other", 1)}
    assert Decisions.settled(report, ranges, marked) == {tp2: (3, 3)}  # committed already by an earlier owner
