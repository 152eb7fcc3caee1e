"""Client-neutral types: :class:`TopicPartition` and the named offset sentinels."""

from __future__ import annotations

import enum
from collections.abc import Iterable
from dataclasses import dataclass

from pauseable.errors import InvalidArgumentError, InvalidOffsetError


@dataclass(frozen=True, order=True, slots=True)
class TopicPartition:
    """One partition of one topic; hashable and ordered, the same on every backend."""

    topic: str
    partition: int

    def __post_init__(self) -> None:
        if not isinstance(self.topic, str) or not self.topic:
            raise InvalidArgumentError(f"topic must be a non-empty str, got {self.topic!r}")
        if isinstance(self.partition, bool) or not isinstance(self.partition, int) or self.partition < 0:
            raise InvalidArgumentError(f"partition must be an int >= 0, got {self.partition!r}")

    def __str__(self) -> str:
        return f"{self.topic}[{self.partition}]"


class Offset(enum.IntEnum):
    """Named offsets for :meth:`seek`; every other offset is an ``int >= 0``."""

    #: the first offset still in the log (Kafka's ListOffsets "earliest", -2)
    BEGINNING = -2
    #: the offset the next produced record will get (Kafka's "latest", -1)
    END = -1


def as_partitions(partitions: Iterable[TopicPartition] | TopicPartition) -> list[TopicPartition]:
    """The partitions of an argument, checked: a TopicPartition or an iterable of them, no duplicates."""
    if isinstance(partitions, TopicPartition):
        return [partitions]
    if isinstance(partitions, (str, bytes)) or not isinstance(partitions, Iterable):
        raise InvalidArgumentError(
            f"expected a pauseable.TopicPartition or an iterable of them, got {type(partitions).__name__}; "
            "build them with pauseable.TopicPartition(topic, partition)"
        )
    result = list(dict.fromkeys(partitions))
    for tp in result:
        if not isinstance(tp, TopicPartition):
            raise InvalidArgumentError(
                f"expected pauseable.TopicPartition, got {type(tp).__name__} ({tp!r}); "
                "convert native partitions with pauseable.TopicPartition(tp.topic, tp.partition)"
            )
    return result


def as_topics(topics: Iterable[str] | str) -> list[str]:
    """The topic names of an argument: a str or an iterable of non-empty str."""
    names = [topics] if isinstance(topics, str) else topics
    if not isinstance(names, Iterable):
        raise InvalidArgumentError(f"expected a topic name or an iterable of them, got {type(topics).__name__}")
    result = list(dict.fromkeys(names))
    for name in result:
        if not isinstance(name, str) or not name:
            raise InvalidArgumentError(f"topic names must be non-empty str, got {name!r}")
    return result


def check_offset(offset: object, *, allow_sentinels: bool = True) -> int:
    """``offset`` as an int: ``>= 0``, or an :class:`Offset` sentinel where allowed."""
    if isinstance(offset, Offset):
        if allow_sentinels:
            return int(offset)
        raise InvalidOffsetError(f"{offset!r} is not allowed here; pass an absolute offset >= 0")
    if isinstance(offset, bool) or not isinstance(offset, int):
        raise InvalidArgumentError(f"offset must be an int, got {type(offset).__name__} ({offset!r})")
    if offset < 0:
        hint = "; use Offset.BEGINNING or Offset.END for the log's ends" if allow_sentinels else ""
        raise InvalidOffsetError(f"offset must be >= 0, got {offset}{hint}")
    return offset


def check_timestamp(timestamp: object) -> int:
    """A timestamp in milliseconds since the epoch, as an int ``>= 0``."""
    if isinstance(timestamp, bool) or not isinstance(timestamp, int):
        raise InvalidArgumentError(
            f"timestamps are int milliseconds since the epoch, got {type(timestamp).__name__} ({timestamp!r})"
        )
    if timestamp < 0:
        raise InvalidOffsetError(f"timestamp must be >= 0 ms since the epoch, got {timestamp}")
    return timestamp
