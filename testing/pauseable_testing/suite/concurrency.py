"""Calls from another thread (sync backends) or task (asyncio backends) while a poll is in flight."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable
from typing import Any

import pytest

from pauseable.types import TopicPartition
from pauseable_testing.harness import BackendHarness, NewTopic
from pauseable_testing.suite.fixtures import SuiteFixtures

#: generous: a call queued behind a poll waits about one poll slice (100 ms), never the poll's timeout
_PROMPT_S = 0.9
_POLL_TIMEOUT_S = 2.0


@pytest.mark.pauseable_conformance
class AbstractConcurrencyTests(SuiteFixtures):
    """A worker thread or task pauses and resumes while the main one polls."""

    def test_pause_and_resume_from_another_thread_or_task_return_promptly_while_a_poll_waits(
        self, harness: BackendHarness, new_topic: NewTopic, group_id: str
    ) -> None:
        topic = new_topic(partitions=2)
        p0, p1 = TopicPartition(topic, 0), TopicPartition(topic, 1)
        ctl = harness.controller(group_id)
        ctl.assign([p0, p1])
        ctl.poll(0.5)  # the fetchers are up; nothing to fetch: every later poll waits its whole timeout
        took = _from_a_worker(harness, ctl, [("pause", lambda c: c.pause(p0)), ("resume", lambda c: c.resume(p0))])
        assert took["pause"] < _PROMPT_S and took["resume"] < _PROMPT_S, (
            f"waited behind a {_POLL_TIMEOUT_S} s poll: {took}"
        )
        assert ctl.paused() == set()

    def test_nothing_of_a_partition_is_delivered_after_a_pause_from_another_thread_or_task_returns(
        self, harness: BackendHarness, new_topic: NewTopic, group_id: str
    ) -> None:
        topic = new_topic(partitions=2)
        p0, p1 = TopicPartition(topic, 0), TopicPartition(topic, 1)
        for tp in (p0, p1):
            harness.produce_bulk(topic, 20_000, 100, partition=tp.partition)
        ctl = harness.controller(group_id)
        ctl.assign([p0, p1])
        batches: list[tuple[float, set[TopicPartition]]] = []  # (when the poll returned, partitions in it)

        def record(records: list[Any]) -> None:
            located = {TopicPartition(*ctl.target.locate(r)[:2]) for r in records}
            batches.append((time.monotonic(), located))
            time.sleep(0.005)  # a little work per batch: the backlog must outlast the pause

        def p1_flowed(returned: dict[str, float]) -> bool:
            return any(p1 in tps for when, tps in batches if when > returned["pause"])

        took = _from_a_worker(
            harness, ctl, [("pause", lambda c: c.pause(p0))], on_records=record, max_records=50, until=p1_flowed
        )
        paused_at = time.monotonic() - took["_since_pause_returned"]
        late = [when - paused_at for when, tps in batches if when > paused_at and p0 in tps]
        assert not late, f"{p0} delivered {len(late)} time(s) after pause() returned"
        assert any(p1 in tps for when, tps in batches if when > paused_at), (
            f"the other partition kept flowing: {[(round(w - paused_at, 3), sorted(t)) for w, t in batches]}"
        )
        assert took["pause"] < _PROMPT_S


def _from_a_worker(
    harness: BackendHarness,
    ctl: Any,
    calls: list[tuple[str, Callable[[Any], Any]]],
    *,
    on_records: Callable[[list[Any]], None] | None = None,
    max_records: int = 500,
    until: Callable[[dict[str, float]], bool] = lambda returned: True,
) -> dict[str, float]:
    """Poll ``ctl`` in a loop on this thread (or task) while a worker makes ``calls`` one by one, each
    after 0.3 s, then waits 1 s and until ``until(when each call returned)`` (at most 10 s more); return
    how long each call took, and ``_since_pause_returned`` at the end."""
    took: dict[str, float] = {}
    returned: dict[str, float] = {}
    target = ctl.target
    if harness.backend.is_async:

        async def poller(done: asyncio.Event) -> None:
            while not done.is_set():
                records = await target.poll(_POLL_TIMEOUT_S, max_records)
                if on_records is not None:
                    on_records(records)

        async def worker(done: asyncio.Event) -> None:
            try:
                for name, call in calls:
                    await asyncio.sleep(0.3)
                    began = time.monotonic()
                    await call(target)
                    took[name], returned[name] = time.monotonic() - began, time.monotonic()
                await asyncio.sleep(1.0)
                for _ in range(100):
                    if until(returned):
                        break
                    await asyncio.sleep(0.1)
            finally:
                done.set()

        async def both() -> None:
            done = asyncio.Event()
            await asyncio.wait_for(asyncio.gather(poller(done), worker(done)), timeout=30)

        harness.run(both())
    else:
        done = threading.Event()
        failed: list[BaseException] = []

        def work() -> None:
            try:
                for name, call in calls:
                    time.sleep(0.3)
                    began = time.monotonic()
                    call(target)
                    took[name], returned[name] = time.monotonic() - began, time.monotonic()
                time.sleep(1.0)
                for _ in range(100):
                    if until(returned):
                        break
                    time.sleep(0.1)
            except BaseException as exc:  # re-raised on the test's thread
                failed.append(exc)
            finally:
                done.set()

        thread = threading.Thread(target=work, daemon=True)
        thread.start()
        deadline = time.monotonic() + 30
        while not done.is_set() and time.monotonic() < deadline:
            records = target.poll(_POLL_TIMEOUT_S, max_records)
            if on_records is not None:
                on_records(records)
        thread.join(timeout=max(0.0, deadline - time.monotonic()) + 5)
        if failed:
            raise failed[0]
        assert not thread.is_alive(), f"a call from another thread never returned while polling: done {took}"
    if "pause" in returned:
        took["_since_pause_returned"] = time.monotonic() - returned["pause"]
    return took
