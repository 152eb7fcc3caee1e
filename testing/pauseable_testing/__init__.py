"""pauseable's testing kit: a real Kafka broker, the conformance suite and a pytest plugin.

Installed apart from the runtime (``pip install pauseable-testing``). Its pytest plugin
(:mod:`pauseable_testing.plugin`, entry point ``pytest11``) adds ``pauseable_``-prefixed fixtures
(``pauseable_kafka_cluster``, ``pauseable_topic``, ``pauseable_group_id``, ``pauseable_harness``, ...);
:mod:`pauseable_testing.suite` is the conformance suite, :mod:`pauseable_testing.broker` the local
broker, and the ``pauseable broker|conformance|demo`` commands come from :mod:`pauseable_testing.cli`.
"""

from __future__ import annotations

from pauseable_testing.broker.errors import BrokerError, BrokerSetupError, BrokerStartError
from pauseable_testing.cluster import KafkaCluster, unique_name

__all__ = ["BrokerError", "BrokerSetupError", "BrokerStartError", "KafkaCluster", "unique_name"]
