"""pauseable: pause and resume Kafka consumers the same way on every Python client."""

from __future__ import annotations

from pauseable.errors import BrokerError, BrokerSetupError, BrokerStartError, PauseableError

__version__ = "0.1.0"

__all__ = [
    "BrokerError",
    "BrokerSetupError",
    "BrokerStartError",
    "PauseableError",
    "__version__",
]
