"""Opting in: ``pauseable.controller(consumer, group_pauses=True | GroupPauses(...))`` builds the applier."""

from __future__ import annotations

import os
import socket
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from pauseable.adapter import Backend
from pauseable.errors import InvalidArgumentError
from pauseable.group.access import principal_of
from pauseable.group.applier import Applier, AsyncApplier, Decisions
from pauseable.group.follower import Followers
from pauseable.group.records import marks_topic_of

#: the control topic's name unless given
DEFAULT_TOPIC = "pauseable-control"


@dataclass(frozen=True)
class GroupPauses:
    """How a controller follows group pauses (``group_pauses=GroupPauses(...)``; ``True`` takes the defaults)."""

    #: the control topic (created by an operator: ``pauseable control-topic create``, with its marks topic
    #: ``<topic>-marks``, where members record the resume strategies they applied)
    topic: str = DEFAULT_TOPIC
    #: the consumer's group id; needed only where the client does not expose it and ``config`` lacks
    #: ``group.id`` (confluent-kafka)
    group: str | None = None
    #: the control clients' configuration, in the client's own key names: connection and security settings.
    #: Default: the consumer's own where the client exposes them (kafka-python, aiokafka), else ``lookup_config``
    config: Mapping[str, Any] | None = None
    #: who this member is, in the applied marks it writes (default: host:pid)
    member: str | None = None


def group_pauses_of(value: object) -> GroupPauses | None:
    """``group_pauses=``: False or None (off), True (the defaults) or a :class:`GroupPauses`."""
    if value is None or value is False:
        return None
    if value is True:
        return GroupPauses()
    if isinstance(value, GroupPauses):
        if not isinstance(value.topic, str) or not value.topic:
            raise InvalidArgumentError(f"GroupPauses(topic=...) takes a topic name, got {value.topic!r}")
        return value
    raise InvalidArgumentError(
        f"group_pauses= takes True, False or pauseable.GroupPauses(...), got {type(value).__name__} ({value!r})"
    )


def attach(
    backend: Backend, consumer: Any, settings: GroupPauses, lookup_config: Mapping[str, Any] | None
) -> Applier | AsyncApplier:
    """The applier of a new controller: its follower has read the control topic to its end (a restarted member
    knows every group pause before its first poll). ControlTopicMissingError when the topic is missing."""
    if backend.control is None:
        raise InvalidArgumentError(f"the backend {backend.name!r} does not support group pauses (no control client)")
    config = settings.config if settings.config is not None else lookup_config
    readers = (backend.control(consumer, config), backend.control(consumer, config))
    group = settings.group or readers[0].group or (config or {}).get("group.id")
    if not isinstance(group, str) or not group:
        for reader in readers:
            reader.close()
        raise InvalidArgumentError(
            f"group pauses follow a consumer group, and this {backend.name} consumer's group id is unknown: pass "
            "GroupPauses(group=...), or the consumer's configuration (with group.id) as lookup_config="
        )
    try:
        # a consumer exposing its configuration as a ``config`` mapping (kafka-python) names its own login
        exposed = getattr(consumer, "config", None)
        login = config if config is not None or not isinstance(exposed, Mapping) else exposed
        followers = Followers(readers, settings.topic, principal_of(login))
    except BaseException:
        for reader in readers:
            reader.close()
        raise
    decisions = Decisions(followers, group, settings.member or f"{socket.gethostname()}:{os.getpid()}")
    writer = backend.control(consumer, config)
    build = AsyncApplier if backend.is_async else Applier
    return build(decisions, writer, marks_topic_of(settings.topic), followers.marks.partitions, principal_of(login))
