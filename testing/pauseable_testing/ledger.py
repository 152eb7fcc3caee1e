"""A delivery ledger: what was produced, delivered, reported skipped and dead-lettered, and the checks over them.

The contract it checks, per partition:

- **covered**: every produced offset was delivered, lies in a reported skipped range, or was dead-lettered;
- **disjoint**: no offset ended two ways (delivered, skipped, dead-lettered);
- **no duplicates**: no offset was delivered twice, nor dead-lettered twice;
- **nothing foreign**: nothing was delivered that was not produced.

With a flow (pauseable.flow) "delivered" means finished: a hand-out that failed and is retried is an
*attempt* (:meth:`Ledger.attempt`), counted apart, not a delivery.

Commit semantics (at-least-once, the clients' own): a consumer that takes over a group continues
from the committed offsets, so what the previous member delivered or skipped at or after its last
commit may come again. :meth:`Ledger.handover` records the committed offsets at a takeover; only
offsets at or after them, delivered or skipped *before* the takeover, may break "disjoint" and
"no duplicates". Within one consumer, nothing may.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from pauseable.report import SkipReport
from pauseable.types import TopicPartition


@dataclass
class LedgerFigures:
    """Totals of a ledger, for summaries."""

    produced: int = 0
    delivered: int = 0
    skipped: int = 0
    redelivered: int = 0
    dead_lettered: int = 0
    #: failed hand-outs that were tried again
    retried: int = 0

    def __iadd__(self, other: LedgerFigures) -> LedgerFigures:
        self.produced += other.produced
        self.delivered += other.delivered
        self.skipped += other.skipped
        self.redelivered += other.redelivered
        self.dead_lettered += other.dead_lettered
        self.retried += other.retried
        return self


@dataclass
class Ledger:
    """Every produced, delivered, reported-skipped and dead-lettered offset of one test run."""

    produced: dict[TopicPartition, set[int]] = field(default_factory=dict)
    #: in delivery order, repeats kept
    delivered: dict[TopicPartition, list[int]] = field(default_factory=dict)
    skipped: dict[TopicPartition, set[int]] = field(default_factory=dict)
    #: offsets a takeover may legitimately deliver again (see the module's commit semantics)
    redeliverable: dict[TopicPartition, set[int]] = field(default_factory=dict)
    reports: list[SkipReport] = field(default_factory=list)
    #: in order, repeats kept
    dead_lettered: dict[TopicPartition, list[int]] = field(default_factory=dict)
    #: failed hand-outs (each tried again or dead-lettered later), by offset
    attempts: dict[TopicPartition, Counter[int]] = field(default_factory=dict)

    def produce(self, tp: TopicPartition, offsets: Iterable[int]) -> None:
        self.produced.setdefault(tp, set()).update(offsets)

    def deliver(self, records: Iterable[Any], locate: Any) -> None:
        """Record native records, located by ``locate(record) -> (topic, partition, offset)``."""
        for record in records:
            topic, partition, offset = locate(record)
            if offset >= 0:  # confluent-kafka hands out events (e.g. partition EOF) with no offset
                self.delivered.setdefault(TopicPartition(topic, partition), []).append(offset)

    def deliver_offsets(self, tp: TopicPartition, offsets: Iterable[int]) -> None:
        self.delivered.setdefault(tp, []).extend(offsets)

    def dead_letter(self, tp: TopicPartition, offsets: Iterable[int]) -> None:
        """Record offsets a flow handed to its dead letter."""
        self.dead_lettered.setdefault(tp, []).extend(offsets)

    def attempt(self, tp: TopicPartition, offset: int) -> None:
        """Record a failed hand-out of ``offset`` (not a delivery: it is tried again or dead-lettered)."""
        self.attempts.setdefault(tp, Counter())[offset] += 1

    def report(self, report: SkipReport | None) -> None:
        """Record what a resume reported skipped (a failed resume's partial report too)."""
        if report is None:
            return
        self.reports.append(report)
        for tp, skipped in report.ranges.items():
            self.skipped.setdefault(tp, set()).update(range(skipped.start, skipped.end))

    def handover(self, committed: Mapping[TopicPartition, int | None]) -> None:
        """A new consumer takes over from ``committed``: what was delivered or skipped at or after it may come again."""
        for tp, offset in committed.items():
            start = 0 if offset is None else offset
            ended = [*self.delivered.get(tp, []), *self.skipped.get(tp, set()), *self.dead_lettered.get(tp, [])]
            seen = {o for o in ended if o >= start}
            self.redeliverable.setdefault(tp, set()).update(seen)

    # -- checks ---------------------------------------------------------------------------

    def covered(self, tp: TopicPartition) -> set[int]:
        return set(self.delivered.get(tp, [])) | self.skipped.get(tp, set()) | set(self.dead_lettered.get(tp, []))

    def complete(self) -> bool:
        """Every produced offset delivered or skipped (what a test waits for before :meth:`check`)."""
        return all(offsets <= self.covered(tp) for tp, offsets in self.produced.items())

    def violations(self) -> list[str]:
        """Every breach of the contract, one line each (empty: the ledger holds)."""
        found: list[str] = []
        for tp in sorted(set(self.produced) | set(self.delivered) | set(self.skipped) | set(self.dead_lettered)):
            produced = self.produced.get(tp, set())
            got = self.delivered.get(tp, [])
            skipped = self.skipped.get(tp, set())
            dead = self.dead_lettered.get(tp, [])
            allowed = self.redeliverable.get(tp, set())
            if missing := produced - self.covered(tp):
                found.append(f"{tp}: neither delivered, skipped nor dead-lettered: {_ranges(missing)}")
            if both := (set(got) & skipped) - allowed:
                found.append(f"{tp}: delivered and reported skipped: {_ranges(both)}")
            if both := (set(dead) & (set(got) | skipped)) - allowed:
                found.append(f"{tp}: dead-lettered and delivered or skipped: {_ranges(both)}")
            if twice := {o for o, n in Counter(got).items() if n > 1} - allowed:
                found.append(f"{tp}: delivered more than once: {_ranges(twice)}")
            if twice := {o for o, n in Counter(dead).items() if n > 1} - allowed:
                found.append(f"{tp}: dead-lettered more than once: {_ranges(twice)}")
            if foreign := set(dead) - produced:
                found.append(f"{tp}: dead-lettered but never produced: {_ranges(foreign)}")
            if foreign := set(got) - produced:
                found.append(f"{tp}: delivered but never produced: {_ranges(foreign)}")
        return found

    def check(self, context: str = "") -> None:
        """Raise AssertionError naming every violation (with ``context``, e.g. the seed)."""
        if found := self.violations():
            where = f" ({context})" if context else ""
            raise AssertionError(f"ledger violated{where}:\n  " + "\n  ".join(found))

    def figures(self) -> LedgerFigures:
        delivered = sum(len(v) for v in self.delivered.values())
        distinct = sum(len(set(v)) for v in self.delivered.values())
        return LedgerFigures(
            produced=sum(len(v) for v in self.produced.values()),
            delivered=distinct,
            skipped=sum(len(v) for v in self.skipped.values()),
            redelivered=delivered - distinct,
            dead_lettered=sum(len(set(v)) for v in self.dead_lettered.values()),
            retried=sum(sum(c.values()) for c in self.attempts.values()),
        )


def _ranges(offsets: Iterable[int]) -> str:
    """``{1, 2, 3, 7}`` as ``[1, 4) [7, 8)``: short even for long runs."""
    spans: list[list[int]] = []
    for o in sorted(offsets):
        if spans and spans[-1][1] == o:
            spans[-1][1] = o + 1
        else:
            spans.append([o, o + 1])
    return " ".join(f"[{a}, {b})" for a, b in spans)
