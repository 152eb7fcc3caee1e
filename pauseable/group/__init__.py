"""Group pauses: pause a topic (or a partition) for a whole consumer group, across machines, rebalances and
restarts, with the state kept in Kafka itself.

- **State**: a compacted control topic (``pauseable control-topic create``: replicated min(3, brokers) times).
  One key per group + topic (+ partition), the value saying since when, until when, which resume strategy, by
  whom and why (:mod:`pauseable.group.records`); a tombstone ends a pause that skips nothing. Members record
  the resume strategies they applied in its marks topic (``<control topic>-marks``): who may pause is who may
  write the control topic, and members need not.
- **Members** opt in with ``pauseable.controller(consumer, group_pauses=True)`` (or ``GroupPauses(...)``; the
  same for ``async_controller``). Follower threads read the control and marks topics from their beginnings, in no group
  (:mod:`~pauseable.group.follower`); the applier holds the partitions the group pauses, those owned now and
  those assigned later (:mod:`~pauseable.group.applier`).
- **Bound**: once a member's follower has read a pause (its fetches wait at most 100 ms), no record of the
  partition is handed over by that member's next poll slice on; a resume takes effect at the next slice.
- **Once-only resume strategies**, mark first: the owner of a partition when its pause ends reads both topics
  to their ends, takes the range an earlier owner marked, else decides it (``SkipPauseWindow`` from the
  group pause's own timestamp; a late owner's range ends at the pause's end) and marks it before seeking, then
  seeks, commits and marks it committed.
- **Operators**: :class:`Operator`, and ``pauseable pause|resume|status`` (:mod:`pauseable.group.cli`).
"""

from __future__ import annotations

from pauseable.group.operator import Operator, PartitionStatus
from pauseable.group.records import AppliedMark, GroupPause
from pauseable.group.setup import DEFAULT_TOPIC, GroupPauses

__all__ = ["DEFAULT_TOPIC", "AppliedMark", "GroupPause", "GroupPauses", "Operator", "PartitionStatus"]
