"""The control topic's records, and the state they add up to: no I/O.

Keys are JSON arrays: ``["pause", group, topic, partition]`` (``partition`` null for the whole topic), in the
control topic; ``["applied", group, topic, partition]``, in its marks topic (:func:`marks_topic_of`); and
``["created", "", "", partition]``: the first record of each partition of both, written when they are created,
so no partition is ever empty and a reader must fetch (the broker checks its READ access) before it counts as
caught up. Values are JSON objects carrying ``"format"``: a record of an unknown format, or one that does not
parse, is skipped (logged once), never fatal, so a newer writer cannot stop an older member. A tombstone (no
value) deletes its key. Every record of one group and topic goes to one partition (:func:`control_partition`),
so the log orders them; for a partition, the latest-written of its topic key and its partition key decides. A
mark names its pause's id, so its order against the pause records does not matter.
"""

from __future__ import annotations

import json
import logging
import threading
import time
import zlib
from dataclasses import asdict, dataclass
from typing import Any

from pauseable.types import TopicPartition

_log = logging.getLogger("pauseable.group")

#: the value format this release writes and reads
FORMAT = 1
PAUSE = "pause"
APPLIED = "applied"
CREATED = "created"
#: the resume strategies a group pause may name (no parameters: every member builds the same one)
GROUP_STRATEGIES = ("continue", "seek-to-end", "skip-pause-window")


@dataclass(frozen=True)
class GroupPause:
    """The value of a pause key: a group pause, or its end with a strategy still to apply."""

    #: unique per pause: the applied marks of its resume strategy name it
    id: str
    #: "paused", or "resumed" (its strategy is applied once by each partition's owner)
    state: str
    #: when the pause began (ms since the epoch): ``SkipPauseWindow`` measures from here
    paused_at: int
    #: when a timed pause ends by itself (ms since the epoch), by each member's own clock
    until: int | None
    #: the resume strategy, by name (:data:`GROUP_STRATEGIES`)
    then: str
    by: str
    reason: str
    resumed_at: int | None = None
    resumed_by: str | None = None

    def holds(self, now_ms: int) -> bool:
        """Whether the partitions it covers are to stay paused at ``now_ms``."""
        return self.state == "paused" and (self.until is None or now_ms < self.until)

    def ended_at(self) -> int | None:
        """When the pause ended (the resume's instant, else a timed pause's end), None while it runs."""
        return self.resumed_at if self.state == "resumed" else self.until


@dataclass(frozen=True)
class AppliedMark:
    """The value of an applied key: a resume strategy's range for one partition, decided once per pause.

    Written before the owner seeks (``committed`` false), again once its new offset is committed: a later
    owner finding it skips exactly this range, never a wider one.
    """

    #: the :attr:`GroupPause.id` whose strategy this is
    pause_id: str
    strategy: str
    start: int
    end: int
    committed: bool
    by: str
    at: int


def now_ms() -> int:
    return time.time_ns() // 1_000_000


def _key(kind: str, group: str, topic: str, partition: int | None) -> bytes:
    return json.dumps([kind, group, topic, partition], separators=(",", ":")).encode()


def pause_key(group: str, topic: str, partition: int | None) -> bytes:
    """The key of a pause of ``topic`` (``partition`` None) or of one partition, for ``group``."""
    return _key(PAUSE, group, topic, partition)


def applied_key(group: str, topic: str, partition: int) -> bytes:
    """The key of the applied mark of one partition."""
    return _key(APPLIED, group, topic, partition)


def encode(value: GroupPause | AppliedMark) -> bytes:
    """A value as the control topic holds it."""
    return json.dumps({"format": FORMAT, **asdict(value)}, separators=(",", ":")).encode()


def created_record(partition: int, by: str) -> tuple[int, bytes, bytes]:
    """The first record of partition ``partition`` of a control or marks topic: who created it, and when."""
    value = json.dumps({"format": FORMAT, "by": by, "at": now_ms()}, separators=(",", ":")).encode()
    return partition, _key(CREATED, "", "", partition), value


#: the marks topic's name is the control topic's and this
MARKS_SUFFIX = "-marks"


def marks_topic_of(control_topic: str) -> str:
    """The companion topic of ``control_topic`` that members write their applied marks to (so they need no WRITE
    on the control topic itself, and cannot pause)."""
    return control_topic + MARKS_SUFFIX


def control_partition(group: str, topic: str, partitions: int) -> int:
    """The control partition of every record of ``group`` and ``topic`` (stable across processes)."""
    return zlib.crc32(json.dumps([group, topic]).encode()) % partitions


Key = tuple[str, str, str, int | None]


def decode_key(raw: bytes | None) -> Key | None:
    """``(kind, group, topic, partition)``, or None for a key this release does not know."""
    try:
        kind, group, topic, partition = json.loads(raw or b"")
    except (ValueError, TypeError):
        return None
    if kind not in (PAUSE, APPLIED, CREATED) or not isinstance(group, str) or not isinstance(topic, str):
        return None
    if partition is not None and (not isinstance(partition, int) or isinstance(partition, bool) or partition < 0):
        return None
    if kind in (APPLIED, CREATED) and partition is None:
        return None
    return kind, group, topic, partition


def decode_value(kind: str, raw: bytes) -> GroupPause | AppliedMark | None:
    """The value of a ``kind`` key, or None when its format is unknown or it does not parse."""
    try:
        fields: dict[str, Any] = json.loads(raw)
        if not isinstance(fields, dict) or fields.pop("format", None) != FORMAT:
            return None
        value: GroupPause | AppliedMark = (GroupPause if kind == PAUSE else AppliedMark)(**fields)
    except (ValueError, TypeError):
        return None
    if isinstance(value, GroupPause) and not (value.state in ("paused", "resumed") and value.then in GROUP_STRATEGIES):
        return None  # a state or strategy of a later release
    return value


class GroupState:
    """What the control topic says, as read so far; safe to read from any thread while one thread applies."""

    __slots__ = ("_lock", "_marks", "_pauses", "_skipped")

    def __init__(self) -> None:
        self._lock = threading.Lock()
        #: (group, topic, partition or None) -> (control offset, pause)
        self._pauses: dict[tuple[str, str, int | None], tuple[int, GroupPause]] = {}
        self._marks: dict[tuple[str, str, int], AppliedMark] = {}
        self._skipped = 0

    def apply(self, offset: int, key: bytes | None, value: bytes | None) -> None:
        """One control record, at ``offset`` of its control partition; unknown ones are skipped."""
        decoded = decode_key(key)
        if decoded is not None and decoded[0] == CREATED:
            return  # the partition's first record: nothing to follow
        parsed = None if decoded is None or value is None else decode_value(decoded[0], value)
        if decoded is None or (value is not None and parsed is None):
            self._skipped += 1
            if self._skipped == 1:
                _log.warning("skipping a control record of an unknown format (key %r); later ones are not logged", key)
            return
        kind, group, topic, partition = decoded
        with self._lock:
            if kind == PAUSE:
                if isinstance(parsed, GroupPause):
                    self._pauses[(group, topic, partition)] = (offset, parsed)
                else:
                    self._pauses.pop((group, topic, partition), None)
            else:
                assert partition is not None
                if isinstance(parsed, AppliedMark):
                    self._marks[(group, topic, partition)] = parsed
                else:
                    self._marks.pop((group, topic, partition), None)

    @property
    def skipped(self) -> int:
        """How many records were skipped as unknown."""
        return self._skipped

    def pause_of(self, group: str, partition: TopicPartition) -> GroupPause | None:
        """The pause that decides ``partition`` for ``group``: the later-written of its topic's and its own."""
        with self._lock:
            found = [
                entry
                for entry in (
                    self._pauses.get((group, partition.topic, None)),
                    self._pauses.get((group, partition.topic, partition.partition)),
                )
                if entry is not None
            ]
        return max(found, key=lambda entry: entry[0])[1] if found else None

    def pauses_of(self, group: str, topic: str) -> dict[int | None, GroupPause]:
        """Every pause key of ``group`` and ``topic``: by partition, None for the topic's own."""
        with self._lock:
            return {p: pause for (g, t, p), (_, pause) in self._pauses.items() if g == group and t == topic}

    def mark_of(self, group: str, partition: TopicPartition) -> AppliedMark | None:
        """The applied mark of ``partition`` for ``group``, if any."""
        with self._lock:
            return self._marks.get((group, partition.topic, partition.partition))
