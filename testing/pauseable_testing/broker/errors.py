"""Errors of the local broker harness; each is a :class:`~pauseable.errors.PauseableError`."""

from __future__ import annotations

from pauseable.errors import PauseableError


class BrokerError(PauseableError):
    """A broker could not be reached, asked, started or stopped."""


class BrokerSetupError(BrokerError):
    """Something the local broker needs is missing: Java, Maven, or its jars."""


class BrokerStartError(BrokerError):
    """The local broker did not come up; the message ends with the last lines of its log."""
