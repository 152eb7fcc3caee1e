"""A flow closing after its member was dropped from the group: close returns, and nothing is lost.

Its commit of the finished prefix cannot go through once the coordinator has dropped the member (seen under
load on aiokafka: the leader's death and a late heartbeat, then ``CommitFailedError`` raised out of close). Like
the commit at a revocation, a failed commit at close is logged and the work comes again to the next owner.
"""

from __future__ import annotations

import logging
import time

import pytest

from pauseable import TopicPartition
from pauseable_testing.harness import BackendHarness

#: the shortest poll interval every client accepts (librdkafka: not below the session timeout)
_POLL_INTERVAL_MS = 1500


def test_a_flow_closed_after_its_member_left_the_group_warns_and_its_finished_work_comes_again(
    harness: BackendHarness, topic: str, group_id: str, caplog: pytest.LogCaptureFixture
) -> None:
    tp = TopicPartition(topic, 0)
    harness.produce(topic, 5)
    ctl = harness.controller(
        group_id,
        session_timeout_ms=_POLL_INTERVAL_MS,
        heartbeat_interval_ms=500,
        max_poll_interval_ms=_POLL_INTERVAL_MS,
    )
    flow = harness.flow(ctl, commit_every_s=3600.0)  # nothing committed before close
    flow.subscribe(topic)
    finished: list[int] = []
    deadline = time.monotonic() + 60
    while len(finished) < 5:
        assert time.monotonic() < deadline, f"{harness.name}: got {finished} of 5 records"
        for record in flow.poll(0.5):
            finished.append(ctl.locate(record)[2])
            flow.done(record)
    time.sleep(3 * _POLL_INTERVAL_MS / 1000)  # no poll: the client leaves the group
    with caplog.at_level(logging.WARNING, logger="pauseable"):
        flow.close()  # raised the client's CommitFailedError before
    failed = [r.getMessage() for r in caplog.records if "commit at close failed" in r.getMessage()]
    after = harness.controller(group_id)
    committed = after.committed([tp])[tp]
    if committed != 5:  # a commit that went through after all (the revocation at close) needs no warning
        assert failed and f"{topic}[0] below offset 5" in failed[0], (
            f"{harness.name}: committed {committed}, warned {failed}"
        )
    after.subscribe([topic])
    again: list[int] = []
    deadline = time.monotonic() + 60
    while len(again) < 5 - (committed or 0):
        assert time.monotonic() < deadline, f"{harness.name}: the next member got {again}"
        again.extend(after.locate(record)[2] for record in after.poll(0.5))
    assert sorted(again) == list(range(committed or 0, 5)), harness.name
