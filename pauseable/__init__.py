"""pauseable: pause and resume Kafka consumers the same way on every Python client.

>>> controller = pauseable.controller(native_consumer)      # or async_controller(...)
>>> controller.pause_topics("orders"); ...; controller.resume_topics("orders")
"""

from __future__ import annotations

from pauseable.adapter import Backend
from pauseable.backoff import Backoff
from pauseable.controller import AsyncController, Controller
from pauseable.errors import (
    AuthorizationError,
    AutoCommitError,
    BackendError,
    BrokerUnreachableError,
    ClientError,
    CloseTimeoutError,
    ConsumerClosedError,
    ControlTopicAccessError,
    ControlTopicMissingError,
    FatalClientError,
    InvalidArgumentError,
    InvalidOffsetError,
    NotAssignedError,
    PauseableError,
    ResumeError,
    UnknownBackendError,
    UnknownPartitionError,
    UnknownTopicError,
)
from pauseable.flow import AsyncFlow, Backpressure, Flow, Retry
from pauseable.group import GroupPauses, Operator
from pauseable.hookspecs import hookimpl
from pauseable.protocol import AsyncPauseController, PauseController
from pauseable.registry import async_controller, backends, controller, get_backend
from pauseable.report import SkippedRange, SkipReport
from pauseable.strategies import Continue, DiscardUntil, Rebuild, SeekToEnd, SkipPauseWindow, SkipStrategy
from pauseable.types import Offset, TopicPartition

__version__ = "0.1.0"

__all__ = [
    "AsyncController",
    "AsyncFlow",
    "AsyncPauseController",
    "AuthorizationError",
    "AutoCommitError",
    "Backend",
    "BackendError",
    "Backoff",
    "Backpressure",
    "BrokerUnreachableError",
    "ClientError",
    "CloseTimeoutError",
    "ConsumerClosedError",
    "Continue",
    "ControlTopicAccessError",
    "ControlTopicMissingError",
    "Controller",
    "DiscardUntil",
    "FatalClientError",
    "Flow",
    "GroupPauses",
    "InvalidArgumentError",
    "InvalidOffsetError",
    "NotAssignedError",
    "Offset",
    "Operator",
    "PauseController",
    "PauseableError",
    "Rebuild",
    "ResumeError",
    "Retry",
    "SeekToEnd",
    "SkipPauseWindow",
    "SkipReport",
    "SkipStrategy",
    "SkippedRange",
    "TopicPartition",
    "UnknownBackendError",
    "UnknownPartitionError",
    "UnknownTopicError",
    "__version__",
    "async_controller",
    "backends",
    "controller",
    "get_backend",
    "hookimpl",
]
