"""Prometheus metrics of every pauseable controller in the process, in ``prometheus_client``'s default registry.

Installed, it is loaded like a backend (entry-point group ``pauseable``); serve the registry as you already
do (``prometheus_client.start_http_server(port)``). Every series carries ``group`` and ``client_id``: one
process may run several controllers.

- ``pauseable_partitions_paused{group,client_id,topic,partition,reason}``: 1 while paused, 0 after;
  ``reason`` is how the pause began (``pauseable.observe.REASONS``: ``manual``, ``timed``, ``back-off``,
  ``topic``, ``assigned``, ``group``, ``backpressure``) or the caller's own ``pause(reason=...)``
- ``pauseable_pause_duration_seconds{group,client_id,topic,reason_ended}``: histogram, observed when a pause
  ends: ``resumed``, ``timed``, ``revoked``, ``closed``
- ``pauseable_resumes_total{group,client_id,strategy}``, ``pauseable_resume_errors_total{...,strategy}``
- ``pauseable_offsets_skipped_total``, ``pauseable_records_discarded_total``,
  ``pauseable_bytes_discarded_total`` ``{group,client_id,topic,strategy}``: counted when the consumer is past
  a skipped range
- ``pauseable_partitions_paused_too_long{group,client_id}``: partitions paused longer than
  ``PAUSEABLE_PAUSED_TOO_LONG_S`` (default 300 s); each such pause is logged once as a warning
- ``pauseable_paused_lag{group,client_id,topic,partition}``: end offset - position of a paused partition,
  refreshed on a thread when a scrape finds the figures older than ``PAUSEABLE_LAG_REFRESH_S`` (default 10 s);
  the scrape returns the cached figures at once, ``poll`` never waits for it

The hooks update no metric themselves: a pause costs nothing but noting the controller, and what the other hooks
measured is applied at the next scrape, on the scraping thread (:class:`pauseable.observe.Tracker`), so a
control call pays for an append, not for prometheus_client's locks and label lookups. "Paused now" is read from the
controllers at scrape time. A duration or a count shows up at the scrape after the call.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from prometheus_client import REGISTRY, Counter, Histogram
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

import pauseable
from pauseable import observe
from pauseable.errors import ResumeError
from pauseable.report import SkippedRange, SkipReport
from pauseable.strategies import SkipStrategy
from pauseable.types import TopicPartition

_WHO = ["group", "client_id"]

# made unregistered: the one collector below applies what the hooks measured, then yields them
PAUSE_DURATION = Histogram(
    "pauseable_pause_duration_seconds",
    "How long pauses lasted, observed when they end",
    [*_WHO, "topic", "reason_ended"],
    buckets=(0.1, 0.5, 1, 5, 10, 30, 60, 300, 900, 3600, float("inf")),
    registry=None,
)
RESUMES = Counter("pauseable_resumes", "Resumes of one or more partitions", [*_WHO, "strategy"], registry=None)
RESUME_ERRORS = Counter(
    "pauseable_resume_errors",
    "Resumes that failed (the partitions stay paused)",
    [*_WHO, "strategy"],
    registry=None,
)
SKIPPED = Counter(
    "pauseable_offsets_skipped", "Offsets skipped, never delivered", [*_WHO, "topic", "strategy"], registry=None
)
DISCARDED = Counter(
    "pauseable_records_discarded", "Records fetched and dropped to skip", [*_WHO, "topic", "strategy"], registry=None
)
DISCARDED_BYTES = Counter(
    "pauseable_bytes_discarded",
    "Key and value bytes fetched and dropped to skip",
    [*_WHO, "topic", "strategy"],
    registry=None,
)
_UPDATED = (PAUSE_DURATION, RESUMES, RESUME_ERRORS, SKIPPED, DISCARDED, DISCARDED_BYTES)

#: the controllers seen pausing, and what the hooks measured until the next scrape
tracker = observe.Tracker()
#: the lag of paused partitions, refreshed off the polling path (one cache for both metrics plugins)
lag = observe.LAG
lag.serve(tracker)

#: labelled series by (metric, label values): a dict lookup instead of ``labels()``'s checks
_series: dict[tuple[Any, ...], Any] = {}


def _of(metric: Any, who: tuple[str | None, str | None], *values: str) -> Any:
    key = (id(metric), *who, *values)
    if (found := _series.get(key)) is None:
        found = _series[key] = metric.labels(who[0] or "", who[1] or "", *values)
    return found


def _ended(who: tuple[str | None, str | None], reason_ended: str, paused_for_s: dict[TopicPartition, float]) -> None:
    for tp, seconds in paused_for_s.items():
        _of(PAUSE_DURATION, who, tp.topic, reason_ended).observe(seconds)


def _count(metric: Any, amount: float, who: tuple[str | None, str | None], *values: str) -> None:
    _of(metric, who, *values).inc(amount)


def _skipped(who: tuple[str | None, str | None], skipped: SkippedRange) -> None:
    labels = (skipped.partition.topic, skipped.strategy)
    _of(SKIPPED, who, *labels).inc(skipped.count)
    if skipped.records_fetched:
        _of(DISCARDED, who, *labels).inc(skipped.records_fetched)
        _of(DISCARDED_BYTES, who, *labels).inc(skipped.bytes_fetched)


@pauseable.hookimpl
def pauseable_paused(controller: Any, partitions: list[TopicPartition], reason: str) -> None:
    tracker.paused(controller, partitions, reason)


@pauseable.hookimpl
def pauseable_pause_ended(
    controller: Any, partitions: list[TopicPartition], reason_ended: str, paused_for_s: dict[TopicPartition, float]
) -> None:
    tracker.later(_ended, controller._core.identity, reason_ended, paused_for_s)


@pauseable.hookimpl
def pauseable_resumed(controller: Any, report: SkipReport) -> None:
    if report.resumed:
        tracker.later(_count, RESUMES, 1, controller._core.identity, report.strategy)


@pauseable.hookimpl
def pauseable_resume_failed(controller: Any, strategy: SkipStrategy, error: ResumeError) -> None:
    tracker.later(_count, RESUME_ERRORS, 1, controller._core.identity, strategy.name)


@pauseable.hookimpl
def pauseable_skipped(controller: Any, skipped: SkippedRange) -> None:
    tracker.later(_skipped, controller._core.identity, skipped)


class Scraped(Collector):
    """Every series of the plugin, read at scrape time: what the hooks measured applied first, then the
    counters and histogram, the partitions paused now and too long, and the lag of paused partitions."""

    def __init__(self) -> None:
        #: identities seen, so their too-long count comes back to 0 rather than vanish
        self._seen: set[tuple[str, str]] = set()

    def describe(self) -> list[Metric]:  # names only: registering applies nothing and starts no lag refresh
        return [self._paused(), *(family for metric in _UPDATED for family in metric.describe()),
                self._too_long(), self._lag()]  # fmt: skip

    def collect(self) -> Iterator[Metric]:
        paused = self._paused()
        for (group, client, topic, partition, reason), value in sorted(tracker.paused_now().items()):
            paused.add_metric([group, client, topic, partition, reason], value)
        yield paused
        for metric in _UPDATED:
            yield from metric.collect()
        too_long, lags = self._too_long(), self._lag()
        counts: dict[tuple[str, str], int] = dict.fromkeys(self._seen, 0)
        figures = lag.get()
        for controller, _ in tracker.controllers():
            who = observe.identity(controller)
            key = (who.group_id, who.client_id)
            self._seen.add(key)
            counts[key] = counts.get(key, 0) + len(observe.too_long(controller))
            going_on = observe.pauses(controller)
            for tp, behind in sorted(figures.get(id(controller), {}).items()):
                if tp in going_on:
                    lags.add_metric([*who, tp.topic, str(tp.partition)], behind)
        for key, count in sorted(counts.items()):
            too_long.add_metric(list(key), count)
        yield too_long
        yield lags

    @staticmethod
    def _paused() -> GaugeMetricFamily:
        return GaugeMetricFamily(
            "pauseable_partitions_paused",
            "Partitions paused now (1), or no longer (0)",
            labels=[*_WHO, "topic", "partition", "reason"],
        )

    @staticmethod
    def _too_long() -> GaugeMetricFamily:
        return GaugeMetricFamily(
            "pauseable_partitions_paused_too_long",
            "Partitions paused longer than PAUSEABLE_PAUSED_TOO_LONG_S",
            labels=_WHO,
        )

    @staticmethod
    def _lag() -> GaugeMetricFamily:
        return GaugeMetricFamily(
            "pauseable_paused_lag",
            "End offset minus position of a paused partition (refreshed off the polling path)",
            labels=[*_WHO, "topic", "partition"],
        )


REGISTRY.register(Scraped())
