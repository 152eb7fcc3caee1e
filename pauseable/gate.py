"""One call at a time on a controller, first come first served, from any thread or task.

Why: the clients are not safe to call from two threads at once (kafka-python says so; confluent-kafka
2.16's ``pause``, ``resume``, ``position`` and ``assignment`` never return while another thread loops on
``consume``; confluent-kafka's asyncio consumer queues every call behind a ``consume`` in flight). So a
controller lets one call at a time reach the client, in arrival order, and ``poll`` waits for records
in slices of :data:`POLL_SLICE_S`, letting queued calls in between: a ``pause`` from a worker thread or
task waits at most about one slice, plus its own I/O.

Re-entrant for the thread (or task) inside: a rebalance callback run by the client inside ``poll``
may call the controller.
"""

from __future__ import annotations

import asyncio
import functools
import threading
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

#: the longest a poll waits in the client before letting a queued call in
POLL_SLICE_S = 0.1

F = TypeVar("F", bound=Callable[..., Any])


class Gate:
    """A fair (ticket), re-entrant lock for threads."""

    __slots__ = ("_changed", "_depth", "_next", "_owner", "_serving")

    def __init__(self) -> None:
        self._changed = threading.Condition(threading.Lock())
        self._next = 0  # the next ticket to hand out
        self._serving = 0  # the ticket whose holder may enter
        self._owner: int | None = None
        self._depth = 0

    def enter(self) -> None:
        me = threading.get_ident()
        with self._changed:
            if self._owner == me:
                self._depth += 1
                return
            ticket = self._next
            self._next += 1
            while self._serving != ticket:
                self._changed.wait()
            self._owner, self._depth = me, 1

    def leave(self) -> None:
        with self._changed:
            if self._owner != threading.get_ident():
                return  # not inside (a failed let_others_in left it)
            self._depth -= 1
            if self._depth == 0:
                self._owner = None
                self._serving += 1
                self._changed.notify_all()

    def let_others_in(self) -> None:
        """Between two slices of a poll: if calls are queued, let them run first (back of the queue)."""
        with self._changed:
            if self._next - self._serving <= 1:
                return
            depth = self._depth
        for _ in range(depth):
            self.leave()
        for _ in range(depth):
            self.enter()


class AsyncGate:
    """The same for asyncio tasks: ``asyncio.Lock`` is first come first served; re-entrant by task."""

    __slots__ = ("_depth", "_lock", "_owner")

    def __init__(self) -> None:
        self._lock = asyncio.Lock()
        self._owner: asyncio.Task[Any] | None = None
        self._depth = 0

    async def enter(self) -> None:
        me = asyncio.current_task()
        if me is not None and self._owner is me:
            self._depth += 1
            return
        await self._lock.acquire()
        self._owner, self._depth = me, 1

    def leave(self) -> None:
        if self._owner is not asyncio.current_task():
            return  # not inside (a cancelled let_others_in left it)
        self._depth -= 1
        if self._depth == 0:
            self._owner = None
            self._lock.release()

    async def let_others_in(self) -> None:
        if not self._lock._waiters:  # asyncio.Lock has no public "anyone waiting?"
            return
        me, depth = self._owner, self._depth
        self._owner, self._depth = None, 0
        self._lock.release()
        await self._lock.acquire()  # behind those already waiting; if cancelled, it is not held
        self._owner, self._depth = me, depth


def serialized(method: F) -> F:
    """A controller method that runs alone (the controller's ``_gate``)."""

    @functools.wraps(method)
    def call(self: Any, *args: Any, **kwargs: Any) -> Any:
        self._gate.enter()
        try:
            return method(self, *args, **kwargs)
        finally:
            self._gate.leave()

    return call  # type: ignore[return-value]


def aserialized(method: F) -> F:
    """An async controller method that runs alone (the controller's ``_gate``)."""

    @functools.wraps(method)
    async def call(self: Any, *args: Any, **kwargs: Any) -> Any:
        await self._gate.enter()
        try:
            result: Awaitable[Any] = method(self, *args, **kwargs)
            return await result
        finally:
            self._gate.leave()

    return call  # type: ignore[return-value]
