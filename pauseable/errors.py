"""The error hierarchy: every error pauseable raises is a :class:`PauseableError`.

Each message names the problem and the fix. Errors about arguments are also the matching builtin
(``TypeError`` / ``ValueError``), so generic handlers keep working.
"""

from __future__ import annotations

from typing import Any


class PauseableError(Exception):
    """Base of every error pauseable raises."""


class InvalidArgumentError(PauseableError, TypeError):
    """An argument has the wrong type (e.g. a native TopicPartition where pauseable's is needed)."""


class InvalidOffsetError(PauseableError, ValueError):
    """An offset or timestamp is out of range (negative, or a sentinel where none is allowed)."""


class NotAssignedError(PauseableError, ValueError):
    """A partition is not assigned to this consumer; nothing was done."""


class UnknownPartitionError(PauseableError, LookupError):
    """The cluster has no such topic, or the topic has no such partition; nothing was done."""


class ConsumerClosedError(PauseableError):
    """The consumer is closed; create a new one."""


class BackendError(PauseableError):
    """The Kafka client failed a call; the native exception is chained as ``__cause__``."""


class ResumeError(BackendError):
    """A resume with a strategy failed part-way (e.g. the broker did not answer an offset lookup).

    The partitions named in ``still_paused`` are still paused; ``report`` lists what was skipped
    before the failure (usually nothing). Resuming again retries.
    """

    def __init__(self, message: str, report: Any, still_paused: list[Any]) -> None:
        super().__init__(message)
        #: a :class:`~pauseable.report.SkipReport` of what was skipped before the failure
        self.report = report
        #: the partitions that stay paused
        self.still_paused = still_paused


class CloseTimeoutError(BackendError):
    """The client's own close did not finish in time (its brokers did not answer, or the client hung).

    The consumer is given up: the controller counts as closed, the native close goes on in a daemon
    thread, the group drops the member after ``session.timeout.ms``, and nothing more is committed by
    pauseable. What was committed before stays committed.
    """


class UnknownBackendError(PauseableError, LookupError):
    """No installed backend has that name, or none claims the consumer object."""
