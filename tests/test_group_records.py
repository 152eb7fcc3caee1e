"""The control topic's record format and the state it adds up to (pauseable.group.records): no broker."""

from __future__ import annotations

import json

import pytest

from pauseable import TopicPartition
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
