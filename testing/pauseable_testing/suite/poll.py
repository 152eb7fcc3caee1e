"""Poll: records are handed over as soon as they are ready; the timeout is only how long to wait for none."""

from __future__ import annotations

import time

import pytest

from pauseable.types import TopicPartition
from pauseable_testing.harness import BackendHarness, count, record_into
from pauseable_testing.suite.fixtures import SuiteFixtures

#: the poll's timeout, and the bound it must return well within (generous: a shared machine cannot flake it)
TIMEOUT_S, BOUND_S = 4.0, 2.0


@pytest.mark.pauseable_conformance
class AbstractPollTests(SuiteFixtures):
    """Polling for records."""

    def test_poll_returns_at_once_when_a_record_is_ready(
        self, harness: BackendHarness, topic: str, group_id: str
    ) -> None:
        tp = TopicPartition(topic, 0)
        harness.produce(topic, 3)
        ctl = harness.controller(group_id)
        ctl.assign([tp])
        got = harness.consume(ctl, lambda d: count(d) >= 3)
        harness.produce(topic, 1)
        time.sleep(1.0)  # the client has fetched it by now (one that fetches only in poll gets it at once)
        began = time.monotonic()
        records = ctl.poll(TIMEOUT_S, 500)
        took = time.monotonic() - began
        record_into(got, ctl, records)
        assert got == {tp: [0, 1, 2, 3]}, "the ready record was not handed over"
        assert took < BOUND_S, (
            f"poll({TIMEOUT_S}, 500) with a record ready took {took:.2f} s: it must not wait for a full batch"
        )
