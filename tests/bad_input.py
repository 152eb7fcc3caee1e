"""Every bad input tried on the public API, as data: the call, how to make it, the error, the message.

``tests/test_bad_input.py`` runs each row on every backend against the real broker; the table of the
docs' "Bad input" page (``docs/bad-input.md``) is :func:`render` of the same rows (``make
readme-bad-input`` splices it in, ``tests/test_bad_input.py`` fails when the page differs).
``python tests/bad_input.py`` prints it.

A message fragment may name ``{t}`` (the test's topic, two partitions, ``t[0]`` assigned),
``{nosuch}`` (a topic the cluster does not have) and ``{installed}`` (the installed backends); the
page shows them as ``t``, ``nosuch`` and the four first-party backends.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pauseable
from pauseable import (
    Backoff,
    ConsumerClosedError,
    InvalidArgumentError,
    InvalidOffsetError,
    NotAssignedError,
    Offset,
    PauseableError,
    Rebuild,
    SeekToEnd,
    TopicPartition,
    UnknownBackendError,
    UnknownPartitionError,
)
from pauseable_testing.cluster import unique_name
from pauseable_testing.harness import BackendHarness

#: The first-party backends, by kind: what the Bad input page's table is rendered for.
README_BACKENDS = {
    "aiokafka": "async",
    "confluent-kafka": "sync",
    "confluent-kafka-aio": "async",
    "kafka-python": "sync",
}
README_NAMES = {
    "t": "t",
    "nosuch": "nosuch",
    "installed": ", ".join(README_BACKENDS),
    "backend": "<backend>",
    "other": "<another backend>",
}


@dataclass
class Ctx:
    """What a row runs against: one backend's controllers (sync ones, or async ones run to completion)."""

    harness: BackendHarness
    #: a live controller, assigned ``t[0]`` only; bad input must leave it exactly so
    ctl: Any
    #: a controller closed through pauseable
    closed: Any
    #: a topic with two partitions
    t: str
    #: a topic name the cluster does not have
    nosuch: str

    def tp(self, partition: int = 0, topic: str | None = None) -> TopicPartition:
        return TopicPartition(topic or self.t, partition)

    def fresh(self) -> Any:
        """A throwaway controller assigned ``t[0]`` (for rows that close it)."""
        ctl = self.harness.controller(unique_name("g-bad-input"))  # a group: Rebuild commits before closing
        ctl.assign([self.tp()])
        return ctl

    @property
    def other_backend(self) -> str:
        """An installed backend that does not drive this backend's consumers."""
        return "confluent-kafka" if self.harness.name == "kafka-python" else "kafka-python"

    def names(self) -> dict[str, str]:
        installed = ", ".join(pauseable.backends())
        return {
            "t": self.t,
            "nosuch": self.nosuch,
            "installed": installed,
            "backend": self.harness.name,
            "other": self.other_backend,
        }

    def message_matches(self, case: Case, message: str) -> bool:
        """Whether ``message`` holds the parts of ``case.message`` ("…" between them), in order."""
        at = 0
        for part in case.message.format(**self.names()).split("…"):
            found = message.find(part.strip(), at)
            if found < 0:
                return False
            at = found + len(part.strip())
        return True


@dataclass(frozen=True)
class Case:
    """One bad input: ``run(ctx)`` makes the call shown as ``call``; it raises ``error`` with ``message``."""

    call: str
    run: Callable[[Ctx], object]
    #: None: not an error by contract (``message`` says what happens; ``returns`` checks the result)
    error: type[PauseableError] | None
    message: str
    #: "sync" / "async": the row applies to backends of that kind only
    only: str | None = None
    returns: Callable[[Any], bool] | None = None
    #: False: the row uses its own controller (the live one is not touched)
    live: bool = True

    def applies_to(self, is_async: bool) -> bool:
        return self.only is None or self.only == ("async" if is_async else "sync")


async def _async_factory() -> None:
    """A coroutine function: what an asyncio Rebuild factory looks like."""


async def _async_callback(partitions: list[TopicPartition]) -> None:
    """An async rebalance callback."""


_IAE, _IOE, _NAE, _UPE = InvalidArgumentError, InvalidOffsetError, NotAssignedError, UnknownPartitionError
_BUILD = "build them with pauseable.TopicPartition(topic, partition)"
_CONVERT = "convert native partitions with pauseable.TopicPartition(tp.topic, tp.partition)"
_TIMEOUT = "timeout must be a finite number of seconds >= 0"
_MAX = "max_records must be an int >= 1"
_SECONDS = "for_seconds must be a finite number of seconds >= 0 or a Backoff"
_NOT_ASSIGNED = "not assigned to this consumer (assigned: {t}[0]); subscribe or assign first"
_NO_TOPIC = "the cluster has no topic '{nosuch}'; check the name, or create the topic first"
_NO_PARTITION = "topic '{t}' has 2 partition(s), {t}[0] to {t}[1]; use one of those, or add partitions"
_CLOSED = "consumer is closed; create a new consumer"
_STRATEGY = "takes a skip strategy such as pauseable.SeekToEnd()"


def _c(call: str, run: Callable[[Ctx], object], error: type[PauseableError] | None, message: str, **kw: Any) -> Case:
    return Case(call, run, error, message, **kw)


CASES: tuple[Case, ...] = (
    # -- partitions of the wrong type --------------------------------------------------------
    _c('ctl.pause("t")', lambda c: c.ctl.pause(c.t), _IAE, f"got str; {_BUILD}"),
    _c("ctl.pause(0)", lambda c: c.ctl.pause(0), _IAE, f"got int; {_BUILD}"),
    _c("ctl.pause(None)", lambda c: c.ctl.pause(None), _IAE, f"got NoneType; {_BUILD}"),
    _c('ctl.pause({TopicPartition("t", 0): 5})', lambda c: c.ctl.pause({c.tp(): 5}), _IAE, f"got dict; {_BUILD}"),
    _c('ctl.pause([("t", 0)])', lambda c: c.ctl.pause([(c.t, 0)]), _IAE, f"got tuple (('{{t}}', 0)); {_CONVERT}"),
    _c('ctl.pause([["t", 0]])', lambda c: c.ctl.pause([[c.t, 0]]), _IAE, f"got list (['{{t}}', 0]); {_CONVERT}"),
    _c('ctl.resume("t")', lambda c: c.ctl.resume(c.t), _IAE, f"got str; {_BUILD}"),
    _c('ctl.seek("t", 0)', lambda c: c.ctl.seek(c.t, 0), _IAE, f"got str ('{{t}}'); {_CONVERT}"),
    _c("ctl.position(None)", lambda c: c.ctl.position(None), _IAE, f"got NoneType (None); {_CONVERT}"),
    _c(
        'ctl.position([TopicPartition("t", 0)])',
        lambda c: c.ctl.position([c.tp()]),
        _IAE,
        f"expected pauseable.TopicPartition, got list (… {_CONVERT}",
    ),
    _c("ctl.committed([0])", lambda c: c.ctl.committed([0]), _IAE, f"got int (0); {_CONVERT}"),
    _c('ctl.end_offsets("t")', lambda c: c.ctl.end_offsets(c.t), _IAE, f"got str; {_BUILD}"),
    _c("ctl.seek_to_end(0)", lambda c: c.ctl.seek_to_end(0), _IAE, f"got int; {_BUILD}"),
    _c('ctl.assign("t")', lambda c: c.ctl.assign(c.t), _IAE, f"got str; {_BUILD}"),
    _c(
        'ctl.offsets_for_times([TopicPartition("t", 0)])',
        lambda c: c.ctl.offsets_for_times([c.tp()]),
        _IAE,
        "expected a mapping TopicPartition -> timestamp (ms), got list",
    ),
    _c(
        'ctl.offsets_for_times({"t": 0})',
        lambda c: c.ctl.offsets_for_times({c.t: 0}),
        _IAE,
        f"got str ('{{t}}'); {_CONVERT}",
    ),
    _c(
        'ctl.commit([TopicPartition("t", 0)])',
        lambda c: c.ctl.commit([c.tp()]),
        _IAE,
        "expected a mapping TopicPartition -> offset, got list",
    ),
    # -- topic names -------------------------------------------------------------------------
    _c(
        "ctl.pause_topics(None)",
        lambda c: c.ctl.pause_topics(None),
        _IAE,
        "expected a topic name or an iterable of them, got NoneType",
    ),
    _c('ctl.pause_topics([""])', lambda c: c.ctl.pause_topics([""]), _IAE, "a topic name must be a non-empty str"),
    _c(
        'ctl.pause_topics("no such topic!")',
        lambda c: c.ctl.pause_topics("no such topic!"),
        _IAE,
        "'no such topic!' can never be a Kafka topic name: use 1 to 249 of the characters a-z A-Z 0-9 . _ -",
    ),
    _c("ctl.resume_topics([0])", lambda c: c.ctl.resume_topics([0]), _IAE, "a topic name must be a non-empty str"),
    _c('ctl.subscribe(b"t")', lambda c: c.ctl.subscribe(b"t"), _IAE, 'got bytes; pass e.g. "orders"'),
    # -- TopicPartition ----------------------------------------------------------------------
    _c('TopicPartition("", 0)', lambda c: TopicPartition("", 0), _IAE, "a topic name must be a non-empty str"),
    _c("TopicPartition(None, 0)", lambda c: TopicPartition(None, 0), _IAE, "a topic name must be a non-empty str"),  # type: ignore[arg-type]
    _c('TopicPartition("a b", 0)', lambda c: TopicPartition("a b", 0), _IAE, "can never be a Kafka topic name"),
    _c(
        'TopicPartition("t", -1)',
        lambda c: TopicPartition(c.t, -1),
        _IAE,
        "partition must be an int from 0 to 2147483647 (Kafka's int32), got -1",
    ),
    _c('TopicPartition("t", 2**31)', lambda c: TopicPartition(c.t, 2**31), _IAE, "(Kafka's int32), got 2147483648"),
    _c('TopicPartition("t", "0")', lambda c: TopicPartition(c.t, "0"), _IAE, "partition must be an int >= 0, got str"),  # type: ignore[arg-type]
    _c('TopicPartition("t", 1.0)', lambda c: TopicPartition(c.t, 1.0), _IAE, "an int >= 0, got float"),  # type: ignore[arg-type]
    _c('TopicPartition("t", True)', lambda c: TopicPartition(c.t, True), _IAE, "an int >= 0, got bool"),
    # -- offsets -----------------------------------------------------------------------------
    _c(
        'ctl.seek(TopicPartition("t", 0), "5")',
        lambda c: c.ctl.seek(c.tp(), "5"),
        _IAE,
        "offset must be Offset.BEGINNING, Offset.END or an int >= 0, got str",
    ),
    _c('ctl.seek(TopicPartition("t", 0), 5.0)', lambda c: c.ctl.seek(c.tp(), 5.0), _IAE, "or an int >= 0, got float"),
    _c('ctl.seek(TopicPartition("t", 0), True)', lambda c: c.ctl.seek(c.tp(), True), _IAE, "or an int >= 0, got bool"),
    _c(
        'ctl.seek(TopicPartition("t", 0), -5)',
        lambda c: c.ctl.seek(c.tp(), -5),
        _IOE,
        "offset must be >= 0, got -5; use Offset.BEGINNING or Offset.END for the log's ends",
    ),
    _c(
        'ctl.seek(TopicPartition("t", 0), 2**63)',
        lambda c: c.ctl.seek(c.tp(), 2**63),
        _IOE,
        "offset must be <= 9223372036854775807 (Kafka's int64)",
    ),
    _c(
        'ctl.commit({TopicPartition("t", 0): -1})',
        lambda c: c.ctl.commit({c.tp(): -1}),
        _IOE,
        "offset must be >= 0, got -1",
    ),
    _c(
        'ctl.commit({TopicPartition("t", 0): Offset.END})',
        lambda c: c.ctl.commit({c.tp(): Offset.END}),
        _IOE,
        "<Offset.END: -1> is not allowed here; pass an absolute offset >= 0",
    ),
    _c(
        "ctl.commit({})",
        lambda c: c.ctl.commit({}),
        None,
        "no error: an empty mapping commits nothing (aiokafka's own commit raises ValueError for it)",
        returns=lambda r: r is None,
    ),
    _c(
        'ctl.commit({TopicPartition("t", 0): "5"})',
        lambda c: c.ctl.commit({c.tp(): "5"}),
        _IAE,
        "offset must be an int >= 0, got str",
    ),
    _c(
        "Offset(5)",
        lambda c: Offset(5),
        _IOE,
        "5 is not an Offset: the named offsets are Offset.BEGINNING and Offset.END; pass an absolute offset as",
    ),
    # -- timestamps --------------------------------------------------------------------------
    _c(
        'ctl.offsets_for_times({TopicPartition("t", 0): -1})',
        lambda c: c.ctl.offsets_for_times({c.tp(): -1}),
        _IOE,
        "timestamp must be from 0 to 9223372036854775807 ms since the epoch",
    ),
    _c(
        'ctl.offsets_for_times({TopicPartition("t", 0): 1.7e12})',
        lambda c: c.ctl.offsets_for_times({c.tp(): 1.7e12}),
        _IAE,
        "timestamps are int milliseconds since the epoch, got float (1700000000000.0); e.g. int(time.time() * 1000)",
    ),
    _c(
        'ctl.offsets_for_times({TopicPartition("t", 0): Offset.END})',
        lambda c: c.ctl.offsets_for_times({c.tp(): Offset.END}),
        _IOE,
        "<Offset.END: -1> is an offset, not a timestamp",
    ),
    # -- poll --------------------------------------------------------------------------------
    _c("ctl.poll(-1)", lambda c: c.ctl.poll(-1), _IAE, f"{_TIMEOUT}, got -1"),
    _c('ctl.poll(float("nan"))', lambda c: c.ctl.poll(float("nan")), _IAE, f"{_TIMEOUT}, got nan"),
    _c(
        'ctl.poll(float("inf"))',
        lambda c: c.ctl.poll(float("inf")),
        _IAE,
        f"{_TIMEOUT}, got inf; poll in a loop to wait longer",
    ),
    _c('ctl.poll("1")', lambda c: c.ctl.poll("1"), _IAE, f"{_TIMEOUT}, got '1'"),
    _c("ctl.poll(0, 0)", lambda c: c.ctl.poll(0, 0), _IAE, f"{_MAX}, got 0; e.g. 500"),
    _c("ctl.poll(0, -5)", lambda c: c.ctl.poll(0, -5), _IAE, f"{_MAX}, got -5"),
    _c("ctl.poll(0, True)", lambda c: c.ctl.poll(0, True), _IAE, f"{_MAX}, got True"),
    _c("ctl.poll(0, 2.5)", lambda c: c.ctl.poll(0, 2.5), _IAE, f"{_MAX}, got 2.5"),
    _c(
        "ctl.poll(0, 10**9)",
        lambda c: c.ctl.poll(0, 10**9),
        None,
        "no error: up to max_records records (confluent-kafka's limit of 1,000,000 a call is applied for you)",
        returns=lambda records: isinstance(records, list),
    ),
    # -- timed pauses ------------------------------------------------------------------------
    _c(
        'ctl.pause(TopicPartition("t", 0), for_seconds=-1)',
        lambda c: c.ctl.pause(c.tp(), for_seconds=-1),
        _IAE,
        f"{_SECONDS}, got -1; omit it to pause until resume()",
    ),
    _c(
        'ctl.pause(TopicPartition("t", 0), for_seconds=float("nan"))',
        lambda c: c.ctl.pause(c.tp(), for_seconds=float("nan")),
        _IAE,
        f"{_SECONDS}, got nan",
    ),
    _c(
        'ctl.pause(TopicPartition("t", 0), for_seconds=float("inf"))',
        lambda c: c.ctl.pause(c.tp(), for_seconds=float("inf")),
        _IAE,
        f"{_SECONDS}, got inf",
    ),
    _c(
        'ctl.pause(TopicPartition("t", 0), for_seconds="30")',
        lambda c: c.ctl.pause(c.tp(), for_seconds="30"),
        _IAE,
        f"{_SECONDS}, got '30'",
    ),
    _c(
        'ctl.pause(TopicPartition("t", 0), for_seconds=Backoff(first=0))',
        lambda c: c.ctl.pause(c.tp(), for_seconds=Backoff(first=0)),
        _IAE,
        "Backoff needs first > 0, factor >= 1 and longest >= first; got first=0",
    ),
    _c(
        'ctl.pause(TopicPartition("t", 0), for_seconds=Backoff(reset_after=-1))',
        lambda c: c.ctl.pause(c.tp(), for_seconds=Backoff(reset_after=-1)),
        _IAE,
        "Backoff reset_after must be >= 0 seconds, got -1",
    ),
    _c(
        'ctl.pause(TopicPartition("t", 0), then=SeekToEnd())',
        lambda c: c.ctl.pause(c.tp(), then=SeekToEnd()),
        _IAE,
        "then= is the strategy of a timed pause and needs for_seconds=; pass both, or pass the strategy to resume()",
    ),
    _c(
        'ctl.pause(TopicPartition("t", 0), for_seconds=30, then=SeekToEnd)',
        lambda c: c.ctl.pause(c.tp(), for_seconds=30, then=SeekToEnd),
        _IAE,
        "then= takes a strategy object: SeekToEnd(), not the class SeekToEnd",
    ),
    _c(
        'ctl.pause(TopicPartition("t", 0), for_seconds=30, then="seek-to-end")',
        lambda c: c.ctl.pause(c.tp(), for_seconds=30, then="seek-to-end"),
        _IAE,
        f"then= {_STRATEGY}, got str ('seek-to-end')",
    ),
    # -- skip strategies ---------------------------------------------------------------------
    _c(
        'ctl.resume(TopicPartition("t", 0), "seek-to-end")',
        lambda c: c.ctl.resume(c.tp(), "seek-to-end"),
        _IAE,
        f"strategy= {_STRATEGY}, got str",
    ),
    _c(
        'ctl.resume(TopicPartition("t", 0), SeekToEnd)',
        lambda c: c.ctl.resume(c.tp(), SeekToEnd),
        _IAE,
        "strategy= takes a strategy object: SeekToEnd(), not the class SeekToEnd",
    ),
    _c('ctl.resume_topics("t", strategy=5)', lambda c: c.ctl.resume_topics(c.t, strategy=5), _IAE, f"{_STRATEGY}"),
    _c('SeekToEnd(commit="no")', lambda c: SeekToEnd(commit="no"), _IAE, "SeekToEnd(commit=...) takes True or False"),  # type: ignore[arg-type]
    _c(
        "Rebuild()",
        lambda c: Rebuild(),
        _IAE,
        "Rebuild needs a factory that builds the new consumer, e.g. Rebuild(lambda: KafkaConsumer(...))",
    ),
    _c("Rebuild(5)", lambda c: Rebuild(5), _IAE, "Rebuild's factory must be a callable that builds the new consumer"),  # type: ignore[arg-type]
    _c(
        'ctl.resume(TopicPartition("t", 0), Rebuild(lambda: "oops"))',
        lambda c: c.fresh().resume(c.tp(), Rebuild(lambda: "oops")),
        _IAE,
        "Rebuild's factory returned a builtins.str, not a … make it return the new native consumer. The old "
        "consumer is closed (its positions committed): create a new controller",
        live=False,
    ),
    _c(
        'ctl.resume(TopicPartition("t", 0), Rebuild(async_factory))',
        lambda c: c.fresh().resume(c.tp(), Rebuild(_async_factory)),
        _IAE,
        "Rebuild's factory returned a builtins.coroutine, not a … a synchronous Controller calls it without "
        "awaiting: pass a plain function",
        only="sync",
        live=False,
    ),
    _c(
        'ctl.resume(TopicPartition("t", 0))  # not paused',
        lambda c: c.ctl.resume(c.tp()),
        None,
        "no error: a no-op by contract (an empty SkipReport); resuming is idempotent",
        returns=lambda report: report.ranges == {} and report.skipped == 0,
    ),
    # -- partitions not assigned, or not in the cluster --------------------------------------
    _c(
        'ctl.pause(TopicPartition("t", 1))',
        lambda c: c.ctl.pause(c.tp(1)),
        _NAE,
        f"cannot pause {{t}}[1]: {_NOT_ASSIGNED}",
    ),
    _c(
        'ctl.pause([TopicPartition("t", 0), TopicPartition("t", 1)])',
        lambda c: c.ctl.pause([c.tp(0), c.tp(1)]),
        _NAE,
        "cannot pause {t}[1]: not assigned",
    ),
    _c(
        'ctl.resume(TopicPartition("t", 1))',
        lambda c: c.ctl.resume(c.tp(1)),
        _NAE,
        f"cannot resume {{t}}[1]: {_NOT_ASSIGNED}",
    ),
    _c(
        'ctl.seek(TopicPartition("t", 1), 0)',
        lambda c: c.ctl.seek(c.tp(1), 0),
        _NAE,
        f"cannot seek {{t}}[1]: {_NOT_ASSIGNED}",
    ),
    _c(
        'ctl.position(TopicPartition("t", 1))',
        lambda c: c.ctl.position(c.tp(1)),
        _NAE,
        f"cannot read the position of {{t}}[1]: {_NOT_ASSIGNED}",
    ),
    _c(
        'ctl.seek_to_end([TopicPartition("t", 1)])',
        lambda c: c.ctl.seek_to_end([c.tp(1)]),
        _NAE,
        f"cannot seek to the end of {{t}}[1]: {_NOT_ASSIGNED}",
    ),
    _c(
        'ctl.commit({TopicPartition("t", 1): 0})',
        lambda c: c.ctl.commit({c.tp(1): 0}),
        _NAE,
        f"cannot commit {{t}}[1]: {_NOT_ASSIGNED}",
    ),
    _c(
        'ctl.committed(TopicPartition("t", 1))',
        lambda c: c.ctl.committed(c.tp(1)),
        None,
        "no error: answered for partitions not assigned ({t}[1]: None, nothing committed); "
        "so are end_offsets and offsets_for_times",
        returns=lambda found: list(found.values()) == [None],
    ),
    _c(
        'ctl.pause(TopicPartition("nosuch", 0))',
        lambda c: c.ctl.pause(c.tp(0, c.nosuch)),
        _NAE,
        f"cannot pause {{nosuch}}[0]: {_NOT_ASSIGNED}",
    ),
    _c(
        'ctl.resume(TopicPartition("nosuch", 0))',
        lambda c: c.ctl.resume(c.tp(0, c.nosuch)),
        _NAE,
        f"cannot resume {{nosuch}}[0]: {_NOT_ASSIGNED}",
    ),
    _c(
        'ctl.seek(TopicPartition("nosuch", 0), 0)',
        lambda c: c.ctl.seek(c.tp(0, c.nosuch), 0),
        _NAE,
        f"cannot seek {{nosuch}}[0]: {_NOT_ASSIGNED}",
    ),
    _c(
        'ctl.position(TopicPartition("nosuch", 0))',
        lambda c: c.ctl.position(c.tp(0, c.nosuch)),
        _NAE,
        "cannot read the position of {nosuch}[0]: not assigned",
    ),
    _c(
        'ctl.commit({TopicPartition("nosuch", 0): 0})',
        lambda c: c.ctl.commit({c.tp(0, c.nosuch): 0}),
        _NAE,
        "cannot commit {nosuch}[0]: not assigned",
    ),
    _c(
        'ctl.committed(TopicPartition("nosuch", 0))',
        lambda c: c.ctl.committed(c.tp(0, c.nosuch)),
        _UPE,
        f"cannot read the committed offset of {{nosuch}}[0]: {_NO_TOPIC}",
    ),
    _c(
        'ctl.end_offsets(TopicPartition("nosuch", 0))',
        lambda c: c.ctl.end_offsets(c.tp(0, c.nosuch)),
        _UPE,
        f"cannot read the end offset of {{nosuch}}[0]: {_NO_TOPIC}",
    ),
    _c(
        'ctl.offsets_for_times({TopicPartition("nosuch", 0): 0})',
        lambda c: c.ctl.offsets_for_times({c.tp(0, c.nosuch): 0}),
        _UPE,
        f"cannot look up offsets for times in {{nosuch}}[0]: {_NO_TOPIC}",
    ),
    _c(
        'ctl.committed(TopicPartition("t", 7))',
        lambda c: c.ctl.committed(c.tp(7)),
        _UPE,
        f"cannot read the committed offset of {{t}}[7]: {_NO_PARTITION}",
    ),
    _c(
        'ctl.end_offsets(TopicPartition("t", 7))',
        lambda c: c.ctl.end_offsets(c.tp(7)),
        _UPE,
        f"cannot read the end offset of {{t}}[7]: {_NO_PARTITION}",
    ),
    _c(
        'ctl.offsets_for_times({TopicPartition("t", 7): 0})',
        lambda c: c.ctl.offsets_for_times({c.tp(7): 0}),
        _UPE,
        f"cannot look up offsets for times in {{t}}[7]: {_NO_PARTITION}",
    ),
    _c(
        'ctl.seek(TopicPartition("t", 7), 0)',
        lambda c: c.ctl.seek(c.tp(7), 0),
        _NAE,
        f"cannot seek {{t}}[7]: {_NOT_ASSIGNED}",
    ),
    # -- a closed controller -----------------------------------------------------------------
    *(
        _c(f"closed.{call}", run, ConsumerClosedError, f"cannot {op}: the {{backend}} {_CLOSED}")
        for call, run, op in (
            ('pause(TopicPartition("t", 0))', lambda c: c.closed.pause(c.tp()), "pause"),
            ('resume(TopicPartition("t", 0))', lambda c: c.closed.resume(c.tp()), "resume"),
            ('pause_topics("t")', lambda c: c.closed.pause_topics(c.t), "pause topics"),
            ('resume_topics("t")', lambda c: c.closed.resume_topics(c.t), "resume topics"),
            ('seek(TopicPartition("t", 0), 0)', lambda c: c.closed.seek(c.tp(), 0), "seek"),
            ("seek_to_end()", lambda c: c.closed.seek_to_end(), "seek to the end"),
            ('position(TopicPartition("t", 0))', lambda c: c.closed.position(c.tp()), "read the position"),
            ('committed(TopicPartition("t", 0))', lambda c: c.closed.committed(c.tp()), "read committed offsets"),
            ('end_offsets(TopicPartition("t", 0))', lambda c: c.closed.end_offsets(c.tp()), "read end offsets"),
            (
                'offsets_for_times({TopicPartition("t", 0): 0})',
                lambda c: c.closed.offsets_for_times({c.tp(): 0}),
                "look up offsets for times",
            ),
            ("commit()", lambda c: c.closed.commit(), "commit"),
            ("poll(0)", lambda c: c.closed.poll(0), "poll"),
            ("assignment()", lambda c: c.closed.assignment(), "read the assignment"),
            ("paused()", lambda c: c.closed.paused(), "read the paused partitions"),
            ('subscribe("t")', lambda c: c.closed.subscribe(c.t), "subscribe"),
            ('assign([TopicPartition("t", 0)])', lambda c: c.closed.assign([c.tp()]), "assign"),
        )
    ),
    _c(
        "closed.close()",
        lambda c: c.closed.close(),
        None,
        "no error: closing again does nothing",
        returns=lambda r: r is None,
    ),
    # -- backends ----------------------------------------------------------------------------
    _c(
        'pauseable.get_backend("nope")',
        lambda c: pauseable.get_backend("nope"),
        UnknownBackendError,
        "no backend 'nope' is installed (install the plugin that provides it); installed backends: {installed}",
    ),
    _c(
        'pauseable.get_backend(["kafka-python"])',
        lambda c: pauseable.get_backend(["kafka-python"]),  # type: ignore[arg-type]
        _IAE,
        "a backend name is a str, got list (['kafka-python']); installed backends: {installed}",
    ),
    _c(
        'pauseable.controller({"bootstrap.servers": "x"})',
        lambda c: pauseable.controller({"bootstrap.servers": "x"}),
        UnknownBackendError,
        "no installed backend drives a builtins.dict; installed backends: aiokafka (aiokafka.AIOKafkaConsumer), "
        "… Pass a consumer of one of those, or install an adapter",
    ),
    _c(
        'pauseable.controller(consumer, backend="nope")',
        lambda c: pauseable.controller(c.ctl.consumer, backend="nope"),
        UnknownBackendError,
        "no backend 'nope' is installed",
    ),
    _c(
        'pauseable.controller(consumer, backend="<another backend>")',
        lambda c: pauseable.controller(c.ctl.consumer, backend=c.other_backend),
        UnknownBackendError,
        "the backend '{other}' drives … not a … omit backend= to pick the one that does",
    ),
    # -- sync and async mixed up -------------------------------------------------------------
    _c(
        "pauseable.controller(asyncio_consumer)",
        lambda c: pauseable.controller(c.ctl.consumer),
        _IAE,
        "… is an asyncio consumer: use pauseable.async_controller(consumer)",
        only="async",
    ),
    _c(
        "pauseable.async_controller(sync_consumer)",
        lambda c: pauseable.async_controller(c.ctl.consumer),
        _IAE,
        "… is a synchronous consumer: use pauseable.controller(consumer)",
        only="sync",
    ),
    _c(
        'ctl.subscribe("t", on_assigned=async_callback)',
        lambda c: c.ctl.subscribe(c.t, on_assigned=_async_callback),
        _IAE,
        "on_assigned= is a coroutine function, but a synchronous Controller cannot await it; pass a plain function",
        only="sync",
    ),
    _c(
        'ctl.subscribe("t", on_revoked=5)',
        lambda c: c.ctl.subscribe(c.t, on_revoked=5),
        _IAE,
        "on_revoked= takes a function of the list of partitions, got int",
    ),
)


def render() -> str:
    """The "Bad input" page's table: call, error, what the message says (placeholders as the page shows them)."""
    lines = ["| call | error | the message says |", "|---|---|---|"]
    for case in CASES:
        error = f"`{case.error.__name__}`" if case.error else "none"
        message = case.message.format(**README_NAMES).replace("|", "\\|")
        scope = f" ({case.only} backends)" if case.only else ""
        lines.append(f"| `{case.call}`{scope} | {error} | {message} |")
    runs = sum(case.only in (None, kind) for case in CASES for kind in README_BACKENDS.values())
    lines.append("")
    lines.append(
        f"{len(CASES)} calls; `tests/test_bad_input.py` runs each on every backend it applies to: {runs} runs."
    )
    return "\n".join(lines)


if __name__ == "__main__":
    print(render())
