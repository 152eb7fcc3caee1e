"""A real Apache Kafka broker on loopback, started by pauseable itself (no Docker).

``LocalCluster.start()`` downloads Kafka's jars once (Maven Central, checked against pinned checksums,
cached; only Java is needed), formats KRaft storage and
starts combined broker+controller nodes; ``PAUSEABLE_BOOTSTRAP_SERVERS`` points everything at an
existing cluster instead.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from pauseable_testing.broker.cluster import LocalCluster, Node, Security, default_root
from pauseable_testing.broker.errors import (
    BrokerError,
    BrokerSetupError,
    BrokerStartError,
    JarChecksumError,
    JarDownloadError,
)
from pauseable_testing.broker.jars import KAFKA_VERSION, cache_dir, kafka_jars
from pauseable_testing.broker.wire import ClusterMetadata, create_partitions, create_topic, metadata

__all__ = [
    "KAFKA_VERSION",
    "BrokerError",
    "BrokerSetupError",
    "BrokerStartError",
    "ClusterMetadata",
    "JarChecksumError",
    "JarDownloadError",
    "LocalCluster",
    "Node",
    "Security",
    "cache_dir",
    "create_partitions",
    "create_topic",
    "default_root",
    "external_bootstrap",
    "kafka_jars",
    "metadata",
    "running_cluster",
]


def external_bootstrap() -> str | None:
    """The cluster the user chose with ``PAUSEABLE_BOOTSTRAP_SERVERS``, or None to start one locally."""
    return os.environ.get("PAUSEABLE_BOOTSTRAP_SERVERS", "").strip() or None


@contextmanager
def running_cluster() -> Iterator[str]:
    """The bootstrap address of the user's cluster (``PAUSEABLE_BOOTSTRAP_SERVERS``), else of the local
    cluster ``pauseable broker start`` left running (kept running), else of a single-node local cluster
    started for the duration and stopped afterwards."""
    if (external := external_bootstrap()) is not None:
        yield external
        return
    started = LocalCluster.load(default_root("default"))
    if started is not None and len(started.running_nodes()) == len(started.nodes):
        yield started.bootstrap_servers  # `pauseable broker start`'s cluster: used, left running
        return
    cluster = LocalCluster.start(Path(tempfile.mkdtemp(prefix="pauseable-run-")))
    try:
        yield cluster.bootstrap_servers
    finally:
        cluster.stop()
