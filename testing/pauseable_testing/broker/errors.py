"""Errors of the local broker harness; each is a :class:`~pauseable.errors.PauseableError`."""

from __future__ import annotations

from pauseable.errors import PauseableError


class BrokerError(PauseableError):
    """A broker could not be reached, asked, started or stopped."""


class BrokerSetupError(BrokerError):
    """Something the local broker needs is missing: Java, or its jars."""


class BrokerStartError(BrokerError):
    """The local broker did not come up; the message ends with the last lines of its log."""


class JarDownloadError(BrokerSetupError):
    """A jar of the broker could not be downloaded (no network, or the repository does not answer)."""


class JarChecksumError(BrokerSetupError):
    """A downloaded jar is not the one pinned in the package (its SHA-256 differs); it was not kept."""
