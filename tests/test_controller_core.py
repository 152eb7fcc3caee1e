"""The controller's own rules, with a scripted adapter: no broker needed for these decisions."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Mapping, Sequence
from types import SimpleNamespace
from typing import Any

import pytest

from pauseable import (
    Backend,
    BackendError,
    CloseTimeoutError,
    ConsumerClosedError,
    Controller,
    Offset,
    TopicPartition,
)
from pauseable.adapter import ConsumerAdapter
from pauseable.core import LookupRetry
from pauseable.errors import AuthorizationError, ClientError
from pauseable.hookspecs import hookimpl
from pauseable.plugins import load_plugins

T0, T1 = TopicPartition("t", 0), TopicPartition("t", 1)


class LeakyAdapter(ConsumerAdapter):
    """Hands over whatever it is told to, paused or not: a client that leaks buffered records."""

    def __init__(self) -> None:
        self.assigned = {T0, T1}
        self.next_batch: list[tuple[str, int, int]] = []
        self.seeks: list[tuple[TopicPartition, int]] = []
        self.fail_with: Exception | None = None
        self.fail_lookup = False
        self.failing_seeks: set[TopicPartition] = set()
        #: what the group answers after a commit (None: what was committed)
        self.lost_commit: dict[TopicPartition, int | None] | None = None
        self.committed_offsets: dict[TopicPartition, int] = {}
        self.closed = False
        #: close() gives up at its bound (pauseable.bounded), as librdkafka's does when brokers do not answer
        self.close_hangs = False
        #: the client stores the offsets of records it hands out under this setting (librdkafka's default)
        self.stores: str | None = None

    def assignment(self) -> set[TopicPartition]:
        if self.fail_with:
            raise self.fail_with
        return set(self.assigned)

    def pause(self, partitions: Sequence[TopicPartition]) -> None: ...
    def resume(self, partitions: Sequence[TopicPartition]) -> None: ...
    def seek(self, partition: TopicPartition, offset: int) -> None:
        if partition in self.failing_seeks:
            raise ConnectionError("broker went away")
        self.seeks.append((partition, offset))

    def end_offsets(self, partitions: Sequence[TopicPartition]) -> dict[TopicPartition, int]:
        if self.fail_lookup:
            raise TimeoutError("ListOffsets timed out")
        return {tp: 100 + tp.partition for tp in partitions}

    def position(self, partition: TopicPartition) -> int | None:
        return 10

    def seek_fails_for(self, partition: TopicPartition) -> bool:
        return partition in self.failing_seeks

    def poll(self, timeout: float, max_records: int) -> list[Any]:
        batch, self.next_batch = self.next_batch, []
        return batch

    def locate(self, record: Any) -> tuple[str, int, int]:
        return record  # type: ignore[no-any-return]

    def size(self, record: Any) -> int:
        return 10

    def commit(self, offsets: Mapping[TopicPartition, int] | None) -> None:
        self.committed_offsets.update(offsets or {})

    def committed(self, partitions: Sequence[TopicPartition]) -> dict[TopicPartition, int | None]:
        if self.lost_commit is not None:
            return dict(self.lost_commit)
        return {tp: self.committed_offsets.get(tp) for tp in partitions}

    def assign(self, partitions: Sequence[TopicPartition]) -> None:
        self.assigned = set(partitions)

    def subscribe(self, topics: Sequence[str], on_assigned: Any, on_revoked: Any) -> None:
        raise NotImplementedError("assign only")

    def beginning_offsets(self, partitions: Sequence[TopicPartition]) -> dict[TopicPartition, int]:
        return {tp: 0 for tp in partitions}

    def offsets_for_times(self, timestamps: Mapping[TopicPartition, int]) -> dict[TopicPartition, int | None]:
        return {tp: None for tp in timestamps}

    def partitions_of(self, topic: str) -> frozenset[int]:
        return frozenset(tp.partition for tp in self.assigned if tp.topic == topic)

    def close(self) -> None:
        if self.close_hangs:
            raise CloseTimeoutError("Consumer.close() did not finish within 30 s")
        self.closed = True

    def stores_handed_out(self) -> str | None:
        return self.stores

    def is_closed(self) -> bool:
        return False

    def is_closed_error(self, exc: BaseException) -> bool:
        return "closed" in str(exc)


def _controller() -> tuple[Controller[Any], LeakyAdapter]:
    adapter = LeakyAdapter()
    backend = Backend(name="leaky", client="pluggy", claims=lambda c: True, sync_adapter=lambda c: adapter)  # type: ignore[arg-type,return-value]
    return Controller(object(), backend, adapter), adapter  # type: ignore[arg-type]


def test_records_of_a_paused_partition_are_held_back_and_the_client_rewound_to_the_first() -> None:
    ctl, adapter = _controller()
    ctl.pause(T0)
    adapter.next_batch = [("t", 0, 7), ("t", 1, 3), ("t", 0, 8), ("t", 0, 6)]
    assert ctl.poll() == [("t", 1, 3)]
    assert adapter.seeks == [(T0, 6)], "redelivered from the first held-back offset after resume"


def test_records_pass_through_untouched_when_nothing_is_paused() -> None:
    ctl, adapter = _controller()
    batch = [("t", 0, 1), ("t", 1, 1)]
    adapter.next_batch = batch
    assert ctl.poll() is batch
    assert adapter.seeks == []


def test_seek_to_end_resolves_then_seeks_and_returns_in_order() -> None:
    ctl, adapter = _controller()
    assert list(ctl.seek_to_end().items()) == [(T0, 100), (T1, 101)]
    assert adapter.seeks == [(T0, 100), (T1, 101)]


def test_native_errors_are_chained_and_closed_ones_recognised() -> None:
    ctl, adapter = _controller()
    adapter.fail_with = RuntimeError("broker went away")
    with pytest.raises(BackendError, match="leaky failed to pause: RuntimeError: broker went away") as caught:
        ctl.pause(T0)
    assert caught.value.__cause__ is adapter.fail_with
    adapter.fail_with = RuntimeError("Consumer closed")
    with pytest.raises(ConsumerClosedError):
        ctl.pause(T0)
    adapter.fail_with = None
    with pytest.raises(ConsumerClosedError):  # stays closed
        ctl.paused()


def _resume_with_window(ctl: Controller[Any], adapter: LeakyAdapter, position: int, window: int, end: int) -> Any:
    from pauseable.strategies import ResumeFacts, SkipPauseWindow

    facts = [ResumeFacts(T0, position, end, window, 1)]
    report, seeks = ctl._core.plan(SkipPauseWindow(), [f.partition for f in facts], facts)
    assert seeks == {}  # a backlog first: the range is jumped when reached
    return report


def test_a_pause_window_is_jumped_when_reached_and_not_sought_back_when_the_batch_passed_it() -> None:
    ctl, adapter = _controller()
    report = _resume_with_window(ctl, adapter, position=2, window=4, end=10)
    adapter.next_batch = [("t", 0, o) for o in range(2, 16)]
    assert [o for _, _, o in ctl.poll()] == [2, 3, 10, 11, 12, 13, 14, 15]
    assert adapter.seeks == [], "the batch already went past the window: a seek to 10 would duplicate"
    skipped = report.ranges[T0]
    assert (skipped.start, skipped.end, skipped.records_fetched, skipped.done) == (4, 10, 6, True)


def test_records_held_back_whose_offsets_the_client_stored_are_warned_about_once(
    caplog: pytest.LogCaptureFixture,
) -> None:
    ctl, adapter = _controller()
    adapter.stores = "enable.auto.offset.store"
    report = _resume_with_window(ctl, adapter, position=2, window=4, end=10)
    with caplog.at_level("WARNING", logger="pauseable"):
        adapter.next_batch = [("t", 0, o) for o in range(2, 6)]
        ctl.poll()  # a jump past a skipped range is no hold
        assert adapter.seeks == [(T0, 10)] and not caplog.records
        ctl.pause(T1)
        adapter.next_batch = [("t", 1, 5), ("t", 1, 4), ("t", 0, 10)]
        ctl.poll()
        adapter.next_batch = [("t", 1, 7)]
        ctl.poll()
    assert report.ranges[T0].done
    assert [r.getMessage() for r in caplog.records] == [
        "leaky: records of t[1] from offset 4 are held back while paused, but the client stored their offsets as "
        "it handed them out (enable.auto.offset.store is on, its default): an auto commit, a commit of stored "
        "offsets or a revocation before they are delivered again commits past them; build the consumer with "
        "enable.auto.offset.store=False and commit with the controller's commit() (positions) to keep them "
        "(logged once)"
    ]


def test_records_held_back_are_not_warned_about_when_the_client_stores_nothing_itself(
    caplog: pytest.LogCaptureFixture,
) -> None:
    ctl, adapter = _controller()
    ctl.pause(T0)
    with caplog.at_level("WARNING", logger="pauseable"):
        adapter.next_batch = [("t", 0, 7)]
        assert ctl.poll() == []
    assert adapter.seeks == [(T0, 7)] and not caplog.records


def test_a_pause_window_reached_at_the_end_of_a_batch_seeks_past_it() -> None:
    ctl, adapter = _controller()
    report = _resume_with_window(ctl, adapter, position=2, window=4, end=10)
    adapter.next_batch = [("t", 0, o) for o in range(2, 6)]
    assert [o for _, _, o in ctl.poll()] == [2, 3]
    assert adapter.seeks == [(T0, 10)]
    assert report.ranges[T0].records_fetched == 2


def test_strategies_plan_from_facts_alone() -> None:
    from pauseable.strategies import Continue, DiscardUntil, ResumeFacts, SeekToEnd, SkipPauseWindow, Step

    facts = ResumeFacts(T0, position=5, end=20, window_start=12, paused_at_ms=1)
    assert Continue().plan(facts) == Step(5, 5)
    assert SeekToEnd().plan(facts) == Step(5, 20)
    assert DiscardUntil().plan(facts) == Step(5, 20, discard=True)
    assert SkipPauseWindow().plan(facts) == Step(12, 20)
    # nothing produced since the pause instant: nothing skipped
    assert not SkipPauseWindow().plan(ResumeFacts(T0, 5, 20, None, 1)).skips
    # the window began before the position (it was consumed up to there before the pause)
    assert SkipPauseWindow().plan(ResumeFacts(T0, 15, 20, 12, 1)) == Step(15, 20)


def test_a_resume_whose_offset_lookup_fails_raises_and_leaves_the_partitions_paused() -> None:
    from pauseable import ResumeError, SeekToEnd

    ctl, adapter = _controller()
    ctl.pause([T0, T1])
    adapter.fail_lookup = True
    with pytest.raises(ResumeError, match=r"ListOffsets timed out.*still paused: t\[0\], t\[1\]") as caught:
        ctl.resume([T0, T1], strategy=SeekToEnd())
    assert caught.value.report.ranges == {}
    assert caught.value.still_paused == [T0, T1]
    assert ctl.paused() == {T0, T1}
    adapter.fail_lookup = False
    report = ctl.resume([T0, T1], strategy=SeekToEnd())  # retry
    assert {tp: (r.start, r.end) for tp, r in report.ranges.items()} == {T0: (10, 100), T1: (10, 101)}
    assert ctl.paused() == set()


def test_a_resume_failing_part_way_reports_the_seeks_already_done() -> None:
    from pauseable import ResumeError, SeekToEnd

    ctl, adapter = _controller()
    ctl.pause([T0, T1])
    adapter.failing_seeks = {T1}
    with pytest.raises(ResumeError) as caught:
        ctl.resume([T0, T1], strategy=SeekToEnd())
    assert list(caught.value.report.ranges) == [T0], "T0 was sought past its backlog before T1 failed"
    assert ctl.paused() == {T0, T1}


def test_a_rebuild_whose_commit_did_not_stick_raises_and_keeps_the_consumer() -> None:
    from pauseable import Rebuild, ResumeError

    ctl, adapter = _controller()
    ctl.pause([T1])
    adapter.lost_commit = {T0: None, T1: 101}  # T0's position (10) is not what the group holds
    with pytest.raises(ResumeError, match=r"t\[0\]: None \(wanted 10\).*still paused: t\[1\]") as caught:
        ctl.resume([T1], strategy=Rebuild(lambda: object()))
    assert caught.value.report.ranges == {}
    assert not adapter.closed
    assert ctl.paused() == {T1}


def test_a_rebuild_whose_old_consumer_does_not_close_in_time_goes_on_with_the_new_one(
    caplog: pytest.LogCaptureFixture,
) -> None:
    from pauseable import Rebuild

    ctl, adapter = _controller()
    ctl.pause([T1])
    adapter.close_hangs = True
    with caplog.at_level("WARNING", logger="pauseable"):
        report = ctl.resume([T1], strategy=Rebuild(lambda: object()))
    assert adapter.committed_offsets == {T0: 10, T1: 101}, "the hand-over was committed before the close"
    assert report.resumed == (T1,) and ctl.paused() == set()
    ctl.assignment()  # the controller is open, on the new consumer
    assert "the old one is left to close by itself" in caplog.text and "did not finish within 30 s" in caplog.text


def test_a_close_that_gives_up_leaves_the_controller_closed() -> None:
    ctl, adapter = _controller()
    adapter.close_hangs = True
    with pytest.raises(CloseTimeoutError):
        ctl.close()
    with pytest.raises(ConsumerClosedError):
        ctl.pause([T0])
    ctl.close()  # closing again is a no-op


def test_a_report_names_every_resumed_partition_and_counts_offsets_not_records() -> None:
    from pauseable import SeekToEnd

    ctl, _ = _controller()
    ctl.pause([T0, T1])
    report = ctl.resume([T0, T1])  # Continue: no lookups, nothing skipped
    assert report.resumed == (T0, T1)
    assert str(report) == "continue: resumed 2 partition(s), skipped nothing"
    ctl.pause([T0])
    assert str(ctl.resume([T0], strategy=SeekToEnd())) == (
        "seek-to-end: resumed 1 partition(s), skipped 90 offset(s): t[0] [10, 100)"
    )


class SideAdapter:
    """A scripted lookup client: end offsets 200 + partition, beginning 3; every lookup failing ``failures``
    times first, with ``error`` (a TimeoutError, which :class:`SideLookupAdapter` calls transient)."""

    def __init__(self, config: Mapping[str, Any] | None, failures: int = 0) -> None:
        self.config = config
        self.failures = failures
        self.error: Exception = TimeoutError("ListOffsets timed out")
        self.asked: list[str] = []
        self.closed = False

    def _ask(self, lookup: str) -> None:
        self.asked.append(lookup)
        if self.failures:
            self.failures -= 1
            raise self.error

    def end_offsets(self, partitions: Sequence[TopicPartition]) -> dict[TopicPartition, int]:
        self._ask("end_offsets")
        return {tp: 200 + tp.partition for tp in partitions}

    def beginning_offsets(self, partitions: Sequence[TopicPartition]) -> dict[TopicPartition, int]:
        self._ask("beginning_offsets")
        return {tp: 3 for tp in partitions}

    def offsets_for_times(self, timestamps: Mapping[TopicPartition, int]) -> dict[TopicPartition, int | None]:
        self._ask("offsets_for_times")
        return {tp: 150 for tp in timestamps}

    def close(self) -> None:
        self.closed = True


class SideLookupAdapter(LeakyAdapter):
    """Opts in to a lookup client of its own; ``side=None`` opts out at run time."""

    def __init__(self, side: SideAdapter | None) -> None:
        super().__init__()
        self.side = side
        self.built: list[Mapping[str, Any] | None] = []
        #: the consumer's committed() fails ``failures`` times with ``error`` first, like SideAdapter's lookups
        self.failures = 0
        self.error: Exception = TimeoutError("ListOffsets timed out")
        self.asked: list[str] = []

    def committed(self, partitions: Sequence[TopicPartition]) -> dict[TopicPartition, int | None]:
        self.asked.append("committed")
        if self.failures:
            self.failures -= 1
            raise self.error
        return super().committed(partitions)

    def lookup_adapter(self, config: Mapping[str, Any] | None) -> SideAdapter | None:
        self.built.append(config)
        return self.side

    def is_transient_error(self, exc: BaseException) -> bool:
        return isinstance(exc, TimeoutError)


def _side_controller(side: SideAdapter | None) -> tuple[Controller[Any], SideLookupAdapter]:
    adapter = SideLookupAdapter(side)
    backend = Backend(name="side", client="pluggy", claims=lambda c: True, sync_adapter=lambda c: adapter)  # type: ignore[arg-type,return-value]
    return Controller(object(), backend, adapter, lookup_config={"bootstrap.servers": "b:9092"}), adapter  # type: ignore[arg-type]


def test_lookups_go_to_the_side_client_built_once_at_the_first_lookup_and_closed_with_the_controller() -> None:
    from pauseable import SeekToEnd

    side = SideAdapter(None)
    ctl, adapter = _side_controller(side)
    ctl.pause([T0])
    assert adapter.built == [], "built lazily"
    report = ctl.resume([T0], strategy=SeekToEnd())
    assert (report.ranges[T0].start, report.ranges[T0].end) == (10, 200)
    assert ctl.seek_to_end([T1]) == {T1: 201}
    assert ctl.committed([T0]) == {T0: None}  # the consumer's own OffsetFetch (its coordinator connection)
    assert adapter.built == [{"bootstrap.servers": "b:9092"}]
    assert side.asked == ["end_offsets", "end_offsets"]
    assert adapter.seeks == [(T0, 200), (T1, 201)], "seeks stay on the consumer"
    ctl.close()
    assert side.closed and adapter.closed


def test_a_transient_error_of_the_side_client_is_retried_by_a_resume() -> None:
    from pauseable import SeekToEnd

    side = SideAdapter(None, failures=1)
    ctl, _ = _side_controller(side)
    ctl.pause([T0])
    assert ctl.resume([T0], strategy=SeekToEnd()).ranges[T0].end == 200
    assert side.asked == ["end_offsets", "end_offsets"]


#: each public lookup: the call, what it answers, what it asks, and whether of the consumer (else the side client)
PUBLIC_LOOKUPS: dict[str, tuple[Callable[[Controller[Any]], Any], Any, str, bool]] = {
    "end_offsets": (lambda ctl: ctl.end_offsets([T0]), {T0: 200}, "end_offsets", False),
    "offsets_for_times": (lambda ctl: ctl.offsets_for_times({T0: 1}), {T0: 150}, "offsets_for_times", False),
    "seek_to_end": (lambda ctl: ctl.seek_to_end([T1]), {T1: 201}, "end_offsets", False),
    "seek(END)": (lambda ctl: ctl.seek(T1, Offset.END), None, "end_offsets", False),
    "seek(BEGINNING)": (lambda ctl: ctl.seek(T1, Offset.BEGINNING), None, "beginning_offsets", False),
    "committed": (lambda ctl: ctl.committed([T0]), {T0: None}, "committed", True),  # OffsetFetch: the consumer's
}


def _failing(call: str, failures: int, error: Exception) -> tuple[Controller[Any], SideLookupAdapter, Any]:
    """A controller whose lookup for ``call`` fails ``failures`` times with ``error``; and what it asks."""
    side = SideAdapter(None)
    ctl, adapter = _side_controller(side)
    asked: Any = adapter if PUBLIC_LOOKUPS[call][3] else side
    asked.failures, asked.error = failures, error
    return ctl, adapter, asked


@pytest.mark.parametrize("call", PUBLIC_LOOKUPS)
def test_every_public_lookup_retries_a_transient_error_like_a_resume(call: str) -> None:
    """A topic just created, or a leader that moved: librdkafka answers NOT_LEADER_FOR_PARTITION and does not
    retry; a lookup the user makes gets the same bounded retry as a resume's (the real broker: test_faults)."""
    lookup, answer, lookup_name, _ = PUBLIC_LOOKUPS[call]
    ctl, adapter, asked = _failing(call, 2, TimeoutError("ListOffsets timed out"))
    assert lookup(ctl) == answer
    assert asked.asked == [lookup_name] * 3, "two transient failures, then the answer"
    if call.startswith("seek"):
        assert adapter.seeks == [(T1, 3 if call == "seek(BEGINNING)" else 201)]


@pytest.mark.parametrize("call", PUBLIC_LOOKUPS)
def test_a_public_lookup_raises_at_once_on_an_error_that_is_not_transient(call: str) -> None:
    ctl, adapter, asked = _failing(call, 1, ValueError("not transient"))
    with pytest.raises(BackendError, match=r"side failed to .*: ValueError: not transient"):
        PUBLIC_LOOKUPS[call][0](ctl)
    assert len(asked.asked) == 1
    assert adapter.seeks == [], "nothing sought without an offset"


class FakeClock:
    """Time that passes only when the controller sleeps between attempts: the retry schedule, untimed."""

    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps: list[float] = []

    def monotonic(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


@pytest.mark.parametrize("call", PUBLIC_LOOKUPS)
def test_a_public_lookup_raises_when_the_retry_budget_runs_out(call: str, monkeypatch: pytest.MonkeyPatch) -> None:
    clock = FakeClock()
    fake_time = SimpleNamespace(monotonic=clock.monotonic, sleep=clock.sleep, time_ns=time.time_ns)
    for module in ("pauseable.core", "pauseable.controller"):  # (pauseable.controller is also a function)
        monkeypatch.setattr(sys.modules[module], "time", fake_time)
    ctl, adapter, asked = _failing(call, 1000, TimeoutError("ListOffsets timed out"))
    with pytest.raises(BackendError, match=r"side failed to .*: TimeoutError: ListOffsets timed out"):
        PUBLIC_LOOKUPS[call][0](ctl)
    assert clock.sleeps[:6] == [0.1, 0.2, 0.4, 0.8, 1.6, 2.0], "0.1 s doubling to 2 s"
    assert sum(clock.sleeps) <= LookupRetry.BUDGET_S < sum(clock.sleeps) + LookupRetry.LONGEST_S, "the whole budget"
    assert len(asked.asked) == len(clock.sleeps) + 1, "an attempt after every wait, then raised"
    assert adapter.seeks == [], "nothing sought without an offset"


def test_an_adapter_that_gives_no_side_client_looks_up_through_the_consumer() -> None:
    ctl, adapter = _side_controller(None)
    assert ctl.end_offsets([T0]) == {T0: 100}
    assert ctl.end_offsets([T1]) == {T1: 101}
    assert len(adapter.built) == 1, "asked once"
    ctl.close()
    assert adapter.closed


class EventfulAdapter(LeakyAdapter):
    """A client that hands out its error events among records, as librdkafka does."""

    def error_of(self, record: Any) -> BaseException | None:
        return record if isinstance(record, Exception) else None

    def typed_error(self, exc: BaseException) -> type[ClientError] | None:
        return AuthorizationError if isinstance(exc, PermissionError) else None


def test_client_errors_leave_the_batch_reported_when_transient_raised_after_the_records_otherwise() -> None:
    adapter = EventfulAdapter()
    backend = Backend(name="eventful", client="pluggy", claims=lambda c: True, sync_adapter=lambda c: adapter)  # type: ignore[arg-type,return-value]
    ctl: Controller[Any] = Controller(object(), backend, adapter)
    reported: list[BaseException] = []

    class Plugin:
        @hookimpl
        def pauseable_client_error(self, controller: Any, error: BaseException) -> None:
            reported.append(error)

    pm = load_plugins()
    pm.register(Plugin(), name="client-errors")
    try:
        adapter.next_batch = [("t", 0, 1), ConnectionError("broker restarting"), ("t", 0, 2), PermissionError("denied")]  # type: ignore[list-item]
        assert ctl.poll(0.1) == [("t", 0, 1), ("t", 0, 2)]  # records only, every one handed over
        assert [str(error) for error in reported] == ["broker restarting"]
        with pytest.raises(AuthorizationError, match="denied; check the client's credentials") as raised:
            ctl.poll(0.1)
        assert isinstance(raised.value.__cause__, PermissionError)
        assert ctl.poll(0.01) == []  # raised once
    finally:
        pm.unregister(name="client-errors")


def test_the_paused_hook_hears_each_pause_once_when_it_begins_under_the_reason_it_began_with() -> None:
    class Holding:
        """A group attachment holding T1 and T2, whose native pauses would come between polls (here: never)."""

        def hold(self, partition: TopicPartition) -> int | None:
            return 5 if partition != T0 else None

        def between_polls(self, controller: Any) -> None: ...
        def close(self) -> None: ...

    adapter = LeakyAdapter()
    backend = Backend(name="leaky", client="pluggy", claims=lambda c: True, sync_adapter=lambda c: adapter)  # type: ignore[arg-type,return-value]
    ctl: Controller[Any] = Controller(object(), backend, adapter, attachment=Holding())
    heard: list[tuple[list[TopicPartition], str]] = []

    class Plugin:
        @hookimpl
        def pauseable_paused(self, controller: Any, partitions: list[TopicPartition], reason: str) -> None:
            heard.append((partitions, reason))

    pm = load_plugins()
    pm.register(Plugin(), name="paused-heard")
    t2 = TopicPartition("t", 2)
    try:
        ctl.assign([T0])
        ctl.pause(T0, reason="maintenance")
        ctl.pause(T0, for_seconds=60)  # already paused: its pause goes on, nothing begins
        ctl.assign([T0, T1])  # T1 assigned held by the group: paused as the group's, not as "assigned"
        adapter.next_batch = [("t", 2, 5), ("t", 2, 6)]  # records of a held partition, before its native pause
        assert ctl.poll() == []
        assert heard == [([T0], "maintenance"), ([T1], "group"), ([t2], "group")]
        ctl.assign([T0, T1, t2])  # all paused already: no pause begins again
        assert len(heard) == 3
        assert {tp: p.reason for tp, p in ctl._core.pausing.items()} == {T0: "maintenance", T1: "group", t2: "group"}
    finally:
        pm.unregister(name="paused-heard")
