"""The error hierarchy: every error pauseable raises is a :class:`PauseableError`.

Each message names the problem and the fix. Errors about arguments are also the matching builtin
(``TypeError`` / ``ValueError``), so generic handlers keep working.
"""

from __future__ import annotations

from typing import Any, ClassVar


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


class ClientError(BackendError):
    """The client reported an error it will not get past by itself; ``poll`` raised it, after handing over
    every record fetched before it. Errors the client gets past (a broker restarting, a leader moving) are not
    raised: they go to the ``pauseable_client_error`` hook and the log, and polling carries on.

    The message names the problem, then :attr:`fix`; the client's own error is chained as ``__cause__``
    where there is one.
    """

    #: what to do about it, the end of every message of this class
    fix: ClassVar[str] = "close this consumer and create a new one"


class UnknownTopicError(ClientError, UnknownPartitionError):
    """A topic or partition the consumer is subscribed or assigned to does not exist in the cluster."""

    fix = "check the topic name, or create the topic first"


class AuthorizationError(ClientError):
    """The cluster refused this client: authentication failed, or it may not read the topic or use the group."""

    fix = (
        "check the client's credentials (security.protocol, sasl.*, ssl.*), and grant its principal READ on the "
        "topic and on the consumer group (Kafka ACLs)"
    )


class ControlTopicAccessError(AuthorizationError):
    """The cluster refused group pauses' control client (an operator's or a member's): its login failed, or its
    principal lacks an ACL on the control topic. The message names the principal, the topic and the ACL to grant;
    the client's own error is chained as ``__cause__``."""

    fix = "grant the ACL named (kafka-acls --add), or log in as a principal that has it"


class FatalClientError(ClientError):
    """The client says it cannot go on (e.g. librdkafka's fatal errors: a fenced static member)."""


class BrokerUnreachableError(ClientError):
    """No broker of the cluster has answered this consumer yet, and the client gave up asking."""

    fix = "check the bootstrap servers (host and port) and that the brokers run and listen there"


class ControlTopicMissingError(PauseableError, LookupError):
    """Group pauses were asked for, but the cluster has no control topic of that name (or this client may not
    see it); create it with ``pauseable control-topic create``, or grant the principal READ (DESCRIBE) on it."""


class UnknownBackendError(PauseableError, LookupError):
    """No installed backend has that name, or none claims the consumer object."""


class AutoCommitError(PauseableError, ValueError):
    """A flow was given a consumer that commits by itself (``enable.auto.commit``), or one it cannot tell: it would
    commit records handed to workers but not finished. The message names the setting to turn off."""
