"""Who may do what with the control topic: the cluster's refusals, turned into errors that name the ACL to grant.

Who may pause is who may write the control topic. An operator's principal needs WRITE and DESCRIBE on it to pause
(READ too to resume, and READ on the marks topic for ``status``); a member's needs READ and DESCRIBE on the control
topic to follow it, and READ, DESCRIBE and WRITE on its marks topic (``<control topic>-marks``) for its marks.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

from pauseable.adapter import ControlClient
from pauseable.errors import ControlTopicAccessError, PauseableError
from pauseable.group.records import MARKS_SUFFIX

#: where each client's configuration names the SASL user: confluent-kafka, then kafka-python and aiokafka
_USER_KEYS = ("sasl.username", "sasl_plain_username")


def principal_of(config: Mapping[str, Any] | None) -> str:
    """The principal a client configuration logs in as, for messages: ``User:<name>`` of its SASL user name, else
    a description."""
    for key in _USER_KEYS:
        if isinstance(name := (config or {}).get(key), str) and name:
            return f"User:{name}"
    return "this client's principal"


def refusal(exc: BaseException, principal: str, topic: str, operation: str, doing: str) -> ControlTopicAccessError:
    """The error for the cluster refusing ``principal`` ``doing`` something with ``topic``; one line."""
    user = principal if principal.startswith("User:") else "<principal>"
    what = "marks topic" if topic.endswith(MARKS_SUFFIX) else "control topic"
    return ControlTopicAccessError(
        f"the cluster refused {principal} {doing} the {what} {topic!r} ({exc}): grant {operation.upper()} "
        f"on Topic:{topic} to it (kafka-acls --add --allow-principal {user} --operation {operation} --topic "
        f"{topic}), or check its credentials (security.protocol, sasl.*)"
    )


@contextmanager
def guarded(client: ControlClient, principal: str, topic: str, operation: str, doing: str) -> Iterator[None]:
    """Raise :class:`~pauseable.errors.ControlTopicAccessError` (the client's error chained) for what ``client``
    raises inside as the cluster refusing it; anything else passes unchanged."""
    try:
        yield
    except PauseableError:
        raise
    except Exception as exc:
        if client.denied(exc):
            raise refusal(exc, principal, topic, operation, doing) from exc
        raise
