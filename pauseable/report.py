"""The :class:`SkipReport` every resume returns: per partition, the offsets skipped and why."""

from __future__ import annotations

from dataclasses import dataclass, field

from pauseable.types import TopicPartition


@dataclass
class SkippedRange:
    """The half-open range ``[start, end)`` of one partition that will never be delivered."""

    partition: TopicPartition
    start: int
    end: int
    strategy: str
    reason: str
    #: records (and their key+value bytes) fetched and dropped to get past the range; for ranges
    #: skipped by discarding these grow as the consumer polls, until ``done``
    records_fetched: int = 0
    bytes_fetched: int = 0
    #: True once the consumer is past the range (at once for a seek; after draining for a discard)
    done: bool = False

    @property
    def count(self) -> int:
        """How many offsets the range spans. On a transactional topic some are control markers and aborted
        records, so fewer records may lie in it (``records_fetched`` counts those a discard saw)."""
        return self.end - self.start

    def __contains__(self, offset: object) -> bool:
        return isinstance(offset, int) and self.start <= offset < self.end


@dataclass
class SkipReport:
    """What one resume skipped, partition by partition."""

    strategy: str
    #: every partition resumed, skipping or not
    resumed: tuple[TopicPartition, ...]
    #: the partitions where something is skipped
    ranges: dict[TopicPartition, SkippedRange] = field(default_factory=dict)
    #: seconds the resume took (offset lookups, seeks, the resume itself)
    took_s: float = 0.0

    @property
    def skipped(self) -> int:
        """How many offsets are skipped in all (offsets, not records: see :attr:`SkippedRange.count`)."""
        return sum(r.count for r in self.ranges.values())

    @property
    def complete(self) -> bool:
        """True when the consumer is past every skipped range."""
        return all(r.done for r in self.ranges.values())

    def is_skipped(self, partition: TopicPartition, offset: int) -> bool:
        """Whether ``offset`` of ``partition`` is inside a skipped range."""
        skipped = self.ranges.get(partition)
        return skipped is not None and offset in skipped

    def __str__(self) -> str:
        if not self.ranges:
            return f"{self.strategy}: resumed {len(self.resumed)} partition(s), skipped nothing"
        parts = ", ".join(f"{tp} [{r.start}, {r.end})" for tp, r in sorted(self.ranges.items()))
        dropped = sum(r.records_fetched for r in self.ranges.values())
        fetched = f"; {dropped} record(s) fetched and dropped" if dropped else ""
        head = f"{self.strategy}: resumed {len(self.resumed)} partition(s), skipped {self.skipped} offset(s)"
        return f"{head}: {parts}{fetched}"
