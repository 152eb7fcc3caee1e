"""Client-neutral types: :class:`TopicPartition` and the named offset sentinels."""

from __future__ import annotations

import enum
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from pauseable.errors import InvalidArgumentError, InvalidOffsetError

#: Kafka's own limits: partitions are int32, offsets and timestamps int64, topic names up to 249 of
#: [a-zA-Z0-9._-] and neither "." nor "..". Anything outside them could never name or reach a record,
#: and would otherwise fail deep inside a client (an overflow, a timeout, or nothing at all).
MAX_PARTITION = 2**31 - 1
MAX_OFFSET = 2**63 - 1
_TOPIC_NAME = re.compile(r"[a-zA-Z0-9._-]{1,249}")


def check_topic(name: object) -> str:
    """``name`` if it is a legal Kafka topic name; InvalidArgumentError naming the rule otherwise."""
    if not isinstance(name, str) or not name:
        raise InvalidArgumentError(f"a topic name must be a non-empty str, got {type(name).__name__} ({name!r})")
    if not _TOPIC_NAME.fullmatch(name) or name in (".", ".."):
        raise InvalidArgumentError(
            f"{name!r} can never be a Kafka topic name: use 1 to 249 of the characters a-z A-Z 0-9 . _ - "
            "(and not '.' or '..')"
        )
    return name


@dataclass(frozen=True, order=True, slots=True)
class TopicPartition:
    """One partition of one topic; hashable and ordered, the same on every backend."""

    topic: str
    partition: int

    def __post_init__(self) -> None:
        check_topic(self.topic)
        if isinstance(self.partition, bool) or not isinstance(self.partition, int):
            raise InvalidArgumentError(
                f"partition must be an int >= 0, got {type(self.partition).__name__} ({self.partition!r}); "
                "partitions are numbered 0, 1, ..."
            )
        if not 0 <= self.partition <= MAX_PARTITION:
            raise InvalidArgumentError(
                f"partition must be an int from 0 to {MAX_PARTITION} (Kafka's int32), got {self.partition}; "
                "partitions are numbered 0, 1, ..."
            )

    def __str__(self) -> str:
        return f"{self.topic}[{self.partition}]"


class Offset(enum.IntEnum):
    """Named offsets for :meth:`seek`; every other offset is an ``int >= 0``."""

    #: the first offset still in the log (Kafka's ListOffsets "earliest", -2)
    BEGINNING = -2
    #: the offset the next produced record will get (Kafka's "latest", -1)
    END = -1

    @classmethod
    def _missing_(cls, value: object) -> Any:
        # Enum would raise a bare ValueError; name the two members and the plain-int alternative.
        raise InvalidOffsetError(
            f"{value!r} is not an Offset: the named offsets are Offset.BEGINNING and Offset.END; "
            "pass an absolute offset as a plain int >= 0"
        )


def as_partitions(partitions: Iterable[TopicPartition] | TopicPartition) -> list[TopicPartition]:
    """The partitions of an argument, checked: a TopicPartition or an iterable of them, no duplicates."""
    if isinstance(partitions, TopicPartition):
        return [partitions]
    # A mapping iterates its keys: almost always offsets meant for commit(), not partitions.
    if isinstance(partitions, (str, bytes, Mapping)) or not isinstance(partitions, Iterable):
        raise InvalidArgumentError(
            f"expected a pauseable.TopicPartition or an iterable of them, got {type(partitions).__name__}; "
            "build them with pauseable.TopicPartition(topic, partition)"
        )
    items = list(partitions)
    for tp in items:  # checked before de-duplicating, which would fail on unhashable items
        if not isinstance(tp, TopicPartition):
            raise InvalidArgumentError(
                f"expected pauseable.TopicPartition, got {type(tp).__name__} ({tp!r}); "
                "convert native partitions with pauseable.TopicPartition(tp.topic, tp.partition)"
            )
    return list(dict.fromkeys(items))


def as_topics(topics: Iterable[str] | str) -> list[str]:
    """The topic names of an argument: a str or an iterable of non-empty str."""
    names = [topics] if isinstance(topics, str) else topics
    if isinstance(names, (bytes, Mapping)) or not isinstance(names, Iterable):
        raise InvalidArgumentError(
            f"expected a topic name or an iterable of them, got {type(topics).__name__}; "
            'pass e.g. "orders" or ["orders", "payments"]'
        )
    return list(dict.fromkeys([check_topic(name) for name in names]))


def check_offset(offset: object, *, allow_sentinels: bool = True) -> int:
    """``offset`` as an int: ``>= 0``, or an :class:`Offset` sentinel where allowed."""
    if isinstance(offset, Offset):
        if allow_sentinels:
            return int(offset)
        raise InvalidOffsetError(f"{offset!r} is not allowed here; pass an absolute offset >= 0")
    if isinstance(offset, bool) or not isinstance(offset, int):
        hint = "Offset.BEGINNING, Offset.END or " if allow_sentinels else ""
        raise InvalidArgumentError(f"offset must be {hint}an int >= 0, got {type(offset).__name__} ({offset!r})")
    if offset < 0:
        hint = "; use Offset.BEGINNING or Offset.END for the log's ends" if allow_sentinels else ""
        raise InvalidOffsetError(f"offset must be >= 0, got {offset}{hint}")
    if offset > MAX_OFFSET:
        raise InvalidOffsetError(f"offset must be <= {MAX_OFFSET} (Kafka's int64), got {offset}")
    return offset


def check_timestamp(timestamp: object) -> int:
    """A timestamp in milliseconds since the epoch, as an int ``>= 0``."""
    if isinstance(timestamp, Offset):
        raise InvalidOffsetError(
            f"{timestamp!r} is an offset, not a timestamp; pass int milliseconds since the epoch, "
            "e.g. int(time.time() * 1000)"
        )
    if isinstance(timestamp, bool) or not isinstance(timestamp, int):
        raise InvalidArgumentError(
            f"timestamps are int milliseconds since the epoch, got {type(timestamp).__name__} ({timestamp!r}); "
            "e.g. int(time.time() * 1000)"
        )
    if not 0 <= timestamp <= MAX_OFFSET:
        raise InvalidOffsetError(
            f"timestamp must be from 0 to {MAX_OFFSET} ms since the epoch (Kafka's int64), got {timestamp}"
        )
    return timestamp
