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
from collections import deque
from collections.abc import Callable
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


#: one series of "paused now": group, client id, topic, partition, how the pause began
PausedKey = tuple[str, str, str, str, str]


class Tracker:
    """What a metrics plugin keeps between two collections, so that a hook costs it little more than an append:

    - the controllers it has seen pause, held weakly (let go when garbage collected), each with its event loop
      (None for a sync one), where its lookups must run; the pauses going on are read from them when a collection
      asks (:meth:`paused_now`), so a pause or its end needs no bookkeeping of the plugin's;
    - what the hooks measured, applied at the next collection on the collecting thread (:meth:`later`,
      :meth:`catch_up`), or, once ``wake_at`` measurements wait (pauses faster than collections come: 170 a second
      fill it between two of OpenTelemetry's default collections), on a recording thread of the tracker's; a hook
      applies them itself only if four times that wait (the recorder falling behind), so memory stays bounded;
    - every "paused now" series shown, so one whose pauses all ended reads 0 rather than vanish (a pause that began
      and ended between two collections included).
    """

    def __init__(self, wake_at: int = 10_000) -> None:
        self._lock = threading.Lock()
        #: each watched controller's weak reference and loop, by ``id``
        self._made: dict[int, tuple[weakref.ref[Any], asyncio.AbstractEventLoop | None]] = {}
        #: what the hooks measured: a function and its arguments, applied in order (deque: appends and pops atomic)
        self._pending: deque[tuple[Callable[..., None], tuple[Any, ...]]] = deque()
        self._wake_at = wake_at
        self._wake = threading.Event()
        self._recorder: threading.Thread | None = None
        self._seen: set[PausedKey] = set()

    def paused(self, controller: Any, partitions: list[TopicPartition], reason: str) -> None:
        """From ``pauseable_paused``: the controller watched; its series noted for the next collection."""
        if id(controller) not in self._made:
            self._watch(controller)
        self.later(self._saw, controller._core.identity, partitions, reason)

    def later(self, apply: Callable[..., None], *args: Any) -> None:
        """Call ``apply(*args)`` at the next collection (:meth:`catch_up`), in the order the hooks asked."""
        self._pending.append((apply, args))
        if len(self._pending) >= self._wake_at:
            if len(self._pending) >= 4 * self._wake_at:
                self.catch_up()
            elif not self._wake.is_set():
                self._record_soon()

    def _record_soon(self) -> None:
        with self._lock:
            if self._recorder is None:
                self._recorder = threading.Thread(target=self._record, name="pauseable-metrics", daemon=True)
                self._recorder.start()
        self._wake.set()

    def _record(self) -> None:
        while True:
            self._wake.wait()
            self._wake.clear()
            try:
                self.catch_up()
            except Exception:  # a plugin's bug: logged, and the recorder goes on
                _log.exception("pauseable metrics: a measurement could not be recorded")

    def catch_up(self) -> None:
        """Apply what the hooks measured since the last collection (on the calling thread)."""
        while True:
            try:
                apply, args = self._pending.popleft()  # hooks append on other threads meanwhile
            except IndexError:
                return
            apply(*args)

    def paused_now(self) -> dict[PausedKey, int]:
        """Caught up, every "paused now" series: 1 for each pause going on, 0 for a series seen before."""
        self.catch_up()
        now: dict[PausedKey, int] = dict.fromkeys(self._seen, 0)
        for controller, _ in self.controllers():
            group, client = identity(controller)
            for tp, pause in pauses(controller).items():
                now[(group, client, tp.topic, str(tp.partition), pause.reason)] = 1
        self._seen.update(now)
        return now

    def controllers(self) -> list[tuple[Any, asyncio.AbstractEventLoop | None]]:
        """The live watched controllers with pauses going on, each with its event loop (None for a sync one)."""
        with self._lock:
            made = list(self._made.values())
        found = [(ref(), loop) for ref, loop in made]
        return [(controller, loop) for controller, loop in found if controller is not None and controller._core.pausing]

    def _watch(self, controller: Any) -> None:
        key = id(controller)
        with self._lock:
            if key not in self._made:
                self._made[key] = (weakref.ref(controller, partial(self._let_go, key)), _running_loop())

    def _let_go(self, key: int, _: object = None) -> None:
        self._made.pop(key, None)  # a weakref callback, run by the garbage collector on any thread: a pop is atomic

    def _saw(self, who: tuple[str | None, str | None], partitions: list[TopicPartition], reason: str) -> None:
        group, client = who[0] or "", who[1] or ""
        self._seen.update((group, client, tp.topic, str(tp.partition), reason) for tp in partitions)


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
