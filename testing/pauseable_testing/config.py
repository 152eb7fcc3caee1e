"""The user's own consumer configuration, under which the suite proves the contract.

``--pauseable-consumer-config KEY=VALUE`` (repeatable) and ``--pauseable-consumer-config-file PATH``
(``key=value`` lines, ``#`` comments: a Java-style properties file) give native settings of the backend's
client (``group.protocol=consumer`` for confluent-kafka, ``security_protocol=SSL`` for kafka-python). They
are merged into every consumer the harness builds, under the settings a behaviour sets itself.

What the suite needs is refused up front, naming the setting: the bootstrap servers (the suite's
cluster is ``PAUSEABLE_BOOTSTRAP_SERVERS``), the group id and a static member id (every behaviour uses
fresh groups of several members), a reset other than ``earliest``, and auto commit (behaviours check what
was committed). Keys are compared whatever their spelling: ``enable.auto.commit`` and
``enable_auto_commit`` are the same setting.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

#: settings the suite sets on every consumer: the values it takes, the usual spelling first (None: none), and why
_REFUSED: dict[str, tuple[tuple[str, ...] | None, str]] = {
    "bootstrap.servers": (None, "the suite's cluster is PAUSEABLE_BOOTSTRAP_SERVERS"),
    "metadata.broker.list": (None, "the suite's cluster is PAUSEABLE_BOOTSTRAP_SERVERS"),
    "group.id": (None, "every behaviour makes fresh groups of its own"),
    "group.instance.id": (None, "members of one group in a behaviour would share one static id and fence each other"),
    "auto.offset.reset": (
        ("earliest", "smallest", "beginning"),
        "behaviours read from the first offset of fresh topics",
    ),
    "enable.auto.commit": (("false",), "behaviours check what was committed, and when"),
}
#: a behaviour's own setting (a ConsumerSettings field) -> the native keys that mean the same: the
#: behaviour's value wins over the user's for that consumer
SETTING_KEYS: dict[str, frozenset[str]] = {
    "session_timeout_ms": frozenset({"session.timeout.ms"}),
    "heartbeat_interval_ms": frozenset({"heartbeat.interval.ms"}),
    "max_poll_interval_ms": frozenset({"max.poll.interval.ms"}),
    "metadata_max_age_ms": frozenset({"metadata.max.age.ms", "topic.metadata.refresh.interval.ms"}),
}


class ConsumerConfigError(ValueError):
    """The user's consumer configuration cannot be parsed, or overrides what the suite needs."""


def normal_key(key: str) -> str:
    """One spelling for a setting: ``enable_auto_commit`` and ``Enable.Auto.Commit`` are ``enable.auto.commit``."""
    return key.strip().lower().replace("_", ".")


def _value(raw: str) -> Any:
    """``true``/``false`` as bools and integers as ints (kafka-python and aiokafka take typed keywords;
    librdkafka takes either); anything else as the string given."""
    text = raw.strip()
    if text.lower() in ("true", "false"):
        return text.lower() == "true"
    try:
        return int(text)
    except ValueError:
        return text


@dataclass(frozen=True)
class ConsumerConfig:
    """Native consumer settings the user gives the suite, checked against what the suite needs."""

    settings: Mapping[str, Any] = field(default_factory=dict)

    @classmethod
    def parse(cls, pairs: Iterable[str] = (), files: Iterable[str | Path] = ()) -> ConsumerConfig:
        """From ``key=value`` strings and properties files (the strings win); raises ConsumerConfigError."""
        settings: dict[str, Any] = {}
        for path in files:
            try:
                lines = Path(path).read_text().splitlines()
            except OSError as exc:
                raise ConsumerConfigError(f"cannot read the consumer configuration file {path}: {exc}") from None
            for number, line in enumerate(lines, 1):
                if line.strip() and not line.lstrip().startswith(("#", "!")):
                    settings.update(_pair(line, f"{path}:{number}"))
        for pair in pairs:
            settings.update(_pair(pair, "--pauseable-consumer-config"))
        config = cls(settings)
        config.check()
        return config

    def check(self) -> None:
        """Raise ConsumerConfigError naming every setting that overrides what the suite needs."""
        problems = []
        for key, value in self.settings.items():
            needed = _REFUSED.get(normal_key(key))
            if needed is None:
                continue
            allowed, why = needed
            if allowed is None:
                problems.append(f"{key}: the suite sets it itself ({why})")
            elif str(value).lower() not in allowed:
                problems.append(f"{key}={value}: the suite needs {allowed[0]} ({why})")
        if problems:
            raise ConsumerConfigError(
                "the consumer configuration overrides settings the conformance suite needs:\n  " + "\n  ".join(problems)
            )

    def get(self, key: str) -> Any:
        """The value of a setting, however the user spelled its key (None when not given)."""
        wanted = normal_key(key)
        return next((value for k, value in self.settings.items() if normal_key(k) == wanted), None)

    @property
    def broker_side_groups(self) -> bool:
        """The KIP-848 group protocol (``group.protocol=consumer``): the broker owns the session timeout and
        the heartbeat interval (``group.consumer.*``), so the suite sets neither."""
        return str(self.get("group.protocol") or "").lower() == "consumer"

    def native(self, overridden: Iterable[str] = ()) -> dict[str, Any]:
        """The settings for one consumer, without those meaning the same as the ``overridden`` settings
        (ConsumerSettings fields the behaviour sets itself)."""
        dropped = set().union(*(SETTING_KEYS.get(name, frozenset()) for name in overridden))
        return {key: value for key, value in self.settings.items() if normal_key(key) not in dropped}

    def __str__(self) -> str:
        return " ".join(f"{key}={value}" for key, value in self.settings.items())


def _pair(text: str, where: str) -> dict[str, Any]:
    key, sep, value = text.partition("=")
    if not sep or not key.strip():
        raise ConsumerConfigError(f"{where}: expected key=value, got {text.strip()!r}")
    return {key.strip(): _value(value)}
