"""What a metrics plugin reads of a controller beyond the hooks: who it is, the pauses going on, which of
them have gone on too long, and the lag of paused partitions, refreshed off the polling path.

The hooks say what changed (``pauseable_paused``, ``pauseable_pause_ended``, ...); a gauge read at scrape
time needs the state in between, which this module reads without touching the client: :func:`pauses` and
:func:`identity` are dictionary reads. Only :class:`LagCache` makes requests, on a thread of its own,
through the controller's public ``end_offsets`` (the side lookup client: it never waits behind a fetch).

``PAUSEABLE_PAUSED_TOO_LONG_S`` (default 300) sets how long a pause may go on before it is flagged.
"""

from __future__ import annotations

import asyncio
import logging
import math
import os
import threading
import time
import weakref
from collections.abc import Callable, Iterable
from functools import partial
from typing import Any, NamedTuple

from pauseable.types import TopicPartition

_log = logging.getLogger("pauseable")

#: how a pause started (the ``reason`` of the ``pauseable_paused`` hook): ``pause()``, ``pause(for_seconds=<seconds>)``,
#: ``pause(for_seconds=Backoff(...))`` or a flow's retry, ``pause_topics()``, a paused topic's partition assigned
#: later, a group pause, a flow's backpressure; a caller's own ``reason=`` is kept as it is
REASONS = ("manual", "timed", "back-off", "topic", "assigned", "group", "backpressure")
#: how a pause ended: a resume call, a timed pause running out, the partition revoked (a rebalance, or
#: ``assign()`` leaving it out), the controller closed (a close that timed out too)
ENDINGS = ("resumed", "timed", "revoked", "closed")


def too_long_after_s() -> float:
    """How long a pause may go on before :func:`too_long` flags it: ``PAUSEABLE_PAUSED_TOO_LONG_S``, else 300."""
    return float(os.environ.get("PAUSEABLE_PAUSED_TOO_LONG_S", "300"))


class Pause:
    """A pause going on: of which partition, why, and since when (``time.monotonic()``)."""

    __slots__ = ("partition", "reason", "since", "warned")

    def __init__(self, partition: TopicPartition, reason: str) -> None:
        self.partition = partition
        #: one of :data:`REASONS`, or the caller's own
        self.reason = reason
        self.since = time.monotonic()
        #: whether :func:`too_long` has logged its warning for this pause
        self.warned = False

    def paused_for_s(self, now: float | None = None) -> float:
        """Seconds since the pause began."""
        return (time.monotonic() if now is None else now) - self.since


class Identity(NamedTuple):
    """Who a controller is, for labels: one process may run several. Empty when the client does not say."""

    group_id: str
    client_id: str


def identity(controller: Any) -> Identity:
    """The controller's consumer group and client id (confluent-kafka: from ``lookup_config``)."""
    group_id, client_id = controller._core.identity
    return Identity(group_id or "", client_id or "")


def pauses(controller: Any) -> dict[TopicPartition, Pause]:
    """The pauses going on, by partition (a copy: safe to read from another thread)."""
    return dict(controller._core.pausing)


def too_long(controller: Any, after_s: float | None = None) -> list[TopicPartition]:
    """Partitions paused for longer than ``after_s`` (default :func:`too_long_after_s`); the first time a
    pause is found so, a warning is logged."""
    limit = too_long_after_s() if after_s is None else after_s
    now = time.monotonic()
    found = []
    for tp, pause in sorted(pauses(controller).items()):
        if pause.paused_for_s(now) <= limit:
            continue
        found.append(tp)
        if not pause.warned:
            pause.warned = True
            who = identity(controller)
            _log.warning("%s: %s (group %r, client %r) has been paused for %.0f s (%s); is a resume missing?",
                         controller.backend, tp, who.group_id, who.client_id, pause.paused_for_s(now),
                         pause.reason)  # fmt: skip
    return found


class Tracker:
    """The pauses a metrics plugin has counted, by controller: so a partition paused again while paused is not
    counted twice, and the end of each pause finds the reason it was counted under. It also keeps the
    controllers with pauses going on for what runs at scrape time, each with its event loop (None for a sync
    one), where its lookups must run. It holds them weakly: a controller is let go with its last pause, or when
    it is garbage collected without being closed."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        #: the counted pauses, by controller: the keys are the controllers with pauses going on
        self._pauses: dict[int, dict[TopicPartition, Pause]] = {}
        #: each live controller's weak reference and loop, made at its first pause and kept while it lives: a pause
        #: after the last one ended (a loop of pause and resume) finds them here rather than make them again (a
        #: weakref, and for a sync controller a RuntimeError asking for its loop: half of a tracked pause's cost)
        self._made: dict[int, tuple[weakref.ref[Any], asyncio.AbstractEventLoop | None]] = {}

    def started(self, controller: Any, partitions: Iterable[TopicPartition]) -> list[Pause]:
        """From ``pauseable_paused``: the pauses among ``partitions`` not counted yet (now counted)."""
        going_on = controller._core.pausing
        key = id(controller)
        with self._lock:
            counted = self._pauses.get(key, {})
            new = [going_on[tp] for tp in partitions if tp not in counted and tp in going_on]
            if new:
                self._pauses[key] = counted
                counted.update((pause.partition, pause) for pause in new)
                if key not in self._made:
                    self._made[key] = (weakref.ref(controller, partial(self._let_go, key)), _running_loop())
        return new

    def ended(self, controller: Any, partitions: Iterable[TopicPartition]) -> list[Pause]:
        """From ``pauseable_pause_ended``: the counted pauses of ``partitions`` (no longer counted)."""
        key = id(controller)
        with self._lock:
            counted = self._pauses.get(key, {})
            gone = [pause for tp in partitions if (pause := counted.pop(tp, None)) is not None]
            if not counted:
                self._pauses.pop(key, None)
        return gone

    def _let_go(self, key: int, _: object = None) -> None:
        # a weakref callback, run by the garbage collector on any thread: no lock (each pop is atomic)
        self._pauses.pop(key, None)
        self._made.pop(key, None)

    def _going_on(self) -> list[tuple[tuple[weakref.ref[Any], asyncio.AbstractEventLoop | None], dict[Any, Pause]]]:
        """Under the lock: each controller with pauses going on, its reference and loop, and its pauses."""
        return [(made, pauses) for key, pauses in list(self._pauses.items()) if (made := self._made.get(key))]

    def counted(self) -> list[tuple[Any, list[Pause]]]:
        """The pauses counted and not ended, by live controller."""
        with self._lock:
            found = [(made[0](), list(pauses.values())) for made, pauses in self._going_on()]
        return [(controller, pauses) for controller, pauses in found if controller is not None]

    def controllers(self) -> list[tuple[Any, asyncio.AbstractEventLoop | None]]:
        """The live controllers with pauses going on, each with its event loop (None for a sync one)."""
        with self._lock:
            found = [(ref(), loop) for (ref, loop), _ in self._going_on()]
        return [(controller, loop) for controller, loop in found if controller is not None]


class LagCache:
    r"""The lag (end offset - position) of the paused partitions of the controllers of the :class:`Tracker`\ s
    it serves: one cache for all the metrics plugins of a process (:data:`LAG`), so each lookup is made once.

    :meth:`get` answers at once from the cache; when the figures are older than ``refresh_after_s`` it starts
    one refresh on a daemon thread, which asks each controller's ``end_offsets`` (its side lookup client) and
    ``position``: never in ``poll``, and a scrape never waits for the broker. With ``refresh_after_s`` infinite
    nothing refreshes at scrape time: call :meth:`refresh` yourself (on a timer of yours).
    """

    def __init__(self, refresh_after_s: float = 10.0) -> None:
        self.refresh_after_s = refresh_after_s
        self._trackers: list[Tracker] = []
        self._lock = threading.Lock()
        self._lags: dict[int, dict[TopicPartition, int]] = {}
        self._at = -float("inf")
        self._running: threading.Thread | None = None

    def serve(self, tracker: Tracker) -> None:
        """Refresh the lag of ``tracker``'s controllers too."""
        with self._lock:
            self._trackers.append(tracker)

    def get(self) -> dict[int, dict[TopicPartition, int]]:
        """The last figures, by ``id(controller)``, of partitions still paused; a refresh started if stale."""
        with self._lock:
            stale = self.refresh_after_s != math.inf and time.monotonic() - self._at >= self.refresh_after_s
            if stale and self._running is None:
                self._running = threading.Thread(target=self._refresh, name="pauseable-lag", daemon=True)
                self._running.start()
            lags = dict(self._lags)
        return lags

    def refresh(self) -> dict[int, dict[TopicPartition, int]]:
        """Refresh now on the calling thread (not the loop of an async controller) and return the figures."""
        lags: dict[int, dict[TopicPartition, int]] = {}
        with self._lock:
            watched = {id(c): (c, loop) for tracker in self._trackers for c, loop in tracker.controllers()}
        for controller, loop in watched.values():
            paused = sorted(controller._core.pausing)
            if not paused:
                continue
            try:
                lags[id(controller)] = _run(loop, partial(_lag, controller, paused))
            except Exception as exc:  # revoked or closed meanwhile, a broker away: the next refresh tries again
                _log.debug("%s: lag of paused partitions not refreshed: %s", controller.backend, exc)
        with self._lock:
            self._lags, self._at = lags, time.monotonic()
        return lags

    def _refresh(self) -> None:
        try:
            self.refresh()
        finally:
            with self._lock:
                self._running = None


def _lag(controller: Any, partitions: list[TopicPartition]) -> Any:
    """The lag of ``partitions``: a dict for a sync controller, a coroutine of one for an async one."""
    if asyncio.iscoroutinefunction(controller.end_offsets):

        async def lag() -> dict[TopicPartition, int]:
            ends = await controller.end_offsets(partitions)
            return _difference(ends, {tp: await controller.position(tp) for tp in partitions})

        return lag()
    ends = controller.end_offsets(partitions)
    return _difference(ends, {tp: controller.position(tp) for tp in partitions})


def _difference(
    ends: dict[TopicPartition, int], positions: dict[TopicPartition, int | None]
) -> dict[TopicPartition, int]:
    return {tp: max(0, end - position) for tp, end in ends.items() if (position := positions.get(tp)) is not None}


def _run(loop: asyncio.AbstractEventLoop | None, make: Callable[[], Any]) -> Any:
    if loop is None:
        return make()
    return asyncio.run_coroutine_threadsafe(_awaited(make), loop).result(timeout=60)


async def _awaited(make: Callable[[], Any]) -> Any:
    return await make()


def _running_loop() -> asyncio.AbstractEventLoop | None:
    try:
        return asyncio.get_running_loop()
    except RuntimeError:
        return None


#: the one lag cache of the process, which the metrics plugins share (``PAUSEABLE_LAG_REFRESH_S``, default 10)
LAG = LagCache(float(os.environ.get("PAUSEABLE_LAG_REFRESH_S", "10")))
