"""A flow's member crashes mid-work (SIGKILL: no close, no commit) and another takes over: the ledger holds.

Every produced offset ends delivered (finished) or dead-lettered; failed attempts are counted apart. Redelivery
after the crash is allowed only of what the crashed member had not committed (at-least-once, ``Ledger.handover``).
"""

from __future__ import annotations

import random
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pytest
from flow_member import HOLDING, end, fails, retry

from pauseable import TopicPartition
from pauseable_testing.harness import BackendHarness, NewTopic
from pauseable_testing.ledger import Ledger

_MEMBER = Path(__file__).with_name("flow_member.py")


class _Member:
    """tests/flow_member.py in a process of its own; its lines read as they come."""

    def __init__(self, harness: BackendHarness, group_id: str, topic: str, stderr: Path) -> None:
        self.lines: list[str] = []
        self.stderr, self._err = stderr, stderr.open("w")
        self.proc = subprocess.Popen(
            [sys.executable, str(_MEMBER), harness.name, harness.cluster.bootstrap_servers, group_id, topic],
            stdout=subprocess.PIPE,
            stderr=self._err,
            stdin=subprocess.DEVNULL,
            text=True,
        )
        assert self.proc.stdout is not None
        stdout = self.proc.stdout
        self._reader = threading.Thread(target=lambda: self.lines.extend(iter(stdout.readline, "")), daemon=True)
        self._reader.start()

    def ended(self) -> int:
        return sum(1 for line in list(self.lines) if line.startswith(("done", "dead")))

    def said(self) -> str:
        """The tail of what it wrote to stderr (its state every 2 s, a traceback)."""
        return self.stderr.read_text()[-3000:]

    def kill(self) -> None:
        self.proc.kill()
        self.proc.wait()
        self._err.close()
        self._reader.join(5)
        assert self.proc.stdout is not None
        self.proc.stdout.close()


@pytest.mark.parametrize("seed", [1, pytest.param(2, marks=pytest.mark.slow), pytest.param(3, marks=pytest.mark.slow)])
def test_a_member_crashing_mid_work_loses_nothing_and_the_ledger_holds(
    harness: BackendHarness, new_topic: NewTopic, group_id: str, seed: int, tmp_path: Path
) -> None:
    harness.requires("consumer_groups")
    rng = random.Random(seed)
    topic = new_topic(partitions=2)
    tps = [TopicPartition(topic, p) for p in (0, 1)]
    ledger = Ledger()
    for tp in tps:
        ledger.produce(tp, harness.produce(topic, rng.randint(10, 20), tp.partition))
    crash_after = rng.randint(3, 15)
    context = f"seed={seed} crash after {crash_after} ended"

    member = _Member(harness, group_id, topic, tmp_path / "member.stderr")
    try:
        deadline = time.monotonic() + 60
        while member.ended() < crash_after:
            assert time.monotonic() < deadline and member.proc.poll() is None, (
                f"the member did not get going ({context}); it ended {member.ended()}, its stderr:\n{member.said()}"
            )
            time.sleep(0.01)
    finally:
        member.kill()  # mid-work: whatever it finished since its last commit is delivered again
    for line in member.lines:
        kind, partition, offset = line.split()
        tp = TopicPartition(topic, int(partition))
        if kind == "done":
            ledger.deliver_offsets(tp, [int(offset)])
        elif kind == "failed":
            ledger.attempt(tp, int(offset))
        else:
            ledger.dead_letter(tp, [int(offset)])

    ctl = harness.controller(group_id, session_timeout_ms=3000, heartbeat_interval_ms=1000)
    ledger.handover(ctl.committed(tps))

    def dead(record: Any, error: BaseException) -> None:
        _, partition, offset = ctl.locate(record)
        ledger.dead_letter(TopicPartition(topic, partition), [offset])

    # Reports come one poll late, so the workers are full at polls and the flow holds records (``hold``): held
    # records dropped at the retries' seeks back are fetched again, and none is handed out twice.
    flow = harness.flow(ctl, retry=retry(dead), backpressure=HOLDING, commit_every_s=0.2)
    flow.subscribe(topic)
    pending: list[Any] = []
    deadline = time.monotonic() + 60
    while not ledger.complete():
        assert time.monotonic() < deadline, f"the takeover did not finish ({context}): {ledger.violations()}"
        _work(flow, ctl, topic, ledger, pending)
    strays = time.monotonic() + 0.5
    while time.monotonic() < strays:
        _work(flow, ctl, topic, ledger, pending)
    ledger.check(context)
    figures = ledger.figures()
    assert figures.dead_lettered == sum(1 for tp in tps for o in ledger.produced[tp] if fails(o)), context
    flow.close()


def _work(flow: Any, ctl: Any, topic: str, ledger: Ledger, pending: list[Any]) -> None:
    """End the records of the poll before (reports one poll late)."""
    polled = flow.poll(0.1)
    ended, pending[:] = list(pending), polled
    for record in ended:
        end(flow, ctl, ledger, record)


def test_the_ledger_counts_dead_letters_as_a_way_to_end_and_attempts_apart() -> None:
    tp = TopicPartition("t", 0)
    ledger = Ledger()
    ledger.produce(tp, range(4))
    ledger.deliver_offsets(tp, [0, 1, 3])
    ledger.attempt(tp, 2)
    assert not ledger.complete(), "a failed attempt is not a delivery"
    ledger.dead_letter(tp, [2])
    assert ledger.complete() and ledger.violations() == []
    assert (ledger.figures().dead_lettered, ledger.figures().retried) == (1, 1)
    ledger.dead_letter(tp, [2, 3])
    assert ledger.violations() == [
        "t[0]: dead-lettered and delivered or skipped: [3, 4)",
        "t[0]: dead-lettered more than once: [2, 3)",
    ]


def test_after_a_takeover_only_what_was_not_committed_may_end_again() -> None:
    tp = TopicPartition("t", 0)
    ledger = Ledger()
    ledger.produce(tp, range(4))
    ledger.deliver_offsets(tp, [0, 1])
    ledger.dead_letter(tp, [2])
    ledger.handover({tp: 1})  # the crashed member had committed 1
    ledger.deliver_offsets(tp, [1, 3])
    ledger.dead_letter(tp, [2])
    assert ledger.violations() == []
    ledger.deliver_offsets(tp, [0])
    assert ledger.violations() == ["t[0]: delivered more than once: [0, 1)"]
