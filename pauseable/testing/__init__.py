"""Testing helpers for pauseable and for adapter authors: a real broker and fresh topics as pytest fixtures.

Installing pauseable registers the pytest plugin :mod:`pauseable.testing.plugin` (entry point
``pytest11``), so its fixtures (``kafka_cluster``, ``new_topic``, ``topic``, ``group_id``) are
available in every test without an import.
"""

from __future__ import annotations

from pauseable.testing.cluster import KafkaCluster, unique_name

__all__ = ["KafkaCluster", "unique_name"]
