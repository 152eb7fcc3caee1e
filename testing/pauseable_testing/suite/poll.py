"""Poll: records are handed over as soon as they are ready; the timeout is only how long to wait for none."""

from __future__ import annotations

import time
from typing import Any

import pytest

from pauseable.errors import UnknownTopicError
from pauseable.types import TopicPartition
from pauseable_testing.harness import BackendHarness, count, record_into
from pauseable_testing.suite.fixtures import SuiteFixtures

#: the poll's timeout, and the bound it must return well within (generous: a shared machine cannot flake it)
TIMEOUT_S, BOUND_S = 4.0, 2.0
#: how many polls of half a second a missing topic may take to be raised (the controller looks it up at the
#: first empty poll after assign or subscribe; a client's own unknown-topic event is looked up too)
UNKNOWN_TOPIC_POLLS = 20


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

    def test_polling_a_topic_that_does_not_exist_raises_unknown_topic(
        self, harness: BackendHarness, topic: str, group_id: str
    ) -> None:
        ctl = harness.controller(group_id)
        ctl.assign([TopicPartition(f"{topic}-mistyped", 0)])
        located: list[tuple[str, int, int]] = []
        raised = _poll_until_unknown_topic(ctl, located)
        assert raised is not None, f"{UNKNOWN_TOPIC_POLLS} polls of a topic that does not exist raised nothing"
        assert f"{topic}-mistyped" in str(raised) and "check the topic name" in str(raised)
        assert located == []

    def test_a_record_batch_never_contains_client_error_events(
        self, harness: BackendHarness, topic: str, group_id: str
    ) -> None:
        """Records of a topic, while the client complains about another subscribed one that does not exist."""
        harness.produce(topic, 5)
        ctl = harness.controller(group_id)
        ctl.subscribe([topic, f"{topic}-mistyped"])
        located: list[tuple[str, int, int]] = []
        raised = _poll_until_unknown_topic(ctl, located)
        assert raised is not None and f"{topic}-mistyped" in str(raised)
        assert all(where[0] == topic and where[1] >= 0 and where[2] >= 0 for where in located), (
            f"poll handed over something that is not a record of {topic}: {located}"
        )


def _poll_until_unknown_topic(ctl: Any, located: list[tuple[str, int, int]]) -> UnknownTopicError | None:
    """Poll until UnknownTopicError (returned), noting where each record handed over comes from."""
    for _ in range(UNKNOWN_TOPIC_POLLS):
        try:
            located += [ctl.locate(record) for record in ctl.poll(0.5, 500)]
        except UnknownTopicError as exc:
            return exc
    return None
