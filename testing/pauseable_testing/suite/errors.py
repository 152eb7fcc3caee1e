"""Bad input and closed consumers: typed errors, nothing half-done, the consumer still usable."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from pauseable.errors import ConsumerClosedError, InvalidArgumentError, InvalidOffsetError, NotAssignedError
from pauseable.types import Offset, TopicPartition
from pauseable_testing.harness import BackendHarness, NewTopic, count
from pauseable_testing.suite.fixtures import SuiteFixtures

BAD_CALLS: dict[str, tuple[Callable[[Any, TopicPartition], object], type[Exception]]] = {
    "negative-offset": (lambda ctl, tp: ctl.seek(tp, -5), InvalidOffsetError),
    "str-offset": (lambda ctl, tp: ctl.seek(tp, "5"), InvalidArgumentError),
    "bool-offset": (lambda ctl, tp: ctl.seek(tp, True), InvalidArgumentError),
    "topic-name-as-partitions": (lambda ctl, tp: ctl.pause(tp.topic), InvalidArgumentError),
    "tuple-as-partition": (lambda ctl, tp: ctl.pause([(tp.topic, 0)]), InvalidArgumentError),
    "negative-commit": (lambda ctl, tp: ctl.commit({tp: -1}), InvalidOffsetError),
    "sentinel-commit": (lambda ctl, tp: ctl.commit({tp: Offset.END}), InvalidOffsetError),
    "negative-timestamp": (lambda ctl, tp: ctl.offsets_for_times({tp: -1}), InvalidOffsetError),
    "timestamps-not-a-mapping": (lambda ctl, tp: ctl.offsets_for_times([tp]), InvalidArgumentError),
    "negative-timeout": (lambda ctl, tp: ctl.poll(-1), InvalidArgumentError),
    "zero-max-records": (lambda ctl, tp: ctl.poll(1, 0), InvalidArgumentError),
    "empty-topic-name": (lambda ctl, tp: ctl.pause_topics([""]), InvalidArgumentError),
    "negative-partition": (lambda ctl, tp: TopicPartition(tp.topic, -1), InvalidArgumentError),
}


@pytest.mark.pauseable_conformance
class AbstractErrorTests(SuiteFixtures):
    """Typed errors."""

    @pytest.mark.parametrize("bad_call", sorted(BAD_CALLS))
    def test_bad_arguments_raise_typed_errors_and_the_consumer_stays_usable(
        self, harness: BackendHarness, topic: str, group_id: str, bad_call: str
    ) -> None:
        call, error = BAD_CALLS[bad_call]
        tp = TopicPartition(topic, 0)
        ctl = harness.controller(group_id)
        ctl.assign([tp])
        with pytest.raises(error):
            call(ctl, tp)
        assert ctl.paused() == set()
        ctl.pause(tp)
        assert ctl.paused() == {tp}

    def test_seeking_or_reading_the_position_of_an_unassigned_partition_raises_not_assigned(
        self, harness: BackendHarness, new_topic: NewTopic, group_id: str
    ) -> None:
        topic = new_topic(partitions=2)
        p0, p1 = TopicPartition(topic, 0), TopicPartition(topic, 1)
        ctl = harness.controller(group_id)
        ctl.assign([p0])
        calls: list[Callable[[], object]] = [
            lambda: ctl.seek(p1, 0),
            lambda: ctl.seek_to_end([p0, p1]),
            lambda: ctl.position(p1),
        ]
        for call in calls:
            with pytest.raises(NotAssignedError, match="subscribe or assign first"):
                call()
        assert ctl.position(p0) in (0, None)  # seek_to_end([p0, p1]) did not move p0 either
        harness.produce(topic, 2, partition=0)
        assert harness.consume(ctl, lambda d: count(d) >= 2) == {p0: [0, 1]}

    def test_a_closed_consumer_raises_consumer_closed_on_every_operation(
        self, harness: BackendHarness, topic: str, group_id: str
    ) -> None:
        tp = TopicPartition(topic, 0)
        ctl = harness.controller(group_id)
        ctl.assign([tp])
        ctl.close()
        calls: list[Callable[[], object]] = [
            lambda: ctl.pause(tp),
            lambda: ctl.resume(tp),
            lambda: ctl.pause_topics(topic),
            lambda: ctl.seek(tp, 0),
            lambda: ctl.seek_to_end(),
            lambda: ctl.position(tp),
            lambda: ctl.committed(tp),
            lambda: ctl.end_offsets(tp),
            lambda: ctl.commit(),
            lambda: ctl.poll(0.1),
            lambda: ctl.assignment(),
            lambda: ctl.paused(),
        ]
        for call in calls:
            with pytest.raises(ConsumerClosedError, match="closed; create a new consumer"):
                call()

    def test_close_is_idempotent(self, harness: BackendHarness, topic: str, group_id: str) -> None:
        ctl = harness.controller(group_id)
        ctl.assign([TopicPartition(topic, 0)])
        ctl.close()
        ctl.close()

    def test_a_consumer_closed_natively_raises_consumer_closed(
        self, harness: BackendHarness, topic: str, group_id: str
    ) -> None:
        tp = TopicPartition(topic, 0)
        ctl = harness.controller(group_id)
        ctl.assign([tp])
        harness.close_natively(ctl)
        with pytest.raises(ConsumerClosedError):
            ctl.pause(tp)
        with pytest.raises(ConsumerClosedError):
            ctl.poll(0.1)
