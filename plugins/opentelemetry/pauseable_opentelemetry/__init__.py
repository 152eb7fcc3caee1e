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
reader's thread (:class:`pauseable.observe.Tracker`), so a pause or resume costs an append (the SDK's own work per
measurement is 20-30 µs); "paused now" is read from the controllers at collection time.
"""

from __future__ import annotations

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

#: the controllers seen pausing, and what the hooks measured until the next collection
tracker = observe.Tracker()
#: the lag of paused partitions, refreshed off the polling path (one cache for both metrics plugins)
lag = observe.LAG
lag.serve(tracker)

Who = tuple[str | None, str | None]
#: attribute dictionaries by their short items, built once per set (as many as the series)
_attributes: dict[tuple[tuple[str, str], ...], dict[str, str]] = {}


def _record(record: Callable[[float, dict[str, str]], None], amount: float, who: Who, **attributes: str) -> None:
    items = (("group", who[0] or ""), ("client", who[1] or ""), *attributes.items())
    record(amount, _attributes_for(items))


def _attributes_for(items: tuple[tuple[str, str], ...]) -> dict[str, str]:
    if (attributes := _attributes.get(items)) is None:
        attributes = _attributes[items] = _attributes_of(items)
    return attributes


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


def _ended(who: Who, reason_ended: str, paused_for_s: dict[TopicPartition, float]) -> None:
    for tp, seconds in paused_for_s.items():
        _record(PAUSE_DURATION.record, seconds, who, topic=tp.topic, partition=str(tp.partition), ended=reason_ended)


def _resumed(who: Who, strategy: str) -> None:
    _record(RESUMES.add, 1, who, strategy=strategy)


def _failed(who: Who, strategy: str, error_type: str) -> None:
    _record(RESUME_ERRORS.add, 1, who, strategy=strategy, error=error_type)


def _skipped(who: Who, skipped: SkippedRange) -> None:
    where = {"topic": skipped.partition.topic, "strategy": skipped.strategy}
    _record(SKIPPED.add, skipped.count, who, **where)
    if skipped.records_fetched:
        _record(DISCARDED.add, skipped.records_fetched, who, **where)
        _record(DISCARDED_BYTES.add, skipped.bytes_fetched, who, **where)


@pauseable.hookimpl
def pauseable_paused(controller: Any, partitions: list[TopicPartition], reason: str) -> None:
    tracker.paused(controller, partitions, reason)  # counted at collection time: nothing recorded per pause


@pauseable.hookimpl
def pauseable_pause_ended(
    controller: Any, partitions: list[TopicPartition], reason_ended: str, paused_for_s: dict[TopicPartition, float]
) -> None:
    tracker.later(_ended, controller._core.identity, reason_ended, paused_for_s)


@pauseable.hookimpl
def pauseable_resumed(controller: Any, report: SkipReport) -> None:
    if report.resumed:
        tracker.later(_resumed, controller._core.identity, report.strategy)


@pauseable.hookimpl
def pauseable_resume_failed(controller: Any, strategy: SkipStrategy, error: ResumeError) -> None:
    cause = error.__cause__ if error.__cause__ is not None else error
    tracker.later(_failed, controller._core.identity, strategy.name, type(cause).__name__)


@pauseable.hookimpl
def pauseable_skipped(controller: Any, skipped: SkippedRange) -> None:
    tracker.later(_skipped, controller._core.identity, skipped)


def _paused(options: CallbackOptions) -> Iterable[Observation]:
    # the first callback of a collection (which runs them before it reads the synchronous instruments): what the
    # hooks measured is recorded here, with it
    for (group, client, topic, partition, reason), count in tracker.paused_now().items():
        items = (("group", group), ("client", client), ("topic", topic), ("partition", partition), ("reason", reason))
        yield Observation(count, _attributes_for(items))


def _identity(controller: Any) -> tuple[tuple[str, str], ...]:
    who = observe.identity(controller)
    return (("group", who.group_id), ("client", who.client_id))


def _too_long(options: CallbackOptions) -> Iterable[Observation]:
    for controller, _ in tracker.controllers():
        yield Observation(len(observe.too_long(controller)), _attributes_for(_identity(controller)))


def _lag(options: CallbackOptions) -> Iterable[Observation]:
    figures = lag.get()
    for controller, _ in tracker.controllers():
        going_on = observe.pauses(controller)
        who = _identity(controller)
        for tp, behind in sorted(figures.get(id(controller), {}).items()):
            if tp in going_on:
                where = (("topic", tp.topic), ("partition", str(tp.partition)))
                yield Observation(behind, _attributes_for((*who, *where)))


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
