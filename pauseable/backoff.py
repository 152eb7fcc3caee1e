"""Exponential back-off for repeated timed pauses: ``pause(tps, for_seconds=Backoff(...))``."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from pauseable.errors import InvalidArgumentError
from pauseable.types import TopicPartition


@dataclass
class Backoff:
    """Pause durations that grow while a partition keeps being paused again.

    The first pause of a partition lasts ``first`` seconds; each pause that starts within
    ``reset_after`` seconds of the previous one's end lasts ``factor`` times longer, up to ``longest``.
    A partition that stays unpaused longer than ``reset_after`` starts again at ``first``. Keep one
    ``Backoff`` per reason to pause (e.g. one per downstream service) and pass it to every such pause.
    """

    first: float = 1.0
    factor: float = 2.0
    longest: float = 60.0
    #: how long unpaused before the streak ends (default: ``longest``)
    reset_after: float | None = None
    _streaks: dict[TopicPartition, tuple[int, float]] = field(default_factory=dict, init=False, repr=False)

    def __post_init__(self) -> None:
        for name in ("first", "factor", "longest", "reset_after"):
            value = getattr(self, name)
            if name == "reset_after" and value is None:
                continue
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
                raise InvalidArgumentError(f"Backoff {name} must be a finite number of seconds, got {value!r}")
        if self.first <= 0 or self.factor < 1 or self.longest < self.first:
            raise InvalidArgumentError(
                f"Backoff needs first > 0, factor >= 1 and longest >= first; got first={self.first}, "
                f"factor={self.factor}, longest={self.longest}"
            )
        if self.reset_after is not None and self.reset_after < 0:
            raise InvalidArgumentError(f"Backoff reset_after must be >= 0 seconds, got {self.reset_after}")

    def next(self, partition: TopicPartition, now: float) -> float:
        """The duration of a pause of ``partition`` starting at ``now`` (time.monotonic()), and count it."""
        streak, ends = self._streaks.get(partition, (0, -math.inf))
        reset_after = self.longest if self.reset_after is None else self.reset_after
        if now - ends > reset_after:
            streak = 0
        seconds = min(self.longest, self.first * self.factor**streak)
        self._streaks[partition] = (streak + 1, now + seconds)
        return seconds

    def streak(self, partition: TopicPartition) -> int:
        """How many pauses in a row ``partition`` has had (0: none yet)."""
        return self._streaks.get(partition, (0, 0.0))[0]
