"""The hooks a pauseable plugin may implement (mark them with ``@pauseable.hookimpl``)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import pluggy

from pauseable.adapter import Backend

if TYPE_CHECKING:
    from pauseable.errors import ResumeError
    from pauseable.report import SkippedRange, SkipReport
    from pauseable.strategies import SkipStrategy
    from pauseable.types import TopicPartition

hookspec = pluggy.HookspecMarker("pauseable")
hookimpl = pluggy.HookimplMarker("pauseable")


@hookspec
def pauseable_register_backends(register: Callable[[Backend], None]) -> None:
    """Register backends: call ``register(Backend(...))`` once for each consumer type you drive."""


@hookspec
def pauseable_paused(controller: Any, partitions: list[TopicPartition], reason: str) -> None:
    """Pauses of ``partitions`` began: each pause is told once, when it begins (pausing a partition already
    paused tells nothing), and ends once (``pauseable_pause_ended``). ``reason``, how it began: ``manual``
    (``pause``), ``timed`` (``pause(for_seconds=<seconds>)``), ``back-off`` (``pause(for_seconds=Backoff(...))``,
    a flow's retry), ``topic`` (``pause_topics``), ``assigned`` (assigned paused: a sticky topic pause), ``group``
    (a group pause, or a partition the group holds assigned), ``backpressure`` (a flow), or the caller's own
    (``pause(reason=...)``). The metrics plugins label paused partitions with it."""


@hookspec
def pauseable_resumed(controller: Any, report: SkipReport, reason: str) -> None:
    """Partitions were resumed; ``report`` says what is skipped. ``reason``: ``manual``, ``topic``, ``timed`` (a
    timed pause ran out), ``backpressure`` and ``back-off`` (a flow), or the caller's own."""


@hookspec
def pauseable_pause_ended(
    controller: Any, partitions: list[TopicPartition], reason_ended: str, paused_for_s: dict[TopicPartition, float]
) -> None:
    """Pauses ended, each after ``paused_for_s[partition]`` seconds. ``reason_ended``: ``resumed`` (a resume call),
    ``timed`` (a timed pause ran out), ``revoked`` (a rebalance, or ``assign`` leaving the partition out),
    ``closed`` (the controller closed, a close that timed out too). Every pause that began ends here once."""


@hookspec
def pauseable_resume_failed(controller: Any, strategy: SkipStrategy, error: ResumeError) -> None:
    """A resume with ``strategy`` failed (``error`` is raised next): its partitions stay paused."""


@hookspec
def pauseable_client_error(controller: Any, error: BaseException) -> None:
    """The client reported an error it gets past by itself (a broker restarting, a leader moving, a member
    rejoining its group): not raised, logged as a warning, and ``poll`` carries on. Errors it does not get past
    (an unknown topic, authorization, fatal) are raised by ``poll`` as :class:`~pauseable.errors.ClientError`."""


@hookspec
def pauseable_skipped(controller: Any, skipped: SkippedRange) -> None:
    """The consumer is past a skipped range: at once for a seek, after the last record for a discard."""


@hookspec
def pauseable_retrying(
    controller: Any, partition: TopicPartition, offset: int, attempt: int, error: BaseException
) -> None:
    """A flow's record failed (``attempt`` failures so far): it is tried again from its offset after a back-off."""


@hookspec
def pauseable_dead_lettered(controller: Any, partition: TopicPartition, offset: int, error: BaseException) -> None:
    """A flow's record failed its last attempt and went to the dead letter; its partition moves on."""
