"""The operator's side: pause, resume and inspect group pauses by writing and reading the control topic.

Who may pause is who may write the control topic (Kafka ACLs): an operator's principal needs WRITE and
DESCRIBE on it (and CREATE on the cluster to create it); members need READ and DESCRIBE on it, and WRITE on its
marks topic (``<control topic>-marks``) to record their applied marks.
"""

from __future__ import annotations

import dataclasses
import math
import os
import socket
import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from pauseable.adapter import Backend, ControlClient
from pauseable.errors import BackendError, InvalidArgumentError, UnknownBackendError, UnknownPartitionError
from pauseable.group.access import guarded, principal_of
from pauseable.group.follower import read_state, require_topic
from pauseable.group.records import (
    GROUP_STRATEGIES,
    GroupPause,
    GroupState,
    control_partition,
    created_record,
    encode,
    marks_topic_of,
    now_ms,
    pause_key,
)
from pauseable.group.setup import DEFAULT_TOPIC
from pauseable.types import TopicPartition

#: the clients an operator uses, in order of preference when none is named
CLIENTS = ("confluent-kafka", "kafka-python", "aiokafka")


@dataclass(frozen=True)
class PartitionStatus:
    """One partition of a topic, as the group's pauses and offsets have it."""

    partition: int
    #: "paused", "resuming" (its resume strategy not yet applied and committed) or "running"
    state: str
    pause: GroupPause | None
    #: the applied range of the pause's strategy, "[start, end)" and whether committed
    applied: str | None
    committed: int | None
    end: int
    #: records behind the group's committed offset (from the start of the log when nothing is committed)
    lag: int | None


class Operator:
    """Pause, resume and inspect group pauses (what ``pauseable pause|resume|status`` runs).

    ``config`` is the configuration of the client named by ``client`` (a backend name: "confluent-kafka",
    "kafka-python", "aiokafka"; by default the first installed), in that client's own key names: the bootstrap
    servers and the security settings, e.g. ``{"bootstrap.servers": "host:9092", "security.protocol":
    "SASL_SSL", ...}`` for confluent-kafka. ``by`` names the operator in the records (default user@host).
    """

    def __init__(
        self,
        config: Mapping[str, Any],
        *,
        client: str | None = None,
        control_topic: str = DEFAULT_TOPIC,
        by: str | None = None,
    ) -> None:
        if not isinstance(config, Mapping) or not all(isinstance(key, str) for key in config):
            raise InvalidArgumentError(
                f"config takes the client's configuration as a mapping of str keys, got {type(config).__name__}"
            )
        _name(control_topic, "control_topic")
        self._backend = _backend(client)
        self._config = dict(config)
        self.control_topic = control_topic
        self.by = by or f"{os.environ.get('USER', 'operator')}@{socket.gethostname()}"
        self._writer: ControlClient | None = None

    @property
    def client(self) -> str:
        """The backend whose client library this operator uses."""
        return self._backend.name

    def _client(self) -> ControlClient:
        assert self._backend.control is not None
        return self._backend.control(None, self._config)

    def _write(self) -> ControlClient:
        if self._writer is None:
            self._writer = self._client()
        return self._writer

    @property
    def marks_topic(self) -> str:
        """The control topic's companion, where members record the resume strategies they applied."""
        return marks_topic_of(self.control_topic)

    def _state(self, marks: bool = False) -> GroupState:
        """The control topic's state, with the marks topic's too when ``marks``."""
        state = GroupState()
        # each topic, and the control topic it belongs to (None: it is the control topic)
        topics: list[tuple[str, str | None]] = [(self.control_topic, None)]
        if marks:
            topics.append((self.marks_topic, self.control_topic))
        for topic, control in topics:
            reader = self._client()
            try:
                with guarded(reader, principal_of(self._config), topic, "Read", "reading"):
                    read_state(reader, topic, state=state, control=control)
            finally:
                reader.close()
        return state

    def _send(self, records: list[tuple[int, bytes, bytes | None]], topic: str | None = None) -> None:
        """Write ``records`` to ``topic`` (the control topic unless given)."""
        topic = topic or self.control_topic
        writer = self._write()
        with guarded(writer, principal_of(self._config), topic, "Write", "writing to"):
            writer.send(topic, records)

    def _check(self, group: str, topic: str, partition: int | None) -> int:
        """The control topic's partition count, once ``group``, ``topic`` and ``partition`` are checked."""
        _name(group, "group")
        _name(topic, "topic")
        if partition is not None and (isinstance(partition, bool) or not isinstance(partition, int) or partition < 0):
            raise InvalidArgumentError(f"partition must be an int >= 0 or None (the whole topic), got {partition!r}")
        writer = self._write()
        controls = require_topic(writer, self.control_topic)
        have = writer.partitions(topic)
        if have == 0:
            raise UnknownPartitionError(f"the cluster has no topic {topic!r}; check the name")
        if partition is not None and partition >= have:
            raise UnknownPartitionError(f"topic {topic!r} has {have} partition(s), 0 to {have - 1}; got {partition}")
        return controls

    def pause(
        self,
        group: str,
        topic: str,
        partition: int | None = None,
        *,
        for_seconds: float | None = None,
        then: str = "continue",
        reason: str = "",
    ) -> GroupPause:
        """Pause ``topic`` (or one partition) for every member of ``group``, now and when assigned later;
        ``for_seconds`` ends it by itself, then ``then`` is applied once per partition. Returns what was written,
        once every replica has it."""
        if for_seconds is not None and (
            isinstance(for_seconds, bool) or not isinstance(for_seconds, (int, float)) or not 0 < for_seconds < math.inf
        ):
            raise InvalidArgumentError(f"for_seconds must be a number of seconds > 0, got {for_seconds!r}")
        strategy = _strategy(then)
        if not isinstance(reason, str):
            raise InvalidArgumentError(f"reason must be a str, got {type(reason).__name__}")
        controls = self._check(group, topic, partition)
        at = now_ms()
        until = None if for_seconds is None else at + math.ceil(for_seconds * 1000)
        pause = GroupPause(uuid.uuid4().hex, "paused", at, until, strategy, self.by, reason)
        key = pause_key(group, topic, partition)
        self._send([(control_partition(group, topic, controls), key, encode(pause))])
        return pause

    def resume(
        self, group: str, topic: str, partition: int | None = None, *, then: str | None = None
    ) -> list[GroupPause]:
        """End ``group``'s pauses of ``topic`` (every key of it), or of one partition only (the topic's pause
        goes on for the others); ``then`` overrides the pause's own strategy. Returns the pauses ended."""
        strategy = None if then is None else _strategy(then)
        controls = self._check(group, topic, partition)
        state = self._state()
        at = now_ms()
        records: list[tuple[int, bytes, bytes | None]] = []
        ended: list[GroupPause] = []
        target = control_partition(group, topic, controls)
        keys = state.pauses_of(group, topic)
        if partition is None:
            pauses = {p: pause for p, pause in keys.items() if pause.state == "paused"}
        else:
            found = state.pause_of(group, TopicPartition(topic, partition))
            pauses = {partition: found} if found is not None and found.state == "paused" else {}
        #: one partition resumed while its topic's key pauses it: a tombstone would leave the topic's in force
        under_topic = partition is not None and None in keys and keys[None].state == "paused"
        for p, pause in sorted(pauses.items(), key=lambda item: -1 if item[0] is None else item[0]):
            chosen = strategy or pause.then
            resumed = dataclasses.replace(pause, state="resumed", then=chosen, resumed_at=at, resumed_by=self.by)
            if chosen == "continue" and not under_topic:
                records.append((target, pause_key(group, topic, p), None))  # a tombstone: nothing to apply
            else:
                records.append((target, pause_key(group, topic, p), encode(resumed)))
            ended.append(resumed)
        self._send(records)
        return ended

    def status(self, group: str, topic: str) -> list[PartitionStatus]:
        """Each partition of ``topic`` for ``group``: paused or not, by whom, since when, what was applied, the
        group's committed offset, the end and the lag."""
        self._check(group, topic, None)
        state = self._state(marks=True)
        writer = self._write()
        partitions = range(writer.partitions(topic))
        committed = writer.committed(group, topic, partitions)
        ends = writer.end_offsets(topic, partitions)
        now = now_ms()
        found = []
        for p in partitions:
            tp = TopicPartition(topic, p)
            pause = state.pause_of(group, tp)
            mark = state.mark_of(group, tp)
            mine = mark if mark is not None and pause is not None and mark.pause_id == pause.id else None
            if pause is not None and pause.holds(now):
                label = "paused"
            elif pause is not None and pause.then != "continue" and not (mine and mine.committed):
                label = "resuming"
            else:
                label = "running"
            applied = None
            if mine is not None:
                applied = f"{mine.strategy} [{mine.start}, {mine.end}) {'committed' if mine.committed else 'marked'}"
            behind = committed.get(p)
            lag = None if behind is None else max(0, ends[p] - behind)
            found.append(PartitionStatus(p, label, pause, applied, committed.get(p), ends[p], lag))
        return found

    def create_control_topic(self, partitions: int = 1, replication: int | None = None) -> int:
        """Create the control topic and its marks topic (whichever is missing): compacted, replicated min(3, brokers)
        times unless ``replication`` says, ``min.insync.replicas`` 2 where replicated 3 times or more, a first
        record in each partition (no partition is empty: a member without READ fails at start). Returns the
        replication."""
        if isinstance(partitions, bool) or not isinstance(partitions, int) or partitions < 1:
            raise InvalidArgumentError(f"partitions must be an int >= 1, got {partitions!r}")
        writer = self._write()
        chosen = replication if replication is not None else min(3, writer.brokers())
        if isinstance(chosen, bool) or not isinstance(chosen, int) or chosen < 1:
            raise InvalidArgumentError(f"replication must be an int >= 1, got {replication!r}")
        configs = {"cleanup.policy": "compact", "min.insync.replicas": "2" if chosen >= 3 else "1"}
        for topic in (self.control_topic, self.marks_topic):
            if writer.partitions(topic) > 0:  # made earlier (a release before the marks topic made only one)
                continue
            writer.create(topic, partitions, chosen, configs)
            deadline = time.monotonic() + 30.0
            while writer.partitions(topic) == 0:  # created, and in the brokers' metadata: usable now
                if time.monotonic() > deadline:
                    raise BackendError(f"the topic {topic!r} was created but is not listed 30 s on")
                time.sleep(0.1)
            # Every partition starts with a record: a member must fetch to catch up, so one without READ says so
            self._send([created_record(p, self.by) for p in range(partitions)], topic)
        return chosen

    def close(self) -> None:
        """Close the operator's clients."""
        writer, self._writer = self._writer, None
        if writer is not None:
            writer.close()

    def __enter__(self) -> Operator:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _name(value: object, what: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise InvalidArgumentError(f"{what} must be a non-empty name, got {value!r}")
    return value


def _strategy(then: object) -> str:
    """A group pause's resume strategy, by name or as a strategy object of one of those names."""
    name = then if isinstance(then, str) else getattr(then, "name", None)
    if name not in GROUP_STRATEGIES or (not isinstance(then, str) and getattr(then, "commit", False)):
        raise InvalidArgumentError(
            f"then= takes one of {', '.join(GROUP_STRATEGIES)} (every member builds the same strategy; the range "
            f"is committed by whoever applies it), got {then!r}"
        )
    return str(name)


def _backend(client: str | None) -> Backend:
    from pauseable.registry import backends, get_backend

    if client is not None:
        chosen = get_backend(client)
        if chosen.control is None:
            raise UnknownBackendError(f"the backend {client!r} has no control client for group pauses")
        return chosen
    installed = backends()
    for name in CLIENTS:
        if name in installed and installed[name].control is not None:
            return installed[name]
    raise UnknownBackendError(
        "no installed backend has a control client for group pauses: pip install 'pauseable[confluent-kafka]'"
    )
