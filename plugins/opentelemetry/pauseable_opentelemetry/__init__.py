"""OpenTelemetry metrics of every pauseable controller in the process, through ``opentelemetry-api``.

Installed, it is loaded like a backend (entry-point group ``pauseable``); the instruments come from the
global meter provider (``opentelemetry.metrics.set_meter_provider``), so with the API alone they cost nothing.
Names and attributes follow the style of the messaging semantic conventions: every point carries
``messaging.system`` (``kafka``), ``messaging.consumer.group.name`` and ``messaging.client.id`` (one process
may run several controllers); per partition ``messaging.destination.name`` and
``messaging.destination.partition.id``; pauseable's own attributes are prefixed ``pauseable.``.

- ``messaging.kafka.partitions.paused`` (up-down counter, ``{partition}``, ``pauseable.pause.reason``), observed
  at collection time: a pause costs no measurement
- ``messaging.kafka.pause.duration`` (histogram, ``s``, ``pauseable.pause.ended``: resumed, timed, revoked,
  closed), measured when a pause ends
- ``messaging.kafka.resumes``, ``messaging.kafka.resume.errors`` (counters, ``pauseable.strategy``;
  ``error.type`` on errors)
- ``messaging.kafka.offsets.skipped``, ``messaging.kafka.records.discarded``, ``messaging.kafka.bytes.discarded``
  (counters, ``pauseable.strategy``)
- ``messaging.kafka.partitions.paused_too_long`` (gauge, ``{partition}``): paused longer than
  ``PAUSEABLE_PAUSED_TOO_LONG_S`` (default 300 s), each such pause logged once as a warning
- ``messaging.kafka.partition.paused_lag`` (gauge, ``{message}``): end offset - position of a paused partition,
  refreshed on a thread when a collection finds the figures older than ``PAUSEABLE_LAG_REFRESH_S`` (default
  10 s); the collection reads the cache at once, ``poll`` never waits for it

The hooks record nothing into the SDK themselves: what they measure is recorded at the next collection, on the
reader's thread, so a pause or resume costs an append (the SDK's own work per measurement is 20-30 µs).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterable
from typing import Any

from opentelemetry import metrics
from opentelemetry.metrics import CallbackOptions, Observation

import pauseable
from pauseable import observe
from pauseable.errors import ResumeError
from pauseable.report import SkippedRange, SkipReport
from pauseable.strategies import SkipStrategy
from pauseable.types import TopicPartition

meter = metrics.get_meter("pauseable", pauseable.__version__)

PAUSE_DURATION = meter.create_histogram(
    "messaging.kafka.pause.duration", unit="s", description="How long pauses lasted, recorded when they end"
)
RESUMES = meter.create_counter("messaging.kafka.resumes", unit="{resume}", description="Resumes of partitions")
RESUME_ERRORS = meter.create_counter(
    "messaging.kafka.resume.errors", unit="{error}", description="Resumes that failed (the partitions stay paused)"
)
SKIPPED = meter.create_counter(
    "messaging.kafka.offsets.skipped", unit="{offset}", description="Offsets skipped, never delivered"
)
DISCARDED = meter.create_counter(
    "messaging.kafka.records.discarded", unit="{message}", description="Records fetched and dropped to skip"
)
DISCARDED_BYTES = meter.create_counter(
    "messaging.kafka.bytes.discarded", unit="By", description="Key and value bytes fetched and dropped to skip"
)

#: the pauses counted, and the controllers with pauses going on
tracker = observe.Tracker()
#: the lag of paused partitions, refreshed off the polling path (one cache for both metrics plugins)
lag = observe.LAG
lag.serve(tracker)


#: what the hooks measured, recorded at the next collection: a control call costs an append, and the SDK's
#: per-measurement work (cleaning and hashing the attributes, the aggregation's lock: 20-30 µs a call) runs on the
#: reader's thread (a collection runs the observable callbacks, :func:`_paused` among them, before it reads the
#: synchronous instruments). Each entry: the instrument's record or add, the amount, the attributes' short items.
_pending: deque[tuple[Callable[[float, dict[str, str]], None], float, tuple[tuple[str, str], ...]]] = deque()
#: beyond this many, a hook records at once what it measured: with nobody collecting (the API alone) or a flood of
#: pauses between two collections, memory stays bounded (a few MB)
_PENDING_AT_MOST = 10_000
#: attribute dictionaries by their short items, built once per set (as many as the series)
_attributes: dict[tuple[tuple[str, str], ...], dict[str, str]] = {}


def _measure(record: Callable[[float, dict[str, str]], None], amount: float, **attributes: str) -> None:
    items = tuple(attributes.items())
    if len(_pending) < _PENDING_AT_MOST:
        _pending.append((record, amount, items))
    else:
        record(amount, _attributes_for(items))


def _record_pending() -> None:
    while True:
        try:
            record, amount, items = _pending.popleft()  # atomic: hooks append on other threads meanwhile
        except IndexError:
            return
        record(amount, _attributes_for(items))


def _attributes_for(items: tuple[tuple[str, str], ...]) -> dict[str, str]:
    if (attributes := _attributes.get(items)) is None:
        attributes = _attributes[items] = _attributes_of(items)
    return attributes


def _identity(controller: Any) -> dict[str, str]:
    who = observe.identity(controller)
    return {"group": who.group_id, "client": who.client_id}


def _where(tp: TopicPartition) -> dict[str, str]:
    return {"topic": tp.topic, "partition": str(tp.partition)}


def _attributes_of(items: tuple[tuple[str, str], ...]) -> dict[str, str]:
    """The semantic-convention attributes of a measurement's short keys."""
    short = dict(items)
    full = {
        "messaging.system": "kafka",
        "messaging.consumer.group.name": short.pop("group"),
        "messaging.client.id": short.pop("client"),
    }
    for key, value in short.items():
        full[_NAMES[key]] = value
    return full


_NAMES = {
    "topic": "messaging.destination.name",
    "partition": "messaging.destination.partition.id",
    "ended": "pauseable.pause.ended",
    "strategy": "pauseable.strategy",
    "error": "error.type",
    "reason": "pauseable.pause.reason",
}


@pauseable.hookimpl
def pauseable_paused(controller: Any, partitions: list[TopicPartition]) -> None:
    tracker.started(controller, partitions)  # counted at collection time: nothing recorded per pause


@pauseable.hookimpl
def pauseable_pause_ended(
    controller: Any, partitions: list[TopicPartition], reason_ended: str, paused_for_s: dict[TopicPartition, float]
) -> None:
    who = _identity(controller)
    for pause in tracker.ended(controller, partitions):
        tp = pause.partition
        _measure(PAUSE_DURATION.record, paused_for_s[tp], **who, **_where(tp), ended=reason_ended)


@pauseable.hookimpl
def pauseable_resumed(controller: Any, report: SkipReport) -> None:
    if report.resumed:
        _measure(RESUMES.add, 1, **_identity(controller), strategy=report.strategy)


@pauseable.hookimpl
def pauseable_resume_failed(controller: Any, strategy: SkipStrategy, error: ResumeError) -> None:
    cause = error.__cause__ if error.__cause__ is not None else error
    _measure(RESUME_ERRORS.add, 1, **_identity(controller), strategy=strategy.name, error=type(cause).__name__)


@pauseable.hookimpl
def pauseable_skipped(controller: Any, skipped: SkippedRange) -> None:
    where = {**_identity(controller), "topic": skipped.partition.topic, "strategy": skipped.strategy}
    _measure(SKIPPED.add, skipped.count, **where)
    if skipped.records_fetched:
        _measure(DISCARDED.add, skipped.records_fetched, **where)
        _measure(DISCARDED_BYTES.add, skipped.bytes_fetched, **where)


#: the attribute sets of pauses seen, so a pause that ended reads 0 rather than vanish
_seen: set[tuple[tuple[str, str], ...]] = set()


def _paused(options: CallbackOptions) -> Iterable[Observation]:
    _record_pending()  # the first callback of a collection: what the hooks measured is read with it
    now: dict[tuple[tuple[str, str], ...], int] = dict.fromkeys(_seen, 0)
    for controller, pauses in tracker.counted():
        who = _identity(controller)
        for pause in pauses:
            key = tuple({**who, **_where(pause.partition), "reason": pause.reason}.items())
            now[key] = now.get(key, 0) + 1
    _seen.update(now)
    for key, count in now.items():
        yield Observation(count, _attributes_for(key))


def _too_long(options: CallbackOptions) -> Iterable[Observation]:
    for controller, _ in tracker.controllers():
        yield Observation(len(observe.too_long(controller)), _attributes_for(tuple(_identity(controller).items())))


def _lag(options: CallbackOptions) -> Iterable[Observation]:
    figures = lag.get()
    for controller, _ in tracker.controllers():
        paused = observe.pauses(controller)
        who = _identity(controller)
        for tp, behind in sorted(figures.get(id(controller), {}).items()):
            if tp in paused:
                yield Observation(behind, _attributes_for(tuple({**who, **_where(tp)}.items())))


meter.create_observable_up_down_counter(
    "messaging.kafka.partitions.paused",
    callbacks=[_paused],
    unit="{partition}",
    description="Partitions paused now (counted at collection time)",
)
meter.create_observable_gauge(
    "messaging.kafka.partitions.paused_too_long",
    callbacks=[_too_long],
    unit="{partition}",
    description="Partitions paused longer than PAUSEABLE_PAUSED_TOO_LONG_S",
)
meter.create_observable_gauge(
    "messaging.kafka.partition.paused_lag",
    callbacks=[_lag],
    unit="{message}",
    description="End offset minus position of a paused partition (refreshed off the polling path)",
)
