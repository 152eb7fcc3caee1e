"""The built-in plugin that logs pause, resume, pause-end and skip events to the ``pauseable`` logger."""

from __future__ import annotations

import logging
from typing import Any

from pauseable.hookspecs import hookimpl
from pauseable.report import SkippedRange, SkipReport
from pauseable.types import TopicPartition

logger = logging.getLogger("pauseable")


@hookimpl
def pauseable_paused(controller: Any, partitions: list[TopicPartition], reason: str) -> None:
    logger.debug("%s: paused (%s) %s", controller.backend, reason, ", ".join(map(str, partitions)))


@hookimpl
def pauseable_resumed(controller: Any, report: SkipReport, reason: str) -> None:
    level = logging.INFO if report.ranges else logging.DEBUG
    logger.log(level, "%s: resumed (%s) %d partition(s), %s", controller.backend, reason, len(report.resumed), report)


@hookimpl
def pauseable_pause_ended(
    controller: Any, partitions: list[TopicPartition], reason_ended: str, paused_for_s: dict[TopicPartition, float]
) -> None:
    lasted = ", ".join(f"{tp} after {paused_for_s[tp]:.1f} s" for tp in partitions)
    logger.debug("%s: pause ended (%s): %s", controller.backend, reason_ended, lasted)


@hookimpl
def pauseable_skipped(controller: Any, skipped: SkippedRange) -> None:
    logger.info(
        "%s: skipped %s [%d, %d) (%d records, %d bytes fetched to skip): %s",
        controller.backend, skipped.partition, skipped.start, skipped.end,
        skipped.records_fetched, skipped.bytes_fetched, skipped.reason,
    )  # fmt: skip
