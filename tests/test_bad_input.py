"""Every row of ``tests/bad_input.py`` on every backend, against the real broker: the error's exact type,
a message naming the problem and the fix, and a controller left exactly as it was. The docs' "Bad
input" page's table is rendered from the same rows."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from bad_input import CASES, Case, Ctx, render

from pauseable.registry import get_backend
from pauseable.types import TopicPartition
from pauseable_testing import KafkaCluster
from pauseable_testing.cluster import unique_name
from pauseable_testing.harness import BackendHarness

PAGE = Path(__file__).resolve().parent.parent / "docs" / "bad-input.md"


@pytest.fixture(scope="module")
def ctx(backend_name: str, kafka_cluster: KafkaCluster) -> Iterator[Ctx]:
    """One backend's live controller (``t[0]`` assigned, of two partitions) and a closed one, for every row."""
    harness = BackendHarness(get_backend(backend_name), kafka_cluster)
    topic = kafka_cluster.create_topic(partitions=2, hint="bad-input")
    try:
        ctl = harness.controller(unique_name("g-bad-input"))
        ctl.assign([TopicPartition(topic, 0)])
        closed = harness.controller(unique_name("g-bad-input"))
        closed.assign([TopicPartition(topic, 0)])
        closed.close()
        yield Ctx(harness, ctl, closed, topic, unique_name("nosuch"))
    finally:
        harness.close()


@pytest.mark.parametrize("case", CASES, ids=[case.call for case in CASES])
def test_bad_input_gets_a_typed_error_naming_the_problem_and_the_fix(ctx: Ctx, case: Case) -> None:
    if not case.applies_to(ctx.harness.backend.is_async):
        pytest.skip(f"{case.only} backends only")
    if case.error is None:
        result = case.run(ctx)
        assert case.returns is not None and case.returns(result), f"{case.call} returned {result!r}"
    else:
        with pytest.raises(case.error) as caught:
            case.run(ctx)
        assert type(caught.value) is case.error, f"{type(caught.value).__name__}: {caught.value}"
        assert ctx.message_matches(case, str(caught.value)), f"{case.message!r} not in {caught.value}"
    if case.live:  # nothing half-done: the live controller is exactly as before
        assert ctx.ctl.assignment() == {ctx.tp()}
        assert ctx.ctl.paused() == set()
        assert ctx.ctl.paused_topics() == set()


def test_the_bad_input_page_table_is_rendered_from_the_rows() -> None:
    block = PAGE.read_text().split("<!-- bad-input -->")[1].split("<!-- /bad-input -->")[0]
    assert block.strip() == render().strip(), "run `make readme-bad-input` to regenerate the table of docs/bad-input.md"
