"""The error hierarchy: every error pauseable raises is a :class:`PauseableError`.

Each message names the problem and the fix.
"""

from __future__ import annotations


class PauseableError(Exception):
    """Base of every error pauseable raises."""


class BrokerError(PauseableError):
    """A broker could not be reached, asked, started or stopped."""


class BrokerSetupError(BrokerError):
    """Something the local broker needs is missing: Java, Maven, or its jars."""


class BrokerStartError(BrokerError):
    """The local broker did not come up; the message ends with the last lines of its log."""
