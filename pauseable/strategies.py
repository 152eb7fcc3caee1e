"""Skip strategies: what to do, at resume, with records produced while a partition was paused.

A strategy only decides. It receives the facts the controller gathered for each partition
(:class:`ResumeFacts`) and returns a :class:`Step` per partition; the sync and async controllers
execute the steps, so each strategy is written once.

=================  ==============================================================  ==================
strategy           skips                                                           costs
=================  ==============================================================  ==================
``Continue``       nothing (every client's native behaviour)                       nothing
``SeekToEnd``      everything not yet delivered: the pre-pause backlog too          one offset lookup
``DiscardUntil``   the same range, by consuming and dropping it                    fetches every byte
``SkipPauseWindow``only what was produced while paused (by record timestamp)       two offset lookups
=================  ==============================================================  ==================

``SkipPauseWindow`` finds the first offset whose timestamp is at or after the pause instant with
``offsets_for_times``. It relies on record timestamps: producers set ``CreateTime`` (their own clock;
a skewed producer clock moves records into or out of the window, and a record stamped in the same
millisecond as the pause counts as inside it), while topics with ``LogAppendTime`` use the broker's
clock, which is exact. Everything at or after the window's first offset up to the end offset at
resume is skipped, so a late record stamped before the pause but written during it is skipped too;
nothing outside ``[window start, end)`` is.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, ClassVar, Protocol

from pauseable.errors import InvalidArgumentError
from pauseable.types import TopicPartition


@dataclass(frozen=True, slots=True)
class ResumeFacts:
    """What the controller knows about one partition at resume."""

    partition: TopicPartition
    #: the next offset the application would get without skipping
    position: int
    #: the offset the next produced record will get, at resume (when the strategy asked for it)
    end: int | None
    #: first offset with a timestamp at or after the pause instant, or None if there is none
    #: (when the strategy asked for it)
    window_start: int | None
    #: when the partition was paused, in ms since the epoch (None if it was not paused)
    paused_at_ms: int | None


@dataclass(frozen=True, slots=True)
class Step:
    """What to do for one partition: skip ``[skip_from, skip_to)``, by seeking or by discarding."""

    #: first offset skipped (inclusive)
    skip_from: int
    #: end of the skipped range (exclusive); equal to skip_from when nothing is skipped
    skip_to: int
    #: True: drop the range as it is fetched (pays the bandwidth); False: seek past it
    discard: bool = False

    @property
    def skips(self) -> bool:
        return self.skip_to > self.skip_from


class SkipStrategy(Protocol):
    """Decides, from facts alone, what to skip for each resumed partition."""

    #: the strategy's name in reports and on the command line
    name: ClassVar[str]
    #: why its ranges are skipped, for the report
    reason: ClassVar[str]
    #: whether the controller must look up the end offsets / the pause window before planning
    needs_end: ClassVar[bool]
    needs_window: ClassVar[bool]

    def plan(self, facts: ResumeFacts) -> Step:
        """What to skip of one resumed partition, from ``facts`` alone (no I/O): an empty step skips nothing."""
        ...


@dataclass(frozen=True)
class Continue(SkipStrategy):
    """Skip nothing: delivery continues at the next offset."""

    name: ClassVar[str] = "continue"
    reason: ClassVar[str] = "nothing skipped"
    needs_end: ClassVar[bool] = False
    needs_window: ClassVar[bool] = False

    def plan(self, facts: ResumeFacts) -> Step:
        return Step(facts.position, facts.position)


@dataclass(frozen=True)
class SeekToEnd(SkipStrategy):
    """Seek to the end offsets resolved at resume: skips the whole backlog, pre-pause records too.

    ``commit=True`` also commits the new positions, so a restart does not deliver them either.
    """

    commit: bool = False
    name: ClassVar[str] = "seek-to-end"
    reason: ClassVar[str] = "not delivered before resume: sought past, to the end offset at resume"
    needs_end: ClassVar[bool] = True
    needs_window: ClassVar[bool] = False

    def __post_init__(self) -> None:
        if not isinstance(self.commit, bool):  # commit="no" would be truthy, and commit
            raise InvalidArgumentError(f"SeekToEnd(commit=...) takes True or False, got {self.commit!r}")

    def plan(self, facts: ResumeFacts) -> Step:
        assert facts.end is not None
        return Step(facts.position, max(facts.position, facts.end))


@dataclass(frozen=True)
class DiscardUntil(SkipStrategy):
    """Consume and drop every record below the end offsets resolved at resume (exact, pays bandwidth)."""

    name: ClassVar[str] = "discard-until"
    reason: ClassVar[str] = "not delivered before resume: fetched and dropped, up to the end offset at resume"
    needs_end: ClassVar[bool] = True
    needs_window: ClassVar[bool] = False

    def plan(self, facts: ResumeFacts) -> Step:
        assert facts.end is not None
        return Step(facts.position, max(facts.position, facts.end), discard=True)


@dataclass(frozen=True)
class SkipPauseWindow(SkipStrategy):
    """Deliver the pre-pause backlog, skip what was produced while paused (by record timestamp)."""

    name: ClassVar[str] = "skip-pause-window"
    reason: ClassVar[str] = "produced while paused: timestamp at or after the pause instant"
    needs_end: ClassVar[bool] = True
    needs_window: ClassVar[bool] = True

    def plan(self, facts: ResumeFacts) -> Step:
        assert facts.end is not None
        if facts.paused_at_ms is None or facts.window_start is None:
            return Step(facts.position, facts.position)  # not paused, or nothing produced since
        start = min(max(facts.window_start, facts.position), facts.end)
        return Step(start, facts.end)


def _no_factory() -> Any:
    """Rebuild's default factory: a marker that Rebuild() was given none (rejected on construction)."""
    raise AssertionError("unreachable: Rebuild rejects a missing factory when it is made")


@dataclass(frozen=True)
class Rebuild(SkipStrategy):
    """Close the consumer and build a new one with ``factory``, positioned past the backlog.

    The end offsets resolved at resume are committed for the resumed partitions (and the current
    positions for the others), the old consumer is closed, ``factory()`` makes the new one (a
    coroutine function for async backends, returning it started), and the controller subscribes
    or assigns it as before and goes on with it. Slow (the group rebalances twice); it exists to
    compare with, and for clients whose seek cannot be trusted.

    Nothing the controller delivered comes again: the commit covers every assigned partition with a
    known position and is read back before the old consumer is closed. If the commit fails or did not
    stick, :class:`~pauseable.ResumeError` is raised with the old consumer still open and the
    partitions still paused. If ``factory`` fails, the controller is left closed.
    """

    # The default only lets Rebuild() reach __post_init__, which names the fix (a bare TypeError would not).
    factory: Callable[[], Any] = field(default=_no_factory, repr=False)
    name: ClassVar[str] = "rebuild"
    reason: ClassVar[str] = "not delivered before resume: committed past, then the consumer was rebuilt"
    needs_end: ClassVar[bool] = True
    needs_window: ClassVar[bool] = False

    def __post_init__(self) -> None:
        if self.factory is _no_factory:
            raise InvalidArgumentError(
                "Rebuild needs a factory that builds the new consumer, e.g. Rebuild(lambda: KafkaConsumer(...)) "
                "(for an asyncio client, a coroutine function returning it started)"
            )
        if not callable(self.factory):
            raise InvalidArgumentError(
                f"Rebuild's factory must be a callable that builds the new consumer, got "
                f"{type(self.factory).__name__} ({self.factory!r}); e.g. Rebuild(lambda: KafkaConsumer(...))"
            )

    def plan(self, facts: ResumeFacts) -> Step:
        assert facts.end is not None
        return Step(facts.position, max(facts.position, facts.end))


#: The built-in strategies that need no arguments, by name, for the CLI and configuration.
STRATEGIES: dict[str, type[SkipStrategy]] = {
    cls.name: cls for cls in (Continue, SeekToEnd, DiscardUntil, SkipPauseWindow)
}
#: Every built-in strategy's name, Rebuild (which needs a consumer factory) last.
ALL_STRATEGIES: tuple[str, ...] = (*STRATEGIES, Rebuild.name)
