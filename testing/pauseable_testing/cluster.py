"""The cluster a test run uses: the user's (``PAUSEABLE_BOOTSTRAP_SERVERS``) or a local one."""

from __future__ import annotations

import re
import shutil
import tempfile
import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from pauseable_testing.broker import LocalCluster, create_partitions, create_topic, external_bootstrap

_PREFIX = "pauseable-pytest-"
#: a test run's cluster directory this old, with no broker running, was left by a killed run
_STALE_S = 600.0


def _sweep_stale_roots() -> None:
    """Remove the directories of test clusters whose run was killed (their brokers died with it)."""
    for root in Path(tempfile.gettempdir()).glob(f"{_PREFIX}*"):
        try:
            old = time.time() - root.stat().st_mtime > _STALE_S
        except OSError:
            continue
        cluster = LocalCluster.load(root)
        if old and (cluster is None or not cluster.running_nodes()):
            shutil.rmtree(root, ignore_errors=True)


#: topic settings of the fault tests: replicated three times, writable with one node down
REPLICATED = {"min.insync.replicas": "2"}


def unique_name(hint: str = "t") -> str:
    """A topic or group name made from ``hint`` (e.g. a test's name) that no other test uses."""
    cleaned = re.sub(r"[^a-zA-Z0-9._-]+", "-", hint).strip("-.")[:80] or "t"
    return f"{cleaned}-{uuid.uuid4().hex[:10]}"


@dataclass
class KafkaCluster:
    """A running cluster: its bootstrap address, and the local cluster when pauseable started it."""

    bootstrap_servers: str
    #: None when the cluster came from ``PAUSEABLE_BOOTSTRAP_SERVERS`` (pauseable never stops those)
    local: LocalCluster | None = None

    @classmethod
    def open(cls) -> KafkaCluster:
        """Use ``PAUSEABLE_BOOTSTRAP_SERVERS`` if set, else start a single-node local cluster."""
        if (bootstrap := external_bootstrap()) is not None:
            return cls(bootstrap)
        return cls.start_local()

    @classmethod
    def start_local(cls, brokers: int = 1, overrides: Mapping[str, str] | None = None) -> KafkaCluster:
        """Start a local cluster of ``brokers`` nodes in a fresh temporary directory."""
        _sweep_stale_roots()
        root = Path(tempfile.mkdtemp(prefix=_PREFIX))
        try:
            local = LocalCluster.start(root, brokers=brokers, overrides=overrides, die_with_parent=True)
        except BaseException:
            shutil.rmtree(root, ignore_errors=True)  # a failed start leaves no directory behind
            raise
        return cls(local.bootstrap_servers, local)

    def close(self) -> None:
        """Stop the local cluster, if this object started one."""
        if self.local is not None:
            self.local.stop()

    def create_topic(
        self,
        name: str | None = None,
        partitions: int = 1,
        replication_factor: int = 1,
        configs: Mapping[str, str] | None = None,
        hint: str = "t",
    ) -> str:
        """Create a topic and return its name: ``name``, or a fresh unique one made from ``hint``.

        A fresh name is nobody else's, so "already exists" means the broker carried out this very request
        twice (a loaded controller's retried forward) and counts as created.
        """
        fresh = name is None
        name = name or unique_name(hint)
        create_topic(self.bootstrap_servers, name, partitions, replication_factor, configs, exist_ok=fresh)
        return name

    def add_partitions(self, topic: str, total: int) -> None:
        """Grow ``topic`` to ``total`` partitions."""
        create_partitions(self.bootstrap_servers, topic, total)
