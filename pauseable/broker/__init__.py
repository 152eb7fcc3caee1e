"""A real Apache Kafka broker on loopback, started by pauseable itself (no Docker).

``LocalCluster.start()`` resolves Kafka's jars once (Maven, cached), formats KRaft storage and
starts combined broker+controller nodes; ``PAUSEABLE_BOOTSTRAP_SERVERS`` points everything at an
existing cluster instead.
"""

from __future__ import annotations

import os

from pauseable.broker.cluster import LocalCluster, Node, default_root
from pauseable.broker.jars import KAFKA_VERSION, cache_dir, kafka_jars
from pauseable.broker.wire import ClusterMetadata, create_partitions, create_topic, metadata

__all__ = [
    "KAFKA_VERSION",
    "ClusterMetadata",
    "LocalCluster",
    "Node",
    "cache_dir",
    "create_partitions",
    "create_topic",
    "default_root",
    "external_bootstrap",
    "kafka_jars",
    "metadata",
]


def external_bootstrap() -> str | None:
    """The cluster the user chose with ``PAUSEABLE_BOOTSTRAP_SERVERS``, or None to start one locally."""
    return os.environ.get("PAUSEABLE_BOOTSTRAP_SERVERS", "").strip() or None
