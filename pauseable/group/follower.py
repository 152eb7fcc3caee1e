"""The followers: daemon threads that read the control topic and its marks topic from their beginnings into
one state.

Each reads in no group (every member reads every partition), with its own client
(:class:`~pauseable.adapter.ControlClient`), never the consumer's. :meth:`Followers.sync` is the catch-up
barrier: it returns once everything written to either topic before the call has been read.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import TypeVar

from pauseable.adapter import ControlClient
from pauseable.errors import BackendError, ControlTopicAccessError, ControlTopicMissingError
from pauseable.group.access import refusal
from pauseable.group.records import GroupState, marks_topic_of

_log = logging.getLogger("pauseable.group")

#: how long a start or a barrier waits for the follower to catch up
SYNC_TIMEOUT_S = 30.0
T = TypeVar("T")


def require_topic(client: ControlClient, topic: str, control: str | None = None) -> int:
    """The partition count of the control topic ``topic`` (or of ``control``'s marks topic ``topic``);
    ControlTopicMissingError when the cluster has no such topic."""
    partitions = client.partitions(topic)
    if partitions == 0:
        what = "control topic" if control is None else f"marks topic of the control topic {control!r},"
        raise ControlTopicMissingError(
            f"group pauses need the {what} {topic!r}, which the cluster does not have (or this client may not "
            f"describe it): create it with `pauseable control-topic create --control-topic {control or topic}`, "
            "or grant this principal READ and DESCRIBE on it"
        )
    return partitions


def read_state(
    client: ControlClient,
    topic: str,
    timeout: float = SYNC_TIMEOUT_S,
    state: GroupState | None = None,
    control: str | None = None,
) -> tuple[GroupState, int]:
    """A control topic's (or ``control``'s marks topic's) whole state, read once up to its end (for operators),
    added to ``state``, and its partition count."""
    partitions = require_topic(client, topic, control)
    state = GroupState() if state is None else state
    client.read(topic, partitions)
    deadline = time.monotonic() + timeout
    ends = _retried(client, topic, deadline, lambda: client.end_offsets(topic, range(partitions)))
    while not client.caught_up(ends):
        if time.monotonic() > deadline:
            raise BackendError(f"reading the control topic {topic!r} to its end {ends} took over {timeout:.0f} s")
        for record in _retried(client, topic, deadline, lambda: client.fetch(0.1)):
            state.apply(record.offset, record.key, record.value)
    return state, partitions


def _retried(client: ControlClient, topic: str, deadline: float, call: Callable[[], T]) -> T:
    """``call()``, tried again every half second while it fails for a reason other than a refusal (a leader of
    the control topic just died: its election takes seconds); a typed error once ``deadline`` has passed."""
    while True:
        try:
            return call()
        except Exception as exc:
            if client.denied(exc):
                raise
            if time.monotonic() > deadline:
                raise BackendError(f"reading the control topic {topic!r}: {type(exc).__name__}: {exc}") from exc
        time.sleep(0.5)


class _Sync:
    """One :meth:`Follower.sync` waiting: set when read up to the end, or when the cluster refused the reader."""

    __slots__ = ("done", "refused")

    def __init__(self) -> None:
        self.done = threading.Event()
        self.refused: ControlTopicAccessError | None = None


class Follower:
    """Follows one topic in a daemon thread, into :attr:`state` (a new one unless given).

    A start (and any :meth:`sync`) fails at once with :class:`~pauseable.errors.ControlTopicAccessError` when the
    cluster refuses to let ``principal`` read the topic, instead of following nothing."""

    __slots__ = (
        "_client", "_error", "_lock", "_partitions", "_principal", "_stop", "_syncs", "_thread", "_topic", "state",
    )  # fmt: skip

    def __init__(
        self,
        client: ControlClient,
        topic: str,
        principal: str = "this client's principal",
        *,
        state: GroupState | None = None,
        control: str | None = None,
    ) -> None:
        self._client = client
        self._topic = topic
        self._principal = principal
        self._partitions = require_topic(client, topic, control)
        client.read(topic, self._partitions)
        self.state = GroupState() if state is None else state
        self._lock = threading.Lock()
        self._syncs: list[_Sync] = []
        self._stop = threading.Event()
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name=f"pauseable-follower-{topic}", daemon=True)
        self._thread.start()
        try:
            self.sync()
        except BaseException:
            self.close()
            raise

    @property
    def partitions(self) -> int:
        """The control topic's partition count."""
        return self._partitions

    def sync(self, timeout: float = SYNC_TIMEOUT_S) -> None:
        """Return once everything written to the control topic before this call has been read."""
        waiter = _Sync()
        with self._lock:
            self._syncs.append(waiter)
        if waiter.done.wait(timeout) and waiter.refused is not None:
            raise waiter.refused
        if not waiter.done.is_set():
            cause = f" (last error: {self._error!r})" if self._error else ""
            raise BackendError(f"the group pause follower did not read {self._topic!r} to its end in "
                               f"{timeout:.0f} s{cause}")  # fmt: skip

    def _run(self) -> None:
        ends: dict[int, int] | None = None
        waiting: list[_Sync] = []
        while not self._stop.is_set():
            try:
                if ends is None:
                    with self._lock:
                        waiting, self._syncs = self._syncs, []
                    if waiting:
                        ends = self._client.end_offsets(self._topic, range(self._partitions))
                for record in self._client.fetch(0.1):
                    self.state.apply(record.offset, record.key, record.value)
                if ends is not None and self._client.caught_up(ends):
                    for waiter in waiting:
                        waiter.done.set()
                    ends, waiting = None, []
                self._error = None
            except Exception as exc:  # the broker away: keep the state read so far, and try again
                if self._error is None:
                    _log.warning("group pause follower of %r: %s: %s; retrying", self._topic, type(exc).__name__, exc)
                self._error = exc
                ends = None
                with self._lock:
                    self._syncs[:0] = waiting
                    if self._client.denied(exc):  # no waiting it out: every sync fails now, and says why
                        refused = refusal(exc, self._principal, self._topic, "Read", "reading")
                        for waiter in self._syncs:
                            waiter.refused = refused
                            waiter.done.set()
                        self._syncs = []
                waiting = []
                self._stop.wait(0.5)
        try:
            self._client.close()
        except Exception as exc:  # its broker gone mid-close: nothing left to follow, nothing to raise into
            _log.warning("group pause follower of %r: closing its client: %s: %s", self._topic, type(exc).__name__, exc)

    def close(self) -> None:
        """Stop the thread (its client closes with it)."""
        self._stop.set()
        if self._thread is not threading.current_thread():
            self._thread.join(10)


class Followers:
    """The control topic and its marks topic followed into one :attr:`state`.

    Members write their applied marks to the marks topic, so a member's principal needs WRITE there only: who may
    pause is who may write the control topic. A start fails as :class:`Follower`'s does, for either topic."""

    __slots__ = ("control", "marks", "state")

    def __init__(
        self, clients: tuple[ControlClient, ControlClient], topic: str, principal: str = "this client's principal"
    ) -> None:
        self.state = GroupState()
        self.control = Follower(clients[0], topic, principal, state=self.state)
        try:
            self.marks = Follower(clients[1], marks_topic_of(topic), principal, state=self.state, control=topic)
        except BaseException:
            self.control.close()
            raise

    def sync(self, timeout: float = SYNC_TIMEOUT_S) -> None:
        """Return once everything written to either topic before this call has been read."""
        self.control.sync(timeout)
        self.marks.sync(timeout)

    def close(self) -> None:
        """Stop both threads (their clients close with them)."""
        self.control.close()
        self.marks.close()
