"""Flow control (pauseable.flow): backpressure, long-running work, retries and dead letters, prefix commits.

The test plays the workers: it takes what the flow hands out and reports each record done or failed.
"""

from __future__ import annotations

import time
from typing import Any

import pytest

from pauseable.backoff import Backoff
from pauseable.errors import AutoCommitError
from pauseable.flow import Backpressure, Retry
from pauseable.types import TopicPartition
from pauseable_testing.harness import BackendHarness, Blocking, NewTopic
from pauseable_testing.suite.fixtures import SuiteFixtures

#: how long a test waits for records (the harness's default)
WAIT_S = 30.0


@pytest.mark.pauseable_conformance
class AbstractFlowTests(SuiteFixtures):
    """Handing records to workers with flow control."""

    def test_a_flow_refuses_a_consumer_that_commits_by_itself(self, harness: BackendHarness, group_id: str) -> None:
        ctl = harness.controller(group_id, enable_auto_commit=True)
        with pytest.raises(AutoCommitError, match=r"enable[._]auto[._]commit is on"):
            harness.flow(ctl)

    def test_backpressure_bounds_the_records_in_flight_and_the_finished_prefix_is_committed(
        self, harness: BackendHarness, new_topic: NewTopic, group_id: str
    ) -> None:
        topic = new_topic(partitions=2)
        tps = [TopicPartition(topic, p) for p in (0, 1)]
        for tp in tps:
            harness.produce(topic, 15, partition=tp.partition)
        ctl = harness.controller(group_id)
        ctl.assign(tps)
        flow = harness.flow(ctl, backpressure=Backpressure(high=4, low=1, min_pause_s=0.1))
        working: list[Any] = []
        handed: list[tuple[str, int, int]] = []
        most = 0
        deadline = time.monotonic() + WAIT_S
        while len(handed) < 30:
            assert time.monotonic() < deadline, f"{harness.name}: timed out; handed out {sorted(handed)}"
            records = flow.poll(0.3)
            working += records
            handed += [ctl.locate(r) for r in records]
            most = max(most, len(working), flow.in_flight())
            if len(working) >= 4 or not records:  # the workers finish the oldest three
                for record in working[:3]:
                    flow.done(record)
                del working[:3]
        assert most <= 4, f"{most} records were in flight with Backpressure(high=4)"
        assert sorted(handed) == sorted((topic, p, o) for p in (0, 1) for o in range(15)), "each handed out once"
        held = working[0]  # one record left unfinished: the prefix stops there
        _, held_partition, held_offset = ctl.locate(held)
        for record in working[1:]:
            flow.done(record)
        flow.commit()
        want = {tp: held_offset if tp.partition == held_partition else 15 for tp in tps}
        assert ctl.committed(tps) == want

    def test_long_running_work_keeps_the_member_in_its_group_and_delivers_nothing_meanwhile(
        self, harness: BackendHarness, topic: str, group_id: str
    ) -> None:
        """Work 1.5 times as long as max.poll.interval.ms: the flow keeps polling, with the partition paused."""
        harness.requires("consumer_groups")
        tp = TopicPartition(topic, 0)
        harness.produce(topic, 5)
        interval_s = 3.0
        ctl = harness.controller(
            group_id, max_poll_interval_ms=int(interval_s * 1000), session_timeout_ms=3000, heartbeat_interval_ms=500
        )
        revoked: list[list[TopicPartition]] = []
        flow = harness.flow(ctl, backpressure=Backpressure(high=1, min_pause_s=0.0), revoke_wait_s=1.0)
        flow.subscribe(topic, on_revoked=lambda tps: revoked.append(tps) if tps else None)  # some clients revoke []
        first = _poll_until(flow, lambda got: bool(got), harness)
        assert [ctl.locate(r)[2] for r in first] == [0]
        work_ends = time.monotonic() + 1.5 * interval_s
        while time.monotonic() < work_ends:  # the long work: the loop keeps polling
            assert flow.poll(0.3) == [], "a record was handed out while the work was running"
        flow.done(first[0])
        rest = _poll_until(flow, lambda got: len(got) >= 1, harness)
        assert ctl.locate(rest[0])[2] == 1
        flow.done(rest[0])
        assert revoked == [], f"the member was thrown out of its group: revoked {revoked}"
        assert ctl.assignment() == {tp}

    def test_a_failed_record_is_retried_from_its_offset_then_dead_lettered(
        self, harness: BackendHarness, topic: str, group_id: str
    ) -> None:
        tp = TopicPartition(topic, 0)
        harness.produce(topic, 5)
        dead: list[tuple[int, str]] = []
        ctl = harness.controller(group_id)
        ctl.assign([tp])
        retry = Retry(
            Backoff(first=0.2, longest=0.4),
            attempts=3,
            dead_letter=lambda r, e: dead.append((ctl.locate(r)[2], str(e))),
        )
        flow = harness.flow(ctl, retry=retry)
        handed: list[int] = []
        deadline = time.monotonic() + WAIT_S
        while not (dead and set(handed) >= set(range(5))):
            assert time.monotonic() < deadline, f"{harness.name}: timed out; handed out {handed}, dead {dead}"
            for record in flow.poll(0.3):
                offset = ctl.locate(record)[2]
                handed.append(offset)
                if offset == 2:
                    flow.failed(record, RuntimeError("the database is down"))
                else:
                    flow.done(record)
        for record in flow.poll(0.5):  # nothing is handed out again
            handed.append(ctl.locate(record)[2])
        assert handed == [0, 1, 2, 3, 4, 2, 2], "retried from exactly the failed offset, the others once"
        assert dead == [(2, "the database is down")]
        flow.commit()
        assert ctl.committed([tp]) == {tp: 5}

    def test_a_revocation_commits_only_the_finished_prefix_and_the_unfinished_work_comes_again(
        self, harness: BackendHarness, new_topic: NewTopic, group_id: str
    ) -> None:
        """A member holds records 0-4 of two partitions (2 of each never finishes); a second member joins: the
        revocation waits ``revoke_wait_s``, commits 2, and the partition's next owner is handed 2-4 again
        (at-least-once: 3 and 4 finished past the unfinished 2); the late ``done`` of the first hand-out is
        ignored. An eager protocol revokes both partitions, an incremental one (cooperative-sticky, KIP-848) only
        the one that moves: the checks are on the partition the second member gets."""
        harness.requires("consumer_groups")
        topic = new_topic(partitions=2)
        for partition in (0, 1):
            harness.produce(topic, 5, partition=partition)
        a = harness.controller(group_id)
        a_flow = harness.flow(a, revoke_wait_s=0.5)
        a_flow.subscribe(topic)
        held = _poll_until(a_flow, lambda got: len(got) >= 10, harness)
        for record in held:
            if a.locate(record)[2] != 2:
                a_flow.done(record)
        b = harness.controller(group_id)
        b_flow = harness.flow(b, revoke_wait_s=0.5)
        b_flow.subscribe(topic)
        again: list[Any] = []
        deadline = time.monotonic() + WAIT_S
        while len(again) < 3:
            assert time.monotonic() < deadline, f"{harness.name}: the unfinished record was not handed out again"
            a_flow.poll(0.3)
            again += b_flow.poll(0.3)
        (b_tp,) = b.assignment()
        assert [b.locate(r)[1:] for r in again] == [(b_tp.partition, o) for o in (2, 3, 4)], f"handed to b: {again}"
        assert a.committed([b_tp]) == {b_tp: 2}
        (late,) = [r for r in held if a.locate(r)[1:] == (b_tp.partition, 2)]
        a_flow.done(late)  # the first hand-out, late: ignored
        assert b_flow.in_flight() == 3


def _poll_until(flow: Blocking, done: Any, harness: BackendHarness) -> list[Any]:
    got: list[Any] = []
    deadline = time.monotonic() + WAIT_S
    while not done(got):
        assert time.monotonic() < deadline, f"{harness.name}: timed out waiting for records; got {len(got)}"
        got += flow.poll(0.3)
    return got
